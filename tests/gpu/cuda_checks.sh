#!/usr/bin/env bash
# cuda_checks.sh: builds `finetune` against the LibTorch of the machine's CUDA-enabled PyTorch and
# checks it on the GPU. Not part of the test suite (that must pass without a GPU); run it by hand on a
# machine with an NVIDIA GPU, PyTorch, transformers, peft and onnxruntime (see README.md here).
#
#   tests/gpu/cuda_checks.sh --out DIR [--debs DIR] [--shared DIR] [--build DIR] [--only STAGES]
#
#   --out DIR     logs and results (build.log, golden.txt, train.txt, bench.txt, exports.txt, decoder_peft.txt,
#                 summary.txt)
#   --debs DIR    Debian 12 .deb files from fetch_build_deps.sh, unpacked into a private prefix for a
#                 system that lacks the libraries (default: use the system's)
#   --shared DIR  the shared fixtures folder (golden/, data/sst2, data/tokenizers; default ../shared)
#   --only LIST   comma-separated stages among build,golden,train,exports,decoder_peft,bench (default: all)
#
# Stages: build (Release, no GUI, no tests, target finetune); golden (golden_cuda.py: the golden
# checkpoints' logits through `finetune predict --device cuda`); train (train_cuda.py: the same run on
# CPU and CUDA in fp32, and CUDA bf16/fp16); exports (check_exports.py: our exports loaded by
# transformers, peft, onnxruntime and torch.jit); decoder_peft (check_decoder_peft.py: a grouped-query
# Llama's prefix and prompt adapters loaded by peft); bench (bench_cuda.py: training throughput against
# transformers on the same GPU). A failed stage is reported and the next one still runs.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="" debs="" shared="$root/../shared" build="$root/build-cuda" only="build,golden,train,exports,decoder_peft,bench"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --out) out=$2; shift 2 ;;
        --debs) debs=$2; shift 2 ;;
        --shared) shared=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ -n "$out" ]] || { echo "--out DIR is required" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
shared=$(cd "$shared" && pwd)
python=${FT_PYTHON:-python3}
summary="$out/summary.txt"
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }
wants() { [[ ",$only," == *",$1,"* ]]; }
stage_start=0
begin() { stage_start=$SECONDS; echo "== $1 ($(date +%T))"; }
finish() { # STAGE STATUS
    note "stage $1: $([[ $2 == 0 ]] && echo ok || echo "FAILED ($2)") in $((SECONDS - stage_start)) s"
}

note "machine: $(nproc) cores; $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)"
note "python torch: $("$python" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)' 2>&1 | tail -1)"

# Libraries from Debian packages, unpacked into a prefix: found first by CMake and pkg-config, and
# on the library path of the binaries (through a wrapper, so Python's own libraries are untouched).
prefix_path="" libpath=""
if [[ -n "$debs" ]]; then
    prefix="$build/deps"
    mkdir -p "$prefix"
    for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$prefix"; done
    libpath="$prefix/usr/lib/x86_64-linux-gnu"
    prefix_path="$prefix/usr;"
    export PKG_CONFIG_LIBDIR="$libpath/pkgconfig:$prefix/usr/share/pkgconfig"
    export PKG_CONFIG_SYSROOT_DIR="$prefix"
    if ! command -v pkg-config > /dev/null; then
        printf '#!/bin/sh\nLD_LIBRARY_PATH="%s" exec "%s" "$@"\n' "$libpath" "$prefix/usr/bin/pkgconf" \
            > "$prefix/pkg-config"
        chmod +x "$prefix/pkg-config"
        export PKG_CONFIG="$prefix/pkg-config"
    fi
fi
finetune="$build/finetune"

if wants build; then
    begin build
    torch_prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
    export PATH="$PATH:/usr/local/cuda/bin"
    export CMAKE_POLICY_VERSION_MINIMUM=3.5
    arch=$("$python" -c 'import torch; c = torch.cuda.get_device_capability(); print(f"{c[0]}.{c[1]}")' 2>/dev/null)
    export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-${arch:-9.0}}
    {
        cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFINETUNE_BUILD_GUI=OFF \
            -DFINETUNE_BUILD_TESTS=OFF -DCMAKE_PREFIX_PATH="$prefix_path$torch_prefix" \
            ${PKG_CONFIG:+-DPKG_CONFIG_EXECUTABLE=$PKG_CONFIG} &&
        cmake --build "$build" --target finetune -- -k 0
    } > "$out/build.log" 2>&1
    status=$?
    if [[ $status != 0 ]]; then
        grep -E "error|Error|CMake Error" "$out/build.log" | head -40
        tail -n 30 "$out/build.log"
    fi
    finish build $status
    [[ $status == 0 ]] || exit 1
fi
printf '#!/bin/sh\nLD_LIBRARY_PATH="%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "%s" "$@"\n' \
    "$libpath" "$build/app/finetune" > "$finetune"
chmod +x "$finetune"
note "finetune: $("$finetune" --version 2>&1 | head -1)"
"$finetune" doctor > "$out/doctor.txt" 2>&1 || true

run_stage() { # NAME SCRIPT ARGS...
    local name=$1 script=$2; shift 2
    wants "$name" || return 0
    begin "$name"
    PYTHONUNBUFFERED=1 "$python" "$here/$script" --finetune "$finetune" --shared "$shared" --work "$build/$name" "$@" \
        2>&1 | tee "$out/$name.txt"
    finish "$name" "${PIPESTATUS[0]}"
}
run_stage golden golden_cuda.py
run_stage train train_cuda.py
run_stage exports check_exports.py
run_stage decoder_peft check_decoder_peft.py
run_stage bench bench_cuda.py
echo "== summary"
cat "$summary"
