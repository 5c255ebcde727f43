"""cli_runs.py: running `finetune` from the GPU check scripts: a command's stdout (or a clear exit
with its stderr when it fails), the JSON summary line the --json commands end with, a model's logits
from `finetune predict`, and a model folder of the given config beside a tokenizer's files."""
import csv
import json
import shutil
import subprocess


def run(command):
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(map(str, command))}\n{done.stderr[-3000:]}")
    return done.stdout


def last_json(text):
    return json.loads([line for line in text.splitlines() if line.startswith("{")][-1])


def predict_logits(ft, model, texts, work, name, *options):
    """`finetune predict --logits` on the CPU for `texts`, one row of logits per text (a numpy array)."""
    import numpy as np
    texts_csv, out = work / f"{name}-texts.csv", work / f"{name}.csv"
    with open(texts_csv, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["text"]] + [[t] for t in texts])
    run([ft, "predict", "--model", model, "--input", texts_csv, "--output", out, "--logits", "--device", "cpu",
         *options])
    with open(out, newline="", encoding="utf-8") as f:
        return np.array([[float(r[k]) for k in r if k.startswith("logit_")] for r in csv.DictReader(f)])


def model_folder(folder, tokenizer, config):
    """Writes config.json with the tokenizer's vocab.txt/tokenizer.json/tokenizer_config.json beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        if (tokenizer / name).exists():
            shutil.copy(tokenizer / name, folder / name)
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    return folder / "config.json"
