#!/usr/bin/python3
"""kill_test.py: kill -9 a training run at random moments and prove it loses nothing.

    kill_test.py FINETUNE WORKDIR [KILLS=20] [SEED=1]

Creates the sample project in WORKDIR/project, trains the sample scratch model
once without interruption (the reference), then trains the same configuration
again and SIGKILLs `finetune train` KILLS times: after random delays, and,
every third kill, right after a checkpoint's staging folder appears (so the
kill lands in the middle of writing it). After every kill the database passes
PRAGMA integrity_check and the run is resumed with `finetune train --resume`.
A run that completes before the kills are spent is checked, and a new one is
started. Every completed run must match the reference: the same metric points
(train/loss at every step exactly once, evaluations and test metrics as
configured, bit-equal values) and a bit-identical model.safetensors; and no
kill may cost more than one checkpoint interval (save_steps) of training.

Debian's /usr/bin/python3 with its sqlite3 module; nothing else. Exits 0 and
prints the figures when every check holds, 1 with the reason otherwise. The
session logs stay in WORKDIR/logs for a failure's diagnosis.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

MAX_STEPS = 60
SAVE_STEPS = 4
EVAL_STEPS = 12  # a multiple of SAVE_STEPS: every checkpoint, best ones included, lies on the save grid
CHECKPOINT_FILES = ("model.safetensors", "config.json", "optimizer.safetensors", "trainer_state.json")


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Project:
    def __init__(self, folder):
        self.folder = Path(folder)

    def query(self, sql, *args):
        # A fresh connection each time: it recovers the -wal a killed writer left, and holds no lock
        # while `finetune` runs.
        db = sqlite3.connect(self.folder / "project.sqlite", timeout=30, isolation_level=None)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def integrity(self):
        result = self.query("PRAGMA integrity_check")
        check(result == [("ok",)], f"PRAGMA integrity_check: {result}")
        check(self.query("PRAGMA foreign_key_check") == [], "PRAGMA foreign_key_check found orphans")

    def newest_run_after(self, run_id):
        row = self.query("SELECT max(id) FROM runs WHERE id > ?", run_id)[0][0]
        return row

    def run_state(self, run_id):
        return self.query("SELECT state, coalesce(error, ''), coalesce(capsule_json, '') FROM runs WHERE id = ?",
                          run_id)[0]

    def metrics(self, run_id):
        points = {}
        for name, step, value in self.query("SELECT name, step, value FROM metrics WHERE run_id = ? ORDER BY name, step",
                                            run_id):
            points.setdefault(name, []).append((step, value))
        return points

    def last_logged_step(self, run_id):
        return self.query("SELECT coalesce(max(step), 0) FROM metrics WHERE run_id = ? AND name = 'train/loss'",
                          run_id)[0][0]

    def recorded_checkpoints(self, run_id):
        return [(step, path) for step, path in
                self.query("SELECT step, path FROM checkpoints WHERE run_id = ? ORDER BY step", run_id)]

    def run_folder(self, run_id):
        return self.folder / "runs" / str(run_id)


def is_complete(folder):
    return all((folder / name).is_file() for name in CHECKPOINT_FILES)


def scan(run_folder):
    """Checkpoint folders on disk: the complete published steps, the steps being staged, stray .tmp files."""
    published, staged, temporary = set(), set(), []
    if run_folder.is_dir():
        for entry in run_folder.iterdir():
            if m := re.fullmatch(r"checkpoint-(\d+)", entry.name):
                if is_complete(entry):
                    published.add(int(m.group(1)))
            elif m := re.fullmatch(r"checkpoint-(\d+)\.partial", entry.name):
                staged.add(int(m.group(1)))
        temporary = [p for p in run_folder.rglob("*.tmp")]
    return published, staged, temporary


def write_identities(run_folder):
    """Checkpoint folders (staged or published) and .tmp files, each with its identity: telling what a
    session wrote from what an earlier one left (a staging folder stays until its step is redone)."""
    found = {}
    if run_folder.is_dir():
        for path in list(run_folder.glob("checkpoint-*")) + list(run_folder.rglob("*.tmp")):
            try:
                info = path.stat()
                found[path] = (info.st_ino, info.st_mtime_ns)
            except FileNotFoundError:
                pass
    return found


def staging_appeared(run_folder, before):
    """Whether a checkpoint staging folder appeared that was not there before (as `before` has it)."""
    try:
        with os.scandir(run_folder) as entries:
            for entry in entries:
                if entry.name.endswith(".partial"):
                    info = entry.stat(follow_symlinks=False)
                    if before.get(Path(entry.path)) != (info.st_ino, info.st_mtime_ns):
                        return True
    except FileNotFoundError:
        pass
    return False


class Trainer:
    """Starts `finetune train` sessions; stderr goes to WORKDIR/logs/session-N.log."""

    def __init__(self, finetune, project, config, logs):
        self.finetune = finetune
        self.project = project
        self.config = config
        self.logs = logs
        self.sessions = 0
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, resume=None, name=None):
        self.sessions += 1
        args = [self.finetune, "train", "--project", str(self.project.folder), "--json"]
        if resume:
            args += ["--resume", str(resume)]
        else:
            model = self.project.folder / "scratch-model" / "config.json"
            args += ["--dataset", "product-reviews", "--model", f"scratch:{model}", "--config", str(self.config)]
            if name:
                args += ["--name", name]
        log = self.logs / f"session-{self.sessions:04d}.log"
        with open(log, "wb") as err:
            process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err)
        process.log = log
        return process


def finish(process, what):
    out, _ = process.communicate()
    log = process.log.read_text(errors="replace")
    check(process.returncode == 0, f"{what} exited {process.returncode}:\n{log[-2000:]}")
    return json.loads(out.decode().strip().splitlines()[-1])


def resumed_from(log_file):
    match = re.search(r"resumed from runs/\d+/checkpoint-\d+ \(step (\d+)\)", log_file.read_text(errors="replace"))
    return int(match.group(1)) if match else None


def verify_run(project, run_id, reference, reference_weights):
    state, error, capsule = project.run_state(run_id)
    check(state == "completed", f"run {run_id} ended {state}: {error}")
    check(capsule != "", f"run {run_id} lost its capsule")
    points = project.metrics(run_id)
    check(sorted(points) == sorted(reference), f"run {run_id} has metrics {sorted(points)}, not {sorted(reference)}")
    check([s for s, _ in points["train/loss"]] == list(range(1, MAX_STEPS + 1)),
          f"run {run_id}: train/loss steps are {[s for s, _ in points['train/loss']]}")
    check([s for s, _ in points["eval/loss"]] == list(range(EVAL_STEPS, MAX_STEPS + 1, EVAL_STEPS)),
          f"run {run_id}: eval/loss steps are {[s for s, _ in points['eval/loss']]}")
    check([s for s, _ in points["test/accuracy"]] == [MAX_STEPS], f"run {run_id}: test/accuracy is {points['test/accuracy']}")
    for name, series in reference.items():
        if points[name] != series:
            diff = next((a, b) for a, b in zip(points[name], series) if a != b) if len(points[name]) == len(series) else None
            raise Failure(f"run {run_id}: {name} differs from the uninterrupted run (first difference {diff})")
    folder = project.run_folder(run_id)
    weights = (folder / "model" / "model.safetensors").read_bytes()
    check(weights == reference_weights, f"run {run_id}: model.safetensors differs from the uninterrupted run's")
    recorded = project.recorded_checkpoints(run_id)
    for step, path in recorded:
        check(is_complete(project.folder / path), f"run {run_id}: recorded checkpoint {path} is incomplete")
    on_disk = sorted(p.name for p in folder.glob("checkpoint-*") if not p.name.endswith(".partial"))
    check(on_disk == sorted(Path(path).name for _, path in recorded),
          f"run {run_id}: checkpoint folders {on_disk} are not those recorded, {recorded}")
    _, staged, temporary = scan(folder)
    check(not staged and not temporary, f"run {run_id} left {sorted(staged)} staged and {temporary} behind")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("finetune")
    parser.add_argument("workdir")
    parser.add_argument("kills", nargs="?", type=int, default=20)
    parser.add_argument("seed", nargs="?", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()

    work = Path(args.workdir).absolute()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    project = Project(work / "project")
    subprocess.run([args.finetune, "project", "sample", str(project.folder)], check=True, stdout=subprocess.DEVNULL)
    config = work / "run.json"
    config.write_text(json.dumps({
        "max_steps": MAX_STEPS, "per_device_train_batch_size": 16, "learning_rate": 1e-3, "warmup_ratio": 0.1,
        "save_steps": SAVE_STEPS, "save_total_limit": 2, "logging_steps": 1, "eval_strategy": "steps",
        "eval_steps": EVAL_STEPS, "max_length": 48, "threads": 1, "seed": args.seed}))
    trainer = Trainer(args.finetune, project, config, work / "logs")

    # The reference, timed: how long a session takes to start and a step to run, and how long a
    # checkpoint takes to write (its staging folder is there), to aim the kills.
    begin = time.monotonic()
    process = trainer.start(name="reference")
    first_checkpoint, write_times, staging_since = None, [], None
    while process.poll() is None:
        staging = any(project.folder.glob("runs/*/checkpoint-*.partial"))
        now = time.monotonic()
        if staging and staging_since is None:
            staging_since = now
            first_checkpoint = first_checkpoint or now - begin
        elif not staging and staging_since is not None:
            write_times.append(now - staging_since)
            staging_since = None
        time.sleep(0.0002)
    summary = finish(process, "the reference run")
    reference_seconds = time.monotonic() - begin
    reference_id = summary["run_id"]
    reference = project.metrics(reference_id)
    reference_weights = (project.run_folder(reference_id) / "model" / "model.safetensors").read_bytes()
    check(first_checkpoint is not None, "the reference run wrote no checkpoint that could be seen")
    step_seconds = (reference_seconds - first_checkpoint) / (MAX_STEPS - SAVE_STEPS)
    startup_seconds = max(0.0, first_checkpoint - SAVE_STEPS * step_seconds)
    write_seconds = statistics.median(write_times) if write_times else 0.002
    window = startup_seconds + 3 * SAVE_STEPS * step_seconds

    # The kills.
    kills = aimed_kills = mid_write = unrecorded = before_run = 0
    redone_min, redone_max = [], []
    run_id, last_known = None, reference_id
    completed = []
    expected_resume = {}  # session log -> the step it must resume from
    expected = 0  # the step the next session of run_id must resume from
    while kills < args.kills:
        written_before = write_identities(project.run_folder(run_id)) if run_id else {}
        logged_before = project.last_logged_step(run_id) if run_id else 0
        session_start = expected if run_id else 0
        process = trainer.start(resume=run_id)
        if run_id is not None:
            expected_resume[process.log] = expected
        aimed = kills % 3 == 2
        deadline = time.monotonic() + rng.uniform(0, window)
        watched = project.run_folder(run_id or last_known + 1)
        while process.poll() is None:
            if aimed:
                if staging_appeared(watched, written_before):
                    time.sleep(rng.uniform(0, write_seconds))
                    break
            elif time.monotonic() >= deadline:
                break
            time.sleep(0.0002)
        if process.poll() is not None:  # it finished first: the run completed
            summary = finish(process, f"session {trainer.sessions}")
            completed.append(summary["run_id"])
            last_known, run_id = summary["run_id"], None
            continue
        process.send_signal(signal.SIGKILL)
        if process.wait() != -signal.SIGKILL:  # it ended on its own just before the signal
            summary = finish(process, f"session {trainer.sessions}")
            completed.append(summary["run_id"])
            last_known, run_id = summary["run_id"], None
            continue
        process.communicate()
        kills += 1
        aimed_kills += 1 if aimed else 0

        project.integrity()
        if run_id is None:
            run_id = project.newest_run_after(last_known)
            if run_id is None:
                before_run += 1  # killed before the run existed: the next session starts it again
                continue
        if project.run_state(run_id)[0] == "completed":  # killed on its way out, the run done
            completed.append(run_id)
            last_known, run_id = run_id, None
            continue
        folder = project.run_folder(run_id)
        published, _, _ = scan(folder)
        recorded = {step for step, _ in project.recorded_checkpoints(run_id)}
        resumable = max((s for s, path in project.recorded_checkpoints(run_id) if is_complete(project.folder / path)),
                        default=0)
        newest_published = max(published, default=0)
        # What this session wrote, not what an earlier kill left: a staging folder or .tmp file it
        # left means the kill landed mid-write.
        fresh = [path for path, identity in write_identities(folder).items() if written_before.get(path) != identity]
        fresh_steps = {int(re.search(r"checkpoint-(\d+)", str(p)).group(1)) for p in fresh if "checkpoint-" in str(p)}
        mid_write += 1 if any(p.name.endswith((".partial", ".tmp")) for p in fresh) else 0
        unrecorded += 1 if newest_published not in recorded and newest_published in fresh_steps else 0
        # Steps this session did before the kill: at least where it started and what it left in the
        # store and on disk; at most up to the checkpoint after the newest published one (a
        # checkpoint is published, then recorded).
        logged = project.last_logged_step(run_id)
        reached = max(session_start, logged if logged != logged_before else 0, max(fresh_steps, default=0))
        reached_bound = newest_published if newest_published not in recorded else newest_published + SAVE_STEPS
        reached_bound = min(MAX_STEPS, max(reached_bound, reached))
        redone_min.append(reached - resumable)
        redone_max.append(reached_bound - resumable)
        check(reached_bound - resumable <= SAVE_STEPS,
              f"kill {kills}: run {run_id} reached step {reached} (at most {reached_bound}) but can resume only "
              f"from step {resumable}")
        expected = resumable

    if run_id is not None:  # the kills are spent: the run trains to its end
        process = trainer.start(resume=run_id)
        expected_resume[process.log] = expected
        completed.append(finish(process, f"session {trainer.sessions}")["run_id"])
    for log, step in expected_resume.items():  # sessions killed before they said so are not checked
        found = resumed_from(log)
        check(found is None or found == step,
              f"{log.name} resumed from step {found}, the newest complete checkpoint was step {step}")
    for run in completed:
        verify_run(project, run, reference, reference_weights)
    project.integrity()

    figures = {
        "kills": kills,
        "sessions": trainer.sessions,
        "runs_completed": len(completed),
        "kills_aimed_at_checkpoints": aimed_kills,
        "kills_mid_checkpoint_write": mid_write,
        "kills_between_publish_and_record": unrecorded,
        "kills_before_the_run_existed": before_run,
        "max_steps_redone_seen": max(redone_min, default=0),
        "max_steps_redone_bound": max(redone_max, default=0),
        "mean_steps_redone_seen": round(statistics.mean(redone_min), 2) if redone_min else 0,
        "save_steps": SAVE_STEPS,
        "reference_seconds": round(reference_seconds, 2),
        "checkpoint_write_ms": round(write_seconds * 1000, 1),
        "session_startup_s": round(startup_seconds, 2),
        "step_ms": round(step_seconds * 1000, 1),
        "kill_window_s": round(window, 2),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(figures))
    print(f"OK: {kills} kills over {len(completed)} run(s), {mid_write} mid-checkpoint; every run resumed to the "
          f"reference's weights and metrics, at most {max(redone_max, default=0)} steps redone per kill")


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        sys.exit(1)
