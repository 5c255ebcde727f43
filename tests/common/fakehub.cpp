// fakehub.cpp
#include "fakehub.h"

#include "hub/sha256.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace ft::test {

namespace {

std::string readFile(const fs::path &file)
{
    std::ifstream in(file, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

bool isLfs(const std::string &name)
{
    return name.ends_with(".safetensors") || name.ends_with(".bin");
}

// A stand-in for a git blob id: any stable 40-hex string serves the client.
std::string gitOid(const std::string &content)
{
    Sha256 hash;
    hash.update("blob " + std::to_string(content.size()));
    hash.update(content);
    return hash.finish().substr(0, 40);
}

// Parses "bytes=N-" (the only form the client sends).
std::uint64_t rangeStart(const std::string &range)
{
    if (range.rfind("bytes=", 0) != 0)
        return 0;
    return std::stoull(range.substr(6));
}

} // namespace

FakeHub::FakeHub(std::string repoId, const fs::path &folder)
    : mRepoId(std::move(repoId)),
      mFolder(folder),
      mCommit("0123456789abcdef0123456789abcdef01234567"),
      mApi(std::make_unique<httplib::Server>()),
      mCdn(std::make_unique<httplib::Server>())
{
    mApiPort = mApi->bind_to_any_port("127.0.0.1");
    mCdnPort = mCdn->bind_to_any_port("127.0.0.1");
    const std::string prefix = "/api/models/" + mRepoId;

    auto authorized = [this](const httplib::Request &request, httplib::Response &response) {
        if (mRequiredToken.empty() || request.get_header_value("Authorization") == "Bearer " + mRequiredToken)
            return true;
        response.status = 401;
        return false;
    };

    mApi->Get(prefix + "/revision/(.+)", [this, authorized](const httplib::Request &request, httplib::Response &response) {
        record("api", request.path, "", request.get_header_value("Authorization"));
        if (!authorized(request, response))
            return;
        nlohmann::json info = {{"id", mRepoId}, {"sha", mCommit}, {"siblings", nlohmann::json::array()}};
        response.set_content(mRevisionBody.empty() ? info.dump() : mRevisionBody, "application/json");
    });

    mApi->Get(prefix + "/tree/([0-9a-f]+)", [this, authorized](const httplib::Request &request, httplib::Response &response) {
        record("api", request.path, "", request.get_header_value("Authorization"));
        if (!authorized(request, response))
            return;
        nlohmann::json entries = nlohmann::json::array();
        for (const auto &entry : fs::directory_iterator(mFolder)) {
            const std::string name = entry.path().filename().string();
            const std::string content = readFile(entry.path());
            nlohmann::json item = {{"type", "file"}, {"path", name}, {"size", content.size()}, {"oid", gitOid(content)}};
            if (isLfs(name)) {
                std::string sha = sha256Of(name);
                if (mLieAboutHash)
                    sha = std::string(64, 'e');
                item["lfs"] = {{"oid", sha}, {"size", content.size()}, {"pointerSize", 134}};
            }
            entries.push_back(item);
        }
        response.set_content(entries.dump(), "application/json");
    });

    mApi->Get("/" + mRepoId + "/resolve/([0-9a-f]+)/(.+)",
              [this, authorized](const httplib::Request &request, httplib::Response &response) {
                  record("api", request.path, request.get_header_value("Range"), request.get_header_value("Authorization"));
                  if (!authorized(request, response))
                      return;
                  const std::string name = request.matches[2];
                  if (!fs::is_regular_file(mFolder / name)) {
                      response.status = 404;
                      return;
                  }
                  if (isLfs(name)) { // large files live on the CDN, as on the Hub
                      response.set_redirect("http://127.0.0.1:" + std::to_string(mCdnPort) + "/blobs/" + name, 302);
                      return;
                  }
                  response.set_content(readFile(mFolder / name), "application/octet-stream");
              });

    mCdn->Get("/blobs/(.+)", [this](const httplib::Request &request, httplib::Response &response) {
        const std::string range = request.get_header_value("Range");
        record("cdn", request.path, range, request.get_header_value("Authorization"));
        auto content = std::make_shared<std::string>(readFile(mFolder / std::string(request.matches[1])));
        // httplib answers the Range itself (206, Content-Range) and asks the
        // provider for absolute offsets from the range's start.
        const std::uint64_t start = std::min<std::uint64_t>(rangeStart(range), content->size());
        std::uint64_t limit = content->size();
        if (mDropsLeft > 0 && start + mDropAfter < limit) {
            --mDropsLeft; // a dropped connection: promise the rest, send part, hang up
            limit = start + mDropAfter;
        }
        response.set_content_provider(content->size(), "application/octet-stream",
                                      [content, limit](size_t offset, size_t length, httplib::DataSink &sink) {
                                          if (offset >= limit)
                                              return false;
                                          const size_t chunk = std::min<size_t>({length, 16384, limit - offset});
                                          sink.write(content->data() + offset, chunk);
                                          return true;
                                      });
    });

    mApiThread = std::thread([this] { mApi->listen_after_bind(); });
    mCdnThread = std::thread([this] { mCdn->listen_after_bind(); });
    while (!mApi->is_running() || !mCdn->is_running())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeHub::~FakeHub()
{
    mApi->stop();
    mCdn->stop();
    mApiThread.join();
    mCdnThread.join();
}

std::string FakeHub::endpoint() const
{
    return "http://127.0.0.1:" + std::to_string(mApiPort);
}

std::string FakeHub::sha256Of(const std::string &file) const
{
    return sha256File(mFolder / file);
}

void FakeHub::record(const std::string &server, const std::string &path, const std::string &range,
                     const std::string &authorization)
{
    std::lock_guard lock(mMutex);
    mRequests.push_back({server, path, range, authorization});
}

std::vector<FakeHub::Request> FakeHub::requests() const
{
    std::lock_guard lock(mMutex);
    return mRequests;
}

void FakeHub::clearRequests()
{
    std::lock_guard lock(mMutex);
    mRequests.clear();
}

} // namespace ft::test
