// fuzz_safetensors.cpp: a safetensors file's header as checkpoint loading
// parses it in memory (parseHeader over the mapped file) and as inspection
// reads it from disk (readHeader). Both must agree, and a header they accept
// must describe tensors that lie inside the data area with the size their
// shape and dtype give: tensors are then viewed in the mapping unchecked.
#include "common/error.h"
#include "fuzz_targets.h"
#include "models/safetensors_format.h"

#include <optional>

namespace ft::fuzz {

namespace {

namespace st = safetensors;

std::optional<st::Header> parsed(auto &&parse)
{
    try {
        return parse();
    } catch (const Error &) {
        return std::nullopt; // bad input, reported cleanly
    }
}

void checkHeader(const st::Header &header, std::size_t fileSize)
{
    require(header.dataStart >= 8 && header.dataStart <= fileSize, "data area starts outside the file");
    require(header.dataStart + header.dataSize == fileSize, "data area does not end with the file");
    std::uint64_t covered = 0;
    for (std::size_t i = 0; i < header.tensors.size(); ++i) {
        const st::TensorInfo &info = header.tensors[i];
        require(!info.name.empty(), "a tensor without a name");
        require(i == 0 || header.tensors[i - 1].name < info.name, "tensors not sorted by name");
        if (info.begin > info.end || info.end > header.dataSize)
            broken("tensor '" + info.name + "' outside the data");
        // What numel() and torch compute before the bytes are viewed.
        std::int64_t numel = 1;
        for (const std::int64_t dim : info.shape) {
            if (dim < 0 || __builtin_mul_overflow(numel, dim, &numel))
                broken("tensor '" + info.name + "' has a negative dimension or its numel overflows");
        }
        require(numel == info.numel(), "numel() disagrees");
        if (std::uint64_t(numel) * st::dtypeSize(info.dtype) != info.end - info.begin)
            broken("tensor '" + info.name + "' size does not match its bytes");
        covered += info.end - info.begin;
    }
    require(covered == header.dataSize, "tensors do not tile the data area");
}

} // namespace

void fuzzSafetensors(Bytes bytes)
{
    const std::span<const std::byte> file(reinterpret_cast<const std::byte *>(bytes.data()), bytes.size());
    const auto inMemory = parsed([&] { return st::parseHeader(file, "fuzz.safetensors"); });
    const auto fromDisk = parsed([&] { return st::readHeader(writeScratchFile("model.safetensors", bytes)); });
    require(inMemory.has_value() == fromDisk.has_value(), "parseHeader and readHeader disagree");
    if (!inMemory)
        return;
    checkHeader(*inMemory, bytes.size());
    require(inMemory->tensors.size() == fromDisk->tensors.size() && inMemory->metadata == fromDisk->metadata
                && inMemory->dataStart == fromDisk->dataStart,
            "parseHeader and readHeader read different headers");
}

} // namespace ft::fuzz

FT_FUZZ_ENTRY_POINT(ft::fuzz::fuzzSafetensors)
