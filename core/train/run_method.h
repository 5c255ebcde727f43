// run_method.h: a run's training method as the trainer uses it: freeze, LoRA, and the methods of
// models/peft_methods.h (adapter, prefix, prompt), the run configuration's keys turned into their
// configs, applied before training, and recorded with the final model (PEFT's adapter folder beside
// it for prefix and prompt).
#pragma once

#include "models/peft_method_config.h"

#include <filesystem>
#include <optional>
#include <string>

namespace ft {

class Classifier;
struct LoraConfig;
struct RunConfig;

// The method's config, or nullopt for full, freeze and lora. With `tokenizerFolder`, the prompt's init
// text is tokenised by the model's tokenizer, special tokens included, as PEFT's TEXT init does.
std::optional<PeftMethodConfig> peftMethodConfigOf(const RunConfig &config,
                                                   const std::filesystem::path &tokenizerFolder = {});

// The run's LoRA settings, the targets resolved for the model's family.
LoraConfig loraConfigOf(const RunConfig &config, const Classifier &model);

// Applies the run's method to `model`; returns the line to log, or "" for full and freeze.
// ft::Error as applyPeftMethod throws it (a family without the method is refused here, before the run
// is created).
std::string applyRunMethod(Classifier &model, const RunConfig &config, const std::filesystem::path &tokenizerFolder);

// After Classifier::save wrote `modelFolder`: records the method in its config.json and, for prefix and
// prompt, writes PEFT's adapter folder beside it (`modelFolder`/../adapter), which it returns; empty for
// adapters and for the other methods.
std::filesystem::path saveRunMethodFiles(Classifier &model, const RunConfig &config, const std::string &baseModel,
                                         const std::filesystem::path &modelFolder);

} // namespace ft
