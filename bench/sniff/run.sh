#!/usr/bin/env bash
# Passive capture benchmark (not a test): `smppscope sniff` watches `smppscope load` against
# `smppscope sim` over loopback (lo, filtered to the simulator's port) and must keep up without
# kernel drops. Prints the wire rate in PDUs/s (submit_sm + responses, from the load's own
# elapsed time), the PDUs the sniffer analysed, and the kernel's drop count. Needs root (or
# CAP_NET_RAW on the binary).
#
#   bench/sniff/run.sh                 # builds build-bench (Release) first
#   NO_BUILD=1 BUILD=build-x COUNT=4000000 REPEAT=3 BUFFER_MB=256 TAP_MB=512 bench/sniff/run.sh
#   RATE=250000 bench/sniff/run.sh     # 500,000 PDUs/s on the wire: the rate sniff must keep up with
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
COUNT=${COUNT:-2000000}
REPEAT=${REPEAT:-3}
SESSIONS=${SESSIONS:-2}
WINDOW=${WINDOW:-2000}
RATE=${RATE:-0}  # messages/s over all sessions (2 PDUs each); 0: as fast as the window allows
BUFFER_MB=${BUFFER_MB:-64}
TAP_MB=${TAP_MB:-64}
PORT=${PORT:-23760}
WEB_PORT=${WEB_PORT:-23761}

if [ -z "${NO_BUILD:-}" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSMPPSCOPE_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j2 --target smppscope >/dev/null
fi
SMPPSCOPE=$BUILD/smppscope
TMP=$(mktemp -d /tmp/smppscope-sniff-bench-XXXXXX)
sim_pid= sniff_pid=
cleanup() {
  [ -n "$sniff_pid" ] && kill -TERM "$sniff_pid" 2>/dev/null && wait "$sniff_pid" || true
  [ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null && wait "$sim_pid" || true
  rm -rf "$TMP"
}
trap cleanup EXIT

wait_for() {  # wait_for FILE TEXT: up to 10 s
  for _ in $(seq 100); do
    grep -q "$2" "$1" && return 0
    sleep 0.1
  done
  echo "no '$2' in $1:" >&2
  cat "$1" >&2
  exit 1
}

printf '%-4s %12s %14s %14s %12s %12s\n' run wire_pdus pdus_per_s sniff_pdus kernel_drops tap_drops
for run in $(seq 1 "$REPEAT"); do
  "$SMPPSCOPE" sim --listen "127.0.0.1:$PORT" --window 0 --quiet --enquire-link-interval 0 >"$TMP/sim.log" 2>&1 &
  sim_pid=$!
  wait_for "$TMP/sim.log" listening
  "$SMPPSCOPE" sniff --interface lo --port "$PORT" --buffer-mb "$BUFFER_MB" --tap-mb "$TAP_MB" --no-alert-log \
    --web "127.0.0.1:$WEB_PORT" >"$TMP/sniff.log" 2>&1 &
  sniff_pid=$!
  wait_for "$TMP/sniff.log" "web UI on"
  "$SMPPSCOPE" load --target "127.0.0.1:$PORT" --system-id bench --password bench --count "$COUNT" \
    --window "$WINDOW" --rate "$RATE" --sessions "$SESSIONS" --enquire-link-interval 0 --quiet --json >"$TMP/load.json"
  # Each message: one submit_sm and its response; each session: bind, unbind and their responses.
  read -r sent elapsed < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["sent"], r["elapsed_s"])' "$TMP/load.json")
  wire=$((2 * sent + 4 * SESSIONS))
  # Let the sniffer read what the kernel still holds: wait until its packet count stands still.
  prev=-1
  for _ in $(seq 100); do
    got=$(curl -s "http://127.0.0.1:$WEB_PORT/metrics" | awk '/^smppscope_sniff_packets_total /{print $2}')
    [ "${got:-0}" = "$prev" ] && break
    prev=${got:-0}
    sleep 0.3
  done
  kill -TERM "$sniff_pid"
  wait "$sniff_pid" || true
  sniff_pid=
  kill -TERM "$sim_pid"
  wait "$sim_pid" || true
  sim_pid=
  line=$(grep 'stopped:' "$TMP/sniff.log")
  pdus=$(sed -E 's/.* ([0-9]+) PDUs analysed.*/\1/' <<<"$line")
  drops=$(sed -E 's/.* ([0-9]+) packets dropped by the kernel.*/\1/' <<<"$line")
  tap=$(sed -E 's/.* ([0-9]+) tap records dropped.*/\1/' <<<"$line")
  rate=$(python3 -c "print(f'{$wire / $elapsed:,.0f}')")
  printf '%-4s %12s %14s %14s %12s %12s\n' "$run" "$wire" "$rate" "$pdus" "$drops" "$tap"
done
