#!/usr/bin/env python3
"""Trains with the shared peer (/work/shared/bench/peer_train.py) and evaluates the trained model on a dev file.

peer_train.py trains and prints a throughput summary but never evaluates, and its model is local to its
main(). This wrapper runs the peer's own code unchanged: it loads peer_train.py from /work/shared at run
time (nothing is copied into this repository), records the model main() builds (by wrapping
bert_reference.BertForSequenceClassificationRef, which peer_train looks up at call time), lets main() train
exactly as it does in the benchmark, then evaluates that model in eval mode (no dropout) on --dev.

Everything after `--` goes to peer_train.py unchanged (--data, --tokenizer, --config, --steps, --lr, ...).
Dev examples are tokenized like the peer tokenizes --data (BertTokenizerRef from --tokenizer, truncated to
--max-length) and evaluated in batches of --eval-batch-size, each padded to its longest example (padding
does not change the logits: padded positions are masked out).

The last stdout line is JSON: peer_train.py's summary plus dev_accuracy, dev_loss, dev_examples,
train_seconds (main()'s wall time: tokenization of --data, init and all steps) and eval_seconds.

usage: /usr/bin/python3 peer_accuracy.py --dev DEV.tsv [--eval-batch-size 64] -- PEER_TRAIN_ARGS...
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import os
import sys
import time
from contextlib import redirect_stdout

SHARED = os.environ.get("FT_SHARED", "/work/shared")
PEER = os.path.join(SHARED, "bench", "peer_train.py")
REFERENCE = os.path.join(SHARED, "reference")


def split_argv(argv):
    if "--" not in argv:
        raise SystemExit("usage: peer_accuracy.py --dev DEV.tsv [--eval-batch-size N] -- PEER_TRAIN_ARGS...")
    i = argv.index("--")
    return argv[:i], argv[i + 1:]


def read_rows(path):
    """The peer's own reading of a data file (file_examples in peer_train.py): text and integer label."""
    delim = "\t" if path.endswith((".tsv", ".txt")) else ","
    with open(path, "r", encoding="utf-8", newline="") as f:
        rows = [r for r in csv.reader(f, delimiter=delim) if r]
    header = [c.strip().lower() for c in rows[0]]
    ti = next((header.index(k) for k in ("text", "sentence", "review") if k in header), None)
    li = header.index("label") if "label" in header else None
    if ti is not None and li is not None:
        rows = rows[1:]
    else:
        ti, li = 0, len(rows[0]) - 1
    return [(r[ti], int(r[li].strip())) for r in rows]


def main():
    own_argv, peer_argv = split_argv(sys.argv[1:])
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", required=True, help="TSV/CSV with text and integer labels (same layout as --data)")
    ap.add_argument("--eval-batch-size", type=int, default=64)
    own = ap.parse_args(own_argv)

    # bert_reference first, so the peer imports this very module object and our wrapper is what it calls.
    sys.path.insert(0, REFERENCE)
    import bert_reference as br  # noqa: E402

    captured = []
    original = br.BertForSequenceClassificationRef

    class Recording(original):  # type: ignore[misc, valid-type]
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            captured.append(self)

    br.BertForSequenceClassificationRef = Recording

    # peer_train parses sys.argv (and sets the thread variables) when it is imported.
    sys.argv = [PEER] + peer_argv
    spec = importlib.util.spec_from_file_location("peer_train", PEER)
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)
    import torch  # noqa: E402  (after the peer set the thread variables)

    out = io.StringIO()
    t0 = time.perf_counter()
    with redirect_stdout(out):
        peer.main(peer.ARGS)
    train_seconds = time.perf_counter() - t0
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    if len(captured) != 1:
        raise SystemExit(f"expected the peer to build one model, saw {len(captured)}")
    model = captured[0]
    args = peer.ARGS

    folder = args.tokenizer or args.model
    tok = br.BertTokenizerRef.from_folder(folder)
    rows = read_rows(own.dev)
    enc = [(tok.encode(text, max_length=args.max_length), y) for text, y in rows]
    cfg = model.cfg if hasattr(model, "cfg") else peer.load_config(args)
    pad_id = cfg.pad_token_id if cfg.pad_token_id is not None else 0

    t1 = time.perf_counter()
    model.eval()
    correct, loss_sum = 0, 0.0
    with torch.no_grad():
        for s in range(0, len(enc), own.eval_batch_size):
            chunk = enc[s: s + own.eval_batch_size]
            batch = [(e.input_ids, e.token_type_ids, y) for e, y in chunk]
            ids, am, tt, y = peer.collate(batch, pad_id, None)
            logits = model(ids, am, tt)[0]
            loss_sum += float(torch.nn.functional.cross_entropy(logits, y, reduction="sum"))
            correct += int((logits.argmax(-1) == y).sum())
    eval_seconds = time.perf_counter() - t1

    summary.update({
        "dev_accuracy": round(correct / len(enc), 6),
        "dev_loss": round(loss_sum / len(enc), 6),
        "dev_examples": len(enc),
        "train_seconds": round(train_seconds, 1),
        "eval_seconds": round(eval_seconds, 1),
        "seed": args.seed,
    })
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
