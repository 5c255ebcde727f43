// run_export.cpp
#include "export/run_export.h"

#include "common/error.h"
#include "common/version.h"
#include "export/export_check.h"
#include "export/gpt2_onnx_export.h"
#include "export/llama_onnx_export.h"
#include "export/method_export.h"
#include "export/model_card.h"
#include "export/onnx_export.h"
#include "export/onnx_runner.h"
#include "export/text_torchscript_export.h"
#include "export/tokenizer_export.h"
#include "export/torchscript_export.h"
#include "export/vision_onnx_export.h"
#include "export/vision_torchscript_export.h"
#include "models/atomic_file.h"
#include "models/bert_classifier.h"
#include "models/checkpoint.h"
#include "models/classifier_factory.h"
#include "models/model_family.h"
#include "models/text_classifier.h"
#include "models/lora.h"
#include "models/prompt_adapter.h"
#include "models/vision_classifier.h"
#include "store/catalog.h"
#include "store/datasets.h"
#include "store/project.h"
#include "store/runs.h"
#include "store/sqlite.h"
#include "text/tokenizer.h"
#include "train/image_split_batches.h"
#include "train/run_config.h"
#include "train/run_data.h"
#include "train/run_inputs.h"
#include "train/token_batches.h"

#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <unistd.h>
#include <unordered_map>

namespace fs = std::filesystem;

namespace ft {

namespace {

// Beside a TorchScript or ONNX model: how to tokenise its text or preprocess its images.
const char *const kInputFiles[] = {"vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                   "sentencepiece.bpe.model", "preprocessor_config.json"};

// Removes the staging folder unless the export reached its place.
class StagingFolder {
public:
    explicit StagingFolder(const fs::path &output)
        : mPath(output.parent_path()
                / ("." + output.filename().string() + ".partial-" + std::to_string(::getpid()) + "-"
                   + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count())))
    {
        std::error_code error;
        fs::create_directories(mPath, error);
        if (error)
            throw Error(ErrorKind::Io, "cannot create " + mPath.string() + ": " + error.message());
    }
    ~StagingFolder()
    {
        std::error_code ignored;
        if (!mPath.empty())
            fs::remove_all(mPath, ignored);
    }
    const fs::path &path() const { return mPath; }

    // Renames the staging folder to `output`; an existing output is replaced only now, whole.
    void moveTo(const fs::path &output)
    {
        std::error_code error;
        const fs::path previous = mPath.string() + ".previous";
        const bool replacing = fs::exists(output);
        if (replacing) {
            fs::rename(output, previous, error);
            if (error)
                throw Error(ErrorKind::Io, "cannot move " + output.string() + " aside: " + error.message());
        }
        fs::rename(mPath, output, error);
        if (error) {
            if (replacing)
                fs::rename(previous, output, error);
            throw Error(ErrorKind::Io, "cannot move the export to " + output.string() + ": " + error.message());
        }
        mPath.clear();
        if (replacing)
            fs::remove_all(previous, error);
    }

private:
    fs::path mPath;
};

void copyFile(const fs::path &from, const fs::path &to)
{
    std::error_code error;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, error);
    if (error)
        throw Error(ErrorKind::Io, "cannot copy " + from.string() + " to " + to.string() + ": " + error.message());
}

void copyFolderFiles(const fs::path &from, const fs::path &to)
{
    for (const fs::directory_entry &entry : fs::directory_iterator(from))
        if (entry.is_regular_file())
            copyFile(entry.path(), to / entry.path().filename());
}

// config.json and the input files beside a TorchScript or ONNX model: its labels and how to read its input.
void copyModelCompanions(const fs::path &modelFolder, const fs::path &to, bool withConfig)
{
    if (withConfig)
        copyFile(modelFolder / "config.json", to / "config.json");
    for (const char *name : kInputFiles)
        if (fs::is_regular_file(modelFolder / name))
            copyFile(modelFolder / name, to / name);
}

bool isLoraRun(const fs::path &runFolder)
{
    return fs::is_regular_file(runFolder / "adapter" / "adapter_model.safetensors");
}

// The run's last value of every eval/ and test/ metric.
std::map<std::string, double> finalMetrics(Project &project, std::int64_t runId)
{
    std::map<std::string, double> last;
    for (const MetricPoint &point : runMetrics(project, runId)) // ordered by name, then step
        if (point.name.rfind("eval/", 0) == 0 || point.name.rfind("test/", 0) == 0)
            last[point.name] = point.value;
    return last;
}

// The labelled rows of the test split (validation when the test split has none), tokenised with the export's files.
std::shared_ptr<SplitBatches> textCheckRows(Project &project, const RunDetails &run, const fs::path &exportFolder,
                                            const std::vector<std::string> &labels, std::int64_t maxLength,
                                            std::string &split)
{
    split.clear();
    if (!run.datasetId)
        return {};
    const Tokenizer tokenizer = modelTokenizer(exportFolder);
    std::unordered_map<std::string, std::int64_t> labelIds;
    for (std::size_t i = 0; i < labels.size(); ++i)
        labelIds.emplace(labels[i], std::int64_t(i));
    const std::vector<Example> all = examples(project, *run.datasetId, 0, std::numeric_limits<std::int64_t>::max());
    for (const char *candidate : {"test", "validation"}) {
        std::vector<Example> rows;
        for (const Example &example : all)
            if (example.split == candidate)
                rows.push_back(example);
        EncodedSplit encoded = encodeSplit(tokenizer, rows, labelIds, maxLength);
        if (encoded.size() > 0) {
            split = candidate;
            return std::make_shared<TokenBatches>(std::move(encoded), std::max<std::int64_t>(0, tokenizer.padId()), 0);
        }
    }
    return {};
}

// The same for images, preprocessed as the export's preprocessor_config.json says.
std::shared_ptr<SplitBatches> imageCheckRows(Project &project, const RunDetails &run, const fs::path &exportFolder,
                                             const std::vector<std::string> &labels, std::string &split)
{
    split.clear();
    if (!run.datasetId)
        return {};
    auto splits = imageFilesBySplit(project, *run.datasetId, datasetName(project, *run.datasetId), labels);
    for (const char *candidate : {"test", "validation"}) {
        ImageFiles &files = splits[candidate];
        if (files.files.empty())
            continue;
        split = candidate;
        ImageSplitOptions options;
        options.processor = loadImageProcessorConfig(exportFolder / "preprocessor_config.json");
        return std::make_shared<ImageSplitBatches>(std::move(files.files), std::move(files.labels), options);
    }
    return {};
}

LogitsFunction classifierLogits(std::shared_ptr<Classifier> model)
{
    model->module().eval();
    return [model](const TensorBatch &batch) { return model->logits(batch); };
}

// The run's text classifier as TorchScript or ONNX, by its family.
void writeTextTorchScript(Classifier &model, const fs::path &file)
{
    if (auto *bert = dynamic_cast<BertClassifier *>(&model))
        return writeTorchScript(*bert->bert(), file);
    if (auto *distil = distilBertOf(model))
        return writeDistilBertTorchScript(*distil, file);
    if (auto *roberta = robertaOf(model))
        return writeRobertaTorchScript(*roberta, file);
    if (auto *gpt2 = gpt2Of(model))
        return writeGpt2TorchScript(*gpt2, file);
    if (auto *llama = llamaOf(model))
        return writeLlamaTorchScript(*llama, file);
    throw Error(ErrorKind::Incompatible, "TorchScript export of " + model.architecture() + " is not built yet");
}

OnnxExportReport writeTextOnnx(Classifier &model, const fs::path &file, const OnnxExportOptions &options)
{
    if (auto *bert = dynamic_cast<BertClassifier *>(&model))
        return writeOnnx(*bert->bert(), file, options);
    if (auto *distil = distilBertOf(model))
        return writeOnnx(*distil, file, options);
    if (auto *roberta = robertaOf(model))
        return writeOnnx(*roberta, file, options);
    if (auto *gpt2 = gpt2Of(model))
        return writeGpt2Onnx(*gpt2, file, options);
    if (auto *llama = llamaOf(model))
        return writeLlamaOnnx(*llama, file, options);
    throw Error(ErrorKind::Incompatible, "ONNX export of " + model.architecture() + " is not built yet");
}

// The run's image classifier as ONNX or TorchScript.
void writeImageModel(const Classifier &model, ExportFormat format, const fs::path &file)
{
    const bool script = format == ExportFormat::TorchScript;
    if (const auto *vit = vitOf(model))
        script ? writeVitTorchScript(*vit, file) : (void)writeVitOnnx(*vit, file);
    else if (const auto *resnet = resNetOf(model))
        script ? writeResNetTorchScript(*resnet, file) : (void)writeResNetOnnx(*resnet, file);
    else
        throw Error(ErrorKind::Internal, model.architecture() + " is not an image classifier");
}

std::int64_t folderBytes(const fs::path &folder, std::vector<std::string> &files)
{
    std::int64_t bytes = 0;
    for (const fs::directory_entry &entry : fs::recursive_directory_iterator(folder))
        if (entry.is_regular_file()) {
            files.push_back(fs::relative(entry.path(), folder).generic_string());
            bytes += std::int64_t(entry.file_size());
        }
    std::sort(files.begin(), files.end());
    return bytes;
}

nlohmann::json checkJson(const ExportCheck &check)
{
    return {{"split", check.split},
            {"examples", check.examples},
            {"max_abs_logit_difference", check.maxAbsLogitDifference},
            {"run_accuracy", check.runAccuracy},
            {"export_accuracy", check.exportAccuracy},
            {"predictions_changed", check.predictionsChanged},
            {"ms_per_example_batch_1", check.msPerExampleBatch1},
            {"ms_per_example_batch_32", check.msPerExampleBatch32}};
}

std::string storedPath(const Project &project, const fs::path &folder)
{
    const fs::path relative = folder.lexically_relative(project.folder());
    if (!relative.empty() && *relative.begin() != "..")
        return relative.generic_string();
    return folder.string();
}

} // namespace

ExportResult exportRun(const ExportRequest &request, const ExportProgress &progress)
{
    auto report = [&](const std::string &stage, double fraction) {
        if (progress && !progress(stage, fraction))
            throw Error(ErrorKind::Cancelled, "export cancelled");
    };
    Project project = Project::open(request.project);
    const RunDetails run = runDetails(project, request.runId);
    const std::string runName = "run " + std::to_string(run.id);
    const fs::path runFolder = project.folder() / "runs" / std::to_string(run.id);
    const fs::path modelFolder = runFolder / "model";
    if (run.state != RunState::Completed || !fs::is_regular_file(modelFolder / "model.safetensors"))
        throw Error(ErrorKind::NotFound, runName + " has no finished model to export (it is " + toString(run.state) + ")");
    checkMethodExport(run.configJson, request.format, runName,
                      run.modelId ? modelSourceOf(project, *run.modelId) : std::string());
    const bool lora = isLoraRun(runFolder);
    if ((request.format == ExportFormat::Peft || request.format == ExportFormat::Merged) && !lora)
        throw Error(ErrorKind::InvalidInput, runName + " was trained without LoRA: it has no adapter; export it as hf");
    const nlohmann::json config = nlohmann::json::parse(run.configJson);
    const std::string baseModel = run.modelId ? modelSourceOf(project, *run.modelId) : std::string();
    const std::shared_ptr<Classifier> runModel = loadClassifier(modelFolder, {}).model;
    const bool images = runModel->inputKind() == InputKind::Image;
    if (images && request.format == ExportFormat::OnnxInt8)
        throw Error(ErrorKind::InvalidInput, runName + " classifies images: export it as hf, merged, peft, torchscript or onnx ("
                                                 + toString(request.format) + " is for text classifiers so far)");
    if (request.format == ExportFormat::Peft && baseModel.rfind(kScratchModelPrefix, 0) == 0)
        throw Error(ErrorKind::InvalidInput, runName + "'s base model was made from scratch and exists nowhere else, so "
                                                       "its adapter cannot be applied: export it as merged");

    const fs::path output = fs::absolute(request.output).lexically_normal();
    if (fs::exists(output) && !request.overwrite)
        throw Error(ErrorKind::InvalidInput, output.string() + " already exists (choose another folder or overwrite it)");
    std::error_code error;
    fs::create_directories(output.parent_path(), error);
    if (error)
        throw Error(ErrorKind::Io, "cannot create " + output.parent_path().string() + ": " + error.message());
    StagingFolder staging(output);
    const fs::path dir = staging.path();

    // Write.
    report("writing", 0);
    ExportResult result;
    switch (request.format) {
    case ExportFormat::HuggingFace:
    case ExportFormat::Merged: // a LoRA run's model folder holds the merged weights
        copyFolderFiles(modelFolder, dir);
        break;
    case ExportFormat::Peft:
        copyFolderFiles(runFolder / "adapter", dir);
        copyModelCompanions(modelFolder, dir, false);
        break;
    case ExportFormat::TorchScript:
        if (images)
            writeImageModel(*runModel, request.format, dir / "model.pt");
        else
            writeTextTorchScript(*runModel, dir / "model.pt");
        copyModelCompanions(modelFolder, dir, true);
        break;
    case ExportFormat::Onnx:
    case ExportFormat::OnnxInt8: {
        if (request.format == ExportFormat::OnnxInt8) { // the float file's size, for the reduction
            result.floatModelBytes = writeTextOnnx(*runModel, dir / "float.onnx", {}).bytes;
            fs::remove(dir / "float.onnx");
        }
        OnnxExportOptions options;
        options.quantizeInt8 = request.format == ExportFormat::OnnxInt8;
        if (images)
            writeImageModel(*runModel, request.format, dir / "model.onnx");
        else
            writeTextOnnx(*runModel, dir / "model.onnx", options);
        copyModelCompanions(modelFolder, dir, true);
        break;
    }
    }
    if (!images)
        completeTokenizerFiles(dir);
    report("writing", 1);

    // Check against the run's own model, with the export's tokenizer files.
    if (request.check) {
        report("checking", 0);
        ExportCheckInputs inputs;
        inputs.labels = runModel->labels();
        inputs.rows = images ? imageCheckRows(project, run, dir, inputs.labels, inputs.split)
                             : textCheckRows(project, run, dir, inputs.labels,
                                             config.value("max_length", std::int64_t{128}), inputs.split);
        inputs.runModel = classifierLogits(runModel);
        switch (request.format) {
        case ExportFormat::HuggingFace:
        case ExportFormat::Merged:
            inputs.exported = classifierLogits(loadClassifier(dir, {}).model);
            break;
        case ExportFormat::Peft: {
            ClassifierOptions options;
            options.labels = inputs.labels;
            const std::shared_ptr<Classifier> base = loadClassifier(parseModelSource(baseModel).folder, options).model;
            applyPeftAdapterFolder(*base, dir); // LoRA merged, or PEFT's prefix or prompt added
            inputs.exported = classifierLogits(base);
            break;
        }
        case ExportFormat::TorchScript: {
            auto classifier = std::make_shared<TorchScriptClassifier>(dir / "model.pt");
            inputs.exported = [classifier](const TensorBatch &batch) {
                return batch.pixelValues.defined()
                           ? classifier->logits(batch.pixelValues)
                           : classifier->logits(batch.inputIds, batch.attentionMask, batch.tokenTypeIds);
            };
            break;
        }
        case ExportFormat::Onnx:
        case ExportFormat::OnnxInt8: {
            auto runner = std::make_shared<OnnxRunner>(dir / "model.onnx");
            inputs.exported = [runner](const TensorBatch &batch) {
                return batch.pixelValues.defined() ? runner->run({{"pixel_values", batch.pixelValues}})
                                                   : runner->run(batch.inputIds, batch.attentionMask, batch.tokenTypeIds);
            };
            break;
        }
        }
        result.check = checkExport(inputs, [&](double fraction) {
            report("checking", fraction);
            return true;
        });
    }

    // The model card, then into place.
    report("finishing", 0);
    ModelCardFacts facts;
    facts.runId = run.id;
    facts.runName = run.name;
    facts.baseModel = baseModel;
    facts.format = request.format;
    if (run.datasetId) {
        facts.datasetName = datasetName(project, *run.datasetId);
        facts.labels = labelCounts(project, *run.datasetId);
    }
    facts.config = config;
    facts.metrics = finalMetrics(project, run.id);
    facts.check = result.check;
    for (const char *weights : {"model.safetensors", "adapter_model.safetensors", "model.pt", "model.onnx"})
        if (fs::is_regular_file(dir / weights))
            result.modelBytes += std::int64_t(fs::file_size(dir / weights));
    facts.modelBytes = result.modelBytes;
    facts.floatModelBytes = result.floatModelBytes;
    facts.version = kVersion;
    facts.architecture = runModel->architecture();
    facts.images = images;
    writeFileAtomically(dir / "README.md", modelCard(facts));

    result.folder = output;
    result.bytes = folderBytes(dir, result.files);

    nlohmann::json details = {{"files", result.files}, {"bytes", result.bytes}, {"model_bytes", result.modelBytes}};
    if (result.floatModelBytes > 0)
        details["float_model_bytes"] = result.floatModelBytes;
    if (result.check)
        details["check"] = checkJson(*result.check);
    ExportRecord record;
    record.runId = run.id;
    record.format = toString(request.format);
    record.path = storedPath(project, output);
    record.detailsJson = details.dump();
    // The store's write lock before the move: when another process holds the
    // project, the export fails here and an existing output stays as it was.
    sql::Transaction transaction(project.database());
    staging.moveTo(output);
    result.exportId = addExport(project, record);
    transaction.commit();
    report("finishing", 1);
    return result;
}

} // namespace ft
