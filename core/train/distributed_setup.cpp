// distributed_setup.cpp
#include "train/distributed_setup.h"

#include "common/error.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ft {

namespace {

std::string variable(const char *name)
{
    const char *value = std::getenv(name);
    return value ? std::string(value) : std::string();
}

int integerVariable(const char *name, int low, int high, int fallback)
{
    const std::string text = variable(name);
    if (text.empty())
        return fallback;
    try {
        std::size_t used = 0;
        const int value = std::stoi(text, &used);
        if (used == text.size() && value >= low && value <= high)
            return value;
    } catch (const std::exception &) {
    }
    throw Error(ErrorKind::InvalidInput, std::string(name) + "=" + text + " is not a whole number from "
                                             + std::to_string(low) + " to " + std::to_string(high));
}

} // namespace

DistributedSetup distributedSetupFromEnvironment()
{
    DistributedSetup setup;
    setup.worldSize = integerVariable("WORLD_SIZE", 1, 65536, 1);
    if (!setup.active())
        return setup;
    setup.rank = integerVariable("RANK", 0, setup.worldSize - 1, -1);
    if (setup.rank < 0)
        throw Error(ErrorKind::InvalidInput, "WORLD_SIZE is " + std::to_string(setup.worldSize) + " but RANK is not set");
    setup.localRank = integerVariable("LOCAL_RANK", 0, 65535, setup.rank);
    setup.masterAddr = variable("MASTER_ADDR");
    if (setup.masterAddr.empty())
        throw Error(ErrorKind::InvalidInput, "WORLD_SIZE is " + std::to_string(setup.worldSize)
                                                 + " but MASTER_ADDR (the rank 0 host) is not set");
    setup.masterPort = integerVariable("MASTER_PORT", 1, 65535, 29500);
    return setup;
}

int freeLoopbackPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0
        || ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) != 0) {
        if (fd >= 0)
            ::close(fd);
        throw Error(ErrorKind::Io, std::string("cannot find a free port for the workers: ") + std::strerror(errno));
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

} // namespace ft
