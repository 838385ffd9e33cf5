#!/bin/sh
# pip install --no-build-isolation of a copy of the source tree into a temporary venv made with
# --system-site-packages (Debian's meson-python, numpy, torch), with the package index off: the installed colconv
# must import from the venv and compute. Usage: pip_install_test.sh SOURCE_DIR
set -eu
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
tar -C "$src" --exclude='./build*' --exclude='./.git' --exclude='./.mesonpy*' -cf - . | tar -C "$tmp/src" -xf -
/usr/bin/python3 -m venv --system-site-packages "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --no-build-isolation --no-index "$tmp/src"
cd "$tmp"
"$tmp/venv/bin/python" - "$tmp/venv" <<'PY'
import sys
import numpy as np
import colconv
import colconv.torch
assert colconv.__file__.startswith(sys.argv[1]), f"colconv imported from {colconv.__file__}, not the venv"
y = colconv.conv2d(np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1), np.ones((2, 2, 1, 1), np.float32))
assert y.ravel().tolist() == [8.0, 12.0, 20.0, 24.0], y.ravel()
print("pip install: colconv", colconv.__version__, "from", colconv.__file__)
PY
