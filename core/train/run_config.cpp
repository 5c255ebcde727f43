// run_config.cpp: one table of keys drives parsing, range checks and
// writing, so a key cannot be read but not written or the other way round.
#include "train/run_config.h"

#include "common/error.h"
#include "text/json_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <optional>

namespace ft {

namespace {

using Json = nlohmann::json;

[[noreturn]] void fail(const std::string &origin, const std::string &message)
{
    throw Error(ErrorKind::InvalidInput, origin + ": " + message);
}

struct Key {
    const char *name;
    // What null stands for, for keys TrainingArguments.to_json_string writes
    // as null when unset (eval_steps, save_total_limit, metric_for_best_model).
    std::optional<Json> null;
    std::function<void(RunConfig &, const Json &, const std::string &origin)> read;
    std::function<nlohmann::ordered_json(const RunConfig &)> write;
};

std::string shown(const Json &value)
{
    return value.dump();
}

std::string bound(double value)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", value);
    return buffer;
}

// A number in [low, high] (or (low, high] when `openLow`).
Key number(const char *name, double RunConfig::*field, double low, double high, bool openLow = false,
           bool openHigh = false)
{
    return {name, std::nullopt,
            [=](RunConfig &config, const Json &value, const std::string &origin) {
                if (!value.is_number())
                    fail(origin, std::string(name) + " must be a number, not " + shown(value));
                const double x = value.get<double>();
                const bool below = openLow ? !(x > low) : !(x >= low);
                const bool above = openHigh ? !(x < high) : !(x <= high);
                if (below || above || !std::isfinite(x)) {
                    fail(origin, std::string(name) + " must be in " + (openLow ? "(" : "[") + bound(low) + ", "
                                     + bound(high) + (openHigh ? ")" : "]") + ", not " + shown(value));
                }
                config.*field = x;
            },
            [=](const RunConfig &config) { return nlohmann::ordered_json(config.*field); }};
}

// A whole number in [low, high]; 8.0 counts as 8 (Python writes floats).
Key integer(const char *name, std::int64_t RunConfig::*field, std::int64_t low, std::int64_t high,
            std::optional<Json> null = std::nullopt)
{
    return {name, null,
            [=](RunConfig &config, const Json &value, const std::string &origin) {
                std::int64_t x = 0;
                if (value.is_number_integer()) {
                    x = value.get<std::int64_t>();
                } else if (value.is_number_float() && std::trunc(value.get<double>()) == value.get<double>()
                           && std::abs(value.get<double>()) < 9e15) {
                    x = static_cast<std::int64_t>(value.get<double>());
                } else {
                    fail(origin, std::string(name) + " must be a whole number, not " + shown(value));
                }
                if (x < low || x > high)
                    fail(origin, std::string(name) + " must be in [" + std::to_string(low) + ", " + std::to_string(high)
                                     + "], not " + shown(value));
                config.*field = x;
            },
            [=](const RunConfig &config) { return nlohmann::ordered_json(config.*field); }};
}

Key flag(const char *name, bool RunConfig::*field)
{
    return {name, std::nullopt,
            [=](RunConfig &config, const Json &value, const std::string &origin) {
                if (!value.is_boolean())
                    fail(origin, std::string(name) + " must be true or false, not " + shown(value));
                config.*field = value.get<bool>();
            },
            [=](const RunConfig &config) { return nlohmann::ordered_json(config.*field); }};
}

template <typename Enum>
Key choice(const char *name, Enum RunConfig::*field, std::vector<std::pair<const char *, Enum>> options)
{
    return {name, std::nullopt,
            [=](RunConfig &config, const Json &value, const std::string &origin) {
                std::string allowed;
                for (const auto &[text, option] : options) {
                    if (value.is_string() && value.get<std::string>() == text) {
                        config.*field = option;
                        return;
                    }
                    allowed += (allowed.empty() ? "" : ", ") + std::string(text);
                }
                fail(origin, std::string(name) + " must be one of " + allowed + ", not " + shown(value));
            },
            [=](const RunConfig &config) {
                for (const auto &[text, option] : options) {
                    if (config.*field == option)
                        return nlohmann::ordered_json(text);
                }
                return nlohmann::ordered_json();
            }};
}

// A string that `check` accepts; `check` returns what is wrong, or "".
Key text(const char *name, std::string RunConfig::*field, std::function<std::string(const std::string &)> check,
         std::optional<Json> null = std::nullopt)
{
    return {name, null,
            [=](RunConfig &config, const Json &value, const std::string &origin) {
                if (!value.is_string())
                    fail(origin, std::string(name) + " must be a string, not " + shown(value));
                const std::string problem = check(value.get<std::string>());
                if (!problem.empty())
                    fail(origin, std::string(name) + " " + problem + ", not " + shown(value));
                config.*field = value.get<std::string>();
            },
            [=](const RunConfig &config) { return nlohmann::ordered_json(config.*field); }};
}

Key strings(const char *name, std::vector<std::string> RunConfig::*field)
{
    return {name, std::nullopt,
            [=](RunConfig &config, const Json &value, const std::string &origin) {
                const std::string problem = std::string(name) + " must be a list of module names, not " + shown(value);
                if (!value.is_array())
                    fail(origin, problem);
                std::vector<std::string> items;
                for (const Json &item : value) {
                    if (!item.is_string() || item.get<std::string>().empty())
                        fail(origin, problem);
                    items.push_back(item.get<std::string>());
                }
                config.*field = std::move(items);
            },
            [=](const RunConfig &config) { return nlohmann::ordered_json(config.*field); }};
}

std::string checkMetric(const std::string &metric)
{
    const std::string bare = metric.rfind("eval_", 0) == 0 ? metric.substr(5) : metric;
    for (const char *known : {"loss", "accuracy", "f1", "precision", "recall"}) {
        if (bare == known)
            return {};
    }
    return "must be loss, accuracy, f1, precision or recall (optionally with the eval_ prefix)";
}

std::string checkDevice(const std::string &device)
{
    if (device == "auto" || device == "cpu" || device == "cuda")
        return {};
    if (device.rfind("cuda:", 0) == 0 && device.size() > 5 && device.size() < 9
        && std::all_of(device.begin() + 5, device.end(), [](unsigned char c) { return std::isdigit(c); }))
        return {};
    return "must be auto, cpu, cuda or cuda:N";
}

constexpr std::int64_t kBig = std::numeric_limits<std::int32_t>::max();

const std::vector<Key> &keys()
{
    using L = LrSchedulerType;
    static const std::vector<Key> table = {
        number("learning_rate", &RunConfig::learningRate, 0, 1, true),
        number("num_train_epochs", &RunConfig::numTrainEpochs, 0, 1e6, true),
        integer("max_steps", &RunConfig::maxSteps, -1, kBig),
        integer("per_device_train_batch_size", &RunConfig::perDeviceTrainBatchSize, 1, 65536),
        integer("per_device_eval_batch_size", &RunConfig::perDeviceEvalBatchSize, 1, 65536),
        integer("gradient_accumulation_steps", &RunConfig::gradientAccumulationSteps, 1, 65536),
        number("warmup_ratio", &RunConfig::warmupRatio, 0, 1),
        integer("warmup_steps", &RunConfig::warmupSteps, 0, kBig),
        number("weight_decay", &RunConfig::weightDecay, 0, 1),
        number("adam_beta1", &RunConfig::adamBeta1, 0, 1, false, true),
        number("adam_beta2", &RunConfig::adamBeta2, 0, 1, false, true),
        number("adam_epsilon", &RunConfig::adamEpsilon, 0, 1, true),
        number("max_grad_norm", &RunConfig::maxGradNorm, 0, 1e6),
        choice("lr_scheduler_type", &RunConfig::lrSchedulerType,
               {{"linear", L::Linear}, {"cosine", L::Cosine}, {"constant", L::Constant},
                {"constant_with_warmup", L::ConstantWithWarmup}}),
        integer("seed", &RunConfig::seed, 0, std::numeric_limits<std::uint32_t>::max()),
        flag("bf16", &RunConfig::bf16),
        flag("fp16", &RunConfig::fp16),
        choice("eval_strategy", &RunConfig::evalStrategy,
               {{"no", EvalStrategy::No}, {"steps", EvalStrategy::Steps}, {"epoch", EvalStrategy::Epoch}}),
        integer("eval_steps", &RunConfig::evalSteps, 0, kBig, Json(0)),
        integer("save_steps", &RunConfig::saveSteps, 0, kBig),
        integer("save_total_limit", &RunConfig::saveTotalLimit, 0, kBig, Json(0)), // HF's null: keep all
        text("metric_for_best_model", &RunConfig::metricForBestModel, checkMetric, Json("loss")),
        flag("load_best_model_at_end", &RunConfig::loadBestModelAtEnd),
        flag("group_by_length", &RunConfig::groupByLength),
        integer("logging_steps", &RunConfig::loggingSteps, 1, kBig),
        integer("max_length", &RunConfig::maxLength, 2, 65536),
        choice("padding", &RunConfig::padding, {{"longest", Padding::Longest}, {"max_length", Padding::MaxLength}}),
        choice("task", &RunConfig::task,
               {{"classification", TrainTask::Classification}, {"causal-lm", TrainTask::CausalLm}}),
        choice("method", &RunConfig::method,
               {{"full", TrainMethod::Full}, {"lora", TrainMethod::Lora}, {"freeze", TrainMethod::Freeze},
                {"adapter", TrainMethod::Adapter}, {"prefix", TrainMethod::Prefix}, {"prompt", TrainMethod::Prompt}}),
        integer("lora_r", &RunConfig::loraR, 1, 4096),
        number("lora_alpha", &RunConfig::loraAlpha, 0, 1e6, true),
        number("lora_dropout", &RunConfig::loraDropout, 0, 1, false, true),
        strings("lora_target_modules", &RunConfig::loraTargetModules),
        integer("freeze_layers", &RunConfig::freezeLayers, -1, 1024),
        choice("adapter_type", &RunConfig::adapterType,
               {{"houlsby", AdapterType::Houlsby}, {"pfeiffer", AdapterType::Pfeiffer}}),
        integer("adapter_reduction_factor", &RunConfig::adapterReductionFactor, 1, 65536),
        integer("num_virtual_tokens", &RunConfig::numVirtualTokens, 1, 4096),
        flag("prefix_projection", &RunConfig::prefixProjection),
        integer("encoder_hidden_size", &RunConfig::encoderHiddenSize, 0, 65536),
        text("prompt_tuning_init_text", &RunConfig::promptTuningInitText, [](const std::string &) { return std::string(); }),
        integer("early_stopping_patience", &RunConfig::earlyStoppingPatience, 0, kBig),
        choice("class_weights", &RunConfig::classWeights,
               {{"none", ClassWeights::None}, {"balanced", ClassWeights::Balanced}}),
        integer("distill_teacher_run", &RunConfig::distillTeacherRun, 0, kBig),
        number("distill_temperature", &RunConfig::distillTemperature, 0, 1000, true),
        number("distill_alpha", &RunConfig::distillAlpha, 0, 1),
        integer("student_layers", &RunConfig::studentLayers, 0, 1024),
        flag("image_random_resized_crop", &RunConfig::imageRandomResizedCrop),
        flag("image_horizontal_flip", &RunConfig::imageHorizontalFlip),
        number("image_color_jitter", &RunConfig::imageColorJitter, 0, 1),
        text("device", &RunConfig::device, checkDevice),
        integer("threads", &RunConfig::threads, 0, 1024),
        integer("ddp_timeout", &RunConfig::ddpTimeout, 1, 7 * 24 * 3600),
    };
    return table;
}

std::size_t editDistance(const std::string &a, const std::string &b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// "did you mean" for a typo (a few edits away), a shortened name
// ("epochs"), or a key transformers renamed.
std::string suggestionFor(const std::string &unknown)
{
    static const std::map<std::string, std::string> renamed = {{"evaluation_strategy", "eval_strategy"},
                                                               {"lr_scheduler", "lr_scheduler_type"}};
    if (const auto found = renamed.find(unknown); found != renamed.end())
        return found->second;
    std::string best;
    std::size_t bestDistance = std::max<std::size_t>(2, unknown.size() / 4) + 1;
    for (const Key &key : keys()) {
        const std::size_t distance = editDistance(unknown, key.name);
        if (distance < bestDistance) {
            best = key.name;
            bestDistance = distance;
        }
    }
    if (!best.empty() || unknown.size() < 4)
        return best;
    for (const Key &key : keys()) {
        if (std::string(key.name).find(unknown) != std::string::npos)
            return key.name;
    }
    return {};
}

} // namespace

RunConfig parseRunConfig(const Json &json, const std::string &origin)
{
    if (!json.is_object())
        fail(origin, "must be a JSON object of TrainingArguments-style keys, not " + std::string(json.type_name()));
    RunConfig config;
    for (const auto &[name, value] : json.items()) {
        // An init-capture: clang before 16 cannot capture a structured binding (the fuzz build).
        const auto key = std::find_if(keys().begin(), keys().end(),
                                      [&name = name](const Key &k) { return name == k.name; });
        if (key == keys().end()) {
            const std::string suggestion = suggestionFor(name);
            fail(origin, "unknown key '" + name + "'"
                             + (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"));
        }
        key->read(config, value.is_null() && key->null ? *key->null : value, origin);
    }
    validate(config, origin);
    return config;
}

RunConfig loadRunConfig(const std::filesystem::path &file)
{
    // JsonFile: a missing or unreadable file, malformed, too deeply nested
    // or out-of-range JSON each get an error that names the file and place.
    return parseRunConfig(JsonFile::read(file).root(), file.string());
}

nlohmann::ordered_json toJson(const RunConfig &config)
{
    nlohmann::ordered_json json = nlohmann::ordered_json::object();
    for (const Key &key : keys())
        json[key.name] = key.write(config);
    return json;
}

void validate(const RunConfig &config, const std::string &origin)
{
    if (config.fp16 && config.bf16)
        fail(origin, "fp16 and bf16 cannot both be true; choose one");
    if (config.fp16 && config.device == "cpu")
        fail(origin, "fp16 needs a CUDA device (device is \"cpu\"); use bf16 on the CPU");
    const bool evaluates = config.evalStrategy != EvalStrategy::No;
    if (config.evalStrategy == EvalStrategy::Steps && config.evalSteps <= 0)
        fail(origin, "eval_strategy \"steps\" needs eval_steps > 0");
    if (config.loadBestModelAtEnd && !evaluates)
        fail(origin, "load_best_model_at_end needs evaluation: set eval_strategy to \"steps\" or \"epoch\"");
    if (config.earlyStoppingPatience > 0 && !evaluates)
        fail(origin, "early_stopping_patience needs evaluation: set eval_strategy to \"steps\" or \"epoch\"");
    if (const std::string problem = checkMetric(config.metricForBestModel); !problem.empty())
        fail(origin, "metric_for_best_model " + problem);
    if (const std::string problem = checkDevice(config.device); !problem.empty())
        fail(origin, "device " + problem);
    if (config.studentLayers > 0 && config.distillTeacherRun == 0)
        fail(origin, "student_layers needs distill_teacher_run: the student is made from the teacher's layers");
    // An adapter would name the teacher's folder as its base model, which has other layers than the student.
    if (config.distillTeacherRun > 0 && config.method != TrainMethod::Full && config.method != TrainMethod::Freeze)
        fail(origin, "distill_teacher_run trains the student's own weights: method must be \"full\" or \"freeze\"");
    // The loss mixes the teacher's class probabilities with the labels.
    if (config.distillTeacherRun > 0 && config.task == TrainTask::CausalLm)
        fail(origin, "distill_teacher_run distils a classifier: task must be \"classification\"");
}

std::int64_t updateStepsPerEpoch(const RunConfig &config, std::int64_t trainExamples)
{
    const std::int64_t batches = (trainExamples + config.perDeviceTrainBatchSize - 1) / config.perDeviceTrainBatchSize;
    return std::max<std::int64_t>(1, batches / config.gradientAccumulationSteps);
}

std::int64_t totalTrainingSteps(const RunConfig &config, std::int64_t trainExamples)
{
    if (config.maxSteps > 0)
        return config.maxSteps;
    return static_cast<std::int64_t>(
        std::ceil(config.numTrainEpochs * static_cast<double>(updateStepsPerEpoch(config, trainExamples))));
}

std::int64_t warmupStepCount(const RunConfig &config, std::int64_t totalSteps)
{
    if (config.warmupSteps > 0)
        return config.warmupSteps;
    return static_cast<std::int64_t>(std::ceil(config.warmupRatio * static_cast<double>(totalSteps)));
}

double learningRateAt(const RunConfig &config, std::int64_t step, std::int64_t totalSteps)
{
    return config.learningRate
           * lrFactor(config.lrSchedulerType, step, warmupStepCount(config, totalSteps), totalSteps);
}

int resolvedThreads(const RunConfig &config, unsigned hardwareThreads)
{
    if (config.threads > 0)
        return static_cast<int>(config.threads);
    return std::max(1, static_cast<int>(hardwareThreads) - 1);
}

bool greaterIsBetter(const RunConfig &config)
{
    return config.metricForBestModel != "loss" && config.metricForBestModel != "eval_loss";
}

double bestMetricOf(const RunConfig &config, const std::map<std::string, double> &metrics)
{
    std::string name = config.metricForBestModel;
    if (name.rfind("eval_", 0) == 0)
        name = name.substr(5);
    const auto found = metrics.find("eval_" + name);
    if (found == metrics.end())
        throw Error(ErrorKind::InvalidInput, "metric_for_best_model '" + config.metricForBestModel + "' is not computed");
    return found->second;
}

} // namespace ft
