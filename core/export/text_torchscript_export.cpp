// text_torchscript_export.cpp: each family's forward, op for op as
// distilbert_model.cpp, roberta_model.cpp (BERT's encoder), gpt2_model.cpp and
// llama_model.cpp compute it in eval mode.
#include "export/text_torchscript_export.h"

#include "common/error.h"
#include "export/script_tree.h"
#include "export/torchscript_export.h"
#include "models/lora.h"

#include <cmath>
#include <limits>

namespace ft {

namespace {

std::string distilBertForward(const BertConfig &c)
{
    const std::string hidden = std::to_string(c.hiddenSize);
    const std::string heads = "[batch, length, " + std::to_string(c.numAttentionHeads) + ", " + std::to_string(c.headDim()) + "]";
    const std::string maxPositions = std::to_string(c.maxPositionEmbeddings);
    const double eps = c.layerNormEps;
    std::string s =
        "def forward(self, input_ids: Tensor, attention_mask: Tensor, token_type_ids: Tensor) -> Tensor:\n"
        "    if input_ids.dim() != 2:\n"
        "        raise Exception(\"input_ids must be [batch, sequence]\")\n"
        "    batch = input_ids.size(0)\n"
        "    length = input_ids.size(1)\n"
        "    if length > " + maxPositions + ":\n"
        "        raise Exception(\"sequence length exceeds max_position_embeddings (" + maxPositions + ")\")\n"
        "    positions = torch.arange(length, device=input_ids.device)\n"
        "    x = torch.embedding(" + scriptPath("distilbert.embeddings.word_embeddings.weight") + ", input_ids) + "
        "torch.embedding(" + scriptPath("distilbert.embeddings.position_embeddings.weight") + ", positions)\n"
        "    x = " + scriptLayerNorm("x", "distilbert.embeddings.LayerNorm", c.hiddenSize, eps) + "\n"
        "    masked = attention_mask.eq(0).view([batch, 1, 1, length])\n";
    for (std::int64_t i = 0; i < c.numHiddenLayers; ++i) {
        const std::string l = "distilbert.transformer.layer." + std::to_string(i);
        const std::string a = l + ".attention";
        s += "    query = " + scriptLinear("x", a + ".q_lin") + ".view(" + heads + ").transpose(1, 2) / "
             + scriptFloat(std::sqrt(double(c.headDim()))) + "\n"
             "    key = " + scriptLinear("x", a + ".k_lin") + ".view(" + heads + ").transpose(1, 2)\n"
             "    value = " + scriptLinear("x", a + ".v_lin") + ".view(" + heads + ").transpose(1, 2)\n"
             "    scores = torch.matmul(query, key.transpose(-1, -2)).masked_fill(masked, "
             + scriptFloat(std::numeric_limits<float>::lowest()) + ")\n"
             "    context = torch.matmul(torch.softmax(scores, -1), value).transpose(1, 2).reshape([batch, length, "
             + hidden + "])\n"
             "    x = " + scriptLayerNorm(scriptLinear("context", a + ".out_lin") + " + x", l + ".sa_layer_norm",
                                         c.hiddenSize, eps) + "\n"
             "    h = " + scriptLinear("x", l + ".ffn.lin1") + "\n"
             "    h = " + scriptActivation(c.hiddenAct, "h") + "\n"
             "    x = " + scriptLayerNorm(scriptLinear("h", l + ".ffn.lin2") + " + x", l + ".output_layer_norm",
                                         c.hiddenSize, eps) + "\n";
    }
    s += "    pooled = torch.relu(" + scriptLinear("x.select(1, 0)", "pre_classifier") + ")\n"
         "    return " + scriptLinear("pooled", "classifier") + "\n";
    return s;
}

// The signature's checks and sizes, shared by the forwards.
std::string header(std::int64_t maxLength)
{
    const std::string limit = std::to_string(maxLength);
    return "def forward(self, input_ids: Tensor, attention_mask: Tensor, token_type_ids: Tensor) -> Tensor:\n"
           "    if input_ids.dim() != 2:\n"
           "        raise Exception(\"input_ids must be [batch, sequence]\")\n"
           "    batch = input_ids.size(0)\n"
           "    length = input_ids.size(1)\n"
           "    if length > " + limit + ":\n"
           "        raise Exception(\"sequence length exceeds the " + limit + " positions of the model\")\n";
}

std::string robertaForward(const BertConfig &c)
{
    const std::string hidden = std::to_string(c.hiddenSize), pad = std::to_string(*c.padTokenId);
    const std::string heads = "[batch, length, " + std::to_string(c.numAttentionHeads) + ", " + std::to_string(c.headDim()) + "]";
    const double eps = c.layerNormEps;
    std::string s = header(c.maxSequenceLength()) +
        "    real = input_ids.ne(" + pad + ").long()\n"
        "    positions = torch.cumsum(real, 1) * real + " + pad + "\n"
        "    x = torch.embedding(" + scriptPath("roberta.embeddings.word_embeddings.weight") + ", input_ids) + "
        "torch.embedding(" + scriptPath("roberta.embeddings.token_type_embeddings.weight") + ", token_type_ids)\n"
        "    x = x + torch.embedding(" + scriptPath("roberta.embeddings.position_embeddings.weight") + ", positions)\n"
        "    x = " + scriptLayerNorm("x", "roberta.embeddings.LayerNorm", c.hiddenSize, eps) + "\n"
        "    mask = torch.rsub(attention_mask.unsqueeze(1).unsqueeze(2).to(x.dtype), 1.0) * "
        + scriptFloat(std::numeric_limits<float>::lowest()) + "\n";
    for (std::int64_t i = 0; i < c.numHiddenLayers; ++i) {
        const std::string l = "roberta.encoder.layer." + std::to_string(i);
        const std::string a = l + ".attention.self";
        s += "    query = " + scriptLinear("x", a + ".query") + ".view(" + heads + ").transpose(1, 2)\n"
             "    key = " + scriptLinear("x", a + ".key") + ".view(" + heads + ").transpose(1, 2)\n"
             "    value = " + scriptLinear("x", a + ".value") + ".view(" + heads + ").transpose(1, 2)\n"
             "    scores = torch.matmul(query, key.transpose(-1, -2)) / " + scriptFloat(std::sqrt(double(c.headDim())))
             + " + mask\n"
             "    context = torch.matmul(torch.softmax(scores, -1), value).transpose(1, 2).reshape([batch, length, "
             + hidden + "])\n"
             "    x = " + scriptLayerNorm(scriptLinear("context", l + ".attention.output.dense") + " + x",
                                         l + ".attention.output.LayerNorm", c.hiddenSize, eps) + "\n"
             "    h = " + scriptLinear("x", l + ".intermediate.dense") + "\n"
             "    h = " + scriptActivation(c.hiddenAct, "h") + "\n"
             "    x = " + scriptLayerNorm(scriptLinear("h", l + ".output.dense") + " + x", l + ".output.LayerNorm",
                                         c.hiddenSize, eps) + "\n";
    }
    s += "    pooled = torch.tanh(" + scriptLinear("x.select(1, 0)", "classifier.dense") + ")\n"
         "    return " + scriptLinear("pooled", "classifier.out_proj") + "\n";
    return s;
}

// x @ weight + bias: transformers' Conv1D, weights stored [in, out].
std::string conv1d(const std::string &x, const std::string &m)
{
    return "(torch.matmul(" + x + ", " + scriptPath(m + ".weight") + ") + " + scriptPath(m + ".bias") + ")";
}

std::string gpt2Forward(const Gpt2Config &c)
{
    const std::string n = std::to_string(c.nEmbd);
    const std::string heads = "[batch, length, " + std::to_string(c.nHead) + ", " + std::to_string(c.headDim()) + "]";
    const double eps = c.layerNormEpsilon;
    std::string s = header(c.nPositions) +
        "    positions = torch.arange(length, device=input_ids.device)\n"
        "    x = torch.embedding(" + scriptPath("transformer.wte.weight") + ", input_ids) + torch.embedding("
        + scriptPath("transformer.wpe.weight") + ", positions)\n"
        "    allowed = torch.ones([length, length], device=input_ids.device).tril().ne(0).view([1, 1, length, length])\n"
        "    blocked = allowed.logical_and(attention_mask.ne(0).view([batch, 1, 1, length])).logical_not()\n";
    for (std::int64_t i = 0; i < c.nLayer; ++i) {
        const std::string b = "transformer.h." + std::to_string(i);
        s += "    qkv = " + conv1d(scriptLayerNorm("x", b + ".ln_1", c.nEmbd, eps), b + ".attn.c_attn") + ".split(" + n
             + ", -1)\n"
             "    query = qkv[0].view(" + heads + ").transpose(1, 2)\n"
             "    key = qkv[1].view(" + heads + ").transpose(1, 2)\n"
             "    value = qkv[2].view(" + heads + ").transpose(1, 2)\n"
             "    scores = torch.matmul(query, key.transpose(-1, -2)) / " + scriptFloat(std::sqrt(double(c.headDim())))
             + "\n"
             "    scores = scores.masked_fill(blocked, " + scriptFloat(std::numeric_limits<float>::lowest()) + ")\n"
             "    context = torch.matmul(torch.softmax(scores, -1), value).transpose(1, 2).reshape([batch, length, " + n
             + "])\n"
             "    x = x + " + conv1d("context", b + ".attn.c_proj") + "\n"
             "    h = " + conv1d(scriptLayerNorm("x", b + ".ln_2", c.nEmbd, eps), b + ".mlp.c_fc") + "\n"
             "    h = " + scriptActivation(c.activation, "h") + "\n"
             "    x = x + " + conv1d("h", b + ".mlp.c_proj") + "\n";
    }
    s += "    x = " + scriptLayerNorm("x", "transformer.ln_f", c.nEmbd, eps) + "\n"
         "    last = (torch.arange(length, device=input_ids.device) * input_ids.ne(" + std::to_string(*c.padTokenId)
         + ").long()).argmax(-1)\n"
         "    pooled = x.gather(1, last.view([batch, 1, 1]).expand([batch, 1, " + n + "])).squeeze(1)\n"
         "    return " + scriptLinear("pooled", "score", false) + "\n";
    return s;
}

// LlamaRMSNorm: x * rsqrt(mean(x^2) + eps), times the weight.
std::string rmsNorm(const std::string &x, const std::string &m, double eps)
{
    return scriptPath(m + ".weight") + " * (" + x + " * torch.rsqrt(" + x + ".pow(2).mean(-1, keepdim=True) + "
           + scriptFloat(eps) + "))";
}

std::string llamaForward(const LlamaConfig &c)
{
    const std::int64_t headDim = c.headDim(), half = headDim / 2;
    const std::int64_t groups = c.numAttentionHeads / c.numKeyValueHeads;
    const std::string heads = std::to_string(c.numAttentionHeads), kvHeads = std::to_string(c.numKeyValueHeads);
    const std::string d = std::to_string(headDim);
    const auto split = [&](const std::string &count) { return "[batch, length, " + count + ", " + d + "]"; };
    // HF's rotate_half on the two halves of each head, then the rotation by each position's angles.
    const auto rotate = [&](const std::string &t) {
        return t + " * cos + torch.cat([" + t + ".narrow(-1, " + std::to_string(half) + ", " + std::to_string(half)
               + ").neg(), " + t + ".narrow(-1, 0, " + std::to_string(half) + ")], -1) * sin";
    };
    // repeat_kv: query head j reads key/value head j / groups.
    const auto repeat = [&](const std::string &t) {
        return groups == 1 ? t
                           : t + ".unsqueeze(2).expand([batch, " + kvHeads + ", " + std::to_string(groups) + ", length, "
                                 + d + "]).reshape([batch, " + heads + ", length, " + d + "])";
    };
    std::string s = header(c.maxPositionEmbeddings) +
        "    positions = torch.arange(length, device=input_ids.device).float()\n"
        "    inv_freq = torch.reciprocal(torch.pow(" + scriptFloat(c.ropeTheta) + ", torch.arange(0, " + d
        + ", 2, device=input_ids.device).float() / " + scriptFloat(double(headDim)) + "))\n"
        "    freqs = positions.unsqueeze(1) * inv_freq.unsqueeze(0)\n"
        "    angles = torch.cat([freqs, freqs], -1).view([1, 1, length, " + d + "])\n"
        "    cos = angles.cos()\n"
        "    sin = angles.sin()\n"
        "    x = torch.embedding(" + scriptPath("model.embed_tokens.weight") + ", input_ids)\n"
        "    allowed = torch.ones([length, length], device=input_ids.device).tril().ne(0).view([1, 1, length, length])\n"
        "    blocked = allowed.logical_and(attention_mask.ne(0).view([batch, 1, 1, length])).logical_not()\n";
    for (std::int64_t i = 0; i < c.numHiddenLayers; ++i) {
        const std::string l = "model.layers." + std::to_string(i);
        const std::string a = l + ".self_attn";
        s += "    h = " + rmsNorm("x", l + ".input_layernorm", c.rmsNormEps) + "\n"
             "    query = " + scriptLinear("h", a + ".q_proj", false) + ".view(" + split(heads) + ").transpose(1, 2)\n"
             "    key = " + scriptLinear("h", a + ".k_proj", false) + ".view(" + split(kvHeads) + ").transpose(1, 2)\n"
             "    value = " + scriptLinear("h", a + ".v_proj", false) + ".view(" + split(kvHeads) + ").transpose(1, 2)\n"
             "    query = " + rotate("query") + "\n"
             "    key = " + rotate("key") + "\n"
             "    scores = torch.matmul(query, " + repeat("key") + ".transpose(2, 3)) / "
             + scriptFloat(std::sqrt(double(headDim))) + "\n"
             "    scores = scores.masked_fill(blocked, " + scriptFloat(std::numeric_limits<float>::lowest()) + ")\n"
             "    context = torch.matmul(torch.softmax(scores, -1), " + repeat("value")
             + ").transpose(1, 2).reshape([batch, length, " + std::to_string(c.numAttentionHeads * headDim) + "])\n"
             "    x = x + " + scriptLinear("context", a + ".o_proj", false) + "\n"
             "    h = " + rmsNorm("x", l + ".post_attention_layernorm", c.rmsNormEps) + "\n"
             "    h = torch.silu(" + scriptLinear("h", l + ".mlp.gate_proj", false) + ") * "
             + scriptLinear("h", l + ".mlp.up_proj", false) + "\n"
             "    x = x + " + scriptLinear("h", l + ".mlp.down_proj", false) + "\n";
    }
    s += "    x = " + rmsNorm("x", "model.norm", c.rmsNormEps) + "\n"
         "    last = (torch.arange(length, device=input_ids.device) * input_ids.ne(" + std::to_string(*c.padTokenId)
         + ").long()).argmax(-1)\n"
         "    pooled = x.gather(1, last.view([batch, 1, 1]).expand([batch, 1, " + std::to_string(c.hiddenSize)
         + "])).squeeze(1)\n"
         "    return " + scriptLinear("pooled", "score", false) + "\n";
    return s;
}

void refuseLora(const torch::nn::Module &model, const std::filesystem::path &file)
{
    if (hasLora(model))
        throw Error(ErrorKind::InvalidInput, "cannot export a model with LoRA branches to TorchScript (" +
                                                 file.string() + "): merge the adapter into the weights first");
}

} // namespace

void writeRobertaTorchScript(const RobertaForSequenceClassificationImpl &model, const std::filesystem::path &file)
{
    refuseLora(model, file);
    writeScriptTree(model, model.architecture(), robertaForward(model.config()), file);
}

void writeGpt2TorchScript(const Gpt2ForSequenceClassificationImpl &model, const std::filesystem::path &file)
{
    refuseLora(model, file);
    writeScriptTree(model, "GPT2ForSequenceClassification", gpt2Forward(model.config()), file);
}

void writeLlamaTorchScript(const LlamaForSequenceClassificationImpl &model, const std::filesystem::path &file)
{
    refuseLora(model, file);
    writeScriptTree(model, "LlamaForSequenceClassification", llamaForward(model.config()), file);
}

void writeDistilBertTorchScript(const DistilBertForSequenceClassificationImpl &model, const std::filesystem::path &file)
{
    refuseLora(model, file);
    writeScriptTree(model, "DistilBertForSequenceClassification", distilBertForward(model.config()), file);
}

} // namespace ft
