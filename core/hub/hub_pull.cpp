// hub_pull.cpp: Hub API calls, file selection and the cache layout
// (models--org--name/{blobs,snapshots/<commit>,refs/<revision>}).
#include "hub/hub_pull.h"

#include "common/error.h"
#include "common/json_depth.h"
#include "hub/http_fetch.h"
#include "hub/sha256.h"

#include <nlohmann/json.hpp>

#include <fnmatch.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

namespace fs = std::filesystem;

namespace ft {

namespace {

std::string environment(const char *name)
{
    const char *value = std::getenv(name);
    return value ? value : "";
}

void validateRepoId(const std::string &id)
{
    static const std::regex pattern(R"([A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?)");
    if (!std::regex_match(id, pattern) || id.find("..") != std::string::npos)
        throw Error(ErrorKind::InvalidInput, "'" + id + "' is not a Hub model id (expected NAME or ORG/NAME)");
}

std::string repoFolderName(const std::string &id)
{
    std::string name = "models--" + id;
    for (auto at = name.find('/'); at != std::string::npos; at = name.find('/'))
        name.replace(at, 1, "--");
    return name;
}

void failForStatus(const http::Response &response, const std::string &what, const std::string &repoId)
{
    if (response.status == 200)
        return;
    if (response.status == 401 || response.status == 403)
        throw Error(ErrorKind::Io, what + ": access denied (HTTP " + std::to_string(response.status) + "); "
                                       + repoId + " may be gated or private: set HF_TOKEN to a token that may read it");
    if (response.status == 404)
        throw Error(ErrorKind::NotFound, what + ": not found (HTTP 404)");
    throw Error(ErrorKind::Io, what + ": HTTP " + std::to_string(response.status));
}

nlohmann::json parseJson(const http::Response &response, const std::string &what)
{
    // The body comes from the network: depth-checked before parsing, like files.
    if (const auto deep = jsonTooDeep(response.body))
        throw Error(ErrorKind::InvalidInput,
                    what + ": the server's answer is not usable JSON: " + jsonTooDeepMessage(response.body, *deep));
    try {
        return nlohmann::json::parse(response.body);
    } catch (const nlohmann::json::exception &e) {
        throw Error(ErrorKind::InvalidInput, what + ": the server's answer is not JSON (" + e.what() + ")");
    }
}

// Follows the `Link: <...>; rel="next"` pagination of the tree API.
std::string nextPage(const http::Response &response)
{
    const auto link = response.headers.find("link");
    if (link == response.headers.end())
        return {};
    static const std::regex next(R"(<([^>]+)>\s*;\s*rel="next")");
    std::smatch match;
    return std::regex_search(link->second, match, next) ? match[1].str() : std::string();
}

std::vector<HubFile> listFiles(const std::string &endpoint, const std::string &repoId, const std::string &commit,
                               const std::string &authorization)
{
    std::vector<HubFile> files;
    std::string url = endpoint + "/api/models/" + repoId + "/tree/" + http::encodeSegment(commit) + "?recursive=true";
    while (!url.empty()) {
        const auto response = http::get(url, authorization);
        failForStatus(response, "listing the files of " + repoId, repoId);
        const auto entries = parseJson(response, "listing the files of " + repoId);
        if (!entries.is_array())
            throw Error(ErrorKind::InvalidInput, "listing the files of " + repoId + ": expected a JSON array");
        for (const auto &entry : entries) {
            if (entry.value("type", "") != "file")
                continue;
            HubFile file;
            file.path = entry.value("path", "");
            file.size = entry.value("size", std::uint64_t{0});
            file.blobId = entry.value("oid", "");
            if (entry.contains("lfs") && entry["lfs"].is_object()) {
                file.lfs = true;
                file.blobId = entry["lfs"].value("oid", "");
                file.size = entry["lfs"].value("size", file.size);
            }
            // The path becomes a file name in the cache: refuse anything that could escape it.
            const fs::path relative(file.path);
            if (file.path.empty() || relative.is_absolute() || file.path.find("..") != std::string::npos
                || file.blobId.empty() || file.blobId.find('/') != std::string::npos)
                throw Error(ErrorKind::InvalidInput, "listing the files of " + repoId + ": bad entry '" + file.path + "'");
            files.push_back(std::move(file));
        }
        url = nextPage(response);
    }
    return files;
}

// Links snapshots/<commit>/<path> to the blob, as Hugging Face's cache does;
// copies where the file system has no symbolic links.
void linkIntoSnapshot(const fs::path &blob, const fs::path &target)
{
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    fs::remove(target, ec);
    fs::create_symlink(fs::relative(blob, target.parent_path()), target, ec);
    if (ec) {
        fs::copy_file(blob, target, fs::copy_options::overwrite_existing, ec);
        if (ec)
            throw Error(ErrorKind::Io, "cannot write " + target.string() + ": " + ec.message());
    }
}

bool globMatches(const std::string &pattern, const std::string &path)
{
    return fnmatch(pattern.c_str(), path.c_str(), 0) == 0;
}

} // namespace

std::filesystem::path defaultHubCache()
{
    if (auto cache = environment("HF_HUB_CACHE"); !cache.empty())
        return cache;
    if (auto home = environment("HF_HOME"); !home.empty())
        return fs::path(home) / "hub";
    if (auto xdg = environment("XDG_CACHE_HOME"); !xdg.empty())
        return fs::path(xdg) / "huggingface" / "hub";
    return fs::path(environment("HOME")) / ".cache" / "huggingface" / "hub";
}

std::string defaultHubEndpoint()
{
    std::string endpoint = environment("HF_ENDPOINT");
    if (endpoint.empty())
        endpoint = "https://huggingface.co";
    while (!endpoint.empty() && endpoint.back() == '/')
        endpoint.pop_back();
    return endpoint;
}

std::vector<HubFile> selectModelFiles(const std::vector<HubFile> &files, const std::vector<std::string> &include)
{
    static const std::set<std::string> kModelFiles = {
        "config.json", "generation_config.json", "model.safetensors.index.json", "pytorch_model.bin.index.json",
        "vocab.txt", "vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json",
        "special_tokens_map.json", "added_tokens.json", "sentencepiece.bpe.model", "spiece.model",
        "tokenizer.model", "preprocessor_config.json", "README.md"};
    bool hasSafetensors = false;
    for (const auto &file : files)
        hasSafetensors = hasSafetensors || (file.path.find('/') == std::string::npos && file.path.ends_with(".safetensors"));

    std::vector<HubFile> selected;
    for (const auto &file : files) {
        const bool topLevel = file.path.find('/') == std::string::npos;
        bool wanted = topLevel && kModelFiles.count(file.path);
        wanted = wanted || (topLevel && file.path.ends_with(".safetensors"));
        wanted = wanted || (topLevel && !hasSafetensors && globMatches("pytorch_model*.bin", file.path));
        for (const auto &pattern : include)
            wanted = wanted || globMatches(pattern, file.path);
        if (wanted)
            selected.push_back(file);
    }
    return selected;
}

PullResult pullModel(const PullOptions &options)
{
    validateRepoId(options.repoId);
    const std::string endpoint = options.endpoint.empty() ? defaultHubEndpoint() : options.endpoint;
    const std::string token = options.token.empty() ? environment("HF_TOKEN") : options.token;
    const std::string authorization = token.empty() ? "" : "Bearer " + token;
    const fs::path repoFolder = (options.cacheDir.empty() ? defaultHubCache() : options.cacheDir)
                                / repoFolderName(options.repoId);

    // Resolve the revision to a commit, so every file comes from the same one.
    const std::string what = options.repoId + " at revision " + options.revision + " from " + endpoint;
    const auto info = http::get(endpoint + "/api/models/" + options.repoId + "/revision/"
                                    + http::encodeSegment(options.revision),
                                authorization);
    failForStatus(info, "looking up " + what, options.repoId);
    const auto infoJson = parseJson(info, "looking up " + what);
    const std::string commit = infoJson.value("sha", "");
    if (commit.empty() || commit.find_first_not_of("0123456789abcdef") != std::string::npos)
        throw Error(ErrorKind::InvalidInput, "looking up " + what + ": the answer names no commit");

    PullResult result;
    result.commit = commit;
    result.folder = repoFolder / "snapshots" / commit;
    result.files = selectModelFiles(listFiles(endpoint, options.repoId, commit, authorization), options.include);
    if (result.files.empty())
        throw Error(ErrorKind::NotFound, options.repoId + " has no model files (config.json, weights, tokenizer)");

    std::error_code ec;
    fs::create_directories(repoFolder / "blobs", ec);
    if (ec)
        throw Error(ErrorKind::Io, "cannot create " + (repoFolder / "blobs").string() + ": " + ec.message());

    PullProgress progress;
    progress.fileCount = static_cast<int>(result.files.size());
    for (const auto &file : result.files)
        progress.totalBytes += file.size;

    for (const HubFile &file : result.files) {
        ++progress.fileIndex;
        progress.file = file.path;
        progress.fileSize = file.size;
        progress.attempt = 1;
        const fs::path blob = repoFolder / "blobs" / file.blobId;
        const fs::path partial = fs::path(blob.string() + ".incomplete");

        if (fs::exists(blob, ec) && fs::file_size(blob, ec) == file.size) {
            ++result.filesFromCache;
        } else {
            const std::string url = endpoint + "/" + options.repoId + "/resolve/" + commit + "/" + file.path;
            bool verifiedOnce = false;
            for (int attempt = 1;; ++attempt) {
                progress.attempt = attempt;
                const std::uint64_t before = fs::exists(partial, ec) ? fs::file_size(partial, ec) : 0;
                const auto outcome = http::download(url, authorization, partial, [&](std::uint64_t bytes) {
                    progress.fileBytes = bytes;
                    return !options.progress || options.progress(progress);
                });
                const std::uint64_t after = fs::exists(partial, ec) ? fs::file_size(partial, ec) : 0;
                result.downloadedBytes += after > before ? after - before : after;
                if (outcome.outcome == http::DownloadOutcome::Cancelled)
                    throw Error(ErrorKind::Cancelled, "download of " + file.path + " cancelled; pulling again resumes it");
                if (outcome.status == 401 || outcome.status == 403 || outcome.status == 404)
                    failForStatus({outcome.status, {}, {}, {}}, "downloading " + file.path, options.repoId);

                if (outcome.outcome == http::DownloadOutcome::Complete && after == file.size) {
                    if (!file.lfs)
                        break;
                    const std::string actual = sha256File(partial);
                    if (actual == file.blobId)
                        break;
                    fs::remove(partial, ec); // corrupt: never resume from these bytes
                    if (verifiedOnce)
                        throw Error(ErrorKind::InvalidInput, "downloaded " + file.path + " has SHA-256 " + actual
                                                                 + " but the Hub lists " + file.blobId);
                    verifiedOnce = true;
                    continue;
                }
                if (after > file.size)
                    fs::remove(partial, ec); // longer than the listing says: start over
                if (attempt >= options.maxAttempts)
                    throw Error(ErrorKind::Io, "downloading " + file.path + " failed after " + std::to_string(attempt)
                                                   + " attempts (" + outcome.error + "); pulling again resumes it");
                std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
            }
            fs::rename(partial, blob, ec);
            if (ec)
                throw Error(ErrorKind::Io, "cannot write " + blob.string() + ": " + ec.message());
        }
        progress.doneBytes += file.size;
        progress.fileBytes = file.size;
        if (options.progress)
            options.progress(progress);
        linkIntoSnapshot(blob, result.folder / file.path);
    }

    if (options.revision != commit) {
        const fs::path ref = repoFolder / "refs" / options.revision; // refs/pr/1 nests, as in HF's cache
        fs::create_directories(ref.parent_path(), ec);
        std::ofstream(ref, std::ios::trunc) << commit;
    }
    return result;
}

} // namespace ft
