// libFuzzer target: what a remote server answers and what a user types: the Hub's tree API
// JSON, an S3 ListObjectsV2 page, hf:// and s3:// addresses, percent and XML escapes. The
// first byte picks which; the rest is the input.
#include "model/remote/hub_address.h"
#include "model/remote/s3_address.h"
#include "model/remote/url_text.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);
    switch (data[0] % 4) {
    case 0:
        (void)ckpt::parseHubTree(text, "");
        (void)ckpt::parseHubTree(text, "sub/folder");
        break;
    case 1:
        (void)ckpt::parseS3Listing(text, "");
        (void)ckpt::parseS3Listing(text, "runs/");
        break;
    case 2:
        if (auto a = ckpt::HubAddress::parse(text)) {
            (void)a->fileUrl();
            (void)a->treeUrl();
        }
        if (auto s = ckpt::S3Address::parse(text)) {
            (void)s->objectUrl();
            (void)s->listUrl("token");
        }
        break;
    default:
        (void)ckpt::percentDecoded(text);
        (void)ckpt::xmlDecoded(text);
        (void)ckpt::percentEncoded(text, true);
    }
    return 0;
}
