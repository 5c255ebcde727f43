// torchscript_export.cpp: builds the TorchScript module of a BERT classifier in C++: HF's module
// tree with float32 copies of the weights, and forward methods defined from TorchScript source that
// follows bert_model.cpp operation for operation (so the logits agree to float rounding), then saves
// it through AtomicFile.
#include "export/torchscript_export.h"

#include "common/error.h"
#include "models/atomic_file.h"
#include "models/lora.h"

#include <ATen/core/grad_mode.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/csrc/jit/frontend/sugared_value.h>
#include <torch/csrc/jit/serialization/import.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <ostream>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

namespace ft {

namespace {

namespace fs = std::filesystem;
using torch::jit::Module;

// Class names in the saved code (code/__torch__/finetune_studio.py inside the .pt).
constexpr std::string_view kTypePrefix = "__torch__.finetune_studio.";

// `value` as a TorchScript float literal that parses back to the same double ("1" would be an int).
std::string floatLiteral(double value)
{
    char text[40];
    std::snprintf(text, sizeof text, "%.17g", value);
    std::string literal = text;
    if (literal.find_first_of(".e") == std::string::npos)
        literal += ".0";
    return literal;
}

// Replaces each "{key}" in `text`.
std::string substitute(std::string text, const std::map<std::string, std::string> &values)
{
    for (const auto &[key, value] : values) {
        const std::string placeholder = "{" + key + "}";
        for (std::size_t at = text.find(placeholder); at != std::string::npos;
             at = text.find(placeholder, at + value.size()))
            text.replace(at, placeholder.size(), value);
    }
    return text;
}

// The forward method of each kind of module, leaves first: a method can only call the methods of
// kinds defined before it.
std::vector<std::pair<std::string, std::string>> forwardSources(const BertConfig &config)
{
    const std::map<std::string, std::string> values = {
        {"hidden", std::to_string(config.hiddenSize)},
        {"eps", floatLiteral(config.layerNormEps)},
        {"max_positions", std::to_string(config.maxPositionEmbeddings)},
        {"heads", std::to_string(config.numAttentionHeads)},
        {"head_dim", std::to_string(config.headDim())},
        {"all_head", std::to_string(config.numAttentionHeads * config.headDim())},
        {"sqrt_head_dim", floatLiteral(std::sqrt(double(config.headDim())))},
        {"activation", scriptActivation(config.hiddenAct, "x")},
        // extendedAttentionMask's lowest value per dtype; prim::dtype is a ScalarType number.
        {"lowest_float", floatLiteral(std::numeric_limits<float>::lowest())},
        {"double", std::to_string(int(at::kDouble))},
        {"lowest_double", floatLiteral(std::numeric_limits<double>::lowest())},
        {"half", std::to_string(int(at::kHalf))},
        {"lowest_half", floatLiteral(double(std::numeric_limits<c10::Half>::lowest()))},
        {"bfloat16", std::to_string(int(at::kBFloat16))},
        {"lowest_bfloat16", floatLiteral(double(std::numeric_limits<c10::BFloat16>::lowest()))},
    };
    const std::string residualOutput = R"ts(
def forward(self, hidden: Tensor, residual: Tensor) -> Tensor:
    return self.LayerNorm.forward(self.dense.forward(hidden) + residual)
)ts";
    // The layers are attributes "0", "1", ... of encoder.layer, as in HF's ModuleList; getattr
    // reaches names that are not identifiers.
    std::string encoder = "\ndef forward(self, hidden: Tensor, mask: Tensor) -> Tensor:\n";
    for (std::int64_t i = 0; i < config.numHiddenLayers; ++i)
        encoder += "    hidden = getattr(self.layer, \"" + std::to_string(i) + "\").forward(hidden, mask)\n";
    encoder += "    return hidden\n";

    std::vector<std::pair<std::string, std::string>> sources = {
        {"Linear", R"ts(
def forward(self, x: Tensor) -> Tensor:
    return torch.linear(x, self.weight, self.bias)
)ts"},
        {"Embedding", R"ts(
def forward(self, ids: Tensor) -> Tensor:
    return torch.embedding(self.weight, ids)
)ts"},
        {"LayerNorm", R"ts(
def forward(self, x: Tensor) -> Tensor:
    return torch.layer_norm(x, [{hidden}], self.weight, self.bias, {eps})
)ts"},
        {"BertEmbeddings", R"ts(
def forward(self, input_ids: Tensor, token_type_ids: Tensor) -> Tensor:
    length = input_ids.size(1)
    if length > {max_positions}:
        raise Exception("sequence length exceeds max_position_embeddings ({max_positions})")
    positions = torch.arange(length, device=input_ids.device)
    embeddings = self.word_embeddings.forward(input_ids) + self.token_type_embeddings.forward(token_type_ids)
    embeddings = embeddings + self.position_embeddings.forward(positions)
    return self.LayerNorm.forward(embeddings)
)ts"},
        {"BertSelfAttention", R"ts(
def forward(self, hidden: Tensor, mask: Tensor) -> Tensor:
    batch = hidden.size(0)
    length = hidden.size(1)
    query = self.query.forward(hidden).view([batch, length, {heads}, {head_dim}]).transpose(1, 2)
    key = self.key.forward(hidden).view([batch, length, {heads}, {head_dim}]).transpose(1, 2)
    value = self.value.forward(hidden).view([batch, length, {heads}, {head_dim}]).transpose(1, 2)
    scores = torch.matmul(query, key.transpose(-1, -2)) / {sqrt_head_dim}
    scores = scores + mask
    probs = torch.softmax(scores, -1)
    return torch.matmul(probs, value).transpose(1, 2).reshape([batch, length, {all_head}])
)ts"},
        {"BertSelfOutput", residualOutput},
        {"BertAttention", R"ts(
def forward(self, hidden: Tensor, mask: Tensor) -> Tensor:
    return self.output.forward(self.self.forward(hidden, mask), hidden)
)ts"},
        {"BertIntermediate", R"ts(
def forward(self, hidden: Tensor) -> Tensor:
    x = self.dense.forward(hidden)
    return {activation}
)ts"},
        {"BertOutput", residualOutput},
        {"BertLayer", R"ts(
def forward(self, hidden: Tensor, mask: Tensor) -> Tensor:
    attended = self.attention.forward(hidden, mask)
    return self.output.forward(self.intermediate.forward(attended), attended)
)ts"},
        {"BertEncoder", encoder},
        {"BertPooler", R"ts(
def forward(self, hidden: Tensor) -> Tensor:
    return torch.tanh(self.dense.forward(hidden.select(1, 0)))
)ts"},
        {"BertModel", R"ts(
def forward(self, input_ids: Tensor, attention_mask: Tensor, token_type_ids: Tensor) -> Tuple[Tensor, Tensor]:
    if input_ids.dim() != 2:
        raise Exception("input_ids must be [batch, sequence]")
    embedded = self.embeddings.forward(input_ids, token_type_ids)
    # HF's extended attention mask: 0 where attended, the dtype's lowest value where masked.
    dtype = embedded.dtype
    lowest = {lowest_float}
    if dtype == {double}:
        lowest = {lowest_double}
    elif dtype == {half}:
        lowest = {lowest_half}
    elif dtype == {bfloat16}:
        lowest = {lowest_bfloat16}
    mask = torch.rsub(attention_mask.unsqueeze(1).unsqueeze(2).to(dtype), 1.0) * lowest
    hidden = self.encoder.forward(embedded, mask)
    return hidden, self.pooler.forward(hidden)
)ts"},
        {"BertForSequenceClassification", R"ts(
def forward(self, input_ids: Tensor, attention_mask: Tensor, token_type_ids: Tensor) -> Tensor:
    pooled = self.bert.forward(input_ids, attention_mask, token_type_ids)[1]
    return self.classifier.forward(pooled)
)ts"},
    };
    for (auto &[kind, source] : sources)
        source = substitute(std::move(source), values);
    return sources;
}

// The native resolver knows torch's operators and Python's builtins but not its exception
// classes; the forwards raise Exception for inputs they cannot take.
class ScriptResolver : public torch::jit::Resolver {
public:
    std::shared_ptr<torch::jit::SugaredValue> resolveValue(const std::string &name, torch::jit::GraphFunction &function,
                                                           const torch::jit::SourceRange &location) override
    {
        if (name == "Exception")
            return std::make_shared<torch::jit::ExceptionValue>(name);
        return mNative->resolveValue(name, function, location);
    }

private:
    std::shared_ptr<torch::jit::NativeResolver> mNative = torch::jit::nativeResolver();
};

} // namespace

std::shared_ptr<torch::jit::Resolver> scriptResolver()
{
    return std::make_shared<ScriptResolver>();
}

std::string scriptFloat(double value)
{
    return floatLiteral(value);
}

std::string scriptActivation(HiddenAct act, const std::string &x)
{
    switch (act) {
    case HiddenAct::Gelu:
        return "torch.gelu(" + x + ")";
    case HiddenAct::GeluNew:
        return x + " * 0.5 * (torch.tanh((" + x + " + torch.pow(" + x + ", 3.0) * 0.044715) * "
               + floatLiteral(std::sqrt(2.0 / M_PI)) + ") + 1.0)";
    case HiddenAct::GeluPytorchTanh:
        return "torch.gelu(" + x + ", approximate=\"tanh\")";
    case HiddenAct::Relu:
        return "torch.relu(" + x + ")";
    }
    throw Error(ErrorKind::Internal, "no TorchScript for hidden_act " + std::string(hiddenActName(act)));
}

namespace {

// Builds the module tree under HF's names. Modules of one kind share one class type, as
// torch.jit.script shares them, so each forward is compiled once however many layers there are.
class ScriptBuilder {
public:
    explicit ScriptBuilder(const BertForSequenceClassificationImpl &model) : mConfig(model.config())
    {
        for (const auto &item : model.named_parameters())
            mWeights.emplace(item.key(), item.value());
    }

    Module build()
    {
        Module root = makeModule("BertForSequenceClassification");
        root.register_module("bert", bertModel("bert."));
        root.register_module("classifier", linear("classifier."));
        if (!mWeights.empty())
            throw Error(ErrorKind::Internal,
                        "the TorchScript export has no place for the model's '" + mWeights.begin()->first + "'");
        const auto resolver = scriptResolver();
        for (const auto &[kind, source] : forwardSources(mConfig))
            if (const auto instance = mFirstOfKind.find(kind); instance != mFirstOfKind.end())
                instance->second.define(source, resolver); // a model without layers has no BertLayer
        return root;
    }

private:
    Module makeModule(const std::string &kind)
    {
        const auto first = mFirstOfKind.find(kind);
        Module module = first == mFirstOfKind.end()
                            ? Module(c10::QualifiedName(std::string(kTypePrefix) + kind), mUnit)
                            : Module(mUnit, first->second.type());
        if (first == mFirstOfKind.end())
            mFirstOfKind.emplace(kind, module);
        // Module::train() and Python's ScriptModule expect it on every module; exported in eval mode.
        module.register_attribute("training", c10::BoolType::get(), false);
        return module;
    }

    // A float32 CPU copy of the model's parameter `name`, taken off the list of those still to place.
    void addParameter(Module &module, const std::string &prefix, const std::string &name)
    {
        const auto found = mWeights.find(prefix + name);
        if (found == mWeights.end())
            throw Error(ErrorKind::Internal, "the model has no parameter '" + prefix + name + "' to export");
        at::Tensor weight = found->second.detach().to(at::kCPU, at::kFloat, /*non_blocking=*/false, /*copy=*/true);
        mWeights.erase(found);
        module.register_parameter(name, weight.contiguous(), /*is_buffer=*/false);
    }

    Module leaf(const std::string &kind, const std::string &prefix, std::initializer_list<const char *> names)
    {
        Module module = makeModule(kind);
        for (const char *name : names)
            addParameter(module, prefix, name);
        return module;
    }

    Module linear(const std::string &prefix) { return leaf("Linear", prefix, {"weight", "bias"}); }
    Module embedding(const std::string &prefix) { return leaf("Embedding", prefix, {"weight"}); }
    Module layerNorm(const std::string &prefix) { return leaf("LayerNorm", prefix, {"weight", "bias"}); }

    // dense + LayerNorm: HF's BertSelfOutput and BertOutput.
    Module residualOutput(const std::string &kind, const std::string &prefix)
    {
        Module output = makeModule(kind);
        output.register_module("dense", linear(prefix + "dense."));
        output.register_module("LayerNorm", layerNorm(prefix + "LayerNorm."));
        return output;
    }

    Module bertLayer(const std::string &prefix)
    {
        Module self = makeModule("BertSelfAttention");
        for (const char *name : {"query", "key", "value"})
            self.register_module(name, linear(prefix + "attention.self." + name + "."));
        Module attention = makeModule("BertAttention");
        attention.register_module("self", self);
        attention.register_module("output", residualOutput("BertSelfOutput", prefix + "attention.output."));
        Module intermediate = makeModule("BertIntermediate");
        intermediate.register_module("dense", linear(prefix + "intermediate.dense."));

        Module layer = makeModule("BertLayer");
        layer.register_module("attention", attention);
        layer.register_module("intermediate", intermediate);
        layer.register_module("output", residualOutput("BertOutput", prefix + "output."));
        return layer;
    }

    Module bertModel(const std::string &prefix)
    {
        Module embeddings = makeModule("BertEmbeddings");
        for (const char *name : {"word_embeddings", "position_embeddings", "token_type_embeddings"})
            embeddings.register_module(name, embedding(prefix + "embeddings." + name + "."));
        embeddings.register_module("LayerNorm", layerNorm(prefix + "embeddings.LayerNorm."));

        Module layers = makeModule("ModuleList");
        for (std::int64_t i = 0; i < mConfig.numHiddenLayers; ++i)
            layers.register_module(std::to_string(i),
                                   bertLayer(prefix + "encoder.layer." + std::to_string(i) + "."));
        Module encoder = makeModule("BertEncoder");
        encoder.register_module("layer", layers);

        Module pooler = makeModule("BertPooler");
        pooler.register_module("dense", linear(prefix + "pooler.dense."));

        Module bert = makeModule("BertModel");
        bert.register_module("embeddings", embeddings);
        bert.register_module("encoder", encoder);
        bert.register_module("pooler", pooler);
        return bert;
    }

    const BertConfig &mConfig;
    std::shared_ptr<torch::jit::CompilationUnit> mUnit = std::make_shared<torch::jit::CompilationUnit>();
    std::map<std::string, Module> mFirstOfKind; // by kind: its class type, and an instance to define methods on
    std::map<std::string, at::Tensor> mWeights; // the model's parameters not yet placed, by HF name
};

// Hands the serialiser's bytes straight to the temporary file, so a large model is never held twice
// in memory. A failed write (a full disk) is remembered, and the serialiser is told every byte was
// written: LibTorch's zip writer would throw at once, then throw again from its destructor, which
// ends the process (1.13). The failure is reported once the serialiser is done.
class AtomicFileBuffer : public std::streambuf {
public:
    explicit AtomicFileBuffer(AtomicFile &file) : mFile(file) {}
    const std::string &failure() const { return mFailure; }

protected:
    std::streamsize xsputn(const char *data, std::streamsize size) override
    {
        if (!mFailure.empty())
            return size;
        try {
            mFile.write(data, std::size_t(size));
        } catch (const std::exception &e) {
            mFailure = e.what();
        }
        return size;
    }

    int_type overflow(int_type byte) override
    {
        if (traits_type::eq_int_type(byte, traits_type::eof()))
            return traits_type::not_eof(byte);
        const char value = traits_type::to_char_type(byte);
        return xsputn(&value, 1) == 1 ? byte : traits_type::eof();
    }

private:
    AtomicFile &mFile;
    std::string mFailure;
};

} // namespace

std::string reasonOf(const std::exception &error)
{
    if (const auto *torchError = dynamic_cast<const c10::Error *>(&error))
        return torchError->what_without_backtrace();
    return error.what();
}

void saveScriptModule(const Module &module, const fs::path &file)
{
    AtomicFile output(file); // throws Io naming the file when the folder is missing or read-only
    AtomicFileBuffer buffer(output);
    std::ostream stream(&buffer);
    try {
        module.save(stream);
    } catch (const std::exception &e) {
        if (buffer.failure().empty())
            throw Error(ErrorKind::Io, "cannot write " + file.string() + ": " + reasonOf(e));
    }
    if (!buffer.failure().empty() || !stream)
        throw Error(ErrorKind::Io, buffer.failure().empty() ? "cannot write " + file.string() : buffer.failure());
    output.commit();
}

void writeTorchScript(const BertForSequenceClassificationImpl &model, const fs::path &file)
{
    if (hasLora(model))
        throw Error(ErrorKind::InvalidInput, "cannot export a model with LoRA branches to TorchScript (" +
                                                 file.string() + "): merge the adapter into the weights first");
    Module module = [&] {
        try {
            return ScriptBuilder(model).build();
        } catch (const Error &) {
            throw;
        } catch (const std::exception &e) {
            throw Error(ErrorKind::Internal, "cannot build the TorchScript module for " + file.string() + ": " +
                                                 reasonOf(e));
        }
    }();
    saveScriptModule(module, file);
}

TorchScriptClassifier::TorchScriptClassifier(const fs::path &file) : mFile(file)
{
    std::error_code error;
    if (!fs::exists(file, error))
        throw Error(ErrorKind::NotFound, "no TorchScript model at " + file.string());
    try {
        mModule = torch::jit::load(file.string(), c10::Device(c10::kCPU));
        mModule.eval();
    } catch (const std::exception &e) {
        throw Error(ErrorKind::InvalidInput, "cannot load TorchScript model " + file.string() + ": " + reasonOf(e));
    }
    if (!mModule.find_method("forward"))
        throw Error(ErrorKind::InvalidInput, "TorchScript model " + file.string() + " has no forward method");
}

at::Tensor TorchScriptClassifier::logits(const at::Tensor &inputIds, const at::Tensor &attentionMask,
                                         const at::Tensor &tokenTypeIds)
{
    return forward({inputIds, attentionMask, tokenTypeIds});
}

at::Tensor TorchScriptClassifier::logits(const at::Tensor &pixelValues)
{
    return forward({pixelValues});
}

at::Tensor TorchScriptClassifier::forward(std::vector<c10::IValue> inputs)
{
    at::NoGradGuard noGrad;
    c10::IValue output;
    try {
        output = mModule.forward(std::move(inputs));
    } catch (const std::exception &e) {
        throw Error(ErrorKind::InvalidInput, "TorchScript model " + mFile.string() + " failed: " + reasonOf(e));
    }
    if (!output.isTensor())
        throw Error(ErrorKind::InvalidInput, "TorchScript model " + mFile.string() + " returned " +
                                                 output.tagKind() + ", not a logits tensor");
    return output.toTensor();
}

} // namespace ft
