// http_fetch.h: the HTTP the Hub client needs, over cpp-httplib: GET with
// redirects followed by hand (credentials are sent only to the host they
// were given for, never to a CDN a redirect points at), and streaming
// downloads that resume with a Range request.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

namespace ft::http {

struct Url {
    std::string origin; // scheme://host[:port]
    std::string path;   // starts with '/', query included
};

// Splits an absolute http(s) URL; throws ft::Error(InvalidInput) otherwise.
Url parseUrl(const std::string &url);
// Percent-encodes one path segment (a revision like refs/pr/1 becomes refs%2Fpr%2F1).
std::string encodeSegment(const std::string &segment);

struct Response {
    int status = 0;
    std::string body;
    std::multimap<std::string, std::string> headers; // names lowercased
    std::string finalUrl;
};

// Sends `authorization` (may be empty) only while on `url`'s origin.
Response get(const std::string &url, const std::string &authorization);

enum class DownloadOutcome {
    Complete,    // the server sent the whole remaining body
    Interrupted, // the connection failed or closed early; resume later
    Cancelled,   // the progress callback asked to stop
};

struct DownloadResult {
    DownloadOutcome outcome = DownloadOutcome::Interrupted;
    int status = 0;          // last HTTP status, 0 when no response came
    std::string error;       // what went wrong, for messages
};

// Appends the body of `url` to `file` from its current size (Range: bytes=N-);
// starts over when the server ignores the range. `progress(bytesInFile)`
// returns false to cancel.
DownloadResult download(const std::string &url, const std::string &authorization,
                        const std::filesystem::path &file, const std::function<bool(std::uint64_t)> &progress);

} // namespace ft::http
