// lora.h: LoRA fine-tuning of the classifiers (BERT's and ViT's LoraLinear layers) the way PEFT does
// it (LoraConfig with task_type SEQ_CLS for text, bias "none"): adapting the targeted linear layers,
// training only their LoRA factors and the classifier, merging the branches back, and writing PEFT's
// adapter files.
//
// Names. Inside the model the branch of a layer is "<module>.lora_A.weight" / "<module>.lora_B.weight"
// (e.g. bert.encoder.layer.0.attention.self.query.lora_A.weight): PEFT's state dict keys less the
// "base_model.model." prefix and the adapter name. The base weights keep Hugging Face's names (PEFT's
// in-memory "base_layer.weight" never reaches a file), so checkpoints load as before. In
// adapter_model.safetensors, as PeftModel.save_pretrained writes it:
//   base_model.model.<module>.lora_A.weight   [r, in]
//   base_model.model.<module>.lora_B.weight   [out, r]
//   base_model.model.classifier.weight        [labels, hidden]  the head, a modules_to_save: PEFT trains a
//   base_model.model.classifier.bias          [labels]          copy (modules_to_save.default) and saves it
//                                                               under the module's own name
#pragma once

#include "models/bert_model.h"
#include "models/model_family.h"
#include "models/tensor_map.h"

#include <c10/core/ScalarType.h>
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ft {

class Classifier;


struct LoraConfig {
    std::int64_t r = 8;       // rank, >= 1
    double alpha = 16;        // scaling = alpha / r, > 0
    double dropout = 0.05;    // on the LoRA input only, [0, 1)
    // Matched as PEFT matches a list: a module matches a target equal to its full name or when its
    // full name ends with "." + target; or the one entry "all-linear".
    std::vector<std::string> targetModules{"query", "value"};
    std::uint64_t seed = 42;  // lora_A's initial values
};

// PEFT's get_nb_trainable_parameters after get_peft_model. PEFT keeps the original head beside the
// trained copy (ModulesToSaveWrapper), so its "all params" counts the classifier twice; so does this,
// to print the same line. The model itself holds allParameters - classifier parameters.
struct LoraSummary {
    std::vector<std::string> adaptedModules; // full module names, in model order
    std::int64_t trainableParameters = 0;
    std::int64_t allParameters = 0;

    double trainablePercent() const;
    // print_trainable_parameters' line: "trainable params: 1,234 || all params: 5,678 || trainable%: 21.7318"
    std::string describe() const;
};

// PEFT's modules_to_save for sequence classification. As PEFT matches them, every module whose name
// ends with one is trained and saved whole: BERT's classifier, DistilBERT's pre_classifier and classifier.
std::vector<std::string> loraModulesToSave();
// Whether a parameter or module lies in such a head: its name (or an ancestor's) ends with an entry,
// as PEFT matches them (so DistilBERT's pre_classifier is part of its head).
bool inModulesToSave(const std::string &name);

// Whether `moduleName` (a full name such as "bert.encoder.layer.0.attention.self.query") is a target.
bool matchesLoraTarget(const std::string &moduleName, const std::vector<std::string> &targets);

// After the base weights are loaded (the branch takes the weights' device and dtype): adds a LoRA
// branch to every targeted linear layer, freezes every base parameter and leaves the LoRA factors and
// the classifier trainable (the pooler stays frozen). Throws ft::Error (InvalidInput) for a bad
// config, a target that matches nothing or matches a module that is not a linear layer, or a model
// that already has LoRA.
LoraSummary applyLora(torch::nn::Module &model, const LoraConfig &config);

bool hasLora(const torch::nn::Module &model);

// Folds every branch into its base weight and removes it: a plain BERT again, which saveBert writes
// as a normal Hugging Face folder. Returns the number of layers merged.
std::int64_t mergeLora(torch::nn::Module &model);

// The adapter's tensors under adapter_model.safetensors' names (above), on the CPU, as `dtype`.
// Throws ft::Error (InvalidInput) when the model has no LoRA.
TensorMap loraAdapterTensors(const torch::nn::Module &model, at::ScalarType dtype = at::kFloat);

// adapter_config.json as PEFT writes it for this adapter; `baseModel` is base_model_name_or_path,
// `taskType` PEFT's task_type ("SEQ_CLS" for text classifiers; "" writes null, as for image
// classifiers). "all-linear" is written resolved, as PEFT does: the names of the adapted layers.
nlohmann::ordered_json loraAdapterConfig(const torch::nn::Module &model, const LoraConfig &config,
                                         const std::string &baseModel, const std::string &taskType = "SEQ_CLS");

// A PEFT adapter folder: adapter_model.safetensors and adapter_config.json written into `folder`
// (created), each atomically. ft::Error (Io) when they cannot be written.
void writePeftAdapterFolder(const std::filesystem::path &folder, const TensorMap &tensors,
                            const nlohmann::ordered_json &config);

// Writes adapter_model.safetensors and adapter_config.json into `folder` (created), each atomically:
// what PeftModel.from_pretrained(base, folder) loads.
void saveLoraAdapter(const torch::nn::Module &model, const LoraConfig &config, const std::string &baseModel,
                     const std::filesystem::path &folder, const std::string &taskType = "SEQ_CLS");

// What PeftModel.from_pretrained(base, folder).merge_and_unload() gives: each adapted layer's weight gains
// (lora_alpha / r) * B A from `folder`'s adapter_model.safetensors, and the modules it saves (the classifier)
// replace the model's. `model` is the base without LoRA, loaded with the adapter's labels. Throws ft::Error
// naming the file and tensor for a missing or misshapen tensor or an adapter type other than LoRA.
void mergeLoraAdapterFolder(Classifier &model, const std::filesystem::path &folder);

} // namespace ft
