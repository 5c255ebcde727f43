// causal_lm_data.cpp
#include "train/causal_lm_data.h"

#include "common/error.h"
#include "models/classifier.h"
#include "models/model_family.h"
#include "store/project.h"
#include "text/tokenizer.h"
#include "train/run_config.h"
#include "train/token_batches.h"

#include <algorithm>
#include <limits>
#include <map>

namespace ft {

namespace {

// Enough for any text a dataset holds: the cut to max_length is ours.
constexpr std::size_t kNoLimit = std::numeric_limits<std::uint32_t>::max();

std::vector<std::int64_t> encodeText(const Tokenizer &tokenizer, std::string_view text, bool specialTokens)
{
    EncodeOptions options;
    options.maxLength = kNoLimit;
    options.addSpecialTokens = specialTokens;
    return tokenizer.encode(text, options).ids;
}

} // namespace

std::vector<std::int64_t> promptIds(const Tokenizer &tokenizer, std::string_view prompt)
{
    return encodeText(tokenizer, prompt, /*specialTokens=*/true);
}

EncodedSplit encodeCausalLmSplit(const Tokenizer &tokenizer, std::span<const Example> examples, std::int64_t maxLength,
                                 std::int64_t eosId)
{
    EncodedSplit split;
    split.offsets.push_back(0);
    const auto limit = static_cast<std::size_t>(std::max<std::int64_t>(2, maxLength));
    for (const Example &example : examples) {
        if (example.imagePath)
            continue;
        std::vector<std::int64_t> prompt;
        std::vector<std::int64_t> response;
        if (example.textB) {
            prompt = promptIds(tokenizer, example.text);
            response = encodeText(tokenizer, *example.textB, false);
        } else {
            response = promptIds(tokenizer, example.text); // plain text: every token a target
        }
        if (eosId >= 0)
            response.push_back(eosId);
        const std::size_t untruncated = prompt.size() + response.size();
        if (untruncated > limit) {
            const std::size_t keepPrompt = std::min(prompt.size(), limit / 2);
            if (keepPrompt < prompt.size()) { // the prompt's last tokens, after its first (BOS)
                const std::size_t head = tokenizer.bosId() >= 0 && !prompt.empty() && prompt[0] == tokenizer.bosId();
                prompt.erase(prompt.begin() + std::ptrdiff_t(head),
                             prompt.begin() + std::ptrdiff_t(prompt.size() - keepPrompt + head));
            }
            response.resize(std::min(response.size(), limit - prompt.size()));
            ++split.truncated;
        }
        if (response.empty())
            continue;
        split.ids.insert(split.ids.end(), prompt.begin(), prompt.end());
        split.ids.insert(split.ids.end(), response.begin(), response.end());
        split.typeIds.resize(split.ids.size(), 0);
        split.offsets.push_back(static_cast<std::int64_t>(split.ids.size()));
        split.responseStarts.push_back(static_cast<std::int64_t>(prompt.size()));
        split.lengths.push_back(static_cast<std::int64_t>(prompt.size() + response.size()));
    }
    return split;
}

std::int64_t endOfTextId(const Tokenizer &tokenizer, const nlohmann::json &modelConfig)
{
    if (tokenizer.eosId() >= 0)
        return tokenizer.eosId();
    const auto eos = modelConfig.find("eos_token_id");
    if (eos == modelConfig.end())
        return -1;
    if (eos->is_number_integer())
        return eos->get<std::int64_t>();
    if (eos->is_array() && !eos->empty() && eos->front().is_number_integer())
        return eos->front().get<std::int64_t>();
    return -1;
}

RunData prepareCausalLmData(Project &project, std::int64_t datasetId, const std::string &datasetName,
                            const Classifier &model, const std::filesystem::path &tokenizerFolder,
                            const RunConfig &config)
{
    const nlohmann::json modelConfig = model.configJson();
    const Tokenizer tokenizer = withModelPadding(Tokenizer::fromFolder(tokenizerFolder), modelConfig);
    const std::int64_t eosId = endOfTextId(tokenizer, modelConfig);
    std::map<std::string, std::vector<Example>> splits;
    for (Example &example : examples(project, datasetId, 0, std::numeric_limits<std::int64_t>::max())) {
        if (example.imagePath)
            throw Error(ErrorKind::Incompatible, "dataset '" + datasetName + "' holds images (example "
                                                     + std::to_string(example.id) + "), and a language model reads text");
        splits[example.split].push_back(std::move(example));
    }
    const std::int64_t padTo = config.padding == Padding::MaxLength ? config.maxLength : 0;
    const std::int64_t padId = tokenizer.padId() >= 0 ? tokenizer.padId() : std::max<std::int64_t>(0, eosId);
    const auto make = [&](const std::string &name) {
        return std::make_unique<TokenBatches>(encodeCausalLmSplit(tokenizer, splits[name], config.maxLength, eosId),
                                              padId, padTo);
    };
    RunData data;
    data.padId = padId;
    data.train = make("train");
    data.validation = make("validation");
    data.test = make("test");
    if (data.train->size() == 0)
        throw Error(ErrorKind::InvalidInput, "dataset '" + datasetName + "' has no text in its train split");
    return data;
}

} // namespace ft
