#!/usr/bin/env bash
# One command for the demo: installs missing Debian packages, builds smppscope (Release) and runs
# `smppscope demo` (simulator + proxy + web UI + traffic). Extra arguments go to `smppscope demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh --no-browser
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSMPPSCOPE_TESTS=OFF -DSMPPSCOPE_BENCH=OFF >/dev/null
cmake --build build -j"$(nproc)" --target smppscope
exec build/smppscope demo "$@"
