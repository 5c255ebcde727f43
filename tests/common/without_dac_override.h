// without_dac_override.h: root writes into a read-only folder anyway. Without
// CAP_DAC_OVERRIDE, dropped for the calling thread only while this object
// lives, the mode bits hold for root too; for other users it changes nothing.
// For tests of read-only folders that must also pass when run as root (CI).
#pragma once

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ft::test {

class WithoutDacOverride {
public:
    WithoutDacOverride()
    {
        mChanged = syscall(SYS_capget, &mHeader, mSaved) == 0;
        if (mChanged) {
            __user_cap_data_struct reduced[2] = {mSaved[0], mSaved[1]};
            reduced[0].effective &= ~(1u << CAP_DAC_OVERRIDE);
            mChanged = syscall(SYS_capset, &mHeader, reduced) == 0;
        }
    }
    ~WithoutDacOverride()
    {
        if (mChanged)
            syscall(SYS_capset, &mHeader, mSaved);
    }
    WithoutDacOverride(const WithoutDacOverride &) = delete;
    WithoutDacOverride &operator=(const WithoutDacOverride &) = delete;

private:
    __user_cap_header_struct mHeader{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct mSaved[2]{};
    bool mChanged = false;
};

} // namespace ft::test
