#pragma once

#include "model/base/result.h"
#include "model/remote/http_client.h"
#include "model/remote/location.h"

#include <string>
#include <string_view>

namespace ckpt {

/// `s3://BUCKET/KEY`: objects at `$AWS_ENDPOINT_URL_S3` or `$AWS_ENDPOINT_URL` (path style,
/// for S3-compatible stores), else `https://BUCKET.s3.REGION.amazonaws.com/KEY`. Requests are
/// signed with SigV4 by libcurl when credentials are found (AWS_ACCESS_KEY_ID,
/// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, else `~/.aws/credentials` or
/// `$AWS_SHARED_CREDENTIALS_FILE` under `$AWS_PROFILE` or "default"); the region is AWS_REGION,
/// AWS_DEFAULT_REGION or the profile's in `~/.aws/config`, else us-east-1. A prefix is listed
/// with ListObjectsV2 and the delimiter `/`.
struct S3Address
{
    std::string bucket;
    std::string key; ///< "" for the bucket's top; a prefix ends with '/' or is a folder

    static Result<S3Address> parse(std::string_view address);
    std::string objectUrl() const;
    /// ListObjectsV2 of the prefix `key/` (or the top), one page; the query is in the
    /// canonical order SigV4 signs.
    std::string listUrl(const std::string &continuation) const;
};

HttpAuth s3Auth();

/// One ListObjectsV2 page: the objects and sub-prefixes directly under `prefix` (ending in
/// '/', or "" for the top), and where the next page starts.
struct S3ListingPage
{
    FolderListing listing;
    bool truncated = false;
    std::string next;
};
Result<S3ListingPage> parseS3Listing(std::string_view xml, const std::string &prefix);
/// The prefix's objects and sub-prefixes, as names relative to it, every page of them.
Result<FolderListing> listS3Prefix(const S3Address &prefix);

} // namespace ckpt
