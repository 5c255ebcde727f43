"""bench_forward.py: the Python half of run_forward_bench.sh.

The same forward pass as bench_forward.cpp (a bert-base-shaped sequence
classifier with random HF-style weights, eval mode, no grad, same batch,
length and threads), computed by the team's reference implementation
../shared/reference/bert_reference.py on Debian's python3-torch.
Prints sequences/s; the last line is JSON.
"""

import argparse
import json
import os
import sys
import time

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--shared", required=True, help="the team's shared folder (holds reference/bert_reference.py)")
ap.add_argument("--threads", type=int, default=0, help="torch and OpenBLAS threads (0: leave as they are)")
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--length", type=int, default=128)
ap.add_argument("--warmup", type=int, default=1)
ap.add_argument("--iters", type=int, default=3)
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()

if args.threads:
    # OpenBLAS reads its thread count when it loads: set it before torch does.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)

import torch  # noqa: E402

sys.path.insert(0, os.path.join(args.shared, "reference"))
import bert_reference as br  # noqa: E402

if args.threads:
    torch.set_num_threads(args.threads)

# BertConfig's defaults are bert-base (768 hidden, 12 layers, 12 heads, 3072, vocab 30522).
cfg = br.BertConfig({"id2label": {"0": "LABEL_0", "1": "LABEL_1"}})
weights = br.init_weights(cfg, seed=args.seed)
model = br.BertForSequenceClassificationRef(cfg, weights).eval()

g = torch.Generator().manual_seed(args.seed)
ids = torch.randint(1, cfg.vocab_size, (args.batch, args.length), generator=g)
mask = torch.ones_like(ids)
types = torch.zeros_like(ids)

with torch.no_grad():
    for _ in range(args.warmup):
        model(ids, mask, types)
    start = time.perf_counter()
    checksum = 0.0
    for _ in range(args.iters):
        checksum += float(model(ids, mask, types)[0].sum())
    seconds = time.perf_counter() - start

rate = args.batch * args.iters / seconds
print(f"python (bert_reference.py): {rate:.2f} sequences/s, {seconds / args.iters:.3f} s per pass "
      f"(batch {args.batch}, length {args.length}, {args.iters} passes, {torch.get_num_threads()} threads, "
      f"checksum {checksum:.4f})")
print(json.dumps({"sequences_per_s": round(rate, 4), "seconds_per_pass": round(seconds / args.iters, 4),
                  "threads": torch.get_num_threads()}))
