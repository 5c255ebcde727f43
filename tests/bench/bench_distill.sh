#!/usr/bin/env bash
# bench_distill.sh: a teacher, the student distilled from it, and both int8 copies on SST-2:
# parameters, size, latency at batch 1 and dev accuracy, as `finetune compare` measures them. A
# benchmark, not a test: it prints the table and never fails on the figures.
#
#   tests/bench/bench_distill.sh [--build DIR] [--family bert|gpt2] [--hidden N] [--layers N]
#                                [--student-layers N] [--epochs N] [--threads N] [--latency-runs N] [--keep]
#
#   --build DIR          our build folder (default build/; runs DIR/app/finetune)
#   --family F           the teacher's family: bert (default) or gpt2
#   --hidden N           the teacher's hidden size (default 256; 4 heads, feed-forward 4 x hidden)
#   --layers N           the teacher's layers (default 6)
#   --student-layers N   the student's layers, copied evenly spaced from the teacher's (default 2)
#   --epochs N           training epochs of both (default 2)
#   --threads N          training threads, and compare's (default 1: latency of a single core)
#   --latency-runs N     single-example predictions timed per model (default 200)
#   --keep               keep the temporary folder (project, logs) and print its path
#
# Teacher: scratch BERT on bert-base-uncased's vocabulary (or GPT-2 on GPT-2's byte-level BPE,
# classifying by its last token), trained on SST-2 train (6,920 rows),
# evaluated on dev (872 rows, the "validation" split). Student: distill_teacher_run with
# temperature 2 and alpha 0.5, the same recipe (lr 1e-3 up to hidden 128, 5e-4 above, batch
# 32, max_length 64, warmup 10 %, weight decay 0.01). Latency covers tokenising and the forward
# pass of one sentence (the dev set's, in turn), timed round-robin over the four models.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${FT_SHARED_DIR:-$root/../shared}
build="$root/build"
family=bert
hidden=256
layers=6
student_layers=2
epochs=2
threads=1
latency_runs=200
keep=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --build) build=$2; shift 2 ;;
        --family) family=$2; shift 2 ;;
        --hidden) hidden=$2; shift 2 ;;
        --layers) layers=$2; shift 2 ;;
        --student-layers) student_layers=$2; shift 2 ;;
        --epochs) epochs=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --latency-runs) latency_runs=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
finetune="$build/app/finetune"
[[ -x "$finetune" ]] || { echo "no $finetune: build the finetune target first" >&2; exit 1; }

work=$(mktemp -d)
if [[ $keep == 0 ]]; then trap 'rm -rf "$work"' EXIT; else echo "keeping $work"; fi
lr=0.001
[[ $hidden -gt 128 ]] && lr=0.0005

# SST-2 train and dev as one TSV with a split column.
{
    printf 'sentence\tlabel\tsplit\n'
    tail -n +2 "$shared/data/sst2/train.tsv" | sed 's/$/\ttrain/'
    tail -n +2 "$shared/data/sst2/dev.tsv" | sed 's/$/\tvalidation/'
} > "$work/sst2.tsv"
"$finetune" project init "$work/project" > /dev/null
"$finetune" dataset import --project "$work/project" --name sst2 "$work/sst2.tsv" --no-quoting \
    --text-column sentence --label-column label --split-column split > /dev/null

mkdir -p "$work/teacher"
case "$family" in
    bert)
        cp "$shared/data/tokenizers/bert-base-uncased/"{vocab.txt,tokenizer.json,tokenizer_config.json} "$work/teacher/"
        cat > "$work/teacher/config.json" <<EOF
{"model_type": "bert", "vocab_size": 30522, "hidden_size": $hidden, "num_hidden_layers": $layers,
 "num_attention_heads": 4, "intermediate_size": $((4 * hidden)), "max_position_embeddings": 128}
EOF
        ;;
    gpt2)
        cp "$shared/data/tokenizers/gpt2/"{vocab.json,merges.txt,tokenizer.json,tokenizer_config.json} "$work/teacher/"
        cat > "$work/teacher/config.json" <<EOF
{"model_type": "gpt2", "vocab_size": 50257, "n_embd": $hidden, "n_layer": $layers, "n_head": 4,
 "n_inner": $((4 * hidden)), "n_positions": 128, "bos_token_id": 50256, "eos_token_id": 50256}
EOF
        ;;
    *) echo "unknown family $family (bert or gpt2)" >&2; exit 2 ;;
esac
recipe="\"num_train_epochs\": $epochs, \"learning_rate\": $lr, \"per_device_train_batch_size\": 32,
 \"max_length\": 64, \"warmup_ratio\": 0.1, \"weight_decay\": 0.01, \"threads\": $threads, \"seed\": 1"
echo "{$recipe}" > "$work/teacher.json"

run_id() { python3 -c 'import json, sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["run_id"])'; }
start=$(date +%s)
teacher=$("$finetune" train --project "$work/project" --dataset sst2 --model "scratch:$work/teacher/config.json" \
    --config "$work/teacher.json" --json 2> "$work/teacher.log" | run_id)
echo "teacher: run $teacher, $(( $(date +%s) - start )) s"
echo "{$recipe, \"distill_teacher_run\": $teacher, \"student_layers\": $student_layers}" > "$work/student.json"
start=$(date +%s)
student=$("$finetune" train --project "$work/project" --config "$work/student.json" --json 2> "$work/student.log" \
    | run_id)
echo "student: run $student, $(( $(date +%s) - start )) s ($(grep -o 'initialised from its layers [0-9, ]*' "$work/student.log"))"
"$finetune" compare --project "$work/project" --runs "$teacher,$student" --quantized --threads "$threads" \
    --latency-runs "$latency_runs"
