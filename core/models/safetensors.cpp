// safetensors.cpp: validated safetensors entries to tensors and back; the
// sharded index; dtype conversion (F16/BF16 widen exactly to float32).
#include "models/safetensors.h"

#include "common/error.h"
#include "models/safetensors_format.h"
#include "text/json_file.h"

#include <ATen/Functions.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <memory>
#include <set>

namespace ft {

namespace {

namespace st = safetensors;

st::Dtype fromScalarType(at::ScalarType type, const std::string &file, const std::string &name)
{
    switch (type) {
    case at::kBool: return st::Dtype::Bool;
    case at::kByte: return st::Dtype::U8;
    case at::kChar: return st::Dtype::I8;
    case at::kShort: return st::Dtype::I16;
    case at::kHalf: return st::Dtype::F16;
    case at::kBFloat16: return st::Dtype::BF16;
    case at::kInt: return st::Dtype::I32;
    case at::kFloat: return st::Dtype::F32;
    case at::kDouble: return st::Dtype::F64;
    case at::kLong: return st::Dtype::I64;
    default:
        throw Error(ErrorKind::Incompatible, file + ": tensor '" + name + "' has the dtype " +
                                                 std::string(c10::toString(type)) + ", which safetensors cannot hold");
    }
}

// A shard must be a file next to the index: no folders, no way out of it.
bool isPlainFileName(const std::string &name)
{
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
           name.find('\\') == std::string::npos;
}

} // namespace

at::ScalarType scalarTypeOf(safetensors::Dtype dtype)
{
    switch (dtype) {
    case safetensors::Dtype::Bool: return at::kBool;
    case safetensors::Dtype::U8: return at::kByte;
    case safetensors::Dtype::I8: return at::kChar;
    case safetensors::Dtype::I16: return at::kShort;
    case safetensors::Dtype::F16: return at::kHalf;
    case safetensors::Dtype::BF16: return at::kBFloat16;
    case safetensors::Dtype::I32: return at::kInt;
    case safetensors::Dtype::F32: return at::kFloat;
    case safetensors::Dtype::F64: return at::kDouble;
    case safetensors::Dtype::I64: return at::kLong;
    }
    return at::kFloat;
}

TensorMap loadSafetensors(const std::filesystem::path &path, at::ScalarType floatType)
{
    const std::string file = path.string();
    auto mapped = std::make_shared<st::MappedFile>(path);
    const st::Header header = st::parseHeader(mapped->bytes(), file);
    auto *base = static_cast<std::byte *>(mapped->data()) + header.dataStart;

    TensorMap tensors;
    for (const st::TensorInfo &info : header.tensors) {
        const at::ScalarType stored = scalarTypeOf(info.dtype);
        const at::ScalarType wanted = st::isFloating(info.dtype) ? floatType : stored;
        std::byte *data = base + info.begin;
        if (info.dtype == st::Dtype::Bool) {
            for (std::uint64_t i = info.begin; i < info.end; ++i)
                if (std::to_integer<unsigned>(base[i]) > 1)
                    throw Error(ErrorKind::InvalidInput, file + ": tensor '" + info.name + "' holds a BOOL byte " +
                                                             "other than 0 or 1");
        }
        at::Tensor tensor;
        const auto options = at::TensorOptions().dtype(stored);
        const bool aligned = reinterpret_cast<std::uintptr_t>(data) % st::dtypeSize(info.dtype) == 0;
        if (aligned && wanted == stored && info.end > info.begin) {
            // A view of the mapping; the mapping lives as long as any such tensor.
            tensor = at::from_blob(data, info.shape, [mapped](void *) {}, options);
        } else {
            tensor = at::empty(info.shape, options);
            if (info.end > info.begin)
                std::memcpy(tensor.data_ptr(), data, info.end - info.begin);
            if (wanted != stored)
                tensor = tensor.to(wanted);
        }
        tensors.emplace(info.name, std::move(tensor));
    }
    return tensors;
}

TensorMap loadShardedSafetensors(const std::filesystem::path &indexFile, at::ScalarType floatType,
                                 std::vector<std::filesystem::path> *shardFiles)
{
    const std::string index = indexFile.string();
    const JsonFile indexJson = JsonFile::read(indexFile);
    const nlohmann::json &document = indexJson.root();
    if (!document.is_object() || !document.contains("weight_map") || !document["weight_map"].is_object())
        throw Error(ErrorKind::InvalidInput, index + ": missing key 'weight_map' (an object: tensor -> shard file)");
    const nlohmann::json &weightMap = document["weight_map"];

    std::set<std::string> shards;
    for (const auto &[tensor, shard] : weightMap.items()) {
        if (!shard.is_string() || !isPlainFileName(shard.get<std::string>()))
            throw Error(ErrorKind::InvalidInput, index + ": tensor '" + tensor + "' maps to " + shard.dump() +
                                                     ", which is not a shard file name in this folder");
        shards.insert(shard.get<std::string>());
    }
    if (shards.empty())
        throw Error(ErrorKind::InvalidInput, index + ": 'weight_map' lists no tensors");

    TensorMap tensors;
    std::map<std::string, std::string> shardOf;
    for (const std::string &shard : shards) {
        const std::filesystem::path shardPath = indexFile.parent_path() / shard;
        if (!std::filesystem::exists(shardPath))
            throw Error(ErrorKind::NotFound, index + ": shard " + shard + " does not exist");
        if (shardFiles)
            shardFiles->push_back(shardPath);
        for (auto &[name, tensor] : loadSafetensors(shardPath, floatType)) {
            if (const auto other = shardOf.find(name); other != shardOf.end())
                throw Error(ErrorKind::InvalidInput, index + ": tensor '" + name + "' is in both " + other->second +
                                                         " and " + shard);
            shardOf.emplace(name, shard);
            tensors.emplace(name, std::move(tensor));
        }
    }
    for (const auto &[tensor, shard] : weightMap.items()) {
        const auto found = shardOf.find(tensor);
        if (found == shardOf.end() || found->second != shard.get<std::string>())
            throw Error(ErrorKind::InvalidInput, index + ": tensor '" + tensor + "' is listed in shard " +
                                                     shard.get<std::string>() + ", which does not hold it");
    }
    return tensors;
}

void saveSafetensors(const std::filesystem::path &path, const TensorMap &tensors,
                     const std::map<std::string, std::string> &metadata)
{
    const std::string file = path.string();
    std::vector<at::Tensor> keep;
    std::vector<st::RawTensor> raw;
    keep.reserve(tensors.size());
    for (const auto &[name, tensor] : tensors) {
        if (!tensor.defined())
            throw Error(ErrorKind::Internal, file + ": tensor '" + name + "' is undefined");
        at::Tensor host = tensor.detach().to(at::kCPU).contiguous();
        st::RawTensor entry;
        entry.name = name;
        entry.dtype = fromScalarType(host.scalar_type(), file, name);
        entry.shape.assign(host.sizes().begin(), host.sizes().end());
        entry.bytes = {static_cast<const std::byte *>(host.data_ptr()), std::size_t(host.numel() * host.element_size())};
        raw.push_back(std::move(entry));
        keep.push_back(std::move(host));
    }
    st::write(path, std::move(raw), metadata);
}

} // namespace ft
