// torch_pch.h: the LibTorch headers precompiled once for every core source
// that uses torch. Sources still include what they use; this only makes the
// second and later includes cheap.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/types.h>
