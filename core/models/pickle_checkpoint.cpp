// pickle_checkpoint.cpp: the consent rule's message, and the one-time
// conversion of a pytorch_model.bin folder into a safetensors folder.
#include "models/pickle_checkpoint.h"

#include "common/error.h"
#include "hub/sha256.h"
#include "models/atomic_file.h"
#include "models/bert_config.h"
#include "models/pytorch_bin.h"
#include "models/safetensors.h"

#include <nlohmann/json.hpp>

#include <fstream>

namespace ft {

namespace {

namespace fs = std::filesystem;

// Besides config.json: the tokenizer files of the formats the studio reads
// or will (WordPiece, SentencePiece, BPE), and generation defaults.
constexpr const char *kCopiedFiles[] = {"config.json",          "vocab.txt",       "tokenizer.json",
                                        "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                                        "spiece.model",         "sentencepiece.bpe.model", "vocab.json",
                                        "merges.txt",           "generation_config.json"};

void replaceAll(std::string &text, const std::string &from, const std::string &to)
{
    if (from.empty())
        return;
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

// Removes the staging folder unless the conversion got as far as renaming it.
struct StagingFolder {
    fs::path path;
    ~StagingFolder()
    {
        std::error_code ec;
        if (!path.empty())
            fs::remove_all(path, ec);
    }
};

} // namespace

bool hasOnlyPickleWeights(const fs::path &folder)
{
    std::error_code ec;
    return fs::is_regular_file(folder / kPickleWeightsName, ec) && !fs::exists(folder / "model.safetensors", ec) &&
           !fs::exists(folder / "model.safetensors.index.json", ec);
}

std::string pickleRefusal(const fs::path &folder, const std::string &howToAllow)
{
    return (folder / kPickleWeightsName).string() +
           ": the checkpoint's only weights are a Python pickle, a format that can carry code which Python's "
           "torch.load runs when loading it. Finetune reads only tensors from a pickle and runs none of it, but "
           "still reads one only with your consent, once, converting it to model.safetensors (the folder itself "
           "is left unchanged). If you trust where this checkpoint comes from, " +
           howToAllow + "; or convert it yourself (save_pretrained(..., safe_serialization=True) in transformers)";
}

PickleConversion convertPickleCheckpoint(const fs::path &from, const fs::path &to,
                                         const std::function<void(const fs::path &)> &check)
{
    PickleConversion result;
    result.folder = to;
    result.source = from / kPickleWeightsName;
    std::error_code ec;
    if (!fs::is_regular_file(result.source, ec))
        throw Error(ErrorKind::NotFound, result.source.string() + " does not exist");
    if (fs::exists(to, ec))
        throw Error(ErrorKind::InvalidInput, to.string() + " already exists; a conversion makes a new folder");
    // A config that does not parse fails here, before the weights are read, naming the source.
    loadBertConfig(from / "config.json");

    StagingFolder staging{to.parent_path() / ("." + to.filename().string() + ".converting")};
    fs::remove_all(staging.path, ec); // a leftover of a conversion that was killed
    fs::create_directories(staging.path, ec);
    if (ec)
        throw Error(ErrorKind::Io, "cannot create " + staging.path.string() + ": " + ec.message());

    // The one read of the pickle. Tensors keep their stored dtypes: a
    // conversion changes the container, not the numbers.
    result.sourceSha256 = sha256File(result.source);
    {
        const TensorMap tensors = loadPytorchBin(result.source, at::ScalarType::Undefined);
        result.tensors = tensors.size();
        saveSafetensors(staging.path / "model.safetensors", tensors,
                        {{"format", "pt"}, {"converted_from", kPickleWeightsName}});
    }
    for (const char *name : kCopiedFiles) {
        if (!fs::is_regular_file(from / name, ec)) // follows links, as a Hub cache snapshot's files are
            continue;
        fs::copy_file(from / name, staging.path / name, ec);
        if (ec)
            throw Error(ErrorKind::Io, "cannot copy " + (from / name).string() + ": " + ec.message());
        result.copied.push_back(name);
    }
    const nlohmann::ordered_json record = {{"converted_from", result.source.string()},
                                           {"source_folder", from.string()},
                                           {"source_sha256", result.sourceSha256},
                                           {"tensors", result.tensors}};
    writeFileAtomically(staging.path / kConversionRecordName, record.dump(2) + "\n");

    if (check) {
        try {
            check(staging.path);
        } catch (const Error &e) {
            // The staged files are the source's (its config and tokenizer, its
            // tensors in another container): name those the user knows.
            std::string message = e.what();
            replaceAll(message, (staging.path / "model.safetensors").string(), result.source.string());
            replaceAll(message, staging.path.string(), from.string());
            throw Error(e.kind(), message);
        }
    }
    fs::rename(staging.path, to, ec);
    if (ec)
        throw Error(ErrorKind::Io, "cannot rename " + staging.path.string() + " to " + to.string() + ": " +
                                       ec.message());
    staging.path.clear();
    return result;
}

ConversionRecord conversionRecord(const fs::path &folder)
{
    ConversionRecord record;
    std::ifstream in(folder / kConversionRecordName);
    if (!in)
        return record;
    try {
        const nlohmann::json json = nlohmann::json::parse(in);
        record.sourceFolder = json.at("source_folder").get<std::string>();
        record.sourceSha256 = json.value("source_sha256", "");
    } catch (const nlohmann::json::exception &) {
        return {};
    }
    return record;
}

} // namespace ft
