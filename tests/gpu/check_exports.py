"""check_exports.py: our exports loaded by the real transformers, peft, onnxruntime and torch.jit.

Trains two runs of the sample project on CUDA (the scratch model fully; LoRA on the golden tiny BERT),
exports them (hf, torchscript, onnx; peft), and compares, on the same texts, the logits that
`finetune predict` gives with those of:
  hf           transformers' AutoTokenizer + AutoModelForSequenceClassification on the folder
  peft         AutoModelForSequenceClassification(base) + peft's PeftModel.from_pretrained(adapter)
  onnx         onnxruntime's InferenceSession, inputs tokenised by AutoTokenizer on the export
  torchscript  torch.jit.load of model.pt, on the CPU and on CUDA
Every comparison must agree within 1e-4. Prints a row per check; exits 1 if any disagrees.
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
MAX_LENGTH = 48
TEXTS = ["The kettle is excellent. Great value.", "The tent broke on the first day.", "The monitor is average.",
         "Shipping was slow, and the blender is loud!", "I love this lamp, it is bright and sturdy.",
         "Terrible headphones: they stopped working.", "An okay backpack, nothing special.",
         "Fantastic service and a wonderful camera!"]


def ours(ft, model, work, name):
    return predict_logits(ft, model, TEXTS, work, name, "--max-length", MAX_LENGTH)


def encode(folder):
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(folder)
    return tokenizer(TEXTS, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")


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
    project = work / "sample"
    run([ft, "project", "sample", project])

    full = work / "full.json"
    full.write_text(json.dumps({"max_steps": 40, "per_device_train_batch_size": 16, "learning_rate": 1e-3,
                                "device": args.device}))
    lora = work / "lora.json"
    lora.write_text(json.dumps({"max_steps": 20, "per_device_train_batch_size": 16, "learning_rate": 1e-3,
                                "method": "lora", "lora_r": 4, "device": args.device}))
    base = Path(args.shared) / "golden" / "tiny-bert-uncased"
    first = last_json(run([ft, "train", "--project", project, "--dataset", "product-reviews", "--model",
                           f"scratch:{project}/scratch-model/config.json", "--config", full, "--json"]))
    second = last_json(run([ft, "train", "--project", project, "--dataset", "product-reviews", "--model", base,
                            "--config", lora, "--json"]))
    exports = {}
    for run_id, fmt in ((first["run_id"], "hf"), (first["run_id"], "torchscript"), (first["run_id"], "onnx"),
                        (second["run_id"], "peft")):
        folder = work / "exports" / fmt
        summary = last_json(run([ft, "export", "--project", project, "--run", run_id, "--format", fmt,
                                 "--output", folder, "--json"]))
        exports[fmt] = (folder, summary.get("check", {}).get("max_abs_logit_difference"))

    results = []

    def compare(name, theirs, expected):
        worst = float(np.abs(np.asarray(theirs, dtype=np.float64) - expected).max())
        results.append((name, worst))
        print(f"{name:44} max|d| {worst:.2e}  {'ok' if worst <= TOLERANCE else 'DISAGREES'}")

    from transformers import AutoModelForSequenceClassification
    hf = exports["hf"][0]
    expected = ours(ft, hf, work, "hf")
    with torch.no_grad():
        model = AutoModelForSequenceClassification.from_pretrained(hf).eval()
        compare("transformers: hf export", model(**encode(hf)).logits.numpy(), expected)

    ts = exports["torchscript"][0]
    inputs = encode(hf)
    ordered = [inputs["input_ids"], inputs["attention_mask"], inputs["token_type_ids"]]
    with torch.no_grad():
        module = torch.jit.load(str(ts / "model.pt"), map_location="cpu").eval()
        compare("torch.jit: torchscript export (cpu)", module(*ordered), ours(ft, ts, work, "ts"))
        if torch.cuda.is_available():
            module = module.to("cuda")
            compare("torch.jit: torchscript export (cuda)", module(*[t.cuda() for t in ordered]).cpu(), expected)

    import onnxruntime
    onnx = exports["onnx"][0]
    session = onnxruntime.InferenceSession(str(onnx / "model.onnx"), providers=["CPUExecutionProvider"])
    encoded = encode(onnx)
    feeds = {i.name: encoded[i.name].numpy().astype(np.int64) for i in session.get_inputs()}
    compare(f"onnxruntime {onnxruntime.__version__}: onnx export", session.run(None, feeds)[0],
            ours(ft, onnx, work, "onnx"))

    from peft import PeftModel
    adapter = exports["peft"][0]
    lora_expected = ours(ft, second["model_folder"], work, "lora")
    with torch.no_grad():
        base_model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=lora_expected.shape[1], ignore_mismatched_sizes=True)
        peft_model = PeftModel.from_pretrained(base_model, adapter).eval()
        compare("peft: adapter on its base", peft_model(**encode(adapter)).logits.numpy(), lora_expected)
        merged = peft_model.merge_and_unload()
        compare("peft: merge_and_unload", merged(**encode(adapter)).logits.numpy(), lora_expected)

    for fmt, (_, check) in exports.items():
        print(f"our own export check ({fmt}): max|d| {check}")
    bad = [name for name, worst in results if worst > TOLERANCE]
    print("exports in transformers/peft/onnxruntime/torch.jit:", "all agree" if not bad else f"disagree: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
