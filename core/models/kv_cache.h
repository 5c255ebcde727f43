// kv_cache.h: the keys and values a decoder (GPT-2, Llama) keeps between calls, so a generation loop
// feeds only its new tokens, and prefix tuning's virtual keys and values, which are such a cache
// filled before the first token.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace ft {

// One layer's keys and values so far, [batch, kv_heads, past, head_dim]: undefined before the first call.
struct LayerKvCache {
    at::Tensor keys;
    at::Tensor values;
};

struct KvCache {
    std::vector<LayerKvCache> layers;
    std::int64_t length() const { return layers.empty() || !layers[0].keys.defined() ? 0 : layers[0].keys.size(2); }
};

// Appends this call's keys and values [batch, kv_heads, length, head_dim] to `cache` (when there is
// one) and returns all of them, the cached first.
struct KeysValues {
    at::Tensor keys;
    at::Tensor values;
};
KeysValues appendToCache(LayerKvCache *cache, at::Tensor keys, at::Tensor values);

// Fills an empty cache of `layers` layers from prefix tuning's [layers * 2, batch, heads, tokens,
// head_dim] (virtual_tokens.h): rows 2i and 2i + 1 are layer i's keys and values.
void prefillKvCache(KvCache &cache, const at::Tensor &pastKeyValues, std::size_t layers);

} // namespace ft
