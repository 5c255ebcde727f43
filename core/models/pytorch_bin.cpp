// pytorch_bin.cpp: torch.save'd state dicts. torch::pickle_load cannot read
// them before PyTorch 2.6 (it turns the top-level collections.OrderedDict
// into None, pytorch/pytorch#100741), so the zip archive is read with
// LibTorch's own PyTorchStreamReader and the pickle by the restricted VM of
// models/state_dict_pickle.cpp.
#include "models/pytorch_bin.h"

#include "common/error.h"
#include "models/safetensors.h"
#include "models/state_dict_pickle.h"

#include <ATen/Functions.h>
#include <c10/util/Exception.h>
#include <caffe2/serialize/inline_container.h>

#include <fstream>
#include <map>
#include <memory>

namespace ft {

namespace {

struct ParsedBin {
    std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
    std::vector<PickledTensor> tensors;
};

bool startsWith(const std::filesystem::path &file, std::string_view magic)
{
    std::ifstream in(file, std::ios::binary);
    std::string head(magic.size(), '\0');
    return in.read(head.data(), std::streamsize(head.size())) && head == magic;
}

ParsedBin parseBin(const std::filesystem::path &path)
{
    const std::string file = path.string();
    if (!std::filesystem::is_regular_file(path))
        throw Error(ErrorKind::NotFound, "cannot open " + file);
    if (!startsWith(path, "PK\x03\x04")) {
        if (startsWith(path, "\x80"))
            throw Error(ErrorKind::Incompatible,
                        file + ": legacy torch.save format (before PyTorch 1.6) is not supported: re-save it with "
                               "torch.save() from PyTorch 1.6 or later, or convert it to model.safetensors");
        throw Error(ErrorKind::InvalidInput, file + ": not a torch.save zip archive");
    }
    ParsedBin parsed;
    std::string pickle;
    try {
        parsed.reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(file);
        if (!parsed.reader->hasRecord("data.pkl"))
            throw Error(ErrorKind::InvalidInput, file + ": the archive has no data.pkl: not a torch.save file");
        auto [data, size] = parsed.reader->getRecord("data.pkl");
        pickle.assign(static_cast<const char *>(data.get()), size);
    } catch (const c10::Error &e) {
        throw Error(ErrorKind::InvalidInput, file + ": damaged zip archive: " + e.what_without_backtrace());
    }
    parsed.tensors = parseStateDictPickle(pickle, file);
    return parsed;
}

at::Tensor readStorage(caffe2::serialize::PyTorchStreamReader &reader, const PickledStorage &storage,
                       const std::string &file, const std::string &tensor)
{
    const std::string record = "data/" + storage.key;
    at::DataPtr data;
    std::size_t size = 0;
    try {
        if (!reader.hasRecord(record))
            throw Error(ErrorKind::InvalidInput, file + ": tensor '" + tensor + "': record " + record + " is missing");
        std::tie(data, size) = reader.getRecord(record);
    } catch (const c10::Error &e) {
        throw Error(ErrorKind::InvalidInput, file + ": tensor '" + tensor + "': cannot read " + record + ": " +
                                                 e.what_without_backtrace());
    }
    const auto options = at::TensorOptions().dtype(scalarTypeOf(storage.dtype));
    const std::size_t expected = std::size_t(storage.elements) * safetensors::dtypeSize(storage.dtype);
    if (size != expected)
        throw Error(ErrorKind::InvalidInput, file + ": tensor '" + tensor + "': record " + record + " has " +
                                                 std::to_string(size) + " bytes, its storage needs " +
                                                 std::to_string(expected));
    if (size == 0)
        return at::empty({0}, options);
    auto holder = std::make_shared<at::DataPtr>(std::move(data));
    return at::from_blob(holder->get(), {storage.elements}, [holder](void *) {}, options);
}

} // namespace

std::vector<PytorchBinEntry> readPytorchBinEntries(const std::filesystem::path &file)
{
    std::vector<PytorchBinEntry> entries;
    for (const PickledTensor &tensor : parseBin(file).tensors)
        entries.push_back({tensor.name, scalarTypeOf(tensor.storage.dtype), tensor.sizes});
    return entries;
}

TensorMap loadPytorchBin(const std::filesystem::path &path, at::ScalarType floatType)
{
    const std::string file = path.string();
    ParsedBin parsed = parseBin(path);
    std::map<std::string, int> uses;
    for (const PickledTensor &ref : parsed.tensors)
        ++uses[ref.storage.key];
    std::map<std::string, at::Tensor> storages;
    TensorMap tensors;
    for (const PickledTensor &ref : parsed.tensors) {
        at::Tensor &whole = storages[ref.storage.key];
        if (!whole.defined())
            whole = readStorage(*parsed.reader, ref.storage, file, ref.name);
        at::Tensor tensor;
        if (uses[ref.storage.key] == 1 && ref.contiguous && ref.offset == 0 && ref.numel == ref.storage.elements)
            tensor = whole.view(ref.sizes); // sole owner of the record: no copy
        else
            tensor = whole.as_strided(ref.sizes, ref.strides, ref.offset).clone(at::MemoryFormat::Contiguous);
        if (floatType != at::ScalarType::Undefined && c10::isFloatingType(tensor.scalar_type()) &&
            tensor.scalar_type() != floatType)
            tensor = tensor.to(floatType);
        tensors.emplace(ref.name, std::move(tensor));
    }
    return tensors;
}

} // namespace ft
