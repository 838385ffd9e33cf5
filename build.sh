#!/usr/bin/env bash
# colconv's commands. On a fresh Debian 12 each installs the Debian packages it is missing (apt-get, through sudo
# when not root), configures build/ in release mode and compiles.
#   ./build.sh         then runs the main job, `colconv demo`
#   ./build.sh test    then runs the whole test suite; the last line is "N passed, M failed"
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(g++ pkg-config meson ninja-build python3 libhwy-dev libtbb-dev libopenblas-dev doctest-dev)

# apt-get install only what dpkg does not already have; nothing at all when everything is present.
install_missing() {
  local missing=() sudo=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "build.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "build.sh: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# configure DIR [meson options...]: set the folder up once; later calls only recompile.
configure() {
  local dir=$1
  shift
  [ -f "$dir/build.ninja" ] || meson setup "$dir" --buildtype=release -Dwerror=true "$@"
  ninja -C "$dir"
}

# run_suite DIR [meson test options...]: the whole suite of one build, then its count line.
run_suite() {
  local dir=$1
  shift
  local status=0
  meson test -C "$dir" --print-errorlogs "$@" || status=$?
  python3 tools/count_tests.py "$dir/meson-logs/testlog.json" || status=1
  return $status
}

command=${1:-demo}
case "$command" in
  demo)
    install_missing "${PACKAGES[@]}"
    configure build
    ./build/tools/colconv demo
    ;;
  test)
    install_missing "${PACKAGES[@]}"
    configure build
    run_suite build
    ;;
  *)
    echo "usage: ./build.sh [test]" >&2
    exit 2
    ;;
esac
