"""cli_runs.py: running `finetune` from the GPU check scripts: a command's stdout (or a clear exit
with its stderr when it fails), the JSON summary line the --json commands end with, and a model
folder of the given config beside a tokenizer's files."""
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


def model_folder(folder, tokenizer, config):
    """Writes config.json with the tokenizer's vocab.txt/tokenizer.json/tokenizer_config.json beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        if (tokenizer / name).exists():
            shutil.copy(tokenizer / name, folder / name)
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    return folder / "config.json"
