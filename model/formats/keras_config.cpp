#include "model/formats/keras_config.h"

#include <nlohmann/json.hpp>

#include <vector>

namespace ckpt {
namespace {

using nlohmann::json;

bool kerasModule(std::string_view module)
{
    return module == "keras" || module.starts_with("keras.") || module == "tf_keras" || module.starts_with("tf_keras.");
}

void add(SafetyReport &report, std::string module, std::string name, const std::string &label, GlobalCategory category,
         std::string reason)
{
    GlobalUse g;
    g.module = std::move(module);
    g.name = std::move(name);
    g.file = label;
    g.category = category;
    g.reason = std::move(reason);
    addClassifiedGlobal(report, std::move(g));
}

/// One `{"class_name": ..., "module": ...}` object of the config.
void object(SafetyReport &report, const json &o, const std::string &label)
{
    const auto cls = o.find("class_name");
    if (cls == o.end() || !cls->is_string()) return;
    const std::string name = cls->get<std::string>();
    const auto mod = o.find("module");
    const std::string module = mod != o.end() && mod->is_string() ? mod->get<std::string>() : std::string();
    if (name == "Lambda" && (module.empty() || kerasModule(module))) {
        add(report, module.empty() ? "keras.layers" : module, name, label, GlobalCategory::Dangerous,
            "a Lambda layer: loading the model runs its Python code (marshalled bytecode or a named function)");
        return;
    }
    if (module.empty() || kerasModule(module)) return;
    // A function is named by its config ({"module": "builtins", "class_name": "function",
    // "config": "eval"}); a class by class_name.
    std::string callable = name;
    if (name == "function") {
        const auto c = o.find("config");
        if (c != o.end() && c->is_string()) callable = c->get<std::string>();
    }
    std::string reason;
    GlobalCategory category = classifyGlobal(module, callable, &reason);
    if (category == GlobalCategory::SafeContainer || category == GlobalCategory::TensorRebuild) {
        category = GlobalCategory::Unknown;
        reason = "a class or function from outside Keras: loading imports and calls it";
    }
    add(report, module, callable, label, category, "named by the Keras config: " + reason);
}

} // namespace

std::string scanKerasConfig(SafetyReport &report, std::string_view text, const std::string &label)
{
    const json root = json::parse(text, nullptr, false);
    if (root.is_discarded()) {
        report.anomalies.push_back(label + ": the Keras config is not JSON, so what loading it builds is unknown");
        return {};
    }
    // nlohmann parses without recursion; the walk keeps its own stack too, so no depth of
    // nesting overflows ours.
    std::vector<const json *> todo{&root};
    while (!todo.empty()) {
        const json *j = todo.back();
        todo.pop_back();
        if (j->is_object()) {
            object(report, *j, label);
            for (const auto &child : j->items()) todo.push_back(&child.value());
        } else if (j->is_array()) {
            for (const auto &child : *j) todo.push_back(&child);
        }
    }
    const auto cls = root.is_object() ? root.find("class_name") : root.end();
    return root.is_object() && cls != root.end() && cls->is_string() ? cls->get<std::string>() : std::string();
}

} // namespace ckpt
