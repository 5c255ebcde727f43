// predict_command.cpp: `finetune predict`, a classifier checkpoint run over a
// CSV/TSV/JSONL file in bounded windows, written to CSV in input order.
#include "cli/commands.h"

#include "cli/csv_fields.h"
#include "cli/interrupt.h"
#include "cli/predict_images.h"
#include "cli/progress_bar.h"
#include "common/error.h"
#include "data/column_mapping.h"
#include "data/row_source.h"
#include "infer/image_predictor.h"
#include "infer/model_location.h"
#include "infer/predictor.h"
#include "models/atomic_file.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

namespace ft::cli {

namespace {

constexpr std::size_t kErrorsShown = 20;   // row errors printed on stderr; the rest are counted
constexpr std::size_t kWindowBatches = 16; // rows sorted by length within batchSize * this many

struct PredictArguments {
    std::string model;
    std::string input;
    std::string output;
    ColumnMapping columns;
    PredictorOptions options;
    bool logits = false;
    bool json = false;
};

std::string headerLine(const std::vector<std::string> &labels, bool withPair, bool withLogits)
{
    std::string line = withPair ? "text,text_pair,label" : "text,label";
    for (const std::string &label : labels) {
        line += ',';
        appendField(line, "prob_" + label);
    }
    if (withLogits) {
        for (const std::string &label : labels) {
            line += ',';
            appendField(line, "logit_" + label);
        }
    }
    return line + '\n';
}

// Text and pair of one window of valid rows.
struct Window {
    std::vector<std::string> texts;
    std::vector<std::string> pairs;

    void clear()
    {
        texts.clear();
        pairs.clear();
    }
};

void runPredict(const PredictArguments &args)
{
    installInterruptHandler();
    const std::filesystem::path input = args.input;
    const std::filesystem::path output = args.output;
    std::error_code error;
    if (std::filesystem::exists(output, error) && std::filesystem::equivalent(input, output, error))
        throw Error(ErrorKind::InvalidInput, output.string() + " is the input file; choose another --output");

    const std::filesystem::path modelFolder = resolveModelFolder(args.model); // a model folder or a run folder
    if (ImagePredictor::handles(modelFolder)) {
        predictImages({modelFolder, args.model, input, output, args.columns.image, args.options, args.logits, args.json});
        return;
    }

    std::unique_ptr<RowSource> source = openRowSource(input, ReadOptions{});
    const ResolvedColumns columns = resolveColumns(source->columns(), args.columns, input.string());
    const bool withPair = columns.textPair.has_value();
    const std::string &textColumn = source->columns()[columns.text];

    Predictor predictor;
    predictor.load(modelFolder, args.options);
    const std::vector<std::string> &labels = predictor.labelNames();

    const auto start = std::chrono::steady_clock::now();
    AtomicFile out(output); // removed unless committed: no half-written output
    out.write(headerLine(labels, withPair, args.logits));

    ProgressBar bar(ProgressBar::Unit::Bytes);
    const std::string barLabel = "predicting " + input.filename().string();
    bar.update(barLabel, 0, source->totalBytes());
    const auto stopIfInterrupted = [] {
        if (interrupted())
            throw Error(ErrorKind::Cancelled, "cancelled; no output written");
    };

    const std::size_t windowRows = args.options.batchSize * kWindowBatches;
    std::int64_t rows = 0;
    std::int64_t errors = 0;
    Window window;
    std::string lines;
    const auto flush = [&] {
        if (window.texts.empty())
            return;
        const std::vector<std::string_view> texts(window.texts.begin(), window.texts.end());
        std::vector<std::string_view> pairs;
        if (withPair)
            pairs.assign(window.pairs.begin(), window.pairs.end());
        const Predictions predictions = predictor.predict(texts, pairs, [&](std::size_t) {
            stopIfInterrupted();
            return true;
        });
        const std::size_t k = predictions.numLabels;
        lines.clear();
        for (std::size_t r = 0; r < predictions.size(); ++r) {
            appendField(lines, texts[r]);
            if (withPair) {
                lines += ',';
                appendField(lines, pairs[r]);
            }
            lines += ',';
            appendField(lines, predictions.labels[r]);
            for (std::size_t c = 0; c < k; ++c) {
                lines += ',';
                appendNumber(lines, predictions.probabilities[r * k + c]);
            }
            for (std::size_t c = 0; args.logits && c < k; ++c) {
                lines += ',';
                appendNumber(lines, predictions.logits[r * k + c]);
            }
            lines += '\n';
        }
        out.write(lines);
        rows += std::int64_t(predictions.size());
        window.clear();
        if (source->bytesRead() < source->totalBytes()) // the end is drawn once, after the commit
            bar.update(barLabel, source->bytesRead(), source->totalBytes());
    };

    SourceRow row;
    while (source->next(row)) {
        std::string reason = row.error;
        if (reason.empty() && row.values[columns.text].empty())
            reason = "no text (column '" + textColumn + "' is empty)";
        if (!reason.empty()) {
            if (errors < std::int64_t(kErrorsShown)) {
                bar.finish();
                std::cerr << "finetune: warning: " << input.string() << ':' << row.line << ": " << reason
                          << " (row skipped)\n";
            }
            ++errors;
            continue;
        }
        window.texts.push_back(std::move(row.values[columns.text]));
        window.pairs.push_back(withPair ? std::move(row.values[*columns.textPair]) : std::string());
        if (window.texts.size() >= windowRows) {
            stopIfInterrupted();
            flush();
        }
    }
    stopIfInterrupted();
    flush();
    out.commit();
    bar.update(barLabel, source->totalBytes(), source->totalBytes());
    bar.finish();

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = seconds > 0 ? double(rows) / seconds : 0.0;
    if (errors > std::int64_t(kErrorsShown))
        std::cerr << "finetune: warning: " << errors - std::int64_t(kErrorsShown) << " more row errors\n";
    if (args.json) {
        std::cout << nlohmann::ordered_json{{"rows", rows},
                                            {"errors", errors},
                                            {"seconds", seconds},
                                            {"rows_per_s", rate},
                                            {"output", output.string()},
                                            {"model", args.model},
                                            {"device", predictor.deviceName()},
                                            {"max_length", predictor.maxLength()},
                                            {"labels", labels}}
                         .dump()
                  << '\n';
    } else {
        char timing[64];
        std::snprintf(timing, sizeof timing, "%.2f s, %.1f rows/s", seconds, rate);
        std::cout << "Predicted " << rows << " rows (" << errors << " skipped) in " << timing << " on "
                  << predictor.deviceName() << " into " << output.string() << '\n';
    }
}

} // namespace

void addPredictorOptions(CLI::App &command, PredictorOptions &options)
{
    command.add_option("--max-length", options.maxLength,
                        "Tokens per text, special tokens included; longer texts are truncated (default: the "
                        "tokenizer's model_max_length, capped by max_position_embeddings)");
    command.add_option("--threads", options.threads, "CPU threads (default: LibTorch's choice)")
        ->check(CLI::NonNegativeNumber);
    options.device = "auto";
    command.add_option("--device", options.device, "cpu, cuda or auto (CUDA when there is one)")
        ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
        ->capture_default_str();
    command.add_option("--quantize", options.quantize,
                       "int8 or int8-per-channel: run the checkpoint's encoder linear layers as int8 dynamically "
                       "quantised on the CPU (smaller and usually faster; the head stays float32)")
        ->check(CLI::IsMember({"none", "int8", "int8-per-channel"}));
}

void addPredictCommand(CLI::App &app, Action &action)
{
    auto args = std::make_shared<PredictArguments>();
    auto *command = app.add_subcommand(
        "predict", "Classify the texts of a CSV, TSV or JSON Lines file with a fine-tuned checkpoint, into a CSV");
    command->footer("Writes text (and text_pair) or image, label, one prob_<label> column per class and, with --logits, "
                    "one logit_<label> per class, in input order. Images are preprocessed as the model's "
                    "preprocessor_config.json says. Rows that cannot be read or have no text are reported "
                    "on stderr with their line and skipped. The output file appears only once every row is done.");
    command->add_option("--model", args->model,
                        "Hugging Face checkpoint folder with a classification head, a folder of finetune export "
                        "(TorchScript and ONNX run on the CPU), or a project's run folder PROJECT/runs/N")
        ->required();
    command->add_option("--input", args->input,
                        "Data file with a text column (and optionally text_pair); for an image classifier (ViT, "
                        "ResNet) a data file with an image column, or a folder of images")
        ->required();
    command->add_option("--output", args->output, "CSV file to write (replaced only when every row is done)")
        ->required();
    command->add_flag("--logits", args->logits, "Also write the raw logits, one logit_<label> column per class");
    command->add_option("--text-column", args->columns.text,
                        "Column with the text (default: text, sentence, review, question or content)");
    command->add_option("--image-column", args->columns.image,
                        "For an image classifier: the column with image paths, relative to the data file's folder "
                        "(default: image, image_path, img or file_name)");
    command->add_option("--text-pair-column", args->columns.textPair,
                        "Column with the second text of a pair (default: text_pair, sentence2 or text_b); an "
                        "empty value encodes the text alone");
    command->add_option("--batch-size", args->options.batchSize, "Texts per forward pass")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    addPredictorOptions(*command, args->options);
    command->add_flag("--json", args->json,
                      "Print a JSON summary as the last line: rows, errors, seconds (model load excluded), "
                      "rows_per_s");
    command->callback([&action, args] { action = [args] { runPredict(*args); }; });
}

} // namespace ft::cli
