// progress_bar.h: the CLI's stock progress display on stderr. On a terminal
// it redraws one line (bar, percentage, rate, ETA); otherwise it prints a
// plain line now and then, so logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ft::cli {

class ProgressBar {
public:
    enum class Unit { Bytes, Items };

    explicit ProgressBar(Unit unit = Unit::Items);
    ~ProgressBar();

    // `label` names what is in progress (a file, "training"); a new label
    // is always shown. `detail` (loss, rate) may change on every call.
    void update(const std::string &label, std::uint64_t done, std::uint64_t total, const std::string &detail = {});
    // Ends the current line, if one is being redrawn.
    void finish();

private:
    std::string formatAmount(double amount) const;

    Unit mUnit;
    bool mInteractive;
    bool mLineOpen = false;
    std::chrono::steady_clock::time_point mStart;
    std::chrono::steady_clock::time_point mLastDraw;
    std::string mLastLabel;
};

} // namespace ft::cli
