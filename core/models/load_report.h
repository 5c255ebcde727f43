// load_report.h: what loading a checkpoint into a model did, by tensor name,
// for the UI and the CLI to show (HF prints the same as warnings). Torch-free.
#pragma once

#include <string>
#include <vector>

namespace ft {

struct LoadReport {
    std::vector<std::string> files;           // the weight files read
    std::vector<std::string> loaded;          // model tensors filled from the checkpoint
    std::vector<std::string> missing;         // model tensors the checkpoint lacks (then initialised)
    std::vector<std::string> initialized;     // model tensors given fresh random values
    std::vector<std::string> unexpected;      // checkpoint tensors the model has no use for (e.g. cls.*)
    std::vector<std::string> ignored;         // buffers HF does not load either (embeddings.position_ids)
    std::vector<std::string> renamed;         // legacy names mapped, "old -> new"
    std::vector<std::string> shapeMismatches; // "name: checkpoint [5, 32], model [3, 32]" (re-initialised)

    bool complete() const { return missing.empty() && initialized.empty(); }
};

} // namespace ft
