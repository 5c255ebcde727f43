"""train_cuda.py: the same fine-tuning run on the CPU and on CUDA (float32, bf16 and fp16 autocast).

A scratch BERT of the benchmark's "small" shape (hidden 256, 4 layers, bert-base-uncased vocabulary)
with dropout off is trained on SST-2 train.tsv with one seed on each device/precision; the runs then
predict SST-2 dev.tsv. With dropout off the CPU and CUDA float32 runs see the same initial weights, the
same batches and the same updates up to floating-point rounding, so they must end alike: the final
training loss within 2 % and the dev predictions agreeing on at least 98 % of the rows. bf16 and fp16
must train (finite loss, dev accuracy within 3 points of float32). Prints a table; exits 1 on failure.
"""
import argparse
import csv
import json
import math
import shutil
import sys
from pathlib import Path

from cli_runs import last_json, model_folder, run

SMALL = {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": 30522,
         "hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 1024,
         "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
         "max_position_embeddings": 512, "type_vocab_size": 2, "initializer_range": 0.02,
         "layer_norm_eps": 1e-12, "pad_token_id": 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--finetune", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--variants", default="cpu-fp32,cuda-fp32,cuda-bf16,cuda-fp16",
                    help="DEVICE-PRECISION list; the first is the reference")
    args = ap.parse_args()
    shared, work = Path(args.shared), Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ft = args.finetune
    config = model_folder(work / "small", shared / "data/tokenizers/bert-base-uncased", SMALL)
    project = work / "project"
    run([ft, "project", "init", project])
    run([ft, "dataset", "import", "--project", project, "--name", "sst2", shared / "data/sst2/train.tsv",
         "--split-ratios", "1,0,0"])
    dev = shared / "data/sst2/dev.tsv"
    with open(dev, newline="", encoding="utf-8") as f:
        truth = [row["label"] for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]

    variants = [tuple(v.split("-")) for v in args.variants.split(",")]
    results = {}
    for device, precision in variants:
        tag = f"{device}-{precision}"
        settings = {"max_steps": args.steps, "per_device_train_batch_size": 32, "learning_rate": 1e-4,
                    "warmup_ratio": 0.1, "weight_decay": 0.01, "max_length": 128, "seed": 42,
                    "eval_strategy": "no", "save_steps": 100000, "device": device,
                    "bf16": precision == "bf16", "fp16": precision == "fp16"}
        (work / f"{tag}.json").write_text(json.dumps(settings))
        summary = last_json(run([ft, "train", "--project", project, "--dataset", "sst2", "--model",
                                 f"scratch:{config}", "--config", work / f"{tag}.json", "--name", tag, "--json"]))
        out = work / f"{tag}.csv"
        run([ft, "predict", "--model", summary["model_folder"], "--input", dev, "--output", out, "--logits",
             "--device", device, "--text-column", "sentence"])
        with open(out, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        if len(rows) != len(truth):
            raise SystemExit(f"{tag}: {len(rows)} predictions for {len(truth)} dev rows")
        results[tag] = {"summary": summary, "labels": [r["label"] for r in rows],
                        "logits": [[float(r[k]) for k in r if k.startswith("logit_")] for r in rows]}

    failures = []
    reference = args.variants.split(",")[0]
    base = results[reference]
    base_accuracy = sum(a == b for a, b in zip(base["labels"], truth)) / len(truth)
    print(f"{args.steps} steps, batch 32, SST-2 train ({len(truth)} dev rows predicted)")
    print(f"{'run':10} {'device':>8} {'samples/s':>10} {'final loss':>11} {'dev acc':>8} {'agree w/ ' + reference:>12} "
          f"{'max|dlogit|':>11}")
    for tag, result in results.items():
        s = result["summary"]
        accuracy = sum(a == b for a, b in zip(result["labels"], truth)) / len(truth)
        agree = sum(a == b for a, b in zip(result["labels"], base["labels"])) / len(truth)
        worst = max(abs(a - b) for x, y in zip(result["logits"], base["logits"]) for a, b in zip(x, y))
        print(f"{tag:10} {s['device']:>8} {s['samples_per_s']:10.1f} {s['final_train_loss']:11.5f} "
              f"{accuracy:8.4f} {agree:12.4f} {worst:11.2e}")
        if not math.isfinite(s["final_train_loss"]):
            failures.append(f"{tag}: loss not finite")
        if tag.startswith("cuda") and not s["device"].startswith("cuda"):
            failures.append(f"{tag}: trained on {s['device']}, not CUDA")
        if tag == "cuda-fp32":
            loss_delta = abs(s["final_train_loss"] - base["summary"]["final_train_loss"])
            if loss_delta > 0.02 * abs(base["summary"]["final_train_loss"]) or agree < 0.98:
                failures.append(f"cuda-fp32 differs from cpu-fp32: loss delta {loss_delta:.5f}, agreement {agree:.4f}")
        elif tag != reference and accuracy < base_accuracy - 0.03:
            failures.append(f"{tag}: dev accuracy {accuracy:.4f} against {base_accuracy:.4f} in float32")
    print("training on CUDA:", "ok" if not failures else "; ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
