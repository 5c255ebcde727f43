#!/usr/bin/env bash
# run_forward_bench.sh: bert-base forward throughput (batch 32 x 128 tokens,
# eval, no grad), ours (bench_forward, LibTorch C++) against the Python
# reference model on the same LibTorch, same threads; prints both and the ratio.
#
#   tests/bench/run_forward_bench.sh [--threads N] [--iters N] [--warmup N] [--build DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
threads=2
iters=3
warmup=1
build="$root/build"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --threads) threads=$2; shift 2 ;;
        --iters) iters=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
shared=${FT_SHARED_DIR:-$root/../shared}
binary="$build/tests/bench_forward"
if [[ ! -x "$binary" ]]; then
    echo "$binary not found: cmake --build $build --target bench_forward" >&2
    exit 1
fi

common=(--threads "$threads" --iters "$iters" --warmup "$warmup" --batch 32 --length 128)
ours=$("$binary" "${common[@]}")
python=$(/usr/bin/python3 "$here/bench_forward.py" --shared "$shared" "${common[@]}")
echo "$ours" | head -n -1
echo "$python" | head -n -1
/usr/bin/python3 - "$(echo "$ours" | tail -n 1)" "$(echo "$python" | tail -n 1)" <<'PY'
import json, sys
ours, python = (json.loads(line)["sequences_per_s"] for line in sys.argv[1:3])
print(f"ours:   {ours:.2f} sequences/s")
print(f"python: {python:.2f} sequences/s")
print(f"ratio (ours / python): {ours / python:.2f}")
PY
