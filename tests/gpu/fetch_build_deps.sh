#!/usr/bin/env bash
# fetch_build_deps.sh DIR: downloads into DIR the Debian 12 packages (.deb) that building `finetune`
# needs besides LibTorch and a compiler, so that it can be built on a CUDA machine whose system lacks
# them. Run it where apt reaches Debian 12; cuda_checks.sh --debs DIR unpacks them into a private
# prefix there (nothing is installed into that machine's system).
set -euo pipefail
dir=${1:?usage: fetch_build_deps.sh DIR}
mkdir -p "$dir"
packages=(
    libonnx-dev libonnx1 libonnxifi libprotobuf-dev libprotobuf32  # ONNX export: ONNX's protobuf classes
    libsqlite3-dev libsqlite3-0                          # the project store
    nlohmann-json3-dev libcli11-dev                      # JSON, the command line
    libcpp-httplib-dev libcpp-httplib0.11 libssl-dev libssl3 zlib1g-dev libbrotli-dev libbrotli1  # hub, serve
    libutf8proc-dev libutf8proc2 libicu-dev libicu72     # tokenizers, text decoding
    libstb-dev libstb0                                   # image checks at import
    pkgconf pkgconf-bin libpkgconf3                      # pkg-config, for the libraries above
)
cd "$dir"
apt-get download "${packages[@]}"
ls -1 "$dir"/*.deb | wc -l
