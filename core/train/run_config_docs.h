// run_config_docs.h: what each run configuration key means, for the studio's
// run dialog (tooltips, grouping, choices) and for help texts. A test checks
// that it names exactly the keys toJson(RunConfig) writes.
#pragma once

#include <string>
#include <vector>

namespace ft {

struct RunConfigKeyDoc {
    std::string key;                  // the JSON key
    std::string section;              // "Optimisation", "Evaluation and checkpoints", "Input and method", "Device"
    bool huggingFace = false;         // a transformers TrainingArguments name
    std::string meaning;              // one or two sentences
    std::vector<std::string> choices; // the values a text key takes; empty for free values
};

// Every key, in the order toJson writes them.
const std::vector<RunConfigKeyDoc> &runConfigKeyDocs();

} // namespace ft
