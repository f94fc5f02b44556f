#include "model/remote/hub_address.h"

#include "model/remote/url_text.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ckpt {
namespace {

bool validPart(std::string_view part)
{
    if (part.empty() || part == "." || part == "..") return false;
    for (const unsigned char c : part)
        if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) return false;
    return true;
}

std::string prefix(const std::string &kind)
{
    return kind == "models" ? std::string() : kind + "/";
}

} // namespace

Result<HubAddress> HubAddress::parse(std::string_view address)
{
    if (!address.starts_with("hf://")) return Error{"not an hf:// address"};
    std::string_view rest = address.substr(5);
    HubAddress a;
    for (const char *kind : {"datasets/", "spaces/", "models/"})
        if (rest.starts_with(kind)) {
            a.kind = std::string(kind, std::string_view(kind).size() - 1);
            rest.remove_prefix(std::string_view(kind).size());
        }
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return Error{"an hf:// address names ORG/REPO"};
    const std::string_view org = rest.substr(0, slash);
    rest.remove_prefix(slash + 1);
    const size_t end = rest.find('/');
    std::string_view name = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (const size_t at = name.find('@'); at != std::string_view::npos) {
        a.revision = percentDecoded(name.substr(at + 1));
        name = name.substr(0, at);
        if (a.revision.empty()) return Error{"an empty revision after @"};
    }
    if (!validPart(org) || !validPart(name)) return Error{"ORG/REPO of an hf:// address may hold only letters, digits, '-', '_' and '.'"};
    a.repo = std::string(org) + "/" + std::string(name);
    while (rest.ends_with('/')) rest.remove_suffix(1);
    for (size_t i = 0; i <= rest.size() && !rest.empty();) {
        const size_t j = std::min(rest.find('/', i), rest.size());
        const std::string_view part = rest.substr(i, j - i);
        if (part.empty() || part == "." || part == "..") return Error{"the path inside the repository has an empty, . or .. part"};
        i = j + 1;
    }
    a.path = std::string(rest);
    return a;
}

std::string hubEndpoint()
{
    std::string endpoint = environment("HF_ENDPOINT") ? environment("HF_ENDPOINT") : "https://huggingface.co";
    while (endpoint.ends_with('/')) endpoint.pop_back();
    return endpoint;
}

std::string HubAddress::fileUrl() const
{
    return hubEndpoint() + "/" + prefix(kind) + repo + "/resolve/" + percentEncoded(revision, false) + "/" + percentEncoded(path, true);
}

std::string HubAddress::treeUrl() const
{
    std::string url = hubEndpoint() + "/api/" + kind + "/" + repo + "/tree/" + percentEncoded(revision, false);
    if (!path.empty()) url += "/" + percentEncoded(path, true);
    return url;
}

HttpAuth hubAuth()
{
    HttpAuth auth;
    if (const char *token = environment("HF_TOKEN")) auth.bearer = token;
    else if (const char *old = environment("HUGGING_FACE_HUB_TOKEN")) auth.bearer = old;
    else {
        std::string file;
        if (const char *p = environment("HF_TOKEN_PATH")) file = p;
        else if (const char *home = environment("HF_HOME")) file = std::string(home) + "/token";
        else if (const char *xdg = environment("XDG_CACHE_HOME")) file = std::string(xdg) + "/huggingface/token";
        else if (const char *h = environment("HOME")) file = std::string(h) + "/.cache/huggingface/token";
        std::ifstream in(file);
        std::getline(in, auth.bearer);
        while (!auth.bearer.empty() && std::isspace(static_cast<unsigned char>(auth.bearer.back()))) auth.bearer.pop_back();
    }
    return auth;
}

Result<std::vector<HubEntry>> parseHubTree(std::string_view text, const std::string &folderPath)
{
    const std::string base = folderPath.empty() ? std::string() : folderPath + "/";
    const auto json = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (!json.is_array()) return Error{"the Hub's file list is not a JSON array"};
    std::vector<HubEntry> entries;
    for (const auto &e : json) {
        if (!e.is_object() || !e.contains("path") || !e["path"].is_string()) return Error{"the Hub's file list has an entry without a path"};
        std::string path = e["path"].get<std::string>();
        if (!path.starts_with(base) || path.size() == base.size()) continue;
        path.erase(0, base.size());
        if (path.find('/') != std::string::npos || path == "." || path == "..") continue; // deeper entries
        const auto type = e.find("type");
        HubEntry entry{path, type != e.end() && type->is_string() && type->get<std::string>() == "directory", 0};
        if (const auto size = e.find("size"); size != e.end() && size->is_number_unsigned()) entry.size = size->get<uint64_t>();
        entries.push_back(std::move(entry));
    }
    return entries;
}

Result<std::vector<HubEntry>> listHubFolder(const HubAddress &folder)
{
    std::vector<HubEntry> entries;
    std::string url = folder.treeUrl();
    for (int page = 0; !url.empty(); ++page) {
        if (page >= 1000) return Error{"the Hub's file list has more than 1000 pages"};
        auto reply = HttpClient::shared().get(HttpRequest{.url = url, .auth = hubAuth()});
        if (!reply) return Error{"listing the repository: " + reply.error().message};
        auto parsed = parseHubTree(std::string_view(reinterpret_cast<const char *>(reply->body.data()), reply->body.size()), folder.path);
        if (!parsed) return parsed.error();
        for (auto &e : *parsed) entries.push_back(std::move(e));
        url = reply->nextPage;
        // The token goes only to the Hub: a next page elsewhere is not followed.
        if (!url.empty() && !url.starts_with(hubEndpoint() + "/")) return Error{"the Hub's file list pages to another host"};
    }
    return entries;
}

} // namespace ckpt
