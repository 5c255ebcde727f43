// safetensors_format.h: the safetensors container without torch: header
// parsing with every check the format allows, a memory-mapped file, and a raw
// writer. safetensors.h turns entries into tensors; this part stays fuzzable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ft::safetensors {

// Declared in the order of the format's own dtype enum: the writer sorts by it.
enum class Dtype { Bool, U8, I8, I16, F16, BF16, I32, F32, F64, I64 };

std::string_view dtypeName(Dtype dtype);
std::size_t dtypeSize(Dtype dtype);
std::optional<Dtype> dtypeFromName(std::string_view name);
bool isFloating(Dtype dtype);

// Headers above this are refused before anything is allocated for them.
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

struct TensorInfo {
    std::string name;
    Dtype dtype = Dtype::F32;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0; // byte offsets into the data area, which follows the header
    std::uint64_t end = 0;

    std::int64_t numel() const;
};

struct Header {
    std::vector<TensorInfo> tensors; // sorted by name
    std::map<std::string, std::string> metadata;
    std::uint64_t dataStart = 0;     // file offset of the data area: 8 + header length
    std::uint64_t dataSize = 0;
};

// Parses the header of a whole safetensors file held in `bytes` and checks it
// against the file: header length bounded, JSON an object, every entry with a
// known dtype, a shape of non-negative integers and data_offsets that tile the
// data area exactly (in bounds, ordered, no overlap, no hole, size matching
// the shape). Throws ft::Error naming `file` and the tensor at fault.
Header parseHeader(std::span<const std::byte> bytes, const std::string &file);

// Reads and checks only the header (the weights stay on disk): for inspection.
Header readHeader(const std::filesystem::path &file);

// A private (copy-on-write) memory map of a whole file: tensors may view it
// and even be written to without touching the file.
class MappedFile {
public:
    explicit MappedFile(const std::filesystem::path &file);
    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    std::span<const std::byte> bytes() const { return {static_cast<const std::byte *>(mData), mSize}; }
    void *data() const { return mData; }

private:
    void *mData = nullptr;
    std::size_t mSize = 0;
};

// One tensor to write: its bytes are little-endian, numel * dtypeSize long.
struct RawTensor {
    std::string name;
    Dtype dtype = Dtype::F32;
    std::vector<std::int64_t> shape;
    std::span<const std::byte> bytes;
};

// Writes `tensors` atomically (file.tmp, fsync, rename) in the order HF's
// writer uses (wider dtypes first, then by name), the header padded with
// spaces to a multiple of 8 bytes. Same input, same bytes.
void write(const std::filesystem::path &file, std::vector<RawTensor> tensors,
           const std::map<std::string, std::string> &metadata);

} // namespace ft::safetensors
