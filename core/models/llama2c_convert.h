// llama2c_convert.h: llama2.c checkpoints (the "version 0" .bin that
// export.py's legacy_export writes and run.c reads) as Hugging Face `llama`
// folders. llama2.c rotates interleaved pairs (x[2i], x[2i+1]) while HF rotates
// halves (rotate_half), so wq and wk rows are permuted per head as transformers'
// convert_llama_weights_to_hf.py does; the model's outputs are unchanged.
#pragma once

#include "models/llama_config.h"
#include "models/tensor_map.h"

#include <cstdint>
#include <filesystem>

namespace ft {

// The 7 int32 that open the file.
struct Llama2cHeader {
    std::int64_t dim = 0;
    std::int64_t hiddenDim = 0;
    std::int64_t layers = 0;
    std::int64_t heads = 0;
    std::int64_t kvHeads = 0;
    std::int64_t vocabSize = 0;       // as a positive count
    std::int64_t seqLen = 0;
    bool sharedClassifier = true;     // vocab_size was positive: the output layer is the token embedding
};

struct Llama2cCheckpoint {
    Llama2cHeader header;
    LlamaConfig config;               // LlamaForCausalLM, rms_norm_eps 1e-5, rope_theta 10000
    TensorMap tensors;                // float32, HF's names (model.layers.0.self_attn.q_proj.weight, ...)
};

// Reads and checks `file`: the header's sizes, then the file's length against them
// (ft::Error naming the file: "truncated: expected N bytes, found M").
Llama2cCheckpoint readLlama2c(const std::filesystem::path &file);

// Writes config.json, model.safetensors and tokenizer files for the
// vocabulary's byte pieces (tokenizer.json, as transformers' Llama tokenizer
// writes it) into `folder` (created if needed) and returns the config written.
LlamaConfig convertLlama2c(const std::filesystem::path &file, const std::filesystem::path &folder);

} // namespace ft
