// model_card.cpp
#include "export/model_card.h"

#include <cstdio>
#include <sstream>

namespace ft {

namespace {

std::string fixed(double value, int decimals = 4)
{
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

// Markdown table cells: a | or a line break would end the cell.
std::string cell(std::string text)
{
    std::string out;
    for (char c : text) {
        if (c == '|')
            out += "\\|";
        else if (c == '\n' || c == '\r')
            out += ' ';
        else
            out += c;
    }
    return out;
}

std::string yamlQuoted(const std::string &text)
{
    return nlohmann::json(text).dump(); // a JSON string is a valid YAML double-quoted scalar
}

std::string methodOf(const nlohmann::json &config)
{
    const std::string method = config.value("method", "full");
    if (method == "lora")
        return "LoRA (r " + config.value("lora_r", nlohmann::json(8)).dump() + ", alpha "
               + config.value("lora_alpha", nlohmann::json(16)).dump() + ")";
    if (method == "freeze")
        return "frozen encoder layers, trained head";
    if (method == "adapter")
        return config.value("adapter_type", std::string("pfeiffer")) + " bottleneck adapters (reduction factor "
               + config.value("adapter_reduction_factor", nlohmann::json(16)).dump() + ") and the head";
    if (method == "prefix" || method == "prompt")
        return std::string(method == "prefix" ? "prefix" : "prompt") + " tuning ("
               + config.value("num_virtual_tokens", nlohmann::json(20)).dump() + " virtual tokens) and the head";
    return "full fine-tuning";
}

void dataSection(std::ostringstream &out, const ModelCardFacts &facts)
{
    std::int64_t train = 0, validation = 0, test = 0;
    for (const LabelCount &label : facts.labels) {
        train += label.train;
        validation += label.validation;
        test += label.test;
    }
    out << "## Data\n\nDataset **" << cell(facts.datasetName) << "**: " << train << " training, " << validation
        << " validation and " << test << " test examples with labels.\n\n";
    out << "| Label | Train | Validation | Test | Share of train |\n|---|---:|---:|---:|---:|\n";
    for (const LabelCount &label : facts.labels)
        out << "| " << cell(label.name) << " | " << label.train << " | " << label.validation << " | " << label.test
            << " | " << (train > 0 ? fixed(100.0 * double(label.train) / double(train), 1) + " %" : "-") << " |\n";
    out << "\n";
}

void trainingSection(std::ostringstream &out, const ModelCardFacts &facts)
{
    out << "## Training\n\nMethod: " << methodOf(facts.config) << ".\n\n| Hyper-parameter | Value |\n|---|---|\n";
    for (const char *key : {"learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size",
                            "gradient_accumulation_steps", "warmup_ratio", "weight_decay", "lr_scheduler_type",
                            "max_length", "seed", "bf16", "fp16"})
        if (facts.config.contains(key))
            out << "| " << key << " | " << cell(facts.config.at(key).dump()) << " |\n";
    out << "\n<details><summary>The whole run configuration</summary>\n\n```json\n" << facts.config.dump(2)
        << "\n```\n\n</details>\n\n";
}

void resultsSection(std::ostringstream &out, const ModelCardFacts &facts)
{
    out << "## Results\n\n";
    if (facts.metrics.empty()) {
        out << "The run recorded no evaluation metrics.\n\n";
    } else {
        out << "| Metric | Value |\n|---|---:|\n";
        for (const auto &[name, value] : facts.metrics)
            out << "| " << cell(name) << " | " << fixed(value) << " |\n";
        out << "\n";
    }
    if (!facts.check || facts.check->confusion.empty())
        return;
    const ExportCheck &check = *facts.check;
    out << "Confusion matrix of this export on the " << check.split
        << " split (rows: true label, columns: predicted):\n\n| |";
    for (const std::string &label : check.labels)
        out << " " << cell(label) << " |";
    out << "\n|---|";
    for (std::size_t i = 0; i < check.labels.size(); ++i)
        out << "---:|";
    out << "\n";
    for (std::size_t t = 0; t < check.confusion.size(); ++t) {
        out << "| **" << cell(t < check.labels.size() ? check.labels[t] : std::to_string(t)) << "** |";
        for (std::int64_t count : check.confusion[t])
            out << " " << count << " |";
        out << "\n";
    }
    out << "\n";
}

void checkSection(std::ostringstream &out, const ModelCardFacts &facts)
{
    out << "## Export check\n\n";
    if (!facts.check) {
        out << "This export was not checked against the run.\n\n";
        return;
    }
    const ExportCheck &check = *facts.check;
    if (facts.floatModelBytes > 0 && facts.modelBytes > 0)
        out << "The int8 model is " << fixed(double(facts.modelBytes) / 1e6, 1) << " MB, "
            << fixed(double(facts.floatModelBytes) / double(facts.modelBytes), 2) << "x smaller than the float32 ONNX ("
            << fixed(double(facts.floatModelBytes) / 1e6, 1) << " MB).\n\n";
    if (check.examples == 0) {
        out << "The dataset has no labelled test or validation examples to check this export on.\n\n";
        return;
    }
    char difference[32];
    std::snprintf(difference, sizeof difference, "%.3g", check.maxAbsLogitDifference);
    out << "On the " << check.examples << " labelled examples of the " << check.split
        << " split, against the run's own model:\n\n| | Value |\n|---|---:|\n"
        << "| Largest logit difference | " << difference << " |\n"
        << "| Accuracy of the run | " << fixed(check.runAccuracy) << " |\n"
        << "| Accuracy of this export | " << fixed(check.exportAccuracy) << " |\n"
        << "| Predictions that changed | " << check.predictionsChanged << " |\n"
        << "| Latency per example, batch 1 | " << fixed(check.msPerExampleBatch1, 2) << " ms |\n"
        << "| Latency per example, batch 32 | " << fixed(check.msPerExampleBatch32, 2) << " ms |\n\n"
        << "Latencies were measured on the machine that made the export, on the CPU.\n\n";
}

void imageUsageSection(std::ostringstream &out, ExportFormat format)
{
    if (format == ExportFormat::Onnx)
        out << "```python\nimport onnxruntime as ort\nsession = ort.InferenceSession(\"model.onnx\")\n"
               "logits, = session.run(None, {\"pixel_values\": pixels})\n```\n\n"
               "Input is float32 [batch, 3, height, width], made as preprocessor_config.json says (resize, crop, "
               "rescale, normalise); the labels are config.json's id2label.\n\n";
    else if (format == ExportFormat::Peft)
        out << "```python\nfrom transformers import AutoModelForImageClassification\nfrom peft import PeftModel\n"
               "base = AutoModelForImageClassification.from_pretrained(BASE_MODEL, num_labels=NUM_LABELS, "
               "ignore_mismatched_sizes=True)\nmodel = PeftModel.from_pretrained(base, \"path/to/this/folder\")\n"
               "```\n\n`BASE_MODEL` is `base_model_name_or_path` in adapter_config.json.\n\n";
    else if (format == ExportFormat::TorchScript)
        out << "```python\nimport torch\nmodel = torch.jit.load(\"model.pt\")\n"
               "logits = model(pixel_values)  # float32 [batch, 3, height, width]\n```\n\n"
               "In C++: `torch::jit::load(\"model.pt\")`. Make the pixel values as preprocessor_config.json says "
               "(resize, crop, rescale, normalise); the labels are config.json's id2label.\n\n";
    else
        out << "```python\nfrom transformers import pipeline\nclassify = pipeline(\"image-classification\", "
               "model=\"path/to/this/folder\")\nprint(classify(\"photo.jpg\"))\n```\n\n";
}

void usageSection(std::ostringstream &out, ExportFormat format, bool images)
{
    out << "## How to use\n\n";
    if (images)
        return imageUsageSection(out, format);
    switch (format) {
    case ExportFormat::HuggingFace:
    case ExportFormat::Merged:
        out << "```python\nfrom transformers import pipeline\nclassify = pipeline(\"text-classification\", "
               "model=\"path/to/this/folder\")\nprint(classify(\"some text\"))\n```\n\n";
        break;
    case ExportFormat::Peft:
        out << "```python\nfrom transformers import AutoModelForSequenceClassification\nfrom peft import PeftModel\n"
               "base = AutoModelForSequenceClassification.from_pretrained(BASE_MODEL, num_labels=NUM_LABELS)\n"
               "model = PeftModel.from_pretrained(base, \"path/to/this/folder\")\n```\n\n"
               "`BASE_MODEL` is `base_model_name_or_path` in adapter_config.json.\n\n";
        break;
    case ExportFormat::TorchScript:
        out << "```python\nimport torch\nmodel = torch.jit.load(\"model.pt\")\n"
               "logits = model(input_ids, attention_mask, token_type_ids)  # int64 [batch, sequence] each\n```\n\n"
               "In C++: `torch::jit::load(\"model.pt\")`. Tokenise with the tokenizer files beside it; the labels "
               "are config.json's id2label.\n\n";
        break;
    case ExportFormat::Onnx:
    case ExportFormat::OnnxInt8:
        out << "```python\nimport onnxruntime as ort\nsession = ort.InferenceSession(\"model.onnx\")\n"
               "logits, = session.run(None, {\"input_ids\": ids, \"attention_mask\": mask, "
               "\"token_type_ids\": types})\n```\n\n"
               "Inputs are int64 [batch, sequence]; tokenise with the tokenizer files beside it; the labels are "
               "config.json's id2label.\n\n";
        break;
    }
}

} // namespace

std::string modelCard(const ModelCardFacts &facts)
{
    std::ostringstream out;
    const bool transformersFolder = facts.format == ExportFormat::HuggingFace || facts.format == ExportFormat::Merged;
    out << "---\n";
    out << "library_name: " << (facts.format == ExportFormat::Peft ? "peft" : transformersFolder ? "transformers" : "finetune-studio") << "\n";
    out << "pipeline_tag: " << (facts.images ? "image-classification" : "text-classification") << "\n";
    if (!facts.baseModel.empty() && facts.baseModel.rfind("scratch:", 0) != 0)
        out << "base_model: " << yamlQuoted(facts.baseModel) << "\n";
    out << "tags:\n- finetune-studio\n- " << toString(facts.format) << "\n---\n\n";

    out << "# " << (facts.runName.empty() ? "Run " + std::to_string(facts.runId) : facts.runName) << "\n\n";
    out << "A " << (facts.images ? "image" : "text") << " classifier (" << facts.architecture
        << ") fine-tuned with Finetune Studio " << facts.version << " (run "
        << facts.runId << ") from **" << cell(facts.baseModel) << "**, exported as " << describe(facts.format)
        << ".\n\n";
    dataSection(out, facts);
    trainingSection(out, facts);
    resultsSection(out, facts);
    checkSection(out, facts);
    usageSection(out, facts.format, facts.images);
    out << "## Intended use and limits\n\n";
    if (facts.images)
        out << "This model sorts images into the labels above, learned from the dataset above and nothing else. It "
               "is as good as that data: photos unlike the training images (other subjects, cameras, lighting or "
               "framing) and labels that were rare in training will be classified less reliably than the metrics "
               "suggest, and biases in the data carry over to the predictions. Every image is resized (and "
               "cropped) to the model's input size first. Check it on images from where it will be used before "
               "relying on it, and keep a person in the loop for decisions that matter.\n";
    else
        out << "This model sorts texts into the labels above, learned from the dataset above and nothing else. It "
               "is as good as that data: texts unlike the training examples (other topics, languages, lengths or "
               "writing styles) and labels that were rare in training will be classified less reliably than the "
               "metrics suggest, and biases in the data carry over to the predictions. Texts longer than "
               "max_length tokens are truncated. Check it on data from where it will be used before relying on it, "
               "and keep a person in the loop for decisions that matter.\n";
    return out.str();
}

} // namespace ft
