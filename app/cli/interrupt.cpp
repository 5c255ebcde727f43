// interrupt.cpp
#include "cli/interrupt.h"

#include <atomic>
#include <csignal>
#include <cstdlib>

namespace ft::cli {

namespace {

std::atomic<bool> gInterrupted{false};

extern "C" void onInterrupt(int)
{
    if (gInterrupted.exchange(true))
        std::_Exit(130);
}

} // namespace

void installInterruptHandler()
{
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
}

bool interrupted()
{
    return gInterrupted.load();
}

} // namespace ft::cli
