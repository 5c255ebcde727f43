// http_fetch.cpp
#include "hub/http_fetch.h"

#include "common/error.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>

namespace ft::http {

namespace {

constexpr int kMaxRedirects = 8;

std::unique_ptr<httplib::Client> makeClient(const std::string &origin)
{
    auto client = std::make_unique<httplib::Client>(origin);
    client->set_connection_timeout(15);
    client->set_read_timeout(60);
    client->set_follow_location(false);
    client->set_keep_alive(false);
    return client;
}

httplib::Headers requestHeaders(const std::string &authorization, const std::string &range)
{
    httplib::Headers headers{{"User-Agent", "finetune-studio"}};
    if (!authorization.empty())
        headers.emplace("Authorization", authorization);
    if (!range.empty())
        headers.emplace("Range", range);
    return headers;
}

std::string lower(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

// Where a redirect goes: absolute, or relative to the current origin.
Url resolveLocation(const Url &current, const std::string &location)
{
    if (location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0)
        return parseUrl(location);
    if (!location.empty() && location.front() == '/')
        return {current.origin, location};
    const auto slash = current.path.rfind('/');
    return {current.origin, current.path.substr(0, slash + 1) + location};
}

bool isRedirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

} // namespace

Url parseUrl(const std::string &url)
{
    const auto scheme = url.find("://");
    if (scheme == std::string::npos || (url.compare(0, scheme, "http") != 0 && url.compare(0, scheme, "https") != 0))
        throw Error(ErrorKind::InvalidInput, "not an http(s) URL: " + url);
    const auto pathStart = url.find('/', scheme + 3);
    if (pathStart == std::string::npos)
        return {url, "/"};
    return {url.substr(0, pathStart), url.substr(pathStart)};
}

std::string encodeSegment(const std::string &segment)
{
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string encoded;
    for (const unsigned char c : segment) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            encoded += static_cast<char>(c);
        } else {
            encoded += '%';
            encoded += kHex[c >> 4];
            encoded += kHex[c & 0xf];
        }
    }
    return encoded;
}

Response get(const std::string &url, const std::string &authorization)
{
    const std::string authOrigin = parseUrl(url).origin;
    Url current = parseUrl(url);
    for (int hop = 0; hop <= kMaxRedirects; ++hop) {
        auto client = makeClient(current.origin);
        auto result = client->Get(current.path, requestHeaders(current.origin == authOrigin ? authorization : "", ""));
        if (!result)
            throw Error(ErrorKind::Io, "cannot reach " + current.origin + current.path + ": "
                                           + httplib::to_string(result.error()));
        if (isRedirect(result->status) && result->has_header("Location")) {
            current = resolveLocation(current, result->get_header_value("Location"));
            continue;
        }
        Response response;
        response.status = result->status;
        response.body = std::move(result->body);
        for (const auto &[name, value] : result->headers)
            response.headers.emplace(lower(name), value);
        response.finalUrl = current.origin + current.path;
        return response;
    }
    throw Error(ErrorKind::Io, "too many redirects from " + url);
}

DownloadResult download(const std::string &url, const std::string &authorization, const std::filesystem::path &file,
                        const std::function<bool(std::uint64_t)> &progress)
{
    const std::string authOrigin = parseUrl(url).origin;
    Url current = parseUrl(url);
    for (int hop = 0; hop <= kMaxRedirects; ++hop) {
        std::error_code ec;
        const std::uint64_t offset = std::filesystem::exists(file, ec) ? std::filesystem::file_size(file, ec) : 0;
        std::uint64_t written = offset;
        std::ofstream out;
        bool cancelled = false;
        std::string redirect;
        int status = 0;

        auto client = makeClient(current.origin);
        const auto headers = requestHeaders(current.origin == authOrigin ? authorization : "",
                                            offset > 0 ? "bytes=" + std::to_string(offset) + "-" : "");
        auto result = client->Get(
            current.path, headers,
            [&](const httplib::Response &response) {
                status = response.status;
                if (isRedirect(status)) {
                    redirect = response.get_header_value("Location");
                    return false;
                }
                if (status == 206 && offset > 0) {
                    out.open(file, std::ios::binary | std::ios::app);
                } else if (status == 200) {
                    written = 0; // the server ignored the range: start over
                    out.open(file, std::ios::binary | std::ios::trunc);
                } else {
                    return false;
                }
                return static_cast<bool>(out);
            },
            [&](const char *data, size_t length) {
                out.write(data, static_cast<std::streamsize>(length));
                written += length;
                if (!out)
                    return false;
                if (progress && !progress(written)) {
                    cancelled = true;
                    return false;
                }
                return true;
            });
        out.close();

        if (!redirect.empty()) {
            current = resolveLocation(current, redirect);
            continue;
        }
        if (cancelled)
            return {DownloadOutcome::Cancelled, status, "cancelled"};
        if (status == 416)
            return {DownloadOutcome::Complete, status, ""}; // nothing left past the bytes we have
        if (status != 200 && status != 206)
            return {DownloadOutcome::Interrupted, status, "HTTP " + std::to_string(status)};
        if (!result)
            return {DownloadOutcome::Interrupted, status, httplib::to_string(result.error())};
        return {DownloadOutcome::Complete, status, ""};
    }
    return {DownloadOutcome::Interrupted, 0, "too many redirects from " + url};
}

} // namespace ft::http
