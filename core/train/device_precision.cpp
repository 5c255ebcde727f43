// device_precision.cpp: device resolution and the autocast scope.
#include "train/device_precision.h"

#include "common/error.h"

#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/version.h>

namespace ft {

c10::Device resolveDevice(const std::string &name)
{
    if (name == "cpu")
        return c10::Device(c10::kCPU);
    if (name == "auto")
        return torch::cuda::is_available() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
    if (!torch::cuda::is_available())
        throw Error(ErrorKind::Incompatible, "device '" + name + "' was asked for, but no CUDA device is available");
    return c10::Device(name);
}

AutocastScope::AutocastScope(std::optional<at::ScalarType> dtype, const c10::Device &device)
    : mEnabled(dtype.has_value()), mCuda(device.is_cuda())
{
    if (mEnabled)
        set(dtype, true);
}

AutocastScope::~AutocastScope()
{
    if (!mEnabled)
        return;
    set(std::nullopt, false);
    at::autocast::clear_cache();
}

// LibTorch 2.4 replaced the per-backend functions with ones that take the
// device type (and deprecated the old ones).
void AutocastScope::set(std::optional<at::ScalarType> dtype, bool enabled) const
{
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    const auto type = mCuda ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
    if (dtype)
        at::autocast::set_autocast_dtype(type, *dtype);
    at::autocast::set_autocast_enabled(type, enabled);
#else
    if (dtype)
        mCuda ? at::autocast::set_autocast_gpu_dtype(*dtype) : at::autocast::set_autocast_cpu_dtype(*dtype);
    mCuda ? at::autocast::set_enabled(enabled) : at::autocast::set_cpu_enabled(enabled);
#endif
}

} // namespace ft
