#!/usr/bin/python3
"""check_torchscript.py: an independent check of a TorchScript export in Python's torch.

Usage: check_torchscript.py FOLDER

FOLDER holds what the C++ test wrote:
  model.pt            the export (torch.jit.load)
  model.safetensors   the same model's weights under Hugging Face's names (saveBert)
  cases.safetensors   per case NAME: NAME.input_ids, NAME.attention_mask, NAME.token_type_ids
                      (int64 [batch, sequence]) and NAME.logits (float32 [batch, num_labels])

Checks that the module's state_dict holds exactly the safetensors tensors (names, dtypes, values)
and that forward gives the expected logits within 1e-4, called positionally and by keyword as
transformers' callers do. Needs only torch (Debian's python3-torch); safetensors files are read
here, without the safetensors package. Exits 0 when all is well, 1 with the reasons otherwise.
"""
import json
import struct
import sys
from pathlib import Path

import torch

TOLERANCE = 1e-4

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}


def read_safetensors(path):
    """The tensors of a safetensors file: an 8-byte little-endian header length, a JSON header
    (dtype, shape, data_offsets per tensor), then the data."""
    data = path.read_bytes()
    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_length])
    header.pop("__metadata__", None)
    body = data[8 + header_length:]
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        if end > begin:
            # bytearray: frombuffer warns about read-only buffers.
            flat = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype)
        else:
            flat = torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info["shape"])
    return tensors


def check_weights(module, weights, problems):
    state = module.state_dict()
    missing = sorted(set(weights) - set(state))
    unexpected = sorted(set(state) - set(weights))
    if missing:
        problems.append(f"state_dict lacks {len(missing)} checkpoint tensors, e.g. {missing[:3]}")
    if unexpected:
        problems.append(f"state_dict has {len(unexpected)} tensors the checkpoint lacks, e.g. {unexpected[:3]}")
    for name in sorted(set(weights) & set(state)):
        mine, theirs = state[name], weights[name]
        if mine.dtype != torch.float32:
            problems.append(f"{name}: dtype {mine.dtype}, expected torch.float32")
        elif mine.shape != theirs.shape:
            problems.append(f"{name}: shape {list(mine.shape)}, safetensors {list(theirs.shape)}")
        elif not torch.equal(mine, theirs.to(torch.float32)):
            diff = (mine - theirs.to(torch.float32)).abs().max().item()
            problems.append(f"{name}: values differ from safetensors by up to {diff:g}")
    return len(state)


def check_cases(module, cases, problems):
    """Returns the number of cases and the largest logit difference seen."""
    names = sorted({key.rsplit(".", 1)[0] for key in cases})
    worst = 0.0
    for case in names:
        inputs = [cases[f"{case}.{part}"] for part in ("input_ids", "attention_mask", "token_type_ids")]
        expected = cases[f"{case}.logits"]
        with torch.no_grad():
            positional = module(*inputs)
            by_keyword = module(input_ids=inputs[0], attention_mask=inputs[1], token_type_ids=inputs[2])
        for how, logits in (("positional", positional), ("keyword", by_keyword)):
            if not isinstance(logits, torch.Tensor) or logits.dtype != torch.float32:
                problems.append(f"{case} ({how}): forward returned {type(logits).__name__} "
                                f"{getattr(logits, 'dtype', '')}, expected float32 logits")
            elif logits.shape != expected.shape:
                problems.append(f"{case} ({how}): logits shape {list(logits.shape)}, expected {list(expected.shape)}")
            else:
                diff = (logits - expected).abs().max().item()
                worst = max(worst, diff)
                if not diff <= TOLERANCE:
                    problems.append(f"{case} ({how}): logits differ from the C++ model's by {diff:g} "
                                    f"(tolerance {TOLERANCE:g})")
    return len(names), worst


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    folder = Path(argv[1])
    problems = []
    try:
        module = torch.jit.load(str(folder / "model.pt"), map_location="cpu")
        module.eval()
        tensor_count = check_weights(module, read_safetensors(folder / "model.safetensors"), problems)
        case_count, worst = check_cases(module, read_safetensors(folder / "cases.safetensors"), problems)
    except Exception as error:  # anything torch or the files throw is a failed check, with its reason
        problems.append(f"{type(error).__name__}: {error}")
    if problems:
        print(f"check_torchscript: {folder / 'model.pt'} FAILED:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"check_torchscript: ok: torch {torch.__version__}, {tensor_count} tensors equal, "
          f"{case_count} cases within {TOLERANCE:g} (largest difference {worst:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
