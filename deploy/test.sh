#!/usr/bin/env bash
# One command for every test: installs missing Debian packages, builds with AddressSanitizer and
# UndefinedBehaviorSanitizer, runs the unit and integration tests (ctest), the decoder fuzzer for
# 60 s and the browser tests in headless Chromium. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
deploy/install-deps.sh

build=build-test
# -O1 -g1: sanitizer builds with line tables, compiled fast enough for 2-core CI.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMPPSCOPE_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DSMPPSCOPE_BENCH=OFF >/dev/null
cmake --build "$build" -j"$jobs"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
steps_passed=0
steps_failed=0
step() {  # step NAME COMMAND...
  local name=$1; shift
  echo "==> $name"
  if "$@"; then steps_passed=$((steps_passed + 1)); else steps_failed=$((steps_failed + 1)); failed=1; echo "FAILED: $name"; fi
}

step "unit and integration tests (ctest)" ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 900
if [[ -x tests/fuzz/run.sh ]]; then
  step "decoder fuzzer (60 s)" tests/fuzz/run.sh "${FUZZ_SECONDS:-60}"
fi
if [[ -x tests/browser/run.sh ]]; then
  step "browser tests (headless Chromium)" tests/browser/run.sh "$build/smppscope"
fi

echo "test steps: $steps_passed ok, $steps_failed failed (the ctest summary above counts the tests)"
exit $failed
