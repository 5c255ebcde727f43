"""Numbers-to-files helpers shared by the golden fixture scripts.

Used by tests/vision/make_vision_golden.py and
tests/text_models/make_text_golden.py.  Each script adds this folder to
sys.path from its own location and imports this module.

Everything here writes the same bytes on every run: safetensors and JSON are
written by hand, with sorted keys and no timestamps.

safetensors layout (``safetensors_bytes``)
------------------------------------------
An 8-byte little-endian header length; a compact JSON header with
``__metadata__`` {"format":"pt"} first and then the tensors sorted by name,
each with dtype, shape and data_offsets, padded with spaces to a multiple of
8 bytes; then the raw little-endian data with no gaps.  The data follows the
order the safetensors library uses (and this project's own
``ft::safetensors::write``): descending dtype size, then name.  For all-F32
files that is plain name order.
"""

import hashlib
import json
import os
import struct

import numpy as np

_ST_DTYPES = {np.dtype(np.float32): ("F32", 4), np.dtype(np.int64): ("I64", 8)}


def safetensors_bytes(tensors):
    """tensors: dict name -> np.ndarray (float32 or int64)."""
    entries = []
    for name, array in tensors.items():
        array = np.array(array, order="C", copy=True)  # keeps 0-d shapes (ascontiguousarray would not)
        dtype, size = _ST_DTYPES[array.dtype]
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
        entries.append((name, dtype, size, list(array.shape), data))
    # Data order as the safetensors library writes it: descending dtype size,
    # then name.
    entries.sort(key=lambda e: (-e[2], e[0]))
    offsets, offset = {}, 0
    for name, dtype, size, shape, data in entries:
        offsets[name] = (offset, offset + len(data))
        offset += len(data)
    header = {"__metadata__": {"format": "pt"}}
    for name, dtype, size, shape, data in sorted(entries, key=lambda e: e[0]):
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": list(offsets[name])}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(e[4] for e in entries)


def json_bytes(obj):
    # As HF's to_json_string: indent 2, sorted keys, trailing newline.
    return (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def sig(x):
    """A float rounded to 3 significant digits, for golden.json."""
    return float("%.3g" % x)
