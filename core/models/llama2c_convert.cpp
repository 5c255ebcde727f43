// llama2c_convert.cpp: the layout follows run.c's memory_map_weights; the
// permutation is convert_llama_weights_to_hf.py's permute.
#include "models/llama2c_convert.h"

#include "common/error.h"
#include "models/atomic_file.h"
#include "models/safetensors.h"

#include <ATen/Functions.h>

#include <nlohmann/json.hpp>

#include <array>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <system_error>

namespace ft {

static_assert(std::endian::native == std::endian::little, "llama2.c checkpoints are little-endian");

namespace {

constexpr std::int64_t kHeaderBytes = 7 * 4;
constexpr std::int32_t kVersionMagic = 0x616b3432; // "ak42": export.py's versioned formats (1 and later)
constexpr std::int64_t kMaxWidth = std::int64_t(1) << 20;
constexpr std::int64_t kMaxTableSize = std::int64_t(1) << 24;
constexpr std::int64_t kMaxLayers = 4096;
constexpr double kRmsNormEps = 1e-5;  // run.c's rmsnorm
constexpr double kRopeTheta = 10000.0; // run.c's RoPE frequencies

Llama2cHeader parseHeader(const std::array<std::int32_t, 7> &raw, const std::string &source)
{
    if (raw[0] == kVersionMagic)
        throw Error(ErrorKind::Incompatible, source + ": a llama2.c version " + std::to_string(raw[1]) +
                                                 " checkpoint (export.py --version " + std::to_string(raw[1]) +
                                                 "); only version 0 (legacy_export) is read");
    const auto field = [&](const char *name, std::int32_t value, std::int64_t maximum) {
        if (value < 1 || value > maximum)
            throw Error(ErrorKind::InvalidInput, source + ": header field " + name + " is " + std::to_string(value) +
                                                     ", outside 1.." + std::to_string(maximum));
        return std::int64_t(value);
    };
    Llama2cHeader h;
    h.dim = field("dim", raw[0], kMaxWidth);
    h.hiddenDim = field("hidden_dim", raw[1], kMaxWidth);
    h.layers = field("n_layers", raw[2], kMaxLayers);
    h.heads = field("n_heads", raw[3], kMaxWidth);
    h.kvHeads = field("n_kv_heads", raw[4], kMaxWidth);
    h.sharedClassifier = raw[5] > 0; // negative: an unshared classifier follows the weights
    h.vocabSize = field("vocab_size", raw[5] == INT32_MIN ? 0 : std::abs(raw[5]), kMaxTableSize);
    h.seqLen = field("seq_len", raw[6], kMaxTableSize);
    const auto fail = [&](const std::string &what) { throw Error(ErrorKind::InvalidInput, source + ": " + what); };
    if (h.dim % h.heads != 0)
        fail("n_heads (" + std::to_string(h.heads) + ") must divide dim (" + std::to_string(h.dim) + ")");
    if (h.heads % h.kvHeads != 0)
        fail("n_kv_heads (" + std::to_string(h.kvHeads) + ") must divide n_heads (" + std::to_string(h.heads) + ")");
    if ((h.dim / h.heads) % 2 != 0)
        fail("the head size dim / n_heads (" + std::to_string(h.dim / h.heads) + ") must be even for RoPE");
    if (h.vocabSize < 3)
        fail("vocab_size (" + std::to_string(h.vocabSize) + ") must be at least 3 (BOS is 1, EOS 2)");
    return h;
}

// The file's size from its header: run.c's arrays in order, the two legacy RoPE
// tables included, the classifier only when unshared.
std::int64_t expectedBytes(const Llama2cHeader &h)
{
    const std::int64_t kvDim = h.dim * h.kvHeads / h.heads;
    const std::int64_t layer = 2 * h.dim + 2 * h.dim * h.dim + 2 * kvDim * h.dim + 3 * h.hiddenDim * h.dim;
    const std::int64_t floats = h.vocabSize * h.dim * (h.sharedClassifier ? 1 : 2) + h.layers * layer + h.dim +
                                h.seqLen * (h.dim / h.heads);
    return kHeaderBytes + 4 * floats;
}

// convert_llama_weights_to_hf.py's permute: within each head, rows 2i and 2i+1
// (llama2.c's rotated pair) move to i and i + head_size / 2 (HF's halves).
at::Tensor permuteRopeRows(const at::Tensor &w, std::int64_t heads)
{
    const std::int64_t rows = w.size(0);
    const std::int64_t columns = w.size(1);
    return w.view({heads, rows / heads / 2, 2, columns}).transpose(1, 2).reshape({rows, columns});
}

LlamaConfig configFor(const Llama2cHeader &h, const std::string &source)
{
    const nlohmann::json document = {
        {"architectures", {"LlamaForCausalLM"}},
        {"model_type", "llama"},
        {"vocab_size", h.vocabSize},
        {"hidden_size", h.dim},
        {"intermediate_size", h.hiddenDim},
        {"num_hidden_layers", h.layers},
        {"num_attention_heads", h.heads},
        {"num_key_value_heads", h.kvHeads},
        {"max_position_embeddings", h.seqLen},
        {"hidden_act", "silu"},
        {"rms_norm_eps", kRmsNormEps},
        {"rope_theta", kRopeTheta},
        {"rope_scaling", nullptr},
        {"tie_word_embeddings", h.sharedClassifier},
        {"bos_token_id", 1},
        {"eos_token_id", 2},
        {"pad_token_id", nullptr},
        {"initializer_range", 0.02},
        {"attention_bias", false},
        {"attention_dropout", 0.0},
        {"torch_dtype", "float32"},
        {"use_cache", true},
    };
    return LlamaConfig::fromJson(document, source);
}

} // namespace

Llama2cCheckpoint readLlama2c(const std::filesystem::path &file)
{
    const std::string source = file.string();
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(file, error);
    if (error)
        throw Error(std::filesystem::exists(file) ? ErrorKind::Io : ErrorKind::NotFound,
                    source + ": " + error.message());
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::Io, source + ": cannot be opened");
    const auto truncated = [&](std::int64_t expected) {
        return Error(ErrorKind::InvalidInput, source + ": truncated: expected " + std::to_string(expected) +
                                                  " bytes, found " + std::to_string(size));
    };
    if (size < std::uintmax_t(kHeaderBytes))
        throw truncated(kHeaderBytes);
    std::array<std::int32_t, 7> raw{};
    in.read(reinterpret_cast<char *>(raw.data()), kHeaderBytes);
    Llama2cCheckpoint checkpoint;
    Llama2cHeader &h = checkpoint.header;
    h = parseHeader(raw, source);
    const std::int64_t expected = expectedBytes(h);
    if (size < std::uintmax_t(expected))
        throw truncated(expected);
    if (size > std::uintmax_t(expected))
        throw Error(ErrorKind::InvalidInput, source + ": " + std::to_string(size) + " bytes, but its header (dim " +
                                                 std::to_string(h.dim) + ", vocab_size " + std::to_string(h.vocabSize) +
                                                 ", ...) describes " + std::to_string(expected));

    const auto take = [&](std::initializer_list<std::int64_t> shape) {
        at::Tensor t = at::empty(shape, at::kFloat);
        in.read(reinterpret_cast<char *>(t.data_ptr<float>()), std::streamsize(t.numel() * 4));
        if (!in)
            throw Error(ErrorKind::Io, source + ": read failed at byte " + std::to_string(std::int64_t(in.tellg())));
        return t;
    };
    const std::int64_t kvDim = h.dim * h.kvHeads / h.heads;
    const at::Tensor embedding = take({h.vocabSize, h.dim});
    const at::Tensor rmsAtt = take({h.layers, h.dim});
    const at::Tensor wq = take({h.layers, h.dim, h.dim});
    const at::Tensor wk = take({h.layers, kvDim, h.dim});
    const at::Tensor wv = take({h.layers, kvDim, h.dim});
    const at::Tensor wo = take({h.layers, h.dim, h.dim});
    const at::Tensor rmsFfn = take({h.layers, h.dim});
    const at::Tensor w1 = take({h.layers, h.hiddenDim, h.dim});
    const at::Tensor w2 = take({h.layers, h.dim, h.hiddenDim});
    const at::Tensor w3 = take({h.layers, h.hiddenDim, h.dim});
    const at::Tensor rmsFinal = take({h.dim});
    in.seekg(h.seqLen * (h.dim / h.heads) * 4, std::ios::cur); // freq_cis_real, freq_cis_imag: recomputed by HF

    TensorMap &t = checkpoint.tensors;
    t["model.embed_tokens.weight"] = embedding;
    for (std::int64_t l = 0; l < h.layers; ++l) {
        const std::string prefix = "model.layers." + std::to_string(l) + ".";
        t[prefix + "input_layernorm.weight"] = rmsAtt[l];
        t[prefix + "self_attn.q_proj.weight"] = permuteRopeRows(wq[l], h.heads);
        t[prefix + "self_attn.k_proj.weight"] = permuteRopeRows(wk[l], h.kvHeads);
        t[prefix + "self_attn.v_proj.weight"] = wv[l];
        t[prefix + "self_attn.o_proj.weight"] = wo[l];
        t[prefix + "post_attention_layernorm.weight"] = rmsFfn[l];
        t[prefix + "mlp.gate_proj.weight"] = w1[l];
        t[prefix + "mlp.down_proj.weight"] = w2[l];
        t[prefix + "mlp.up_proj.weight"] = w3[l];
    }
    t["model.norm.weight"] = rmsFinal;
    if (!h.sharedClassifier)
        t["lm_head.weight"] = take({h.vocabSize, h.dim});
    checkpoint.config = configFor(h, source);
    return checkpoint;
}

namespace {

// The tokenizer files of llama2.c's vocabulary as transformers' Llama tokenizers
// write them (SentencePiece BPE with byte fallback: "▁" for spaces and before
// the text, <s> first). llama2.c trains its vocabularies with byte_fallback, so
// ids 3 to 258 are the bytes <0x00> to <0xFF>; the pieces after them live only
// in its tokenizer.bin, which the checkpoint does not hold: they are named
// <piece_N>, added tokens that text can name ("<piece_300>"). Other text reads
// byte by byte: a valid encoding, but llama2.c's byte pieces are ones its
// models barely trained (TinyStories rarely needs them), so a model reads such
// text poorly; the named pieces are the ones it knows. The decoder
// fuses the bytes before it turns "▁" into spaces, since "▁" is three bytes here.
void writeByteFallbackTokenizer(const std::filesystem::path &folder, std::int64_t vocabSize, std::int64_t maxLength)
{
    nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
    vocab["<unk>"] = 0;
    vocab["<s>"] = 1;
    vocab["</s>"] = 2;
    for (int byte = 0; byte < 256 && 3 + byte < vocabSize; ++byte) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", byte);
        vocab[name] = 3 + byte;
    }
    for (std::int64_t id = 259; id < vocabSize; ++id)
        vocab["<piece_" + std::to_string(id) + ">"] = id;
    const auto special = [](std::int64_t id, const char *content) {
        return nlohmann::ordered_json{{"id", id},          {"content", content}, {"single_word", false},
                                      {"lstrip", false},   {"rstrip", false},    {"normalized", false},
                                      {"special", true}};
    };
    const auto specialToken = [](const char *id) { return nlohmann::ordered_json{{"SpecialToken", {{"id", id}, {"type_id", 0}}}}; };
    const auto sequence = [](const char *id) { return nlohmann::ordered_json{{"Sequence", {{"id", id}, {"type_id", 0}}}}; };
    const auto replace = [](const char *from, const char *to) {
        return nlohmann::ordered_json{{"type", "Replace"}, {"pattern", {{"String", from}}}, {"content", to}};
    };
    // The unnamed pieces as added tokens (not special): text can name each of them, "<piece_300>".
    nlohmann::ordered_json added = {special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")};
    for (std::int64_t id = 259; id < vocabSize; ++id) {
        nlohmann::ordered_json piece = special(id, ("<piece_" + std::to_string(id) + ">").c_str());
        piece["special"] = false;
        added.push_back(piece);
    }
    nlohmann::ordered_json tokenizer = {
        {"version", "1.0"},
        {"truncation", nullptr},
        {"padding", nullptr},
        {"added_tokens", added},
        {"normalizer",
         {{"type", "Sequence"},
          {"normalizers", {{{"type", "Prepend"}, {"prepend", "\u2581"}}, replace(" ", "\u2581")}}}},
        {"pre_tokenizer", nullptr},
        {"post_processor",
         {{"type", "TemplateProcessing"},
          {"single", {specialToken("<s>"), sequence("A")}},
          {"pair", {specialToken("<s>"), sequence("A"), specialToken("<s>"), sequence("B")}},
          {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}}},
        {"decoder",
         {{"type", "Sequence"},
          {"decoders",
           {{{"type", "ByteFallback"}},
            {{"type", "Fuse"}},
            replace("\u2581", " "),
            {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
        {"model",
         {{"type", "BPE"},
          {"dropout", nullptr},
          {"unk_token", "<unk>"},
          {"continuing_subword_prefix", nullptr},
          {"end_of_word_suffix", nullptr},
          {"fuse_unk", true},
          {"byte_fallback", true},
          {"ignore_merges", false},
          {"vocab", vocab},
          {"merges", nlohmann::ordered_json::array()}}}};
    const nlohmann::ordered_json config = {{"tokenizer_class", "LlamaTokenizerFast"},
                                           {"add_bos_token", true},
                                           {"add_eos_token", false},
                                           {"bos_token", "<s>"},
                                           {"eos_token", "</s>"},
                                           {"unk_token", "<unk>"},
                                           {"pad_token", nullptr},
                                           {"legacy", true},
                                           {"model_max_length", maxLength}};
    const nlohmann::ordered_json specials = {{"bos_token", "<s>"}, {"eos_token", "</s>"}, {"unk_token", "<unk>"}};
    writeFileAtomically(folder / "tokenizer.json", tokenizer.dump(2) + "\n");
    writeFileAtomically(folder / "tokenizer_config.json", config.dump(2) + "\n");
    writeFileAtomically(folder / "special_tokens_map.json", specials.dump(2) + "\n");
}

} // namespace

LlamaConfig convertLlama2c(const std::filesystem::path &file, const std::filesystem::path &folder)
{
    const Llama2cCheckpoint checkpoint = readLlama2c(file);
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error)
        throw Error(ErrorKind::Io, folder.string() + ": " + error.message());
    saveSafetensors(folder / "model.safetensors", checkpoint.tensors);
    saveLlamaConfig(checkpoint.config, folder / "config.json");
    writeByteFallbackTokenizer(folder, checkpoint.config.vocabSize, checkpoint.header.seqLen);
    return checkpoint.config;
}

} // namespace ft
