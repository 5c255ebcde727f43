// causal_lm.h: a causal language model (LlamaForCausalLM, GPT2LMHeadModel)
// behind the Classifier interface, so supervised fine-tuning shares the
// trainer, LoRA, checkpoints and exports with the classifiers. Its "logits"
// are next-token logits [batch, length, vocab] and it has no labels; the
// trainer scores it on per-token targets (train/train_step.h).
#pragma once

#include "models/classifier.h"
#include "models/load_report.h"

#include <filesystem>
#include <string>

namespace ft {

class LlamaForCausalLMImpl;
class Gpt2LmHeadModelImpl;

// Whether config.json's model_type has a causal LM here (llama, gpt2).
bool hasCausalLm(const std::string &modelType);

struct LoadedCausalLm {
    ClassifierPtr model; // in eval mode, on the options' device
    LoadReport report;   // initialized: lm_head when the checkpoint lacks it; unexpected: other heads' tensors
};

// A randomly initialised causal LM for the config file; options.labels are ignored.
ClassifierPtr makeScratchCausalLm(const std::filesystem::path &configFile, const ClassifierOptions &options);
// config.json and the weights of `folder` (a causal LM's or a base model's
// checkpoint); ft::Error naming the file and tensor for anything missing or misshapen.
LoadedCausalLm loadCausalLm(const std::filesystem::path &folder, const ClassifierOptions &options);

// The module behind a causal LM, or null for another model (generation uses Llama's key/value cache).
LlamaForCausalLMImpl *llamaCausalLmOf(Classifier &model);
Gpt2LmHeadModelImpl *gpt2LmOf(Classifier &model);

} // namespace ft
