// kv_cache.cpp
#include "models/kv_cache.h"

#include "common/error.h"

#include <ATen/Functions.h>

#include <string>

namespace ft {

KeysValues appendToCache(LayerKvCache *cache, at::Tensor keys, at::Tensor values)
{
    if (!cache)
        return {std::move(keys), std::move(values)};
    if (cache->keys.defined()) {
        keys = at::cat({cache->keys, keys}, 2);
        values = at::cat({cache->values, values}, 2);
    }
    cache->keys = keys;
    cache->values = values;
    return {std::move(keys), std::move(values)};
}

void prefillKvCache(KvCache &cache, const at::Tensor &pastKeyValues, std::size_t layers)
{
    if (cache.length() > 0)
        throw Error(ErrorKind::Internal, "the key/value cache is already filled");
    if (pastKeyValues.dim() != 5 || pastKeyValues.size(0) != std::int64_t(2 * layers))
        throw Error(ErrorKind::Internal, "prefix keys and values must be [" + std::to_string(2 * layers)
                                             + ", batch, heads, tokens, head_dim]");
    cache.layers.resize(layers);
    for (std::size_t i = 0; i < layers; ++i)
        cache.layers[i] = {pastKeyValues[std::int64_t(2 * i)], pastKeyValues[std::int64_t(2 * i + 1)]};
}

} // namespace ft
