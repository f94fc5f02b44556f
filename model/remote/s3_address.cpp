#include "model/remote/s3_address.h"

#include "model/remote/url_text.h"

#include <fstream>
#include <map>

namespace ckpt {
namespace {

/// The sections of an AWS ini file (credentials or config): section -> key -> value.
std::map<std::string, std::map<std::string, std::string>> iniFile(const std::string &path)
{
    std::map<std::string, std::map<std::string, std::string>> sections;
    std::ifstream in(path);
    std::string line, section;
    const auto trim = [](std::string s) {
        const size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
        return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
    };
    for (int n = 0; n < 100000 && std::getline(in, line); ++n) {
        line = trim(line);
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line.front() == '[' && line.back() == ']') {
            section = trim(line.substr(1, line.size() - 2));
            continue;
        }
        const size_t eq = line.find('=');
        if (eq != std::string::npos) sections[section][trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
    }
    return sections;
}

std::string awsFile(const char *variable, const char *name)
{
    if (const char *p = environment(variable)) return p;
    const char *home = environment("HOME");
    return home ? std::string(home) + "/.aws/" + name : std::string();
}

std::string profile()
{
    const char *p = environment("AWS_PROFILE");
    return p ? p : "default";
}

std::string region()
{
    if (const char *r = environment("AWS_REGION")) return r;
    if (const char *r = environment("AWS_DEFAULT_REGION")) return r;
    auto config = iniFile(awsFile("AWS_CONFIG_FILE", "config"));
    std::string name = profile() == "default" ? "" : "profile ";
    name += profile();
    if (auto it = config[name].find("region"); it != config[name].end()) return it->second;
    return "us-east-1";
}

std::string endpoint()
{
    const char *e = environment("AWS_ENDPOINT_URL_S3");
    if (!e) e = environment("AWS_ENDPOINT_URL");
    std::string url = e ? e : "";
    while (url.ends_with('/')) url.pop_back();
    return url;
}

std::string bucketUrl(const std::string &bucket)
{
    const std::string custom = endpoint();
    if (!custom.empty()) return custom + "/" + bucket;
    return "https://" + bucket + ".s3." + region() + ".amazonaws.com";
}

/// The texts of every <tag>...</tag> in `xml`, in order.
std::vector<std::string> elements(std::string_view xml, std::string_view tag)
{
    std::vector<std::string> found;
    std::string open(1, '<'), close("</");
    open.append(tag).append(1, '>');
    close.append(tag).append(1, '>');
    for (size_t at = xml.find(open); at != std::string_view::npos; at = xml.find(open, at)) {
        const size_t end = xml.find(close, at + open.size());
        if (end == std::string_view::npos) break;
        found.push_back(xmlDecoded(xml.substr(at + open.size(), end - at - open.size())));
        at = end + close.size();
    }
    return found;
}

} // namespace

Result<S3Address> S3Address::parse(std::string_view address)
{
    if (!address.starts_with("s3://")) return Error{"not an s3:// address"};
    std::string_view rest = address.substr(5);
    const size_t slash = rest.find('/');
    S3Address a;
    a.bucket = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) a.key = std::string(rest.substr(slash + 1));
    if (a.bucket.size() < 3 || a.bucket.size() > 63) return Error{"an S3 bucket name has 3 to 63 characters"};
    for (const unsigned char c : a.bucket)
        if (!(std::islower(c) || std::isdigit(c) || c == '-' || c == '.')) return Error{"an S3 bucket name holds lowercase letters, digits, '-' and '.'"};
    if (a.key.size() > 1024) return Error{"an S3 key has at most 1024 bytes"};
    return a;
}

std::string S3Address::objectUrl() const
{
    return bucketUrl(bucket) + "/" + percentEncoded(key, true);
}

std::string S3Address::listUrl(const std::string &continuation) const
{
    std::string prefix = key;
    if (!prefix.empty() && !prefix.ends_with('/')) prefix += '/';
    // SigV4 signs the query sorted by name, each value encoded once: written so here, libcurl
    // signs what the server computes.
    std::string query;
    if (!continuation.empty()) query += "continuation-token=" + percentEncoded(continuation, false) + "&";
    query += "delimiter=%2F&list-type=2";
    if (!prefix.empty()) query += "&prefix=" + percentEncoded(prefix, false);
    return bucketUrl(bucket) + "/?" + query;
}

HttpAuth s3Auth()
{
    HttpAuth auth;
    auth.awsRegion = region();
    if (const char *key = environment("AWS_ACCESS_KEY_ID"); key && environment("AWS_SECRET_ACCESS_KEY")) {
        auth.awsKey = key;
        auth.awsSecret = environment("AWS_SECRET_ACCESS_KEY");
        if (const char *session = environment("AWS_SESSION_TOKEN")) auth.awsSession = session;
        return auth;
    }
    auto credentials = iniFile(awsFile("AWS_SHARED_CREDENTIALS_FILE", "credentials"));
    auto &section = credentials[profile()];
    auth.awsKey = section["aws_access_key_id"];
    auth.awsSecret = section["aws_secret_access_key"];
    auth.awsSession = section["aws_session_token"];
    if (auth.awsSecret.empty()) auth.awsKey.clear(); // unsigned: a public bucket
    return auth;
}

Result<S3ListingPage> parseS3Listing(std::string_view xml, const std::string &base)
{
    if (xml.find("<ListBucketResult") == std::string_view::npos) return Error{"the bucket's listing is not a ListObjectsV2 answer"};
    S3ListingPage page;
    for (const std::string &key : elements(xml, "Key"))
        if (key.starts_with(base) && key.size() > base.size() && key.find('/', base.size()) == std::string::npos)
            page.listing.files.push_back(key.substr(base.size()));
    for (const std::string &p : elements(xml, "Prefix")) {
        // <Prefix> is also the listing's own prefix; sub-prefixes end with '/'.
        if (!p.starts_with(base) || p.size() <= base.size() + 1 || !p.ends_with('/')) continue;
        const std::string name = p.substr(base.size(), p.size() - base.size() - 1);
        if (name.find('/') == std::string::npos && name != "." && name != "..") page.listing.folders.push_back(name);
    }
    const auto truncated = elements(xml, "IsTruncated");
    const auto next = elements(xml, "NextContinuationToken");
    page.truncated = !truncated.empty() && truncated.front() == "true";
    if (!next.empty()) page.next = next.front();
    return page;
}

Result<FolderListing> listS3Prefix(const S3Address &prefix)
{
    FolderListing listing;
    std::string base = prefix.key;
    if (!base.empty() && !base.ends_with('/')) base += '/';
    std::string continuation;
    const HttpAuth auth = s3Auth();
    for (int page = 0;; ++page) {
        if (page >= 1000) return Error{"the bucket's listing has more than 1000 pages"};
        auto reply = HttpClient::shared().get(HttpRequest{.url = prefix.listUrl(continuation), .auth = auth});
        if (!reply) return Error{"listing the bucket: " + reply.error().message};
        auto parsed = parseS3Listing(std::string_view(reinterpret_cast<const char *>(reply->body.data()), reply->body.size()), base);
        if (!parsed) return parsed.error();
        for (auto &f : parsed->listing.files) listing.files.push_back(std::move(f));
        for (auto &f : parsed->listing.folders) listing.folders.push_back(std::move(f));
        if (!parsed->truncated) break;
        if (parsed->next.empty() || parsed->next == continuation)
            return Error{"the bucket's listing is truncated but gives no next page"};
        continuation = parsed->next;
    }
    return listing;
}

} // namespace ckpt
