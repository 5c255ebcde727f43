// model_commands.cpp: `finetune model pull|import|info`.
#include "cli/commands.h"

#include "cli/interrupt.h"
#include "cli/progress_bar.h"
#include "common/error.h"
#include "hub/hub_pull.h"
#include "hub/sha256.h"
#include "models/bert_config.h"
#include "models/model_validation.h"
#include "models/pickle_checkpoint.h"
#include "store/catalog.h"
#include "store/project.h"
#include "text/json_file.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <memory>
#include <optional>

namespace ft::cli {

namespace {

namespace fs = std::filesystem;

nlohmann::ordered_json modelInfoJson(const ModelInfo &info)
{
    nlohmann::ordered_json files = nlohmann::ordered_json::array();
    for (const ModelFileInfo &file : info.files)
        files.push_back({{"name", file.name}, {"size", file.bytes}});
    return {{"folder", info.folder.string()},
            {"architecture", info.architecture},
            {"model_type", info.modelType},
            {"num_parameters", info.numParameters},
            {"checkpoint_parameters", info.checkpointParameters},
            {"vocab_size", info.vocabSize},
            {"hidden_size", info.hiddenSize},
            {"num_layers", info.numLayers},
            {"num_heads", info.numHeads},
            {"max_positions", info.maxPositions},
            {"image_size", info.imageSize},
            {"labels", info.labels},
            {"has_classifier", info.hasClassifier},
            {"weights_format", info.weightsFormat},
            {"dtype", info.dtype},
            {"has_tokenizer", info.hasTokenizer},
            {"has_image_processor", info.hasImageProcessor},
            {"files", files}};
}

void printModelInfo(const ModelInfo &info)
{
    const auto orNone = [](const std::string &text) { return text.empty() ? std::string("(none)") : text; };
    std::cout << "Folder         " << info.folder.string() << '\n'
              << "Architecture   " << orNone(info.architecture) << '\n'
              << "Model type     " << info.modelType << '\n'
              << "Parameters     " << info.numParameters << " (as a classifier; the weight files hold "
              << info.checkpointParameters << ")\n";
    if (info.modelType == "resnet")
        std::cout << "Width          " << info.hiddenSize << " channels at the end, " << info.numLayers
                  << " residual layers\n";
    else
        std::cout << "Hidden size    " << info.hiddenSize << ", " << info.numLayers << " layers, " << info.numHeads
                  << " heads\n";
    if (info.modelType == "bert")
        std::cout << "Vocab size     " << info.vocabSize << '\n' << "Max positions  " << info.maxPositions << '\n';
    if (info.imageSize)
        std::cout << "Image size     " << info.imageSize << " x " << info.imageSize << '\n';
    std::cout << "Labels         " << info.labels.size();
    for (std::size_t i = 0; i < info.labels.size() && i < 20; ++i)
        std::cout << (i ? ", " : ": ") << info.labels[i];
    std::cout << (info.labels.size() > 20 ? ", ...\n" : "\n")
              << "Classifier     "
              << (info.hasClassifier ? "yes" : "no (a base checkpoint: the head starts at random when fine-tuned)")
              << '\n'
              << "Weights        " << orNone(info.weightsFormat) << (info.dtype.empty() ? "" : ", " + info.dtype)
              << '\n'
              << (info.modelType == "bert" ? "Tokenizer      " : "Processor      ")
              << ((info.modelType == "bert" ? info.hasTokenizer : info.hasImageProcessor) ? "yes" : "no") << '\n'
              << "Files          " << info.files.size() << '\n';
    for (const ModelFileInfo &file : info.files)
        std::cout << "  " << file.name << "  " << file.bytes << " bytes\n";
}

// "org/name" for a Hub cache snapshot (models--org--name/snapshots/<commit>), else the folder's name.
std::string defaultModelName(const fs::path &folder)
{
    const fs::path snapshots = folder.parent_path();
    const std::string repo = snapshots.parent_path().filename().string();
    if (snapshots.filename() == "snapshots" && repo.rfind("models--", 0) == 0) {
        std::string name = repo.substr(8);
        if (const auto dashes = name.find("--"); dashes != std::string::npos)
            name.replace(dashes, 2, "/");
        return name;
    }
    return folder.filename().string();
}

fs::path canonicalFolder(const fs::path &folder)
{
    std::error_code error;
    const fs::path canonical = fs::weakly_canonical(fs::absolute(folder), error);
    return error ? fs::absolute(folder).lexically_normal() : canonical;
}

// PROJECT/models/NAME for a converted checkpoint: NAME made a plain folder
// name (org/name -> org--name), with -2, -3, ... when it is taken.
fs::path convertedModelFolder(const Project &project, const std::string &name)
{
    std::string slug;
    for (const char c : name)
        slug += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? std::string(1, c)
                : c == '/'                                                                      ? std::string("--")
                                                                                                : std::string("-");
    slug.erase(0, slug.find_first_not_of('.')); // no hidden folder, no ".."
    if (slug.empty())
        slug = "model";
    const fs::path models = project.folder() / "models";
    fs::path folder = models / slug;
    for (int n = 2; fs::exists(folder); ++n)
        folder = models / (slug + "-" + std::to_string(n));
    return folder;
}

bool isModelId(const std::string &text)
{
    return !text.empty() && text.size() < 18 && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isdigit(c) != 0;
    });
}

} // namespace

void addModelCommands(CLI::App &app, Action &action)
{
    auto *model = app.add_subcommand("model", "Get and inspect pretrained checkpoints");
    model->require_subcommand(1);

    struct PullArguments {
        PullOptions options;
        std::string cacheDir;
        bool json = false;
    };
    auto pull = std::make_shared<PullArguments>();
    auto *pullCommand = model->add_subcommand(
        "pull", "Download a model from the Hugging Face Hub (or the mirror in HF_ENDPOINT) into the local cache, "
                "resuming partial downloads and checking large files' SHA-256");
    pullCommand->add_option("ID", pull->options.repoId, "Model id, e.g. google-bert/bert-base-uncased")->required();
    pullCommand->add_option("--revision", pull->options.revision, "Branch, tag or commit")->capture_default_str();
    pullCommand->add_option("--cache-dir", pull->cacheDir,
                            "Cache folder (default: $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)");
    pullCommand->add_option("--include", pull->options.include,
                            "Also fetch files matching this glob (repeatable), e.g. 'onnx/*'");
    pullCommand->add_flag("--json", pull->json, "Print a JSON summary as the last line");
    pullCommand->footer("Environment: HF_ENDPOINT (mirror), HF_TOKEN (gated or private models), HF_HUB_CACHE, HF_HOME.");
    pullCommand->callback([&action, pull] {
        action = [pull] {
            installInterruptHandler();
            PullOptions options = pull->options;
            options.cacheDir = pull->cacheDir;
            ProgressBar bar(ProgressBar::Unit::Bytes);
            options.progress = [&bar](const PullProgress &p) {
                std::string label = "[" + std::to_string(p.fileIndex) + "/" + std::to_string(p.fileCount) + "] " + p.file;
                if (p.attempt > 1)
                    label += " (resuming, attempt " + std::to_string(p.attempt) + ")";
                bar.update(label, p.fileBytes, p.fileSize);
                return !interrupted();
            };
            const PullResult result = pullModel(options);
            bar.finish();
            if (pull->json) {
                nlohmann::json files = nlohmann::json::array();
                for (const auto &file : result.files)
                    files.push_back({{"path", file.path}, {"size", file.size}, {"lfs", file.lfs}});
                std::cout << nlohmann::json{{"id", options.repoId},
                                            {"commit", result.commit},
                                            {"folder", result.folder.string()},
                                            {"files", files},
                                            {"downloaded_bytes", result.downloadedBytes},
                                            {"files_from_cache", result.filesFromCache}}
                                 .dump()
                          << '\n';
            } else {
                std::cout << "Pulled " << options.repoId << " at " << result.commit.substr(0, 12) << " ("
                          << result.files.size() << " files, " << result.filesFromCache << " already cached) into\n  "
                          << result.folder.string() << '\n';
            }
        };
    });

    struct ImportArguments {
        std::string folder;
        std::string project;
        std::string name;
        bool allowPickle = false;
        bool json = false;
    };
    auto import = std::make_shared<ImportArguments>();
    auto *importCommand = model->add_subcommand(
        "import", "Check a Hugging Face checkpoint folder (config, tokenizer, weight headers; small weights loaded "
                  "in full) and register it in a project. A folder registered before is reported, not added again");
    importCommand->add_option("DIR", import->folder, "Checkpoint folder (config.json, weights, tokenizer files)")
        ->required();
    importCommand->add_option("--project", import->project, "Project folder")->required();
    importCommand->add_option("--name", import->name,
                              "Name in the project (default: the folder's name, or org/name for a Hub cache folder)");
    importCommand->add_flag("--allow-pickle", import->allowPickle,
                            "For a folder whose only weights are pytorch_model.bin (a Python pickle): read it once "
                            "and register a converted copy (model.safetensors, config and tokenizer files) made in "
                            "PROJECT/models/NAME. DIR itself is not changed. Without it such a folder is refused "
                            "(exit code 5)");
    importCommand->add_flag("--json", import->json, "Print a JSON summary as the last line");
    importCommand->callback([&action, import] {
        action = [import] {
            const fs::path folder = canonicalFolder(import->folder);
            Project project = Project::open(import->project);
            // A pickle-only folder is registered as its safetensors copy: the
            // pickle is read once, here, with consent, and never again.
            const bool pickle = hasOnlyPickleWeights(folder);
            const std::string pickleSha256 = pickle ? sha256File(folder / kPickleWeightsName) : std::string();
            std::optional<ModelRecord> existing;
            for (const ModelRecord &record : listModels(project)) {
                const fs::path registered = canonicalFolder(record.path);
                const ConversionRecord conversion = pickle ? conversionRecord(registered) : ConversionRecord{};
                if (pickle ? conversion.sourceFolder == folder && conversion.sourceSha256 == pickleSha256
                           : registered == folder)
                    existing = record;
            }
            if (pickle && !existing && !import->allowPickle)
                throw Error(ErrorKind::Incompatible,
                            pickleRefusal(folder, "re-run with --allow-pickle to register a converted copy made in " +
                                                      (project.folder() / "models").string()));

            std::optional<ModelValidation> checked;
            std::optional<PickleConversion> conversion;
            ModelRecord record;
            if (existing) {
                record = *existing;
                checked = validateModelFolder(pickle ? fs::path(record.path) : folder);
            } else {
                record.name = import->name.empty() ? defaultModelName(folder) : import->name;
                fs::path registered = folder;
                if (pickle) {
                    registered = convertedModelFolder(project, record.name);
                    std::error_code ec;
                    fs::create_directories(registered.parent_path(), ec);
                    if (ec)
                        throw Error(ErrorKind::Io, "cannot create " + registered.parent_path().string() + ": " +
                                                       ec.message());
                    conversion = convertPickleCheckpoint(
                        folder, registered, [&](const fs::path &staged) { checked = validateModelFolder(staged); });
                } else {
                    checked = validateModelFolder(folder);
                }
                record.architecture = checked->info.architecture;
                record.path = registered.string();
                record.numParameters = checked->info.numParameters;
                try {
                    record.id = addModel(project, record, JsonFile::read(registered / "config.json").root().dump());
                } catch (...) {
                    std::error_code ec;
                    if (conversion)
                        fs::remove_all(registered, ec); // nothing registered: no copy left behind
                    throw;
                }
            }
            const ModelValidation &validation = *checked;
            const ModelInfo &info = validation.info;
            const nlohmann::ordered_json convertedFrom =
                pickle ? nlohmann::ordered_json((folder / kPickleWeightsName).string()) : nlohmann::ordered_json();
            if (import->json) {
                std::cout << nlohmann::ordered_json{{"id", record.id},
                                                    {"name", record.name},
                                                    {"path", record.path},
                                                    {"architecture", info.architecture},
                                                    {"num_parameters", info.numParameters},
                                                    {"labels", info.labels},
                                                    {"has_classifier", info.hasClassifier},
                                                    {"weights_loaded", validation.weightsLoaded},
                                                    {"already_registered", existing.has_value()},
                                                    {"project", project.folder().string()},
                                                    {"source_folder", folder.string()},
                                                    {"converted_from", convertedFrom}}
                                 .dump()
                          << '\n';
                return;
            }
            if (conversion)
                std::cout << "Converted " << conversion->source.string() << " (" << conversion->tensors
                          << " tensors, read once) to " << (conversion->folder / "model.safetensors").string()
                          << "; " << folder.string() << " is unchanged\n";
            if (existing)
                std::cout << "Already registered as model " << record.id << " '" << record.name << "' in "
                          << project.folder().string() << "; nothing added\n";
            else
                std::cout << "Imported model " << record.id << " '" << record.name << "' (" << info.architecture
                          << ", " << info.numParameters << " parameters, " << info.labels.size() << " labels"
                          << (info.hasClassifier ? "" : ", no classifier head yet") << ") into "
                          << project.folder().string() << '\n';
        };
    });

    struct InfoArguments {
        std::string model;
        std::string project;
        bool json = false;
    };
    auto info = std::make_shared<InfoArguments>();
    auto *infoCommand = model->add_subcommand(
        "info", "Show a checkpoint's architecture, sizes, labels, weight format and files (read from config.json "
                "and the weight headers; no weights are loaded)");
    infoCommand
        ->add_option("MODEL", info->model, "Checkpoint folder, or a model ID of the project given with --project")
        ->required();
    infoCommand->add_option("--project", info->project, "Project folder, to look MODEL up by its ID");
    infoCommand->add_flag("--json", info->json, "Print one JSON object instead of text");
    infoCommand->callback([&action, info] {
        action = [info] {
            std::optional<ModelRecord> record;
            fs::path folder = info->model;
            if (!info->project.empty() && isModelId(info->model)) {
                Project project = Project::open(info->project);
                const std::int64_t id = std::stoll(info->model);
                for (const ModelRecord &model : listModels(project))
                    if (model.id == id)
                        record = model;
                if (!record)
                    throw Error(ErrorKind::NotFound, "no model with ID " + info->model + " in " +
                                                         project.folder().string());
                folder = record->path;
            } else if (isModelId(info->model) && !fs::is_directory(folder)) {
                throw Error(ErrorKind::NotFound, info->model + " is not a folder (to look up model ID " +
                                                     info->model + ", add --project)");
            }
            const ModelInfo inspected = inspectModelFolder(folder);
            if (info->json) {
                nlohmann::ordered_json json = nlohmann::ordered_json::object();
                if (record)
                    json = {{"id", record->id}, {"name", record->name}, {"created_at", record->createdAt}};
                json.update(modelInfoJson(inspected));
                std::cout << json.dump() << '\n';
                return;
            }
            if (record)
                std::cout << "Model          " << record->id << " '" << record->name << "', registered "
                          << record->createdAt << '\n';
            printModelInfo(inspected);
        };
    });
}

} // namespace ft::cli
