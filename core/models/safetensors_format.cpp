// safetensors_format.cpp: header validation, mmap and the raw writer. Nothing
// in a header is trusted until every entry has been checked against the file.
#include "models/safetensors_format.h"

#include "common/error.h"
#include "common/json_depth.h"
#include "models/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ft::safetensors {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

using nlohmann::json;

struct DtypeEntry {
    Dtype dtype;
    std::string_view name;
    std::size_t size;
};

constexpr DtypeEntry kDtypes[] = {
    {Dtype::Bool, "BOOL", 1}, {Dtype::U8, "U8", 1},   {Dtype::I8, "I8", 1},   {Dtype::I16, "I16", 2},
    {Dtype::F16, "F16", 2},   {Dtype::BF16, "BF16", 2}, {Dtype::I32, "I32", 4}, {Dtype::F32, "F32", 4},
    {Dtype::F64, "F64", 8},   {Dtype::I64, "I64", 8},
};

[[noreturn]] void fail(const std::string &file, const std::string &what, ErrorKind kind = ErrorKind::InvalidInput)
{
    throw Error(kind, file + ": " + what);
}

[[noreturn]] void failTensor(const std::string &file, const std::string &tensor, const std::string &what,
                             ErrorKind kind = ErrorKind::InvalidInput)
{
    throw Error(kind, file + ": tensor '" + tensor + "' " + what);
}

std::uint64_t readLength(std::span<const std::byte> prefix)
{
    std::uint64_t length = 0;
    std::memcpy(&length, prefix.data(), sizeof length);
    return length;
}

// The 8-byte length must leave room for itself and fit a sane budget.
void checkHeaderLength(std::uint64_t length, std::uint64_t fileSize, const std::string &file)
{
    if (fileSize < 8)
        fail(file, "file is too short (" + std::to_string(fileSize) + " bytes) to hold a safetensors header");
    if (length > kMaxHeaderBytes)
        fail(file, "header length " + std::to_string(length) + " exceeds the limit of " +
                       std::to_string(kMaxHeaderBytes) + " bytes");
    if (length > fileSize - 8)
        fail(file, "header length " + std::to_string(length) + " is longer than the file (" +
                       std::to_string(fileSize) + " bytes): truncated or not a safetensors file");
}

std::uint64_t nonNegative(const json &value, const std::string &file, const std::string &tensor, const char *field)
{
    if (!value.is_number_unsigned())
        failTensor(file, tensor, std::string(field) + " must hold non-negative integers, not " + value.dump());
    return value.get<std::uint64_t>();
}

TensorInfo parseEntry(const std::string &name, const json &entry, std::uint64_t dataSize, const std::string &file)
{
    if (name.empty())
        fail(file, "a tensor has an empty name");
    if (!entry.is_object())
        failTensor(file, name, "must be an object with dtype, shape and data_offsets");
    TensorInfo info;
    info.name = name;

    const auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string())
        failTensor(file, name, "has no dtype");
    const auto parsed = dtypeFromName(dtype->get<std::string>());
    if (!parsed)
        failTensor(file, name, "has the unsupported dtype '" + dtype->get<std::string>() +
                                   "' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)",
                   ErrorKind::Incompatible);
    info.dtype = *parsed;

    const auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array())
        failTensor(file, name, "has no shape list");
    std::uint64_t elements = 1;
    for (const json &dim : *shape) {
        const std::uint64_t size = nonNegative(dim, file, name, "shape");
        // Every partial product must fit int64 too: numel() and torch multiply
        // in that order, and [2^62, 3, 0] holds no bytes yet overflows on the way.
        if (size > std::uint64_t(INT64_MAX) || __builtin_mul_overflow(elements, size, &elements)
            || elements > std::uint64_t(INT64_MAX))
            failTensor(file, name, "has a shape too large to address: " + shape->dump());
        info.shape.push_back(std::int64_t(size));
    }

    const auto offsets = entry.find("data_offsets");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2)
        failTensor(file, name, "must have data_offsets [begin, end]");
    info.begin = nonNegative((*offsets)[0], file, name, "data_offsets");
    info.end = nonNegative((*offsets)[1], file, name, "data_offsets");
    if (info.begin > info.end)
        failTensor(file, name, "has data_offsets " + offsets->dump() + " with begin after end");
    if (info.end > dataSize)
        failTensor(file, name, "has data_offsets " + offsets->dump() + " outside the data area (" +
                                   std::to_string(dataSize) + " bytes): the file is truncated or the header lies");
    std::uint64_t bytes = 0;
    if (__builtin_mul_overflow(elements, dtypeSize(info.dtype), &bytes))
        failTensor(file, name, "has a shape too large to address: " + shape->dump());
    if (bytes != info.end - info.begin)
        failTensor(file, name, "holds " + std::to_string(info.end - info.begin) + " bytes but " +
                                   std::string(dtypeName(info.dtype)) + " " + shape->dump() + " needs " +
                                   std::to_string(bytes));
    return info;
}

// The format requires the tensors to tile the data area: no overlap, no hole.
void checkTiling(const std::vector<TensorInfo> &tensors, std::uint64_t dataSize, const std::string &file)
{
    std::vector<const TensorInfo *> byOffset;
    for (const TensorInfo &info : tensors)
        byOffset.push_back(&info);
    std::sort(byOffset.begin(), byOffset.end(), [](const TensorInfo *a, const TensorInfo *b) {
        return std::tie(a->begin, a->end, a->name) < std::tie(b->begin, b->end, b->name);
    });
    std::uint64_t position = 0;
    const TensorInfo *previous = nullptr;
    for (const TensorInfo *info : byOffset) {
        if (info->begin < position)
            failTensor(file, info->name, "overlaps tensor '" + previous->name + "' (bytes " +
                                             std::to_string(info->begin) + ".." + std::to_string(position) + ")");
        if (info->begin > position)
            failTensor(file, info->name, "starts at byte " + std::to_string(info->begin) + ", leaving a hole after " +
                                             (previous ? "tensor '" + previous->name + "'" : "the header"));
        position = info->end;
        previous = info;
    }
    if (position != dataSize)
        fail(file, std::to_string(dataSize - position) + " bytes after the last tensor" +
                       (previous ? " ('" + previous->name + "')" : std::string()) + " belong to no tensor");
}

Header parseHeaderText(std::string_view text, std::uint64_t fileSize, const std::string &file)
{
    Header header;
    header.dataStart = 8 + text.size();
    header.dataSize = fileSize - header.dataStart;
    if (text.empty() || text.front() != '{')
        fail(file, "the header is not a JSON object");
    if (const auto deep = jsonTooDeep(text))
        fail(file, "the header is not valid JSON: " + jsonTooDeepMessage(text, *deep));
    json document;
    try {
        document = json::parse(text);
    } catch (const json::exception &e) {
        fail(file, std::string("the header is not valid JSON: ") + e.what());
    }
    if (!document.is_object())
        fail(file, "the header is not a JSON object");
    for (const auto &[name, entry] : document.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object())
                fail(file, "__metadata__ must be an object of strings");
            for (const auto &[key, value] : entry.items()) {
                if (!value.is_string())
                    fail(file, "__metadata__ key '" + key + "' must be a string, not " + value.dump());
                header.metadata[key] = value.get<std::string>();
            }
            continue;
        }
        header.tensors.push_back(parseEntry(name, entry, header.dataSize, file));
    }
    checkTiling(header.tensors, header.dataSize, file);
    std::sort(header.tensors.begin(), header.tensors.end(),
              [](const TensorInfo &a, const TensorInfo &b) { return a.name < b.name; });
    return header;
}

} // namespace

std::string_view dtypeName(Dtype dtype)
{
    for (const DtypeEntry &entry : kDtypes)
        if (entry.dtype == dtype)
            return entry.name;
    return "?";
}

std::size_t dtypeSize(Dtype dtype)
{
    for (const DtypeEntry &entry : kDtypes)
        if (entry.dtype == dtype)
            return entry.size;
    return 0;
}

std::optional<Dtype> dtypeFromName(std::string_view name)
{
    for (const DtypeEntry &entry : kDtypes)
        if (entry.name == name)
            return entry.dtype;
    return std::nullopt;
}

bool isFloating(Dtype dtype)
{
    return dtype == Dtype::F16 || dtype == Dtype::BF16 || dtype == Dtype::F32 || dtype == Dtype::F64;
}

std::int64_t TensorInfo::numel() const
{
    std::int64_t count = 1;
    for (const std::int64_t dim : shape)
        count *= dim;
    return count;
}

Header parseHeader(std::span<const std::byte> bytes, const std::string &file)
{
    checkHeaderLength(bytes.size() >= 8 ? readLength(bytes) : 0, bytes.size(), file);
    const std::uint64_t length = readLength(bytes);
    const std::string_view text(reinterpret_cast<const char *>(bytes.data()) + 8, length);
    return parseHeaderText(text, bytes.size(), file);
}

Header readHeader(const std::filesystem::path &path)
{
    const std::string file = path.string();
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::NotFound, "cannot open " + file);
    std::error_code error;
    const std::uint64_t fileSize = std::filesystem::file_size(path, error);
    if (error)
        throw Error(ErrorKind::Io, "cannot read " + file + ": " + error.message());
    std::byte prefix[8] = {};
    in.read(reinterpret_cast<char *>(prefix), fileSize >= 8 ? 8 : 0);
    const std::uint64_t length = fileSize >= 8 ? readLength(prefix) : 0;
    checkHeaderLength(length, fileSize, file);
    std::string text(length, '\0');
    if (!in.read(text.data(), std::streamsize(length)))
        throw Error(ErrorKind::Io, "cannot read the header of " + file);
    return parseHeaderText(text, fileSize, file);
}

MappedFile::MappedFile(const std::filesystem::path &file)
{
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(errno == ENOENT ? ErrorKind::NotFound : ErrorKind::Io,
                    "cannot open " + file.string() + ": " + std::strerror(errno));
    struct stat status = {};
    if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
        ::close(fd);
        throw Error(ErrorKind::InvalidInput, file.string() + " is not a regular file");
    }
    mSize = std::size_t(status.st_size);
    if (mSize > 0) {
        mData = ::mmap(nullptr, mSize, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (mData == MAP_FAILED) {
            const int saved = errno;
            ::close(fd);
            mData = nullptr;
            throw Error(ErrorKind::Io, "cannot map " + file.string() + ": " + std::strerror(saved));
        }
    }
    ::close(fd);
}

MappedFile::~MappedFile()
{
    if (mData)
        ::munmap(mData, mSize);
}

void write(const std::filesystem::path &file, std::vector<RawTensor> tensors,
           const std::map<std::string, std::string> &metadata)
{
    std::sort(tensors.begin(), tensors.end(), [](const RawTensor &a, const RawTensor &b) {
        return a.dtype != b.dtype ? a.dtype > b.dtype : a.name < b.name;
    });
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty())
        header["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    for (const RawTensor &tensor : tensors) {
        if (tensor.name.empty() || tensor.name == "__metadata__" || header.contains(tensor.name))
            throw Error(ErrorKind::InvalidInput, file.string() + ": cannot write a tensor named '" + tensor.name +
                                                     "' (empty, reserved or repeated)");
        std::uint64_t expected = dtypeSize(tensor.dtype);
        for (const std::int64_t dim : tensor.shape)
            expected *= std::uint64_t(dim);
        if (expected != tensor.bytes.size())
            throw Error(ErrorKind::Internal, file.string() + ": tensor '" + tensor.name + "' has " +
                                                 std::to_string(tensor.bytes.size()) + " bytes, its shape needs " +
                                                 std::to_string(expected));
        header[tensor.name] = {{"dtype", dtypeName(tensor.dtype)},
                               {"shape", tensor.shape},
                               {"data_offsets", {offset, offset + expected}}};
        offset += expected;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    const std::uint64_t length = text.size();

    AtomicFile out(file);
    out.write(&length, sizeof length);
    out.write(text);
    for (const RawTensor &tensor : tensors)
        out.write(tensor.bytes.data(), tensor.bytes.size());
    out.commit();
}

} // namespace ft::safetensors
