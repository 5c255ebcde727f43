// text_generation.cpp
#include "infer/text_generation.h"

#include "common/error.h"
#include "infer/model_location.h"
#include "models/causal_lm.h"
#include "models/classifier_factory.h"
#include "models/gpt2_model.h"
#include "models/llama_model.h"
#include "models/model_family.h"
#include "text/tokenizer.h"
#include "train/causal_lm_data.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>

namespace fs = std::filesystem;

namespace ft {

namespace {

// transformers' TemperatureLogitsWarper then TopPLogitsWarper, then one draw.
std::int64_t sampleToken(const at::Tensor &logits, const GenerationOptions &options, at::Generator &generator)
{
    if (options.temperature <= 0)
        return logits.argmax(-1).item<std::int64_t>();
    at::Tensor scores = logits.to(at::kFloat) / options.temperature;
    if (options.topP < 1.0) {
        // Ascending: drop the tokens whose cumulative probability stays within 1 - top_p; the most likely stays.
        const auto [sorted, indices] = scores.sort(/*stable=*/false, -1, /*descending=*/false);
        const at::Tensor cumulative = sorted.softmax(-1).cumsum(-1);
        at::Tensor remove = cumulative.le(1.0 - options.topP);
        remove.select(0, remove.size(0) - 1).fill_(false);
        scores = scores.index_fill(-1, indices.masked_select(remove), -INFINITY);
    }
    return at::multinomial(scores.softmax(-1), 1, false, generator).item<std::int64_t>();
}

// The earliest of `stops` in `text`, or npos.
std::size_t firstStop(const std::string &text, const std::vector<std::string> &stops)
{
    std::size_t first = std::string::npos;
    for (const std::string &stop : stops)
        if (!stop.empty())
            first = std::min(first, text.find(stop));
    return first;
}

} // namespace

std::string stopReasonName(StopReason reason)
{
    switch (reason) {
    case StopReason::EndOfText: return "eos";
    case StopReason::StopSequence: return "stop_sequence";
    case StopReason::MaxNewTokens: return "max_new_tokens";
    case StopReason::Cancelled: return "cancelled";
    }
    return "max_new_tokens";
}

TextGenerator::TextGenerator(const fs::path &folder)
{
    const fs::path modelFolder = resolveModelFolder(folder);
    if (!hasCausalLm(configModelType(modelFolder / "config.json")))
        throw Error(ErrorKind::Incompatible, (modelFolder / "config.json").string()
                                                 + ": text generation needs a llama or gpt2 model");
    ClassifierOptions options;
    options.causalLm = true;
    // loadClassifier, so a run trained with adapters or virtual tokens generates with them.
    mModel = std::shared_ptr<Classifier>(loadClassifier(modelFolder, options).model.release());
    const Tokenizer tokenizer = modelTokenizer(modelFolder);
    mEndOfText = endOfTextId(tokenizer, mModel->configJson());
    mTokenizer = std::make_shared<const Tokenizer>(tokenizer);
}

TextGenerator::TextGenerator(std::shared_ptr<Classifier> model, std::shared_ptr<const Tokenizer> tokenizer,
                             std::int64_t endOfText)
    : mModel(std::move(model)), mTokenizer(std::move(tokenizer)), mEndOfText(endOfText)
{
}

TextGenerator::~TextGenerator() = default;

std::string TextGenerator::architecture() const
{
    return mModel->architecture();
}

GeneratedText TextGenerator::generate(std::string_view prompt, const GenerationOptions &options,
                                      const GenerationProgress &progress) const
{
    if (options.maxNewTokens < 0 || options.temperature < 0 || !(options.topP > 0 && options.topP <= 1))
        throw Error(ErrorKind::InvalidInput, "generation needs max_new_tokens >= 0, temperature >= 0 and top_p in "
                                             "(0, 1]");
    at::NoGradGuard noGrad;
    mModel->module().eval();
    GeneratedText result;
    std::vector<std::int64_t> ids = promptIds(*mTokenizer, prompt);
    if (ids.empty())
        throw Error(ErrorKind::InvalidInput, "the prompt is empty and the tokenizer adds no start token");
    result.promptTokens = static_cast<std::int64_t>(ids.size());
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
    LlamaForCausalLMImpl *llama = llamaCausalLmOf(*mModel);
    Gpt2LmHeadModelImpl *gpt2 = gpt2LmOf(*mModel);
    if (!llama && !gpt2)
        throw Error(ErrorKind::Internal, mModel->architecture() + " does not generate text");
    KvCache cache;
    at::Tensor fresh = at::tensor(ids, at::kLong).unsqueeze(0); // tokens the model has not seen yet
    for (std::int64_t step = 0; step < options.maxNewTokens; ++step) {
        const at::Tensor logits = llama ? llama->forward(fresh, {}, {}, &cache) : gpt2->forward(fresh, {}, &cache);
        const std::int64_t token = sampleToken(logits[0][-1], options, generator);
        if (token == mEndOfText) {
            result.stopReason = StopReason::EndOfText;
            return result;
        }
        ids.push_back(token);
        result.ids.push_back(token);
        result.text = mTokenizer->decode(result.ids);
        if (const std::size_t stop = firstStop(result.text, options.stopSequences); stop != std::string::npos) {
            result.text.resize(stop);
            result.stopReason = StopReason::StopSequence;
            return result;
        }
        if (progress && !progress(result.text)) {
            result.stopReason = StopReason::Cancelled;
            return result;
        }
        fresh = at::tensor({token}, at::kLong).unsqueeze(0);
    }
    result.stopReason = StopReason::MaxNewTokens;
    return result;
}

} // namespace ft
