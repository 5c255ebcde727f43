// vision_torchscript_export.cpp: the module tree copied, then one forward
// written out for the config, op for op as vit_model.cpp and resnet_model.cpp
// compute it.
#include "export/vision_torchscript_export.h"

#include "common/error.h"
#include "export/script_tree.h"
#include "export/torchscript_export.h"
#include "models/lora.h"

#include <cmath>
#include <string>

namespace fs = std::filesystem;

namespace ft {

namespace {

constexpr double kBatchNormEps = 1e-5; // HF's ResNet: nn.BatchNorm2d's default

std::string vitForward(const VitConfig &c)
{
    const std::string size = std::to_string(c.imageSize), hidden = std::to_string(c.hiddenSize);
    const std::int64_t headDim = c.hiddenSize / c.numAttentionHeads;
    const std::string heads = "[batch, length, " + std::to_string(c.numAttentionHeads) + ", " + std::to_string(headDim) + "]";
    const std::string projection = "vit.embeddings.patch_embeddings.projection";
    std::string s = "def forward(self, pixel_values: Tensor) -> Tensor:\n"
                    "    if pixel_values.dim() != 4 or pixel_values.size(2) != " + size + " or pixel_values.size(3) != "
                    + size + ":\n"
                    "        raise Exception(\"ViT expects pixel values [batch, 3, " + size + ", " + size + "]\")\n"
                    "    x = torch.conv2d(pixel_values, " + scriptPath(projection + ".weight") + ", " + scriptPath(projection + ".bias")
                    + ", [" + std::to_string(c.patchSize) + ", " + std::to_string(c.patchSize) + "])\n"
                    "    x = x.flatten(2).transpose(1, 2)\n"
                    "    batch = x.size(0)\n"
                    "    x = torch.cat([" + scriptPath("vit.embeddings.cls_token") + ".expand([batch, -1, -1]), x], 1) + "
                    + scriptPath("vit.embeddings.position_embeddings") + "\n"
                    "    length = x.size(1)\n";
    for (std::int64_t i = 0; i < c.numHiddenLayers; ++i) {
        const std::string l = "vit.encoder.layer." + std::to_string(i);
        const std::string a = l + ".attention.attention";
        s += "    h = " + scriptLayerNorm("x", l + ".layernorm_before", c.hiddenSize, c.layerNormEps) + "\n";
        for (const char *name : {"query", "key", "value"})
            s += std::string("    ") + name + " = " + scriptLinear("h", a + "." + name, c.qkvBias) + ".view(" + heads
                 + ").transpose(1, 2)\n";
        s += "    scores = torch.matmul(query, key.transpose(-1, -2)) / " + scriptFloat(std::sqrt(double(headDim))) + "\n"
             "    context = torch.matmul(torch.softmax(scores, -1), value).transpose(1, 2).contiguous().view([batch, "
             "length, " + hidden + "])\n"
             "    x = " + scriptLinear("context", l + ".attention.output.dense") + " + x\n"
             "    h = " + scriptLinear(scriptLayerNorm("x", l + ".layernorm_after", c.hiddenSize, c.layerNormEps), l + ".intermediate.dense")
             + "\n"
             "    h = " + (c.geluTanh ? "torch.gelu(h, approximate=\"tanh\")" : "torch.gelu(h)") + "\n"
             "    x = " + scriptLinear("h", l + ".output.dense") + " + x\n";
    }
    s += "    x = " + scriptLayerNorm("x", "vit.layernorm", c.hiddenSize, c.layerNormEps) + "\n"
         "    return " + scriptLinear("x.select(1, 0)", "classifier") + "\n";
    return s;
}

// convolution (no bias), batch norm with the running statistics, ReLU unless `relu` is false.
std::string convLayer(const std::string &x, const std::string &m, std::int64_t kernel, std::int64_t stride, bool relu)
{
    const std::string pad = std::to_string(kernel / 2), step = std::to_string(stride);
    const std::string n = m + ".normalization";
    const std::string conv = "torch.conv2d(" + x + ", " + scriptPath(m + ".convolution.weight") + ", None, [" + step + ", "
                             + step + "], [" + pad + ", " + pad + "])";
    const std::string normed = "torch.batch_norm(" + conv + ", " + scriptPath(n + ".weight") + ", " + scriptPath(n + ".bias") + ", "
                               + scriptPath(n + ".running_mean") + ", " + scriptPath(n + ".running_var") + ", False, 0.1, "
                               + scriptFloat(kBatchNormEps) + ", False)";
    return relu ? "torch.relu(" + normed + ")" : normed;
}

std::string resNetForward(const ResNetConfig &c)
{
    std::string s = "def forward(self, pixel_values: Tensor) -> Tensor:\n"
                    "    if pixel_values.dim() != 4 or pixel_values.size(1) != " + std::to_string(c.numChannels) + ":\n"
                    "        raise Exception(\"ResNet expects pixel values [batch, " + std::to_string(c.numChannels)
                    + ", height, width]\")\n"
                    "    x = " + convLayer("pixel_values", "resnet.embedder.embedder", 7, 2, true) + "\n"
                    "    x = torch.max_pool2d(x, [3, 3], [2, 2], [1, 1])\n";
    std::int64_t in = c.embeddingSize;
    for (std::size_t stage = 0; stage < c.hiddenSizes.size(); ++stage) {
        const std::int64_t out = c.hiddenSizes[stage];
        const std::int64_t stageStride = stage == 0 && !c.downsampleInFirstStage ? 1 : 2;
        for (std::int64_t layer = 0; layer < c.depths[stage]; ++layer) {
            const std::string m = "resnet.encoder.stages." + std::to_string(stage) + ".layers." + std::to_string(layer);
            const std::int64_t stride = layer == 0 ? stageStride : 1;
            const std::int64_t width = layer == 0 ? in : out;
            if (c.bottleneck) {
                const bool first = c.downsampleInBottleneck;
                s += "    y = " + convLayer("x", m + ".layer.0", 1, first ? stride : 1, true) + "\n"
                     "    y = " + convLayer("y", m + ".layer.1", 3, first ? 1 : stride, true) + "\n"
                     "    y = " + convLayer("y", m + ".layer.2", 1, 1, false) + "\n";
            } else {
                s += "    y = " + convLayer("x", m + ".layer.0", 3, stride, true) + "\n"
                     "    y = " + convLayer("y", m + ".layer.1", 3, 1, false) + "\n";
            }
            const bool projected = width != out || stride != 1;
            s += "    x = torch.relu(y + " + (projected ? convLayer("x", m + ".shortcut", 1, stride, false) : "x") + ")\n";
        }
        in = out;
    }
    s += "    x = torch.adaptive_avg_pool2d(x, [1, 1]).flatten(1)\n"
         "    return " + scriptLinear("x", "classifier.1") + "\n";
    return s;
}

} // namespace

void writeVitTorchScript(const VitForImageClassificationImpl &model, const fs::path &file)
{
    if (hasLora(model))
        throw Error(ErrorKind::InvalidInput, "cannot export a model with LoRA branches to TorchScript (" +
                                                 file.string() + "): merge the adapter into the weights first");
    writeScriptTree(model, "ViTForImageClassification", vitForward(model.config()), file);
}

void writeResNetTorchScript(const ResNetForImageClassificationImpl &model, const fs::path &file)
{
    writeScriptTree(model, "ResNetForImageClassification", resNetForward(model.config()), file);
}

} // namespace ft
