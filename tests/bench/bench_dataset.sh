#!/usr/bin/env bash
# bench_dataset.sh: a 1,000,000-row dataset end to end: importing a generated CSV with
# `finetune dataset import` (rows/s, wall time, peak RSS of the process) and then opening and
# scrolling it on the Datasets page (bench_dataset_view: time to first paint, frame times while
# paging and jumping, label filter and text search). A benchmark, not a test: it prints figures
# and never fails on them. Targets (issue: datasets): import under 10 s and 300 MB; no frame over
# 50 ms while scrolling.
#
#   tests/bench/bench_dataset.sh [--build DIR] [--rows N] [--steps N] [--keep]
#
# The CSV has columns text,label: generated product reviews of 4-30 words (mean ~80 bytes),
# 3 labels, seeded; about 85 MB for a million rows. No split column, so the import also plans a
# stratified 80/10/10 split (two passes over the file).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$root/build"
rows=1000000
steps=200
keep=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --build) build=$2; shift 2 ;;
        --rows) rows=$2; shift 2 ;;
        --steps) steps=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
finetune="$build/app/finetune"
view="$build/tests/bench_dataset_view"
for f in "$finetune" "$view"; do [[ -x "$f" ]] || { echo "$f not found (build it first)" >&2; exit 1; }; done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_dataset.XXXXXX")
cleanup() { if (( keep )); then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi; }
trap cleanup EXIT

python3 - "$tmp/big.csv" "$rows" <<'PY'
import random, sys
path, rows = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
words = ("kettle lamp jacket tent monitor blender chair bottle phone case backpack keyboard great awful "
         "fine broke works perfectly cheap sturdy loud quiet returned again never always really mostly "
         "value money price quality service arrived late early damaged").split()
labels = ("positive", "negative", "neutral")
with open(path, "w", encoding="utf-8") as out:
    out.write("text,label\n")
    for i in range(rows):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(4, 30)))
        if i % 97 == 0:
            text = '"' + text.replace(" ", ", ", 1) + '"'  # some quoted fields with commas
        out.write(f"{text},{labels[rng.randrange(3)]}\n")
PY
"$finetune" project init "$tmp/project" > /dev/null
echo "bench_dataset: $rows rows ($(du -h "$tmp/big.csv" | cut -f1)), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 - "$finetune" "$view" "$tmp" "$steps" <<'PY'
import json, resource, subprocess, sys, time
finetune, view, tmp, steps = sys.argv[1:5]

def run(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - start
    if out.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    # ru_maxrss of children is the largest of any child so far: run the big one first.
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return out, wall, rss

out, wall, rss = run([finetune, "dataset", "import", "--project", f"{tmp}/project", "--name", "big",
                      f"{tmp}/big.csv", "--json"])
summary = json.loads([l for l in out.stdout.splitlines() if l.startswith("{")][-1])
imported = summary.get("imported", summary.get("rows"))
print(f"\nimport: {imported} rows in {wall:.2f} s = {imported / wall:,.0f} rows/s, peak RSS {rss:.0f} MB "
      f"(targets: < 10 s, < 300 MB)")
out, wall, _ = run([view, f"{tmp}/project", "--steps", steps])
v = json.loads(out.stdout.strip().splitlines()[-1])
print(f"view ({v['rows']:,} rows): first paint {v['first_paint_ms']:.0f} ms after opening "
      f"(query {v['open_query_ms']:.0f} ms), peak RSS {v['peak_rss_mb']:.0f} MB")
for name in ("page_steps", "random_jumps"):
    f = v[name]
    print(f"  {name}: {f['frames']} frames, median {f['median_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, "
          f"worst {f['worst_ms']:.1f} ms (target: none over 50 ms)")
print(f"  label filter: query {v['label_filter_query_ms']:.0f} ms ({v['label_filter_rows']:,} rows), "
      f"paint {v['label_filter_paint_ms']:.1f} ms")
print(f"  text search: query {v['search_query_ms']:.0f} ms ({v['search_rows']:,} rows), "
      f"paint {v['search_paint_ms']:.1f} ms")
PY
