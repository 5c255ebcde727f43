// onnx_ops.cpp: ai.onnx ops as LibTorch calls. Each kernel follows the
// operator's specification rather than torch's nearest op where the two
// differ (Gather's negative indices, Slice's clamping, Reshape's 0,
// DynamicQuantizeLinear's rounding, MatMulInteger's exact integer sums).
#include "export/onnx_ops.h"

#include "common/error.h"
#include "export/onnx_tensor.h"

#include <ATen/Functions.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>

namespace ft {

namespace {

using Tensors = std::vector<at::Tensor>;

const onnx::AttributeProto *findAttribute(const onnx::NodeProto &node, const std::string &name)
{
    for (const onnx::AttributeProto &attribute : node.attribute())
        if (attribute.name() == name)
            return &attribute;
    return nullptr;
}

std::int64_t intAttribute(const onnx::NodeProto &node, const std::string &name, std::int64_t fallback)
{
    const onnx::AttributeProto *attribute = findAttribute(node, name);
    return attribute ? attribute->i() : fallback;
}

float floatAttribute(const onnx::NodeProto &node, const std::string &name, float fallback)
{
    const onnx::AttributeProto *attribute = findAttribute(node, name);
    return attribute ? attribute->f() : fallback;
}

std::optional<std::vector<std::int64_t>> intsAttribute(const onnx::NodeProto &node, const std::string &name)
{
    const onnx::AttributeProto *attribute = findAttribute(node, name);
    if (!attribute)
        return std::nullopt;
    return std::vector<std::int64_t>(attribute->ints().begin(), attribute->ints().end());
}

const at::Tensor &required(const Tensors &inputs, std::size_t index, const char *what)
{
    if (index >= inputs.size() || !inputs[index].defined())
        throw Error(ErrorKind::InvalidInput, std::string("missing input '") + what + "'");
    return inputs[index];
}

const at::Tensor &optional(const Tensors &inputs, std::size_t index)
{
    static const at::Tensor none;
    return index < inputs.size() ? inputs[index] : none;
}

std::vector<std::int64_t> int64Values(const at::Tensor &tensor)
{
    const at::Tensor values = tensor.to(at::kLong).contiguous().reshape(-1);
    return {values.data_ptr<std::int64_t>(), values.data_ptr<std::int64_t>() + values.numel()};
}

// A negative axis counts from the end of `rank` dimensions.
std::int64_t normalizeAxis(std::int64_t axis, std::int64_t rank)
{
    const std::int64_t normalized = axis < 0 ? axis + rank : axis;
    if (normalized < 0 || normalized >= rank)
        throw Error(ErrorKind::InvalidInput, "axis " + std::to_string(axis) + " is out of range for rank " +
                                                 std::to_string(rank));
    return normalized;
}

void requireSameType(const at::Tensor &a, const at::Tensor &b)
{
    if (a.scalar_type() != b.scalar_type())
        throw Error(ErrorKind::InvalidInput, std::string("inputs of different types: ") +
                                                 c10::toString(a.scalar_type()) + " and " +
                                                 c10::toString(b.scalar_type()));
}

template <at::Tensor (*Op)(const at::Tensor &, const at::Tensor &)>
Tensors binary(const onnx::NodeProto &, const Tensors &inputs)
{
    const at::Tensor &a = required(inputs, 0, "A");
    const at::Tensor &b = required(inputs, 1, "B");
    requireSameType(a, b);
    return {Op(a, b)};
}

at::Tensor addOp(const at::Tensor &a, const at::Tensor &b) { return at::add(a, b); }
at::Tensor subOp(const at::Tensor &a, const at::Tensor &b) { return at::sub(a, b); }
at::Tensor mulOp(const at::Tensor &a, const at::Tensor &b) { return at::mul(a, b); }
at::Tensor divOp(const at::Tensor &a, const at::Tensor &b)
{
    // Integer Div truncates, as C does.
    return at::isIntegralType(a.scalar_type(), false) ? at::div(a, b, "trunc") : at::div(a, b);
}
at::Tensor matMulOp(const at::Tensor &a, const at::Tensor &b) { return at::matmul(a, b); }
at::Tensor equalOp(const at::Tensor &a, const at::Tensor &b) { return at::eq(a, b); }

template <at::Tensor (*Op)(const at::Tensor &)>
Tensors unary(const onnx::NodeProto &, const Tensors &inputs)
{
    return {Op(required(inputs, 0, "X"))};
}

Tensors power(const onnx::NodeProto &, const Tensors &inputs)
{
    const at::Tensor &x = required(inputs, 0, "X");
    const at::Tensor &y = required(inputs, 1, "Y");
    // A single exponent goes through torch's scalar pow, which computes x^2 and x^3 as products, as
    // ONNX Runtime does and as HF's pow(x, 3.0) did in the model; std::pow differs by an ulp, enough
    // to move a value across a rounding boundary of a following DynamicQuantizeLinear.
    const at::Tensor z = y.numel() == 1 ? at::pow(x, y.item()) : at::pow(x, y);
    return {z.to(x.scalar_type())}; // Y may have another type; Z has X's
}

// out.shape = data.shape[:axis] + indices.shape + data.shape[axis + 1:]; indices may be negative.
Tensors gather(const onnx::NodeProto &node, const Tensors &inputs)
{
    const at::Tensor &data = required(inputs, 0, "data");
    const std::int64_t axis = normalizeAxis(intAttribute(node, "axis", 0), data.dim());
    const std::int64_t size = data.size(axis);
    at::Tensor indices = required(inputs, 1, "indices").to(at::kLong);
    indices = at::where(indices < 0, indices + size, indices);
    if (indices.numel() > 0 && (indices.min().item<std::int64_t>() < 0 || indices.max().item<std::int64_t>() >= size))
        throw Error(ErrorKind::InvalidInput, "Gather index out of range for a dimension of " + std::to_string(size));
    std::vector<std::int64_t> shape(data.sizes().begin(), data.sizes().begin() + axis);
    shape.insert(shape.end(), indices.sizes().begin(), indices.sizes().end());
    shape.insert(shape.end(), data.sizes().begin() + axis + 1, data.sizes().end());
    return {data.index_select(axis, indices.reshape(-1)).reshape(shape)};
}

Tensors shape(const onnx::NodeProto &node, const Tensors &inputs)
{
    const at::Tensor &data = required(inputs, 0, "data");
    const std::int64_t rank = data.dim();
    const auto clampToRank = [rank](std::int64_t i) { return std::clamp(i < 0 ? i + rank : i, std::int64_t(0), rank); };
    const std::int64_t start = clampToRank(intAttribute(node, "start", 0));
    const std::int64_t end = clampToRank(intAttribute(node, "end", rank));
    const std::vector<std::int64_t> sizes(data.sizes().begin() + start, data.sizes().begin() + std::max(start, end));
    return {at::tensor(sizes, at::kLong)};
}

// starts/ends clamped per axis as the specification says, for positive and negative steps.
Tensors slice(const onnx::NodeProto &, const Tensors &inputs)
{
    at::Tensor data = required(inputs, 0, "data");
    const std::vector<std::int64_t> starts = int64Values(required(inputs, 1, "starts"));
    const std::vector<std::int64_t> ends = int64Values(required(inputs, 2, "ends"));
    std::vector<std::int64_t> axes, steps;
    if (optional(inputs, 3).defined())
        axes = int64Values(inputs[3]);
    else
        for (std::size_t i = 0; i < starts.size(); ++i)
            axes.push_back(std::int64_t(i));
    steps = optional(inputs, 4).defined() ? int64Values(inputs[4]) : std::vector<std::int64_t>(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
        throw Error(ErrorKind::InvalidInput, "Slice's starts, ends, axes and steps differ in length");
    for (std::size_t i = 0; i < starts.size(); ++i) {
        const std::int64_t axis = normalizeAxis(axes[i], data.dim());
        const std::int64_t dim = data.size(axis);
        const std::int64_t step = steps[i];
        if (step == 0)
            throw Error(ErrorKind::InvalidInput, "Slice step 0");
        std::int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
        std::int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
        if (step > 0) {
            start = std::clamp(start, std::int64_t(0), dim);
            end = std::clamp(end, std::int64_t(0), dim);
            data = data.slice(axis, start, std::max(start, end), step);
        } else {
            start = std::clamp(start, std::int64_t(0), dim - 1);
            end = std::clamp(end, std::int64_t(-1), dim - 1);
            const at::Tensor index = start > end ? at::arange(start, end, step, at::kLong) : at::empty({0}, at::kLong);
            data = data.index_select(axis, index);
        }
    }
    return {data};
}

// Opset 13+: axes is an input, counted in the output's rank.
Tensors unsqueeze(const onnx::NodeProto &, const Tensors &inputs)
{
    at::Tensor data = required(inputs, 0, "data");
    std::vector<std::int64_t> axes = int64Values(required(inputs, 1, "axes"));
    const std::int64_t rank = data.dim() + std::int64_t(axes.size());
    for (std::int64_t &axis : axes)
        axis = normalizeAxis(axis, rank);
    std::sort(axes.begin(), axes.end());
    if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
        throw Error(ErrorKind::InvalidInput, "Unsqueeze names an axis twice");
    for (const std::int64_t axis : axes)
        data = data.unsqueeze(axis);
    return {data};
}

// 0 copies the input's dimension (unless allowzero), -1 is inferred.
Tensors reshape(const onnx::NodeProto &node, const Tensors &inputs)
{
    const at::Tensor &data = required(inputs, 0, "data");
    std::vector<std::int64_t> shape = int64Values(required(inputs, 1, "shape"));
    if (intAttribute(node, "allowzero", 0) == 0) {
        for (std::size_t i = 0; i < shape.size(); ++i) {
            if (shape[i] == 0) {
                if (std::int64_t(i) >= data.dim())
                    throw Error(ErrorKind::InvalidInput, "Reshape copies a dimension the input does not have");
                shape[i] = data.size(std::int64_t(i));
            }
        }
    }
    return {data.reshape(shape)};
}

Tensors transpose(const onnx::NodeProto &node, const Tensors &inputs)
{
    const at::Tensor &data = required(inputs, 0, "data");
    std::vector<std::int64_t> perm;
    if (const auto given = intsAttribute(node, "perm"))
        perm = *given;
    else
        for (std::int64_t i = data.dim() - 1; i >= 0; --i)
            perm.push_back(i);
    return {data.permute(perm)};
}

// The axes an attribute (up to opset 17) or the second input (opset 18) names; keepdims by default.
Tensors reduceMean(const onnx::NodeProto &node, const Tensors &inputs)
{
    const at::Tensor &data = required(inputs, 0, "data");
    std::vector<std::int64_t> axes;
    if (const at::Tensor &given = optional(inputs, 1); given.defined())
        axes = int64Values(given);
    else if (const auto attribute = intsAttribute(node, "axes"))
        axes = *attribute;
    if (axes.empty())
        for (std::int64_t i = 0; i < data.dim(); ++i)
            axes.push_back(i);
    for (std::int64_t &axis : axes)
        axis = normalizeAxis(axis, data.dim());
    return {at::mean(data, axes, intAttribute(node, "keepdims", 1) != 0)};
}

// Opset 13+: along one axis (earlier opsets flattened to 2-D first).
Tensors softmax(const onnx::NodeProto &node, const Tensors &inputs)
{
    const at::Tensor &x = required(inputs, 0, "input");
    return {at::softmax(x, normalizeAxis(intAttribute(node, "axis", -1), x.dim()))};
}

// Normalises over X.shape[axis:]; Scale and B broadcast to that shape. Optional outputs Mean and
// InvStdDev keep the reduced dimensions as 1.
Tensors layerNormalization(const onnx::NodeProto &node, const Tensors &inputs)
{
    const at::Tensor &x = required(inputs, 0, "X");
    const std::int64_t axis = normalizeAxis(intAttribute(node, "axis", -1), x.dim());
    const double epsilon = floatAttribute(node, "epsilon", 1e-5f);
    const std::vector<std::int64_t> normalized(x.sizes().begin() + axis, x.sizes().end());
    const at::Tensor scale = required(inputs, 1, "Scale").expand(normalized).contiguous();
    const at::Tensor bias =
        optional(inputs, 2).defined() ? inputs[2].expand(normalized).contiguous() : at::Tensor();
    Tensors outputs{at::layer_norm(x, normalized, scale, bias, epsilon)};
    if (node.output_size() > 1) {
        std::vector<std::int64_t> dims;
        for (std::int64_t d = axis; d < x.dim(); ++d)
            dims.push_back(d);
        const at::Tensor mean = x.mean(dims, /*keepdim=*/true);
        const at::Tensor variance = (x - mean).pow(2).mean(dims, /*keepdim=*/true);
        outputs.push_back(mean);
        outputs.push_back(at::rsqrt(variance + epsilon));
    }
    return outputs;
}

// Along `axis`, every input the same rank.
Tensors concat(const onnx::NodeProto &node, const Tensors &inputs)
{
    const at::Tensor &first = required(inputs, 0, "inputs");
    return {at::cat(inputs, normalizeAxis(intAttribute(node, "axis", 0), first.dim()))};
}

// Numpy's bidirectional broadcast of the input and `shape`.
Tensors expand(const onnx::NodeProto &, const Tensors &inputs)
{
    const at::Tensor &data = required(inputs, 0, "input");
    const std::vector<std::int64_t> shape = int64Values(required(inputs, 1, "shape"));
    const std::size_t rank = std::max<std::size_t>(shape.size(), std::size_t(data.dim()));
    std::vector<std::int64_t> out(rank, 1);
    for (std::size_t i = 0; i < rank; ++i) {
        const std::int64_t a = i + data.dim() >= rank ? data.size(std::int64_t(i + data.dim() - rank)) : 1;
        const std::int64_t b = i + shape.size() >= rank ? shape[i + shape.size() - rank] : 1;
        if (a != b && a != 1 && b != 1)
            throw Error(ErrorKind::InvalidInput, "Expand cannot broadcast the input to the shape");
        out[i] = a == 1 ? b : a;
    }
    return {data.expand(out).contiguous()};
}

// The spatial attributes of Conv and MaxPool (2-D): strides, dilations and
// pads, asymmetric pads applied first as explicit padding with `padValue`.
struct Window {
    std::vector<std::int64_t> strides{1, 1}, dilations{1, 1}, pads{0, 0};
    at::Tensor input;
};

Window window(const onnx::NodeProto &node, const at::Tensor &x, double padValue)
{
    if (x.dim() != 4)
        throw Error(ErrorKind::Incompatible, "only 2-D " + node.op_type() + " is implemented");
    Window w;
    w.input = x;
    if (const auto strides = intsAttribute(node, "strides"))
        w.strides = *strides;
    if (const auto dilations = intsAttribute(node, "dilations"))
        w.dilations = *dilations;
    if (const auto autoPad = findAttribute(node, "auto_pad"); autoPad && autoPad->s() != "NOTSET")
        throw Error(ErrorKind::Incompatible, "auto_pad " + autoPad->s() + " is not implemented");
    if (const auto pads = intsAttribute(node, "pads")) {
        const std::vector<std::int64_t> &p = *pads; // top, left, bottom, right
        if (p.size() != 4)
            throw Error(ErrorKind::InvalidInput, "pads must have 4 values for a 2-D window");
        if (p[0] == p[2] && p[1] == p[3])
            w.pads = {p[0], p[1]};
        else
            w.input = at::constant_pad_nd(x, {p[1], p[3], p[0], p[2]}, padValue);
    }
    return w;
}

Tensors conv(const onnx::NodeProto &node, const Tensors &inputs)
{
    const Window w = window(node, required(inputs, 0, "X"), 0.0);
    return {at::conv2d(w.input, required(inputs, 1, "W"), optional(inputs, 2), w.strides, w.pads, w.dilations,
                       intAttribute(node, "group", 1))};
}

// Inference form: the running mean and variance given as inputs.
Tensors batchNormalization(const onnx::NodeProto &node, const Tensors &inputs)
{
    if (intAttribute(node, "training_mode", 0) != 0)
        throw Error(ErrorKind::Incompatible, "BatchNormalization in training mode is not implemented");
    return {at::batch_norm(required(inputs, 0, "X"), required(inputs, 1, "scale"), required(inputs, 2, "B"),
                           required(inputs, 3, "input_mean"), required(inputs, 4, "input_var"), false, 0.0,
                           floatAttribute(node, "epsilon", 1e-5f), false)};
}

Tensors maxPool(const onnx::NodeProto &node, const Tensors &inputs)
{
    const Window w = window(node, required(inputs, 0, "X"), -std::numeric_limits<double>::infinity());
    const auto kernel = intsAttribute(node, "kernel_shape");
    if (!kernel)
        throw Error(ErrorKind::InvalidInput, "MaxPool needs kernel_shape");
    if (node.output_size() > 1)
        throw Error(ErrorKind::Incompatible, "MaxPool's Indices output is not implemented");
    return {at::max_pool2d(w.input, *kernel, w.strides, w.pads, w.dilations, intAttribute(node, "ceil_mode", 0) != 0)};
}

Tensors globalAveragePool(const onnx::NodeProto &, const Tensors &inputs)
{
    const at::Tensor &x = required(inputs, 0, "X");
    std::vector<std::int64_t> spatial;
    for (std::int64_t d = 2; d < x.dim(); ++d)
        spatial.push_back(d);
    return {x.mean(spatial, /*keepdim=*/true)};
}

// [d0 * ... * d(axis-1), d(axis) * ... * dn].
Tensors flatten(const onnx::NodeProto &node, const Tensors &inputs)
{
    const at::Tensor &x = required(inputs, 0, "input");
    const std::int64_t axis = intAttribute(node, "axis", 1) < 0 ? intAttribute(node, "axis", 1) + x.dim()
                                                                 : intAttribute(node, "axis", 1);
    if (axis < 0 || axis > x.dim())
        throw Error(ErrorKind::InvalidInput, "Flatten's axis is out of range");
    std::int64_t outer = 1;
    for (std::int64_t d = 0; d < axis; ++d)
        outer *= x.size(d);
    return {x.reshape({outer, outer == 0 ? 0 : x.numel() / std::max<std::int64_t>(outer, 1)})};
}

// Y = alpha * A' B' + beta * C.
Tensors gemm(const onnx::NodeProto &node, const Tensors &inputs)
{
    at::Tensor a = required(inputs, 0, "A");
    at::Tensor b = required(inputs, 1, "B");
    if (intAttribute(node, "transA", 0) != 0)
        a = a.t();
    if (intAttribute(node, "transB", 0) != 0)
        b = b.t();
    const double alpha = floatAttribute(node, "alpha", 1.0f);
    const double beta = floatAttribute(node, "beta", 1.0f);
    const at::Tensor &c = optional(inputs, 2);
    if (c.defined())
        return {at::addmm(c, a, b, beta, alpha)};
    return {at::mm(a, b) * alpha};
}

// The axis of a node for a tensor of `rank` dimensions (negative counts from the end).
std::int64_t axisOf(std::int64_t axis, std::int64_t rank)
{
    if (axis < -rank || axis >= std::max<std::int64_t>(rank, 1))
        throw Error(ErrorKind::InvalidInput, "axis " + std::to_string(axis) + " is out of range for rank "
                                                 + std::to_string(rank));
    return axis < 0 ? axis + rank : axis;
}

// Inclusive, forward sums only (exclusive and reverse are refused): what the exports write.
Tensors cumSum(const onnx::NodeProto &node, const Tensors &inputs)
{
    if (intAttribute(node, "exclusive", 0) != 0 || intAttribute(node, "reverse", 0) != 0)
        throw Error(ErrorKind::Incompatible, "CumSum with exclusive or reverse is not implemented");
    const at::Tensor &x = required(inputs, 0, "x");
    const std::int64_t axis = axisOf(required(inputs, 1, "axis").item<std::int64_t>(), x.dim());
    return {at::cumsum(x, axis).to(x.scalar_type())};
}

// The first index of the largest value (select_last_index 0), int64.
Tensors argMax(const onnx::NodeProto &node, const Tensors &inputs)
{
    if (intAttribute(node, "select_last_index", 0) != 0)
        throw Error(ErrorKind::Incompatible, "ArgMax with select_last_index is not implemented");
    const at::Tensor &x = required(inputs, 0, "data");
    const std::int64_t axis = axisOf(intAttribute(node, "axis", 0), x.dim());
    return {at::argmax(x, axis, intAttribute(node, "keepdims", 1) != 0)};
}

Tensors gatherElements(const onnx::NodeProto &node, const Tensors &inputs)
{
    const at::Tensor &data = required(inputs, 0, "data");
    at::Tensor indices = required(inputs, 1, "indices").to(at::kLong);
    const std::int64_t axis = axisOf(intAttribute(node, "axis", 0), data.dim());
    indices = at::where(indices < 0, indices + data.size(axis), indices); // negative indices count from the end
    return {at::gather(data, axis, indices)};
}

Tensors cast(const onnx::NodeProto &node, const Tensors &inputs)
{
    const std::int64_t to = intAttribute(node, "to", 0);
    return {required(inputs, 0, "input").to(scalarTypeOfOnnx(int(to), "Cast's 'to'"))};
}

// uint8 with a per-tensor scale and zero point over [min(0, x), max(0, x)]:
// zero point saturate(round(0 - min / scale)), y = saturate(round(x / scale) + zero point),
// rounding half to even (torch's round does too). An all-zero x gets scale 1/255, as onnx's
// reference implementation gives it, instead of a division by zero.
Tensors dynamicQuantizeLinear(const onnx::NodeProto &, const Tensors &inputs)
{
    const at::Tensor x = required(inputs, 0, "x").to(at::kFloat);
    const at::Tensor zero = at::zeros({}, at::kFloat);
    const at::Tensor low = x.numel() > 0 ? at::minimum(x.min(), zero) : zero;
    const at::Tensor high = x.numel() > 0 ? at::maximum(x.max(), zero) : zero;
    at::Tensor range = high - low;
    range = at::where(range == 0, at::ones_like(range), range);
    const at::Tensor scale = range / 255.0f;
    const at::Tensor zeroPoint = at::round(at::clamp(0.0f - low / scale, 0, 255));
    const at::Tensor y = at::clamp(at::round(x / scale) + zeroPoint, 0, 255);
    return {y.to(at::kByte), scale, zeroPoint.to(at::kByte)};
}

// (A - a_zero_point) x (B - b_zero_point) in int32. Zero points are per tensor, per row of A
// ([M] or [..., M, 1]) or per column of B ([N] or [..., 1, N]). Summed in double: every product
// and partial sum is an integer below 2^53, so BLAS gives the exact result.
Tensors matMulInteger(const onnx::NodeProto &, const Tensors &inputs)
{
    at::Tensor a = required(inputs, 0, "A").to(at::kDouble);
    at::Tensor b = required(inputs, 1, "B").to(at::kDouble);
    if (const at::Tensor &zero = optional(inputs, 2); zero.defined())
        a = a - (zero.dim() == 1 && zero.numel() > 1 ? zero.unsqueeze(-1) : zero).to(at::kDouble);
    if (const at::Tensor &zero = optional(inputs, 3); zero.defined())
        b = b - zero.to(at::kDouble);
    return {at::matmul(a, b).round().to(at::kLong).to(at::kInt)};
}

const std::map<std::string, OnnxKernel> &kernels()
{
    static const std::map<std::string, OnnxKernel> table{
        {"Add", binary<addOp>},
        {"ArgMax", argMax},
        {"BatchNormalization", batchNormalization},
        {"Cast", cast},
        {"Concat", concat},
        {"CumSum", cumSum},
        {"Conv", conv},
        {"Div", binary<divOp>},
        {"Equal", binary<equalOp>},
        {"DynamicQuantizeLinear", dynamicQuantizeLinear},
        {"Erf", unary<at::erf>},
        {"Expand", expand},
        {"Flatten", flatten},
        {"Gather", gather},
        {"GatherElements", gatherElements},
        {"Gemm", gemm},
        {"GlobalAveragePool", globalAveragePool},
        {"LayerNormalization", layerNormalization},
        {"MatMul", binary<matMulOp>},
        {"MatMulInteger", matMulInteger},
        {"MaxPool", maxPool},
        {"Mul", binary<mulOp>},
        {"Neg", unary<at::neg>},
        {"Not", unary<at::logical_not>},
        {"Pow", power},
        {"ReduceMean", reduceMean},
        {"Relu", unary<at::relu>},
        {"Reshape", reshape},
        {"Sigmoid", unary<at::sigmoid>},
        {"Sqrt", unary<at::sqrt>},
        {"Shape", shape},
        {"Slice", slice},
        {"Softmax", softmax},
        {"Sub", binary<subOp>},
        {"Tanh", unary<at::tanh>},
        {"Transpose", transpose},
        {"Unsqueeze", unsqueeze},
    };
    return table;
}

} // namespace

OnnxKernel findOnnxKernel(const std::string &opType)
{
    const auto found = kernels().find(opType);
    return found == kernels().end() ? nullptr : found->second;
}

} // namespace ft
