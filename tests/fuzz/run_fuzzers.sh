#!/usr/bin/env bash
# run_fuzzers.sh [SECONDS_PER_TARGET (60)] [BUILD_DIR (build-fuzz)]: builds the
# fuzz preset's targets if needed, then runs each for a bounded time, one at a
# time, on a copy of its seed corpus (the checked-in corpus never changes),
# with its dictionary. A crash, leak, timeout or out-of-memory input is kept
# under BUILD_DIR/crashes/<target>/; libFuzzer's log under BUILD_DIR/fuzz-logs/.
# Prints executions, exec/s, coverage (cov: edges, ft: features), corpus size
# and crashes per target; exits 1 when any target found something.
# FUZZ_TARGETS="csv vocab" runs a subset; FUZZ_JOBS sets the build's -j.
set -euo pipefail

seconds=${1:-60}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(realpath -m "${2:-$root/build-fuzz}")
read -r -a targets <<<"${FUZZ_TARGETS:-csv jsonl safetensors tokenizer_json vocab bert_config state_dict_pickle}"
json_targets=" jsonl safetensors tokenizer_json bert_config "

if [[ ! -f $build/CMakeCache.txt ]]; then
    if [[ $build == "$root/build-fuzz" ]]; then
        (cd "$root" && cmake --preset fuzz)
    else
        cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
            -DFINETUNE_BUILD_GUI=OFF -DFINETUNE_BUILD_TESTS=OFF -DFINETUNE_BUILD_FUZZERS=ON
    fi
fi
nice cmake --build "$build" --target fuzzers ${FUZZ_JOBS:+-j "$FUZZ_JOBS"}

# Scratch files (fuzz_support.cpp) go to memory when it can.
scratch_root=/dev/shm
[[ -d $scratch_root && -w $scratch_root ]] || scratch_root=${TMPDIR:-/tmp}
scratch=$(mktemp -d "$scratch_root/ft-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# The last "#N ... cov: X ft: Y corp: A/B ..." status line's value of `key`.
status_value() { grep -E '^#[0-9]+' "$1" | grep -o "$2: [^ ]*" | tail -n 1 | cut -d' ' -f2 || true; }
stat_value() { grep -E "^stat::$2:" "$1" | awk '{print $2}' || true; }

found=0
summary=()
for name in "${targets[@]}"; do
    binary=$build/tests/fuzz/fuzz_$name
    [[ -x $binary ]] || { echo "run_fuzzers: no $binary" >&2; exit 2; }
    work=$build/fuzz-work/$name
    crashes=$build/crashes/$name
    log=$build/fuzz-logs/$name.log
    rm -rf "$work"
    mkdir -p "$work/corpus" "$crashes" "$(dirname "$log")"
    cp "$here/corpus/$name/"* "$work/corpus/"
    dict=$work/$name.dict
    : >"$dict"
    [[ $json_targets == *" $name "* ]] && cat "$here/dicts/json.dict" >>"$dict"
    [[ -f $here/dicts/$name.dict ]] && cat "$here/dicts/$name.dict" >>"$dict"
    dict_option=()
    [[ -s $dict ]] && dict_option=(-dict="$dict") # libFuzzer refuses an empty dictionary
    before=$(find "$crashes" -type f | wc -l)

    echo "run_fuzzers: fuzz_$name for ${seconds}s (log: $log)"
    status=0
    (cd "$work" && TMPDIR=$scratch ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
        UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        nice "$binary" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        ${dict_option[@]+"${dict_option[@]}"} -artifact_prefix="$crashes/" "$work/corpus" >"$log" 2>&1) || status=$?

    execs=$(stat_value "$log" number_of_executed_units)
    rate=$(stat_value "$log" average_exec_per_sec)
    new=$(( $(find "$crashes" -type f | wc -l) - before ))
    corpus=$(find "$work/corpus" -type f | wc -l)
    if ((status != 0 || new > 0)); then
        found=1
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*uncaught exception|.*terminate called|.*what\(\))' "$log" \
            | head -n 5 | sed "s/^/  fuzz_$name: /" || true
    fi
    summary+=("$(printf '%-15s %10s %8s %6s %7s %7s %8s' "$name" "${execs:-?}" "${rate:-?}" \
        "$(status_value "$log" cov)" "$(status_value "$log" ft)" "$corpus" "$new")")
done

echo
printf '%-15s %10s %8s %6s %7s %7s %8s\n' target execs exec/s cov ft corpus crashes
printf '%s\n' "${summary[@]}"
if ((found)); then
    echo "run_fuzzers: findings kept under $build/crashes/ (reproduce: <binary> <file>)"
    exit 1
fi
