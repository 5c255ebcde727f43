#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and running
# Finetune Studio needs. Idempotent and non-interactive: when everything is
# already installed it changes nothing and asks no network.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ ccache pkg-config
  # fuzzing: clang with libFuzzer and the sanitizers' runtimes (the fuzz preset)
  clang libclang-rt-14-dev
  # core: LibTorch with OpenBLAS (without it LibTorch falls back to the
  # reference BLAS and trains about 10x slower), storage, JSON, CLI, text
  libtorch-dev libopenblas0-pthread libsqlite3-dev sqlite3 nlohmann-json3-dev
  libcli11-dev libutf8proc-dev libsentencepiece-dev libfmt-dev libspdlog-dev
  libstb-dev libicu-dev libonnx-dev libcpp-httplib-dev libssl-dev
  # distributed training: the headers of Gloo, which LibTorch's c10d uses on CPUs
  libgloo-dev
  # studio
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6
  qt6-qpa-plugins fonts-dejavu-core
  # tests: a virtual display, a private D-Bus session bus, and Python's torch
  # as the reference and benchmark peer (never needed at run time)
  xvfb xauth dbus-daemon python3 python3-torch python3-numpy
  # tests: the ONNX export's independent checks, Python's onnx checker and
  # ONNX Runtime for Node (npm installs it into the build tree)
  python3-onnx nodejs
  # tests: the image preprocessing reference (Hugging Face's image processors
  # resize through PIL)
  python3-pil
  # packages and their test: dpkg-shlibdeps (dpkg-dev, file), lintian, the
  # desktop entry, AppStream and MIME checks (gio from libglib2.0-bin)
  dpkg-dev file lintian desktop-file-utils appstream shared-mime-info libglib2.0-bin
)
# Debian's npm conflicts with NodeSource's nodejs, which brings its own npm.
command -v npm >/dev/null || packages+=(npm)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  # Installed, or installed with dpkg triggers still to run: usable either way.
  [[ "$status" =~ ^install\ ok\ (installed|triggers-pending|triggers-awaited)$ ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  echo "bootstrap: all ${#packages[@]} packages are installed"
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "bootstrap: run as root or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi

echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
