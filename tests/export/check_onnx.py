#!/usr/bin/python3
"""check_onnx.py: an independent check of ONNX exports with Python's onnx (Debian's python3-onnx).

Usage: check_onnx.py --opset N NUM_LABELS:MODEL.onnx [NUM_LABELS:MODEL.onnx ...]

For each model: onnx.checker.check_model(full_check=True) and strict shape inference pass; the
graph imports only the default ai.onnx domain at opset N; its inputs are exactly input_ids,
attention_mask and token_type_ids, int64 [batch, sequence] with those dimensions named; its one
output is logits, float32 [batch, NUM_LABELS], and shape inference infers the same; the metadata
names the producer and NUM_LABELS labels. An export whose metadata says it is quantised must use
DynamicQuantizeLinear and MatMulInteger on int8 weights; a float one no integer ops at all.
Prints one JSON line per model; exits 0 when all is well, 1 with the reasons otherwise.
"""
import argparse
import json
import sys

import onnx
from onnx import TensorProto, checker, shape_inference

INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
INTEGER_OPS = {"DynamicQuantizeLinear", "MatMulInteger"}


def dims(value_info):
    """A value's shape as a list of names (dynamic) or sizes (fixed)."""
    return [d.dim_param if d.HasField("dim_param") else d.dim_value
            for d in value_info.type.tensor_type.shape.dim]


def check(path, num_labels, opset):
    problems = []
    model = onnx.load(path)
    checker.check_model(model, full_check=True)
    inferred = shape_inference.infer_shapes(model, check_type=True, strict_mode=True)

    imports = {entry.domain: entry.version for entry in model.opset_import}
    if imports != {"": opset}:
        problems.append(f"opset imports {imports}, expected only ai.onnx {opset}")
    graph = model.graph
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    inputs = [value for value in graph.input if value.name not in initializers]
    if [value.name for value in inputs] != INPUTS:
        problems.append(f"inputs {[value.name for value in inputs]}, expected {INPUTS}")
    for value in inputs:
        if value.type.tensor_type.elem_type != TensorProto.INT64 or dims(value) != ["batch", "sequence"]:
            problems.append(f"input {value.name} is {TensorProto.DataType.Name(value.type.tensor_type.elem_type)} "
                            f"{dims(value)}, expected INT64 ['batch', 'sequence']")
    expected_output = ["batch", num_labels]
    for label, outputs in (("declared", graph.output), ("inferred", inferred.graph.output)):
        if [value.name for value in outputs] != ["logits"]:
            problems.append(f"{label} outputs {[value.name for value in outputs]}, expected ['logits']")
        elif outputs[0].type.tensor_type.elem_type != TensorProto.FLOAT or dims(outputs[0]) != expected_output:
            problems.append(f"{label} logits {dims(outputs[0])}, expected FLOAT {expected_output}")

    metadata = {entry.key: entry.value for entry in model.metadata_props}
    if model.producer_name != "Finetune Studio":
        problems.append(f"producer_name {model.producer_name!r}")
    if len(json.loads(metadata.get("id2label", "{}"))) != num_labels:
        problems.append(f"id2label {metadata.get('id2label')!r} does not hold {num_labels} labels")

    ops = sorted({node.op_type for node in graph.node})
    if any(node.domain not in ("", "ai.onnx") for node in graph.node):
        problems.append("nodes outside the ai.onnx domain")
    quantized = metadata.get("quantization", "none") != "none"
    int8_weights = [name for name, tensor in initializers.items() if tensor.data_type == TensorProto.INT8
                    and len(tensor.dims) == 2]
    if quantized and (not INTEGER_OPS <= set(ops) or not int8_weights):
        problems.append(f"quantised, but ops {ops} and {len(int8_weights)} int8 weight matrices")
    if not quantized and (INTEGER_OPS & set(ops) or int8_weights):
        problems.append(f"float export with integer ops or weights: {ops}")

    print(json.dumps({"model": path, "ok": not problems, "nodes": len(graph.node), "ops": ops,
                      "int8_weights": len(int8_weights), "opset": imports.get("")}))
    return [f"{path}: {problem}" for problem in problems]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opset", type=int, required=True)
    parser.add_argument("models", nargs="+", metavar="NUM_LABELS:MODEL.onnx")
    args = parser.parse_args()
    problems = []
    for argument in args.models:
        labels, _, path = argument.partition(":")
        try:
            problems += check(path, int(labels), args.opset)
        except Exception as error:  # the checker's and shape inference's errors name what is wrong
            problems.append(f"{path}: {type(error).__name__}: {error}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
