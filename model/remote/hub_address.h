#pragma once

#include "model/base/result.h"
#include "model/remote/http_client.h"

#include <string>
#include <string_view>
#include <vector>

namespace ckpt {

/// `hf://[datasets/|spaces/]ORG/REPO[@REVISION][/PATH]`, resolved the way the Hub's own clients
/// do: files at `$HF_ENDPOINT/[datasets/|spaces/]ORG/REPO/resolve/REVISION/PATH`, folders listed
/// by `$HF_ENDPOINT/api/{models|datasets|spaces}/ORG/REPO/tree/REVISION/PATH` (paged by its
/// Link header). HF_ENDPOINT defaults to https://huggingface.co; the token is HF_TOKEN, else
/// HUGGING_FACE_HUB_TOKEN, else the file huggingface_hub's login writes.
struct HubAddress
{
    std::string kind = "models"; ///< models, datasets or spaces
    std::string repo;            ///< ORG/REPO
    std::string revision = "main";
    std::string path; ///< inside the repository; "" for its top

    static Result<HubAddress> parse(std::string_view address);
    std::string fileUrl() const;
    std::string treeUrl() const;
};

struct HubEntry
{
    std::string name; ///< relative to the folder listed
    bool folder = false;
    uint64_t size = 0;
};

std::string hubEndpoint();
HttpAuth hubAuth();
/// One page of the tree API's answer (a JSON array of {type, path, size, ...}): the entries
/// directly in `folderPath` ("" for the top), named relative to it.
Result<std::vector<HubEntry>> parseHubTree(std::string_view json, const std::string &folderPath);
/// The folder's entries, every page of them.
Result<std::vector<HubEntry>> listHubFolder(const HubAddress &folder);

} // namespace ckpt
