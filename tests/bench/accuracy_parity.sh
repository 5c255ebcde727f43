#!/usr/bin/env bash
# accuracy_parity.sh: does our training reach the accuracy of the Python peer? Fine-tunes the same
# small scratch BERT on SST-2 (train.tsv, 6920 rows) with the same recipe on both sides, for several
# seeds, and prints each side's dev accuracy (dev.tsv, 872 rows) per seed, the means and their
# difference (target: means within 1.5 points). A benchmark, not a test: it never fails on the figures.
#
#   tests/bench/accuracy_parity.sh [--build DIR] [--seeds 1,2,3] [--epochs E] [--train-rows N]
#                                  [--batch-size N] [--max-length N] [--lr LR] [--threads N]
#                                  [--hidden H --layers L --heads A --intermediate I]
#                                  [--ours-batching same|default] [--keep]
#
#   --epochs E        passes over the train rows (default 2): max_steps = E x ceil(rows / batch) on both
#   --train-rows N    use only the first N rows of train.tsv (default all 6920; for quick checks)
#   --seeds LIST      comma-separated seeds (default 1,2,3); each side's seed sets its init, dropout
#                     and shuffling (different generators, so seed k of one side does not pair with
#                     seed k of the other: compare the means)
#   --ours-batching   same (default): padding "longest" + group_by_length false, i.e. shuffled batches
#                     padded to their longest example, the peer's --dynamic-padding; default: our
#                     default batching (group_by_length true)
#   --threads N       both sides (ours: run config "threads"; peer: --threads), default 1: with 2, both
#                     sides run torch's pool and OpenBLAS's pool at 2 threads each, which oversubscribes
#                     2 cores (see bench_train.sh / README.md) and makes this script several times slower
#                     on a busy machine; the thread count does not change what is learned
#
# There is no pretrained BERT offline, so the model is a scratch BERT on the bert-base-uncased vocab
# (default hidden 128, 2 layers, 2 heads, intermediate 512, 4.4 M parameters, dropout 0.1), written
# as config.json in a temporary folder beside links to the tokenizer files; both sides read it.
# Recipe, both sides: AdamW (0.9, 0.999, 1e-8), lr 1e-3 (from scratch; 2e-5 is for pretrained
# weights), linear schedule with warmup_ratio 0.1, weight decay 0.01 (not biases/LayerNorm),
# clipping at 1.0, batch 32, max_length 64 (SST-2 has 6 train rows and no dev row above 64 word pieces).
#   ours: `finetune train --json` on a temporary project holding one dataset imported from a
#     temporary TSV (train rows with split "train", dev rows with split "validation"; no test split),
#     eval_strategy "steps" with eval_steps = max_steps (one evaluation, of the final model), the
#     accuracy is the JSON's eval.eval_accuracy.
#   peer: tests/bench/peer_accuracy.py, which runs the shared peer_train.py unchanged (loaded from
#     $shared at run time) with --data (the same train rows) and --dynamic-padding, then evaluates the
#     model it trained on dev.tsv (eval mode, no dropout).
# The "time" columns are each command's wall time (tokenization, init, training, evaluation): not a
# throughput benchmark (bench_train.sh is); the 2-core VM is shared, so they are noisy.
# Default size: 2 epochs (434 steps of 32 a run), 3 seeds: 4-5 minutes on the idle 2-core VM, 10.5 while
# others were compiling.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${FT_SHARED_DIR:-$root/../shared}
build="$root/build"
seeds=1,2,3
epochs=2
train_rows=0
batch=32
max_length=64
lr=1e-3
threads=1
hidden=128
layers=2
heads=2
intermediate=512
ours_batching=same
keep=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --build) build=$2; shift 2 ;;
        --seeds) seeds=$2; shift 2 ;;
        --epochs) epochs=$2; shift 2 ;;
        --train-rows) train_rows=$2; shift 2 ;;
        --batch-size) batch=$2; shift 2 ;;
        --max-length) max_length=$2; shift 2 ;;
        --lr) lr=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --hidden) hidden=$2; shift 2 ;;
        --layers) layers=$2; shift 2 ;;
        --heads) heads=$2; shift 2 ;;
        --intermediate) intermediate=$2; shift 2 ;;
        --ours-batching) ours_batching=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$ours_batching" in
    same) group_by_length=false ;;
    default) group_by_length=true ;;
    *) echo "--ours-batching takes same or default" >&2; exit 2 ;;
esac
finetune="$build/app/finetune"
tokenizer="$shared/data/tokenizers/bert-base-uncased"
train_tsv="$shared/data/sst2/train.tsv"
dev_tsv="$shared/data/sst2/dev.tsv"
python=/usr/bin/python3
for f in "$finetune" "$shared/bench/peer_train.py" "$train_tsv" "$dev_tsv" "$tokenizer/vocab.txt"; do
    [[ -e "$f" ]] || { echo "$f not found" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/accuracy_parity.XXXXXX")
cleanup() { if (( keep )); then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi; }
trap cleanup EXIT
unset OMP_NUM_THREADS OPENBLAS_NUM_THREADS MKL_NUM_THREADS

mkdir -p "$tmp/model" "$tmp/runs"
for f in vocab.txt tokenizer.json tokenizer_config.json; do
    [[ -e "$tokenizer/$f" ]] && ln -s "$tokenizer/$f" "$tmp/model/$f"
done
cat > "$tmp/model/config.json" <<JSON
{
  "architectures": ["BertForSequenceClassification"], "model_type": "bert",
  "vocab_size": 30522, "hidden_size": $hidden, "num_hidden_layers": $layers,
  "num_attention_heads": $heads, "intermediate_size": $intermediate, "hidden_act": "gelu",
  "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 512,
  "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 0
}
JSON

# The train rows both sides see (a header line, then the first N rows or all).
if (( train_rows > 0 )); then
    head -n $((train_rows + 1)) "$train_tsv" > "$tmp/train.tsv"
else
    cp "$train_tsv" "$tmp/train.tsv"
fi
n_train=$(( $(wc -l < "$tmp/train.tsv") - 1 ))
# Ours: one file, a split column (SST-2 has no tabs or quotes inside sentences; --no-quoting anyway).
{
    printf 'sentence\tlabel\tsplit\n'
    tail -n +2 "$tmp/train.tsv" | sed 's/$/\ttrain/'
    tail -n +2 "$dev_tsv" | sed 's/$/\tvalidation/'
} > "$tmp/combined.tsv"
"$finetune" project init "$tmp/project" > /dev/null
"$finetune" dataset import --project "$tmp/project" --name sst2 "$tmp/combined.tsv" --no-quoting \
    --text-column sentence --label-column label --split-column split --json 2> "$tmp/import.err" \
    | tail -n 1 > "$tmp/import.json"

steps=$(( epochs * ( (n_train + batch - 1) / batch ) ))
echo "accuracy_parity: $n_train train rows, $epochs epoch(s) = $steps steps of $batch, max_length $max_length, lr $lr, seeds $seeds, threads $threads; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

for seed in ${seeds//,/ }; do
    cat > "$tmp/ours.$seed.json" <<JSON
{
  "learning_rate": $lr, "max_steps": $steps, "per_device_train_batch_size": $batch,
  "per_device_eval_batch_size": 64, "warmup_ratio": 0.1, "weight_decay": 0.01, "max_grad_norm": 1.0,
  "lr_scheduler_type": "linear", "seed": $seed, "eval_strategy": "steps", "eval_steps": $steps,
  "save_steps": 1000000, "logging_steps": 50, "max_length": $max_length, "padding": "longest",
  "group_by_length": $group_by_length, "method": "full", "device": "cpu", "threads": $threads
}
JSON
    echo "  seed $seed: ours" >&2
    start=$EPOCHREALTIME
    "$finetune" train --project "$tmp/project" --dataset sst2 --model "scratch:$tmp/model/config.json" \
        --config "$tmp/ours.$seed.json" --name "seed $seed" --json \
        > "$tmp/runs/ours.$seed.out" 2> "$tmp/runs/ours.$seed.err"
    echo "$start $EPOCHREALTIME" > "$tmp/runs/ours.$seed.time"
    echo "  seed $seed: peer" >&2
    start=$EPOCHREALTIME
    "$python" "$here/peer_accuracy.py" --dev "$dev_tsv" -- \
        --config "$tmp/model/config.json" --data "$tmp/train.tsv" --tokenizer "$tmp/model" \
        --max-length "$max_length" --batch-size "$batch" --steps "$steps" --seed "$seed" --lr "$lr" \
        --warmup-ratio 0.1 --weight-decay 0.01 --max-grad-norm 1.0 --dynamic-padding --threads "$threads" \
        > "$tmp/runs/peer.$seed.out" 2> "$tmp/runs/peer.$seed.err"
    echo "$start $EPOCHREALTIME" > "$tmp/runs/peer.$seed.time"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$python" - "$tmp" "$seeds" "$n_train" "$steps" "$batch" "$max_length" "$lr" "$ours_batching" <<'PY'
import json, os, statistics, sys

tmp, seeds, n_train, steps, batch, max_length, lr, batching = sys.argv[1:9]
seeds = seeds.split(",")

def last_json(path):
    lines = [l for l in open(path, encoding="utf-8").read().splitlines() if l.startswith("{")]
    if not lines:
        sys.exit(f"no JSON summary in {path}; its stderr:\n" + open(path[:-4] + ".err").read()[-3000:])
    return json.loads(lines[-1])

imp = last_json(os.path.join(tmp, "import.json"))
if imp["errors"]["count"] or imp["splits"]["test"]:
    print(f"warning: import: {imp['splits']}, {imp['errors']['count']} row errors", file=sys.stderr)
rows = []
for s in seeds:
    o = last_json(os.path.join(tmp, "runs", f"ours.{s}.out"))
    p = last_json(os.path.join(tmp, "runs", f"peer.{s}.out"))
    def t(side):
        start, end = map(float, open(os.path.join(tmp, "runs", f"{side}.{s}.time")).read().split())
        return end - start
    rows.append((s, 100 * o["eval"]["eval_accuracy"], 100 * p["dev_accuracy"], o["eval"]["eval_loss"],
                 p["dev_loss"], o["final_train_loss"], p["final_loss"], t("ours"), t("peer")))

print(f"\nDev accuracy, SST-2: {n_train} train rows, {imp['splits']['validation']} dev rows; {steps} steps of "
      f"{batch}, max_length {max_length}, lr {lr}; ours batching: {batching}\n")
print("| seed | ours dev acc % | peer dev acc % | ours dev loss | peer dev loss | ours last train loss | "
      "peer last train loss | ours time s | peer time s |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    print(f"| {r[0]} | {r[1]:.2f} | {r[2]:.2f} | {r[3]:.4f} | {r[4]:.4f} | {r[5]:.4f} | {r[6]:.4f} | "
          f"{r[7]:.0f} | {r[8]:.0f} |")
ours = [r[1] for r in rows]
peer = [r[2] for r in rows]
sd = lambda xs: statistics.stdev(xs) if len(xs) > 1 else 0.0
mo, mp = statistics.mean(ours), statistics.mean(peer)
print(f"| mean (sd) | {mo:.2f} ({sd(ours):.2f}) | {mp:.2f} ({sd(peer):.2f}) | | | | | "
      f"{statistics.mean(r[7] for r in rows):.0f} | {statistics.mean(r[8] for r in rows):.0f} |")
print(f"\nmean difference ours - peer: {mo - mp:+.2f} points "
      f"({'within' if abs(mo - mp) <= 1.5 else 'OUTSIDE'} the 1.5-point target)")
PY
