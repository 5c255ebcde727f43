"""golden_cuda.py: the golden checkpoints' logits through `finetune predict` on CUDA and on the CPU.

Every case of golden.json goes through `finetune predict --logits` (grouped by its max_length) for each
golden model with a classifier, on --device cuda and on --device cpu, and the logits are compared with
the expected ones at golden.json's float32 tolerance. The .bin-only model is expected to be refused
(no pickle is ever loaded without an import). Prints one row per model; exits 1 if any is off.
"""
import argparse
import csv
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path


def predict(finetune, model, rows, max_length, device, work):
    work.mkdir(parents=True, exist_ok=True)
    source, target = work / "in.csv", work / "out.csv"
    with_pair = any(r["text_pair"] is not None for r in rows)
    with open(source, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "text_pair"] if with_pair else ["text"])
        for r in rows:
            writer.writerow([r["text"], r["text_pair"] or ""] if with_pair else [r["text"]])
    command = [finetune, "predict", "--model", str(model), "--input", str(source), "--output", str(target),
               "--logits", "--device", device, "--max-length", str(max_length)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        return None, done.stderr.strip()[-500:]
    with open(target, newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    if len(table) != len(rows):
        return None, f"{len(rows)} rows in, {len(table)} out"
    return [[float(row[k]) for k in row if k.startswith("logit_")] for row in table], ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--finetune", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--devices", default="cuda,cpu", help="the first is checked against the second")
    args = ap.parse_args()
    golden_dir = Path(args.shared) / "golden"
    golden = json.loads((golden_dir / "golden.json").read_text())
    tolerance = golden["tolerances"]["float32_compute_abs"]
    groups = defaultdict(list)  # a pair column only where every row has a pair
    for case in golden["cases"]:
        if not case["text"] or "\0" in case["text"]:
            continue  # predict skips rows without text, and data files with NUL bytes
        groups[(case["max_length"], case["text_pair"] is not None)].append(case)

    failures = 0
    first, second = args.devices.split(",")
    print(f"{'model':32} {'cases':>5} {first + ' max|d|':>12} {second + ' max|d|':>12} {'between':>10}  (tolerance {tolerance})")
    for name, model in golden["models"].items():
        outputs = model.get("outputs", {})
        if not outputs or "logits" not in next(iter(outputs.values())):
            continue  # no classifier (the base checkpoint): nothing to predict
        folder = golden_dir / name
        results = {}
        for device in args.devices.split(","):
            got = {}
            for (max_length, pair), cases in groups.items():
                logits, error = predict(args.finetune, folder, cases, max_length, device,
                                        Path(args.work) / name / f"{device}-{max_length}-{int(pair)}")
                if logits is None:
                    got = error
                    break
                got.update({c["id"]: l for c, l in zip(cases, logits)})
            results[device] = got
        if name.endswith("legacy-bin"):
            refused = all(isinstance(v, str) and "--allow-pickle" in v for v in results.values())
            print(f"{name:32} refused as expected (.bin only; `model import --allow-pickle` converts it)"
                  if refused else f"{name:32} NOT refused")
            failures += not refused
            continue
        errors = {device: v for device, v in results.items() if isinstance(v, str)}
        if errors:
            print(f"{name:32} predict failed: {errors}")
            failures += 1
            continue

        def worst(got):
            return max(abs(a - b) for cid, want in outputs.items() if cid in got for a, b in zip(got[cid], want["logits"]))
        first, second = args.devices.split(",")
        cuda, cpu = worst(results[first]), worst(results[second])
        between = max(abs(a - b) for cid in results[first] for a, b in zip(results[first][cid], results[second][cid]))
        ok = cuda <= tolerance and cpu <= tolerance
        failures += not ok
        print(f"{name:32} {len(results[first]):5} {cuda:12.2e} {cpu:12.2e} {between:10.2e}  {'ok' if ok else 'OFF'}")
    print("golden on CUDA:", "all within tolerance" if failures == 0 else f"{failures} model(s) off")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
