#!/usr/bin/env bash
# Browser tests of the live UI in headless Chromium: run.sh path/to/smppscope
# Starts an SMSC simulator, `smppscope proxy --web` and the load generator, then drives
# /usr/bin/chromium with playwright-core.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(realpath "${1:?usage: tests/browser/run.sh path/to/smppscope}")"
cd "$here"
if [[ ! -d node_modules/playwright-core ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p artifacts
SMPPSCOPE_BINARY="$bin" exec node --test --test-concurrency=1 ui.test.mjs
