"""check_decoder_peft.py: our PEFT exports of prefix- and prompt-tuned Llama classifiers loaded by the real
transformers and peft.

The pretrained stories260K (llama2.c's, converted with `finetune model convert-llama2c`) has grouped-query
attention (8 query heads, 4 key/value heads): its prefix is sized by the key/value heads (token_dim 32,
num_attention_heads 4 in adapter_config.json), which only PEFT itself can confirm. Trains a prefix and a
prompt run of the sample project on it, exports each as peft, and compares, text by text (no padding, where
PEFT's prompt tuning and ours read the same position), the logits of `finetune predict` on the run with those
of LlamaForSequenceClassification(base) + PeftModel.from_pretrained(adapter). Every comparison must agree
within 1e-4. Prints a row per check; exits 1 if any disagrees.
"""
import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

from cli_runs import last_json, predict_logits, run

TOLERANCE = 1e-4
TEXTS = ["The kettle is excellent. Great value.", "The tent broke on the first day.", "The monitor is average.",
         "I love this lamp, it is bright and sturdy."]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--finetune", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--device", default="cuda", help="where the runs train")
    args = ap.parse_args()
    ft, work = args.finetune, Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    base = work / "stories260K"
    run([ft, "model", "convert-llama2c", Path(args.shared) / "data" / "pretrained_stories260K" / "stories260K.bin",
         base])
    project = work / "sample"
    run([ft, "project", "sample", project])

    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(base)
    results = []
    for method in ({"method": "prefix", "num_virtual_tokens": 6},
                   {"method": "prompt", "num_virtual_tokens": 6, "learning_rate": 0.03}):
        config = work / f"{method['method']}.json"
        config.write_text(json.dumps({"max_steps": 20, "per_device_train_batch_size": 16, "learning_rate": 1e-2,
                                      "max_length": 64, "device": args.device} | method))
        trained = last_json(run([ft, "train", "--project", project, "--dataset", "product-reviews", "--model", base,
                                 "--config", config, "--json"]))
        folder = work / "exports" / method["method"]
        run([ft, "export", "--project", project, "--run", trained["run_id"], "--format", "peft", "--output", folder,
             "--json"])
        adapter = json.loads((folder / "adapter_config.json").read_text())
        expected = predict_logits(ft, trained["model_folder"], TEXTS, work, method["method"], "--batch-size", 1)
        with torch.no_grad():
            model = AutoModelForSequenceClassification.from_pretrained(
                base, num_labels=expected.shape[1], ignore_mismatched_sizes=True)
            model.config.pad_token_id = tokenizer.eos_token_id
            peft_model = PeftModel.from_pretrained(model, folder).eval()
            theirs = np.concatenate([peft_model(**tokenizer([text], return_tensors="pt")).logits.numpy()
                                     for text in TEXTS])
        worst = float(np.abs(theirs.astype(np.float64) - expected).max())
        name = (f"peft: {adapter['peft_type']} (token_dim {adapter['token_dim']}, "
                f"heads {adapter['num_attention_heads']})")
        results.append((name, worst))
        print(f"{name:56} max|d| {worst:.2e}  {'ok' if worst <= TOLERANCE else 'DISAGREES'}")
    bad = [name for name, worst in results if worst > TOLERANCE]
    print("decoder PEFT exports in peft:", "all agree" if not bad else f"disagree: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
