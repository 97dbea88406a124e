#!/usr/bin/env bash
# Builds smppscope (Release) and installs the binary and the systemd unit.
# Usage: deploy/install.sh [PREFIX]   (default /usr/local; needs root for the unit)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
deploy/install-deps.sh --no-browser
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSMPPSCOPE_TESTS=OFF -DSMPPSCOPE_BENCH=OFF >/dev/null
cmake --build build -j"$(nproc)" --target smppscope
install -D -m 0755 build/smppscope "$prefix/bin/smppscope"
if [[ -d /etc/systemd/system ]]; then
  install -D -m 0644 deploy/smppscope.service /etc/systemd/system/smppscope.service
  [[ -f /etc/default/smppscope ]] || install -D -m 0644 deploy/smppscope.default /etc/default/smppscope
  echo "installed; edit /etc/default/smppscope, then: systemctl daemon-reload && systemctl enable --now smppscope"
else
  echo "installed $prefix/bin/smppscope"
fi
