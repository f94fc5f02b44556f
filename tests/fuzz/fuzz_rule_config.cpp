// libFuzzer target: the rule config parser, as JSON or YAML (the first byte chooses).
#include "model/rules/rule_config.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const std::string text(reinterpret_cast<const char *>(data) + 1, size - 1);
    (void)ckpt::parseConfig(text, data[0] & 1 ? ckpt::ConfigFormat::Yaml : ckpt::ConfigFormat::Json);
    return 0;
}
