#!/usr/bin/python3
"""make_pickle_seeds.py: writes the seed corpus of fuzz_state_dict_pickle (corpus/state_dict_pickle/):
the data.pkl of small state dicts saved with torch.save (Debian's python3-torch), each exercising
something the reader must handle: dtypes, shared storages, strided and empty views, parameters,
nested-free OrderedDicts with _metadata. Run from anywhere; rewrites the folder's *.pkl files."""
import collections
import io
import zipfile
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parent / "corpus" / "state_dict_pickle"


def data_pkl(state):
    buffer = io.BytesIO()
    torch.save(state, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        return archive.read(next(n for n in archive.namelist() if n.endswith("/data.pkl")))


def main():
    torch.manual_seed(0)
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    module = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LayerNorm(3))
    seeds = {
        "linear_layernorm": module.state_dict(),  # OrderedDict with _metadata (BUILD)
        "dtypes": collections.OrderedDict(
            (str(t), torch.ones(2, 2, dtype=t)) for t in (torch.float16, torch.bfloat16, torch.float64,
                                                          torch.int64, torch.int32, torch.int16, torch.int8,
                                                          torch.uint8, torch.bool)),
        "shared_views": {"whole": base, "row": base[1], "column": base[:, 2], "transposed": base.t()},
        "empty_and_scalar": {"empty": torch.zeros(0, 4), "scalar": torch.tensor(3.5)},
        "parameter": {"weight": torch.nn.Parameter(torch.ones(2, 3))},
        "position_ids": {"bert.embeddings.position_ids": torch.arange(16).expand(1, -1)},
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.pkl"):
        old.unlink()
    for name, state in seeds.items():
        (OUT / f"{name}.pkl").write_bytes(data_pkl(state))
    print(f"{len(seeds)} seeds in {OUT}")


if __name__ == "__main__":
    main()
