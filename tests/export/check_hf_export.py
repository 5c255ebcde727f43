#!/usr/bin/python3
"""check_hf_export.py: a Hugging Face export checked from outside the studio.

Usage: check_hf_export.py FOLDER PREDICTIONS.csv BASE_CONFIG.json

Python's torch alone (Debian's python3-torch; no transformers, no safetensors package) reads the
export's config.json, the vocabulary of its tokenizer.json and its model.safetensors, tokenises each
text of PREDICTIONS.csv (written by `finetune predict --model FOLDER --logits`) with its own
WordPiece, runs BERT for sequence classification as transformers defines it, and checks the logits
agree with the CSV's within 1e-4. It also checks config.json: BertForSequenceClassification,
id2label/label2id matching the CSV's columns and the classifier, and every field of the base
model's config kept. The texts must be ASCII (the BERT basic tokenizer is then a regex).
Exits 0 when all is well, 1 with the reasons otherwise.
"""
import csv
import json
import math
import re
import sys
from pathlib import Path

import torch

from check_torchscript import read_safetensors

TOLERANCE = 1e-4


def wordpiece(word, vocab, unk):
    """Greedy longest-match-first, as BERT's WordPiece."""
    if len(word) > 100:
        return [vocab[unk]]
    ids, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            piece = ("##" if start > 0 else "") + word[start:end]
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [vocab[unk]]
        ids.append(found)
        start = end
    return ids


def encode(text, tokenizer, max_length):
    model = tokenizer["model"]
    vocab = model["vocab"]
    if tokenizer["normalizer"].get("lowercase", True):
        text = text.lower()
    ids = [vocab["[CLS]"]]
    for word in re.findall(r"\w+|[^\w\s]", text):
        ids.extend(wordpiece(word, vocab, model["unk_token"]))
    return ids[:max_length - 1] + [vocab["[SEP]"]]


def activation(name):
    if name == "gelu":
        return lambda x: 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    if name == "relu":
        return torch.relu
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))
    raise SystemExit(f"unsupported hidden_act {name}")


def bert_logits(weights, config, ids):
    """BertForSequenceClassification's eval forward on one unpadded sequence."""
    w = lambda name: weights[name].to(torch.float32)
    linear = lambda x, name: x @ w(name + ".weight").T + w(name + ".bias")
    eps = config.get("layer_norm_eps", 1e-12)
    norm = lambda x, name: torch.nn.functional.layer_norm(x, x.shape[-1:], w(name + ".weight"), w(name + ".bias"), eps)
    act = activation(config.get("hidden_act", "gelu"))
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    size = hidden // heads

    ids = torch.tensor(ids)
    length = len(ids)
    x = (w("bert.embeddings.word_embeddings.weight")[ids] + w("bert.embeddings.position_embeddings.weight")[:length]
         + w("bert.embeddings.token_type_embeddings.weight")[0])
    x = norm(x, "bert.embeddings.LayerNorm")
    for i in range(config["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}."
        split = lambda t: t.view(length, heads, size).transpose(0, 1)
        q, k, v = (split(linear(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(size), dim=-1)
        context = (probs @ v).transpose(0, 1).reshape(length, hidden)
        attended = norm(linear(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        x = norm(linear(act(linear(attended, p + "intermediate.dense")), p + "output.dense") + attended,
                 p + "output.LayerNorm")
    pooled = torch.tanh(linear(x[0], "bert.pooler.dense"))
    return linear(pooled, "classifier")


def main():
    folder, predictions, base_config = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    problems = []
    config = json.loads((folder / "config.json").read_text())
    base = json.loads(base_config.read_text())
    tokenizer = json.loads((folder / "tokenizer.json").read_text())
    weights = read_safetensors(folder / "model.safetensors")

    if config.get("architectures") != ["BertForSequenceClassification"]:
        problems.append(f"architectures is {config.get('architectures')}")
    for key in base:
        if key not in config and key not in ("architectures", "id2label", "label2id"):
            problems.append(f"config.json lost the base config's field {key}")
    labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    if {name: i for i, name in enumerate(labels)} != config["label2id"]:
        problems.append("label2id does not invert id2label")
    if weights["classifier.weight"].shape[0] != len(labels):
        problems.append(f"the classifier has {weights['classifier.weight'].shape[0]} rows for {len(labels)} labels")

    max_length = min(config["max_position_embeddings"], 128)
    worst, rows = 0.0, 0
    with predictions.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            expected = torch.tensor([float(row["logit_" + label]) for label in labels])
            actual = bert_logits(weights, config, encode(row["text"], tokenizer, max_length))
            worst = max(worst, (actual - expected).abs().max().item())
            rows += 1
    if rows == 0:
        problems.append(f"{predictions} has no rows")
    if worst > TOLERANCE:
        problems.append(f"logits differ by up to {worst:.3g} (tolerance {TOLERANCE})")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"{rows} rows agree within {worst:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
