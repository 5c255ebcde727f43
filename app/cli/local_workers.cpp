// local_workers.cpp
#include "cli/local_workers.h"

#include "common/error.h"
#include "train/distributed_setup.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <thread>

namespace ft::cli {

namespace {

std::string selfPath()
{
    char path[4096];
    const ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (length <= 0)
        throw Error(ErrorKind::Io, std::string("cannot find this program's path: ") + std::strerror(errno));
    path[length] = '\0';
    return path;
}

int exitCodeOf(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

} // namespace

int runLocalWorkers(int count, const std::vector<std::string> &arguments, std::chrono::seconds grace)
{
    const std::string program = selfPath();
    const std::string port = std::to_string(freeLoopbackPort());
    std::vector<char *> argv{const_cast<char *>(program.c_str())};
    for (const std::string &argument : arguments)
        argv.push_back(const_cast<char *>(argument.c_str()));
    argv.push_back(nullptr);

    std::map<pid_t, int> running; // pid -> rank
    for (int rank = 0; rank < count; ++rank) {
        const pid_t pid = ::fork();
        if (pid < 0)
            throw Error(ErrorKind::Io, std::string("cannot start worker ") + std::to_string(rank) + ": "
                                           + std::strerror(errno));
        if (pid == 0) {
            ::setenv("RANK", std::to_string(rank).c_str(), 1);
            ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
            ::setenv("WORLD_SIZE", std::to_string(count).c_str(), 1);
            ::setenv("LOCAL_WORLD_SIZE", std::to_string(count).c_str(), 1);
            ::setenv("MASTER_ADDR", "127.0.0.1", 1);
            ::setenv("MASTER_PORT", port.c_str(), 1);
            ::execv(program.c_str(), argv.data());
            _exit(127);
        }
        running.emplace(pid, rank);
    }

    int result = 0;
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    while (!running.empty()) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            const int code = exitCodeOf(status);
            if (code != 0 && result == 0) {
                result = code;
                deadline = std::chrono::steady_clock::now() + grace;
                std::fprintf(stderr, "worker %d ended with exit code %d; stopping the others\n", running.at(pid), code);
            }
            running.erase(pid);
            continue;
        }
        if (pid < 0 && errno != EINTR)
            break;
        if (std::chrono::steady_clock::now() > deadline) {
            for (const auto &[other, rank] : running)
                ::kill(other, SIGKILL);
            deadline = std::chrono::steady_clock::time_point::max();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return result;
}

} // namespace ft::cli
