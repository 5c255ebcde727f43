"""bench_cuda.py: training throughput on the GPU, ours (`finetune train`) against transformers.

A benchmark, not a test: it prints a table and fails only when a side fails to run. Both sides train
the same bert-base-shaped BertForSequenceClassification (random init from the same config.json,
dropout 0.1) on SST-2 train.tsv with the same recipe: batch 32, max_length 128, AdamW (torch's
default implementation on the peer's side) lr 2e-5 with 10 % linear warmup, weight decay 0.01 except
biases and LayerNorm, clipping at 1.0, seed 42. Data is tokenised before the clock starts on both sides.
Throughput covers steps 2..N (the first step, with CUDA's and cuBLAS's start-up, is left out): ours is
`finetune train --json`'s samples_per_s (wall time from the end of step 1 to the end of step N, metric
logging included); the peer times the same window, each step ending with loss.item() as ours does.
Configurations: padding to max_length in float32, bf16 autocast and fp16 autocast with loss scaling;
and padding to each batch's longest example (no length grouping on either side) in bf16.
"""
import argparse
import csv
import json
import math
import random
import shutil
import sys
import time
from pathlib import Path

import torch

from cli_runs import last_json, model_folder, run

BERT_BASE = {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": 30522,
             "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072,
             "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
             "max_position_embeddings": 512, "type_vocab_size": 2, "initializer_range": 0.02,
             "layer_norm_eps": 1e-12, "pad_token_id": 0}
CONFIGS = [("max_length", "fp32"), ("max_length", "bf16"), ("max_length", "fp16"), ("longest", "fp32"),
           ("longest", "bf16")]


def ours(ft, project, config, work, padding, precision, steps, batch):
    settings = {"max_steps": steps, "per_device_train_batch_size": batch, "learning_rate": 2e-5,
                "warmup_ratio": 0.1, "weight_decay": 0.01, "max_grad_norm": 1.0, "lr_scheduler_type": "linear",
                "seed": 42, "eval_strategy": "no", "save_steps": 1000000, "logging_steps": 10,
                "max_length": 128, "padding": padding, "group_by_length": False, "method": "full",
                "device": "cuda", "bf16": precision == "bf16", "fp16": precision == "fp16"}
    path = work / f"ours-{padding}-{precision}.json"
    path.write_text(json.dumps(settings))
    s = last_json(run([ft, "train", "--project", project, "--dataset", "sst2", "--model", f"scratch:{config}",
             "--config", path, "--name", path.stem, "--json"]))
    if s["steps"] != steps:
        raise SystemExit(f"ours: {s['steps']} steps instead of {steps}")
    return {"samples_per_s": s["samples_per_s"], "tokens_per_s": s["tokens_per_s"],
            "first_step_s": s["first_step_s"], "final_loss": s["final_train_loss"]}


def peer(folder, texts, labels, padding, precision, steps, batch):
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification, \
        get_linear_schedule_with_warmup
    torch.manual_seed(42)
    random.seed(42)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    encoded = tokenizer(texts, truncation=True, max_length=128)["input_ids"]
    config = BertConfig(**{k: v for k, v in BERT_BASE.items() if k != "architectures"}, num_labels=2)
    model = BertForSequenceClassification(config).cuda().train()
    decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=2e-5, betas=(0.9, 0.999), eps=1e-8)
    schedule = get_linear_schedule_with_warmup(optimizer, math.ceil(0.1 * steps), steps)
    scaler = torch.amp.GradScaler("cuda", enabled=precision == "fp16")
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    order, position = [], 0
    started, real_tokens, loss, host = None, 0, None, 0.0
    for step in range(steps):
        batch_started = time.perf_counter()
        if position + batch > len(order):
            order, position = random.sample(range(len(encoded)), len(encoded)), 0
        rows = order[position:position + batch]
        position += batch
        width = 128 if padding == "max_length" else max(len(encoded[r]) for r in rows)
        ids = torch.zeros((batch, width), dtype=torch.long)
        mask = torch.zeros((batch, width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, :len(encoded[r])] = torch.tensor(encoded[r])
            mask[i, :len(encoded[r])] = 1
        target = torch.tensor([labels[r] for r in rows])
        if step > 0:
            host += time.perf_counter() - batch_started
        ids, mask, target = ids.cuda(non_blocking=True), mask.cuda(non_blocking=True), target.cuda(non_blocking=True)
        with torch.autocast("cuda", dtype=dtype or torch.float32, enabled=dtype is not None):
            logits = model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).logits
        loss = torch.nn.functional.cross_entropy(logits.float(), target)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        value = loss.item()
        if step == 0:
            started = time.perf_counter()
        else:
            real_tokens += int(sum(len(encoded[r]) for r in rows))
    elapsed = time.perf_counter() - started
    del model, optimizer
    torch.cuda.empty_cache()
    return {"samples_per_s": batch * (steps - 1) / elapsed, "tokens_per_s": real_tokens / elapsed,
            "final_loss": value, "host_batching_s": host, "elapsed_s": elapsed}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--finetune", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()
    shared, work, ft = Path(args.shared), Path(args.work), args.finetune
    shutil.rmtree(work, ignore_errors=True)
    model = work / "bert-base"
    model_folder(model, shared / "data/tokenizers/bert-base-uncased", BERT_BASE)
    data = shared / "data/sst2/train.tsv"
    project = work / "project"
    run([ft, "project", "init", project])
    run([ft, "dataset", "import", "--project", project, "--name", "sst2", data, "--split-ratios", "1,0,0"])
    with open(data, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    texts, labels = [r["sentence"] for r in rows], [int(r["label"]) for r in rows]

    print(f"bert-base shape, SST-2, batch {args.batch_size}, {args.steps} steps (2..{args.steps} timed); "
          f"{torch.cuda.get_device_name()}; torch {torch.__version__}")
    print(f"{'padding':10} {'precision':9} {'ours samples/s':>14} {'peer samples/s':>14} {'ratio':>6} "
          f"{'ours tok/s':>10} {'peer tok/s':>10} {'ours loss':>9} {'peer loss':>9}")
    for padding, precision in CONFIGS:
        a = ours(ft, project, model / "config.json", work, padding, precision, args.steps, args.batch_size)
        b = peer(model, texts, labels, padding, precision, args.steps, args.batch_size)
        print(f"{padding:10} {precision:9} {a['samples_per_s']:14.1f} {b['samples_per_s']:14.1f} "
              f"{a['samples_per_s'] / b['samples_per_s']:6.2f} {a['tokens_per_s']:10.0f} {b['tokens_per_s']:10.0f} "
              f"{a['final_loss']:9.4f} {b['final_loss']:9.4f}  (peer: {b['elapsed_s']:.2f} s, "
              f"{b['host_batching_s']:.2f} s of it batching on the host)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
