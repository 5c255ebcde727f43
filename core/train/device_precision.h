// device_precision.h: where a run computes and in which precision: the run
// configuration's device name resolved to a LibTorch device, and autocast
// (bf16/fp16) switched on for the scope of a training step.
#pragma once

#include <ATen/core/TensorBody.h>
#include <c10/core/Device.h>

#include <optional>
#include <string>

namespace ft {

// "cpu", "auto" (the first CUDA device when there is one), "cuda" or "cuda:N".
// Throws ft::Error (Incompatible) for a CUDA device on a machine without one.
c10::Device resolveDevice(const std::string &name);

// Autocast to `dtype` on `device`'s backend for the scope, on the calling
// thread; nothing when `dtype` is empty. Clears autocast's cast cache at the end.
class AutocastScope {
public:
    AutocastScope(std::optional<at::ScalarType> dtype, const c10::Device &device);
    ~AutocastScope();
    AutocastScope(const AutocastScope &) = delete;
    AutocastScope &operator=(const AutocastScope &) = delete;

private:
    void set(std::optional<at::ScalarType> dtype, bool enabled) const;

    bool mEnabled;
    bool mCuda;
};

} // namespace ft
