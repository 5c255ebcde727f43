// progress_bar.cpp
#include "cli/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace ft::cli {

namespace {

std::string formatDuration(double seconds)
{
    const auto total = static_cast<long>(seconds + 0.5);
    char buffer[32];
    if (total >= 3600)
        std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
    else
        std::snprintf(buffer, sizeof buffer, "%ld:%02ld", total / 60, total % 60);
    return buffer;
}

} // namespace

ProgressBar::ProgressBar(Unit unit)
    : mUnit(unit), mInteractive(isatty(STDERR_FILENO) != 0), mStart(std::chrono::steady_clock::now())
{
}

ProgressBar::~ProgressBar()
{
    finish();
}

std::string ProgressBar::formatAmount(double amount) const
{
    char buffer[32];
    if (mUnit == Unit::Items) {
        std::snprintf(buffer, sizeof buffer, "%.0f", amount);
        return buffer;
    }
    const char *units[] = {"B", "kB", "MB", "GB", "TB"};
    int unit = 0;
    while (amount >= 1000 && unit < 4) {
        amount /= 1000;
        ++unit;
    }
    std::snprintf(buffer, sizeof buffer, unit == 0 ? "%.0f %s" : "%.1f %s", amount, units[unit]);
    return buffer;
}

void ProgressBar::update(const std::string &label, std::uint64_t done, std::uint64_t total, const std::string &detail)
{
    const auto now = std::chrono::steady_clock::now();
    const bool finished = total > 0 && done >= total;
    const double sinceDraw = std::chrono::duration<double>(now - mLastDraw).count();
    // Redraw at most 10 times a second on a terminal, every 5 s in a log.
    if (!finished && label == mLastLabel && sinceDraw < (mInteractive ? 0.1 : 5.0))
        return;
    mLastDraw = now;
    mLastLabel = label;

    const double elapsed = std::chrono::duration<double>(now - mStart).count();
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0;
    std::string line = label + " ";
    if (mInteractive) {
        constexpr int kWidth = 30;
        const int filled = static_cast<int>(fraction * kWidth);
        line += "[" + std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(kWidth - filled), '.') + "] ";
    }
    char percent[16];
    std::snprintf(percent, sizeof percent, "%3.0f%%", fraction * 100);
    line += percent;
    line += " " + formatAmount(static_cast<double>(done)) + "/" + formatAmount(static_cast<double>(total));
    line += " " + formatAmount(rate) + "/s";
    if (rate > 0 && total > done)
        line += " ETA " + formatDuration(static_cast<double>(total - done) / rate);
    if (!detail.empty())
        line += "  " + detail;

    if (mInteractive) {
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
        mLineOpen = true;
    } else {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
}

void ProgressBar::finish()
{
    if (mLineOpen) {
        std::fputc('\n', stderr);
        mLineOpen = false;
    }
}

} // namespace ft::cli
