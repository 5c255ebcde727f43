// text_model_size.cpp: each family's parts counted as its modules hold them.
#include "models/text_model_size.h"

#include "common/error.h"
#include "models/bert_config.h"
#include "models/gpt2_config.h"
#include "models/llama_config.h"

#include <nlohmann/json.hpp>

namespace ft {

namespace {

std::int64_t linearParameters(const std::vector<LinearShape> &linears, bool bias)
{
    std::int64_t count = 0;
    for (const LinearShape &linear : linears)
        count += linear.in * linear.out + (bias ? linear.out : 0);
    return count;
}

TextModelSize gpt2Size(const Gpt2Config &c, bool causalLm)
{
    TextModelSize size;
    const std::int64_t n = c.nEmbd, inner = c.innerSize();
    size.modelType = "gpt2";
    size.hidden = n;
    size.layers = c.nLayer;
    size.heads = c.nHead;
    size.intermediate = inner;
    size.vocab = c.vocabSize;
    size.keyValueWidth = n;
    size.layerLinears = {{"c_attn", n, 3 * n}, {"c_proj", n, n}, {"c_fc", n, inner}, {"c_proj", inner, n}};
    size.embeddingParameters = (c.vocabSize + c.nPositions) * n;
    size.layerParameters = linearParameters(size.layerLinears, true) + 2 * 2 * n; // and ln_1, ln_2
    size.topParameters = 2 * n;                                                   // ln_f
    size.headParameters = causalLm ? 0 : c.numLabels() * n; // the LM head is the token embedding
    size.mlpValuesPerToken = 2 * inner;
    return size;
}

TextModelSize llamaSize(const LlamaConfig &c, bool causalLm)
{
    TextModelSize size;
    const std::int64_t n = c.hiddenSize, attention = c.numAttentionHeads * c.headDim();
    const std::int64_t kv = c.numKeyValueHeads * c.headDim(), inner = c.intermediateSize;
    size.modelType = "llama";
    size.hidden = n;
    size.layers = c.numHiddenLayers;
    size.heads = c.numAttentionHeads;
    size.intermediate = inner;
    size.vocab = c.vocabSize;
    size.keyValueWidth = kv;
    size.layerLinears = {{"q_proj", n, attention},  {"k_proj", n, kv},      {"v_proj", n, kv},
                         {"o_proj", attention, n},  {"gate_proj", n, inner}, {"up_proj", n, inner},
                         {"down_proj", inner, n}};
    size.embeddingParameters = c.vocabSize * n;
    size.layerParameters = linearParameters(size.layerLinears, false) + 2 * n; // and the two RMSNorms
    size.topParameters = n;                                                    // norm
    size.headParameters = causalLm ? (c.tieWordEmbeddings ? 0 : c.vocabSize * n) : c.numLabels() * n;
    size.mlpValuesPerToken = 4 * inner; // gate, its SiLU, up, and their product
    return size;
}

} // namespace

TextModelSize textModelSize(const BertConfig &c)
{
    TextModelSize size;
    const std::int64_t h = c.hiddenSize, inner = c.intermediateSize, labels = c.numLabels();
    size.modelType = c.modelType;
    size.hidden = h;
    size.layers = c.numHiddenLayers;
    size.heads = c.numAttentionHeads;
    size.intermediate = inner;
    size.vocab = c.vocabSize;
    size.keyValueWidth = h;
    size.layerLinears = c.isDistilBert()
        ? std::vector<LinearShape>{{"q_lin", h, h}, {"k_lin", h, h}, {"v_lin", h, h}, {"out_lin", h, h},
                                   {"lin1", h, inner}, {"lin2", inner, h}}
        : std::vector<LinearShape>{{"query", h, h}, {"key", h, h}, {"value", h, h}, {"dense", h, h},
                                   {"dense", h, inner}, {"dense", inner, h}};
    size.embeddingParameters = (c.vocabSize + c.maxPositionEmbeddings + c.typeVocabSize) * h + 2 * h;
    size.layerParameters = linearParameters(size.layerLinears, true) + 2 * 2 * h; // and two LayerNorms
    // BERT's pooler sits before its classifier; RoBERTa's dense and DistilBERT's pre_classifier, of the
    // same shape, are part of the head.
    const std::int64_t dense = h * h + h;
    if (c.modelType == "bert") {
        size.topLinears = {{"dense", h, h}};
        size.topParameters = dense;
        size.headParameters = labels * h + labels;
    } else {
        size.headParameters = dense + labels * h + labels;
    }
    size.mlpValuesPerToken = 2 * inner;
    return size;
}

TextModelSize textModelSize(const nlohmann::json &config, const std::string &source, std::int64_t labels,
                            bool causalLm)
{
    std::vector<std::string> names;
    for (std::int64_t i = 0; i < labels; ++i)
        names.push_back("LABEL_" + std::to_string(i));
    const std::string modelType = config.is_object() ? config.value("model_type", "") : "";
    TextModelSize size;
    if (isGpt2ModelType(modelType)) {
        Gpt2Config gpt2 = Gpt2Config::fromJson(config, source);
        if (labels > 0)
            gpt2.id2label = names;
        size = gpt2Size(gpt2, causalLm);
    } else if (isLlamaModelType(modelType)) {
        LlamaConfig llama = LlamaConfig::fromJson(config, source);
        if (labels > 0)
            llama.id2label = names;
        size = llamaSize(llama, causalLm);
    } else if (causalLm) {
        throw Error(ErrorKind::Incompatible, source + ": model_type '" + modelType
                                                 + "' has no causal language model here (llama and gpt2 have)");
    } else {
        BertConfig bert = BertConfig::fromJson(config, source);
        if (labels > 0)
            bert.setLabels(names);
        size = textModelSize(bert);
    }
    size.causalLm = causalLm;
    return size;
}

} // namespace ft
