#!/usr/bin/env bash
# package_test.sh BUILD_DIR: the packages as a user meets them. Builds the
# .deb and .tar.gz with CPack; checks the .deb with lintian (no errors), its
# desktop entry with desktop-file-validate, its AppStream metainfo with
# appstreamcli and its MIME type with the shared MIME database; installs it
# (as root with dpkg -i, otherwise unpacked into a scratch root) and runs
# `finetune --version`, `finetune doctor` and the studio's offscreen smoke test
# from the installed paths, the studio copying the bundled sample project into
# a fresh home on first use; does the same from the tarball unpacked somewhere
# else; then removes the package and checks that nothing is left behind.
set -euo pipefail

build=$(cd "$1" && pwd)
work=$(mktemp -d)
installed_by_dpkg=0
cleanup() {
  if ((installed_by_dpkg)); then dpkg -P finetune-studio >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

app_id=org.finetunestudio.FinetuneStudio

step "cpack"
(cd "$build" && cpack -G "DEB;TGZ" -B "$work/packages" >"$work/cpack.log") || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/packages/*.deb)
tgz=$(ls "$work"/packages/*.tar.gz)
echo "$(basename "$deb") $(du -h "$deb" | cut -f1), $(basename "$tgz") $(du -h "$tgz" | cut -f1)"

step "lintian"
lintian --fail-on error --tag-display-limit 0 "$deb" 2>&1 | grep -v "running with root privileges" || true
lintian --fail-on error "$deb" >/dev/null 2>&1 || fail "lintian reports errors"

step "desktop entry, AppStream, MIME type"
dpkg-deb -x "$deb" "$work/unpacked"
share="$work/unpacked/usr/share"
desktop-file-validate "$share/applications/$app_id.desktop"
appstreamcli validate --no-net "$share/metainfo/$app_id.metainfo.xml"
# The project MIME type, in a MIME database of its own: a project.sqlite is recognised by name and content.
mkdir -p "$work/mime/mime/packages"
cp "$share/mime/packages/$app_id.xml" "$work/mime/mime/packages/"
update-mime-database "$work/mime/mime" >/dev/null # (its note that the folder is not searched is expected)
cp "$share/finetune-studio/projects/sample/project.sqlite" "$work/renamed.db"
for file in "$share/finetune-studio/projects/sample/project.sqlite" "$work/renamed.db"; do
  type=$(XDG_DATA_DIRS="$work/mime" XDG_DATA_HOME="$work/none" gio info -a standard::content-type "$file" |
         sed -n 's/.*standard::content-type: //p')
  [[ "$type" == application/vnd.finetune-studio.project ]] || fail "$(basename "$file") is $type"
done

# Runs the installed binaries under `prefix` with a fresh home: version, doctor, the studio's smoke test.
check_installed() {
  local prefix=$1 home=$2
  "$prefix/bin/finetune" --version | grep -q "0\." || fail "$prefix/bin/finetune --version"
  "$prefix/bin/finetune" doctor --json --matmul-size 128 | grep -q '"version"' || fail "finetune doctor"
  mkdir -p "$home"
  HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" QT_QPA_PLATFORM=offscreen \
    "$prefix/bin/finetune-studio" --screenshot "$home/studio.png" || fail "the studio's smoke test ($prefix)"
  [[ -s "$home/studio.png" ]] || fail "no screenshot"
  [[ -f "$home/Documents/Finetune Studio/sample/project.sqlite" ]] || fail "the sample was not copied on first use"
  "$prefix/bin/finetune" project info "$home/Documents/Finetune Studio/sample" | grep -q "Integrity  ok" ||
    fail "the copied sample"
}

step "install"
if ((EUID == 0)) && ! dpkg -s finetune-studio >/dev/null 2>&1; then
  dpkg -i "$deb"
  installed_by_dpkg=1
  mapfile -t files < <(dpkg -L finetune-studio)
  check_installed /usr "$work/home"
  dpkg --verify finetune-studio || fail "installed files changed (the sample must never be written in place)"
else
  echo "(not root, or a finetune-studio is installed already: into a scratch root instead)"
  dpkg-deb -x "$deb" "$work/root"
  check_installed "$work/root/usr" "$work/home"
fi

step "tarball, unpacked elsewhere"
mkdir -p "$work/elsewhere"
tar -xzf "$tgz" -C "$work/elsewhere"
check_installed "$(ls -d "$work"/elsewhere/*/)" "$work/home2"

if ((installed_by_dpkg)); then
  step "remove"
  dpkg -P finetune-studio
  installed_by_dpkg=0
  left=()
  for path in "${files[@]}"; do
    [[ -d "$path" && ! -L "$path" ]] && [[ "$path" != */finetune-studio* ]] && continue # shared folders (/usr/bin, ...)
    [[ -e "$path" || -L "$path" ]] && left+=("$path")
  done
  ((${#left[@]} == 0)) || fail "left behind: ${left[*]}"
  [[ ! -e /usr/share/finetune-studio && ! -e /usr/share/doc/finetune-studio ]] || fail "folders left behind"
fi
echo "package test passed"
