// fuzz_state_dict_pickle.cpp: the pickle of a pytorch_model.bin (data.pkl) as
// loading parses it, before any storage is read. A pickle it accepts must
// name each tensor once and describe views that lie inside their storages,
// with the element count and density their sizes and strides give: the
// loader then views the storage bytes with them unchecked.
#include "common/error.h"
#include "fuzz_targets.h"
#include "models/state_dict_pickle.h"

#include <set>
#include <string_view>

namespace ft::fuzz {

namespace {

void checkTensor(const PickledTensor &tensor)
{
    require(tensor.sizes.size() == tensor.strides.size(), "sizes and strides of different ranks");
    require(tensor.offset >= 0 && tensor.storage.elements >= 0, "a negative offset or storage size");
    // Recomputed in 128 bits, where none of these products can overflow.
    __int128 numel = 1, last = tensor.offset, expectedStride = 1;
    bool contiguous = true;
    for (std::size_t i = tensor.sizes.size(); i-- > 0;) {
        const std::int64_t size = tensor.sizes[i], stride = tensor.strides[i];
        require(size >= 0 && stride >= 0, "a negative size or stride");
        numel *= size;
        last += __int128(size > 0 ? size - 1 : 0) * stride;
        contiguous &= size == 1 || stride == expectedStride;
        expectedStride *= size > 0 ? size : 1;
        if (numel > (__int128(1) << 64))
            numel = __int128(1) << 64; // stays beyond any storage without overflowing later
    }
    require(numel == tensor.numel, "numel disagrees with the sizes");
    require(tensor.contiguous == contiguous, "density disagrees with the strides");
    if (numel > 0)
        require(last < tensor.storage.elements, "a view reaches past its storage");
}

} // namespace

void fuzzStateDictPickle(Bytes bytes)
{
    const std::string_view pickle(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    std::vector<PickledTensor> tensors;
    try {
        tensors = parseStateDictPickle(pickle, "fuzz/data.pkl");
    } catch (const Error &) {
        return; // bad input, reported cleanly
    }
    std::set<std::string> names;
    for (const PickledTensor &tensor : tensors) {
        require(names.insert(tensor.name).second, "a tensor name accepted twice");
        checkTensor(tensor);
    }
}

} // namespace ft::fuzz

FT_FUZZ_ENTRY_POINT(ft::fuzz::fuzzStateDictPickle)
