// distilbert_torchscript_export.cpp: the forward, op for op as
// distilbert_model.cpp computes it in eval mode.
#include "export/distilbert_torchscript_export.h"

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

} // namespace

void writeDistilBertTorchScript(const DistilBertForSequenceClassificationImpl &model, const std::filesystem::path &file)
{
    if (hasLora(model))
        throw Error(ErrorKind::InvalidInput, "cannot export a model with LoRA branches to TorchScript (" +
                                                 file.string() + "): merge the adapter into the weights first");
    writeScriptTree(model, "DistilBertForSequenceClassification", distilBertForward(model.config()), file);
}

} // namespace ft
