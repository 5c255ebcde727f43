// fuzz_bert_config.cpp: a checkpoint's config.json as the app loads it
// (loadBertConfig), the parameter count model info shows for it, and the
// config the export writes from it, which must load again unchanged.
#include "common/error.h"
#include "fuzz_targets.h"
#include "models/bert_config.h"

namespace ft::fuzz {

void fuzzBertConfig(Bytes bytes)
{
    BertConfig config;
    try {
        config = loadBertConfig(writeScratchFile("config.json", bytes));
    } catch (const Error &) {
        return; // bad input, reported cleanly
    }
    require(config.numLabels() >= 1 && config.headDim() >= 1, "a config without labels or heads");
    require(bertParameterCount(config) > 0, "a config with no parameters");
    // Not caught: a config we accepted must survive our own save
    // (saveBertConfig writes this text) and load.
    const std::string saved = config.toJson().dump(2);
    const BertConfig again = BertConfig::fromJson(nlohmann::json::parse(saved), "config.json (saved)");
    require(again.id2label == config.id2label && again.vocabSize == config.vocabSize
                && again.hiddenSize == config.hiddenSize && again.padTokenId == config.padTokenId
                && again.hiddenAct == config.hiddenAct && again.problemType == config.problemType,
            "the saved config reads back differently");
}

} // namespace ft::fuzz

FT_FUZZ_ENTRY_POINT(ft::fuzz::fuzzBertConfig)
