// fakehub.h: a Hugging Face Hub stand-in on loopback for download tests. It
// serves one folder as the repository ORG/NAME the way the Hub does: the
// revision and tree APIs, /resolve/ URLs that redirect large (LFS) files to a
// second "CDN" server, Range requests, and injectable faults.
#pragma once

#include <QByteArray>
#include <QString>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace ft::test {

class FakeHub {
public:
    FakeHub(std::string repoId, const std::filesystem::path &folder);
    ~FakeHub();

    std::string endpoint() const; // http://127.0.0.1:PORT
    const std::string &commit() const { return mCommit; }

    // Faults, set before a pull.
    void dropConnectionsAfter(std::uint64_t bytes, int times) { mDropAfter = bytes; mDropsLeft = times; }
    void lieAboutHash(bool lie) { mLieAboutHash = lie; }
    void requireToken(std::string token) { mRequiredToken = std::move(token); }
    // The revision API answers `body` instead of the repository's info.
    void answerRevisionWith(std::string body) { mRevisionBody = std::move(body); }

    // What the servers saw.
    struct Request {
        std::string server; // "api" or "cdn"
        std::string path;
        std::string range;
        std::string authorization;
    };
    std::vector<Request> requests() const;
    void clearRequests();

    std::string sha256Of(const std::string &file) const;

private:
    void record(const std::string &server, const std::string &path, const std::string &range,
                const std::string &authorization);

    std::string mRepoId;
    std::filesystem::path mFolder;
    std::string mCommit;
    std::unique_ptr<httplib::Server> mApi;
    std::unique_ptr<httplib::Server> mCdn;
    int mApiPort = 0;
    int mCdnPort = 0;
    std::thread mApiThread;
    std::thread mCdnThread;
    std::atomic<std::uint64_t> mDropAfter{0};
    std::atomic<int> mDropsLeft{0};
    std::atomic<bool> mLieAboutHash{false};
    std::string mRevisionBody; // set before a pull, read by the server thread
    std::string mRequiredToken;
    mutable std::mutex mMutex;
    std::vector<Request> mRequests;
};

} // namespace ft::test
