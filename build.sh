#!/usr/bin/env bash
# colconv's commands. Each installs the Debian packages it is missing (apt-get, through sudo when not root),
# configures its build folder and compiles.
#   ./build.sh               release build in build/, then the main job: colconv demo
#   ./build.sh test          release build in build/, then the whole test suite
#   ./build.sh sanitize      ASan + UBSan build in build-sanitize/, then the whole test suite
#   ./build.sh cross-arm64   aarch64 cross build in build-arm64/, then the whole test suite under qemu
#   ./build.sh tsan          ThreadSanitizer build in build-tsan/, then the concurrency tests
#   ./build.sh fuzz [SECONDS] clang libFuzzer + ASan + UBSan build in build-fuzz/, then fuzzes the C API (120 s)
# A suite's last line is "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(g++ pkg-config meson ninja-build python3 libhwy-dev libtbb-dev libopenblas-dev libdnnl-dev doctest-dev)
# The Python binding's tests run with the suite: Debian's torch, torchvision and pybind11, and meson-python, venv and
# pip for the test that installs the package with pip.
PYTHON_PACKAGES=(python3-dev python3-numpy python3-torch python3-torchvision pybind11-dev python3-mesonpy python3-venv python3-pip)
ARM64_PACKAGES=(g++-aarch64-linux-gnu qemu-user libhwy-dev:arm64 libtbb-dev:arm64 libopenblas-dev:arm64)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    command -v sudo >/dev/null || { echo "build.sh: need root or sudo for: $*" >&2; exit 1; }
    sudo "$@"
  fi
}

# apt-get install only what dpkg does not already have; nothing at all when everything is present.
INSTALLED=0
install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "build.sh: installing ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  INSTALLED=1
}

# The arm64 packages co-install with the amd64 ones once dpkg knows the architecture.
install_arm64() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    as_root dpkg --add-architecture arm64
  fi
  install_missing "${ARM64_PACKAGES[@]}"
}

# configure DIR [meson options...]: set the folder up once; later calls only recompile, unless packages were just
# installed (the Python binding, say, is only built when torch is there at configure time).
configure() {
  local dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" -Dwerror=true "$@"
  elif [ "$INSTALLED" -eq 1 ]; then
    # Configure afresh: meson keeps what the last configure found missing (libdnnl, say) in its cache.
    meson setup --wipe "$dir" -Dwerror=true "$@"
  fi
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
    configure build --buildtype=release
    ./build/tools/colconv demo
    ;;
  test)
    install_missing "${PACKAGES[@]}" "${PYTHON_PACKAGES[@]}"
    configure build --buildtype=release
    run_suite build
    ;;
  sanitize)
    install_missing "${PACKAGES[@]}"
    configure build-sanitize --buildtype=debugoptimized -Db_sanitize=address,undefined
    # Sanitizer findings fail the test that hit them; the random grids are thinned to keep the run short.
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      COLCONV_TEST_SCALE=0.3 run_suite build-sanitize --timeout-multiplier 4
    ;;
  cross-arm64)
    install_missing "${PACKAGES[@]}"
    install_arm64
    configure build-arm64 --cross-file cross/aarch64-linux-gnu.ini --buildtype=release
    run_suite build-arm64 --timeout-multiplier 4
    ;;
  tsan)
    install_missing "${PACKAGES[@]}"
    # This build and the fuzzing one run only here, so their kernels are compiled for this CPU's target alone.
    configure build-tsan --buildtype=debugoptimized -Db_sanitize=thread -Dtools=false -Dsimd_targets=native
    # The tests whose point is concurrency; TSan cannot see TBB's synchronization, so colconv runs its workers
    # on std::threads in this build (src/parallel.cc) and these tests keep their own TBB out of it.
    TSAN_OPTIONS=halt_on_error=1 COLCONV_TEST_SCALE=0.3 run_suite build-tsan --suite doctest \
      --test-args="--test-case=*stress*,*bitwise*identical*,*budget*,*cached*plans*"
    ;;
  fuzz)
    install_missing "${PACKAGES[@]}" clang libclang-rt-14-dev
    # OpenBLAS only: clang's OpenMP (libomp) is not installed, and mixing it with libdnnl's GNU OpenMP is unsafe.
    CC=clang CXX=clang++ configure build-fuzz --buildtype=debugoptimized -Dfuzz=true -Dtests=false -Dtools=false -Dgemm=openblas \
      -Dsimd_targets=native \
      -Db_sanitize=address,undefined -Db_lundef=false
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      run_suite build-fuzz --test-args="-max_total_time=${2:-120}"
    ;;
  *)
    echo "usage: ./build.sh [demo|test|sanitize|tsan|cross-arm64|fuzz [SECONDS]]" >&2
    exit 2
    ;;
esac
