#!/usr/bin/env bash
# Load generator benchmark (not a test): `smppscope load` against `smppscope sim` over loopback,
# receipts on, once with the simulator answering at once (--dlr-delay 0) and once with its default
# 100 ms receipt delay, for SMPP and for CMPP 2.0 (an SP against the ISMG simulator, status
# reports on, ASCII messages). Prints submits/s, receipts (status reports) received and each
# process's CPU time.
#
#   bench/load/run.sh                  # builds build-bench (Release) first
#   NO_BUILD=1 BUILD=build-x COUNT=6000000 REPEAT=3 PROTOCOLS="cmpp2 cmpp3" bench/load/run.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
COUNT=${COUNT:-2000000}
REPEAT=${REPEAT:-3}
DELAYS=${DELAYS:-0 100}
PROTOCOLS=${PROTOCOLS:-smpp cmpp2}
PORT=${PORT:-23750}

if [ -z "${NO_BUILD:-}" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSMPPSCOPE_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j2 --target smppscope >/dev/null
fi
SMPPSCOPE=$BUILD/smppscope
TMP=$(mktemp -d /tmp/smppscope-load-bench-XXXXXX)
sim_pid=
stop_sim() {  # $sim_pid is /usr/bin/time's, which ignores SIGINT while waiting: signal its child
  local child
  child=$(pgrep -P "$sim_pid" || true)
  [ -n "$child" ] && kill -INT "$child" 2>/dev/null || true
  wait "$sim_pid" || true
  sim_pid=
}
cleanup() {
  [ -n "$sim_pid" ] && stop_sim
  rm -rf "$TMP"
}
trap cleanup EXIT

cpu_of() {  # user+system seconds of a finished child, from /usr/bin/time's output file
  awk '{ printf "%.2f", $1 + $2 }' "$1"
}

printf '%-8s %-10s %-6s %14s %12s %10s %10s\n' protocol delay_ms run submits/s receipts load_cpu sim_cpu
for protocol in $PROTOCOLS; do
  # CMPP: --system-id is Source_Addr (6 characters); the simulator without credentials accepts any.
  case $protocol in
    smpp) proto_args=(); load_args=(--system-id bench --password bench) ;;
    *) proto_args=(--protocol "$protocol"); load_args=(--protocol "$protocol" --system-id 901234 --password bench --mix ascii) ;;
  esac
  for delay in $DELAYS; do
    for run in $(seq 1 "$REPEAT"); do
      /usr/bin/time -o "$TMP/sim.time" -f "%U %S" "$SMPPSCOPE" sim "${proto_args[@]}" --listen "127.0.0.1:$PORT" \
        --window 0 --dlr-delay "$delay" --quiet >"$TMP/sim.log" 2>&1 &
      sim_pid=$!
      for _ in $(seq 50); do
        grep -q listening "$TMP/sim.log" && break
        sleep 0.1
      done
      /usr/bin/time -o "$TMP/load.time" -f "%U %S" "$SMPPSCOPE" load "${load_args[@]}" --target "127.0.0.1:$PORT" \
        --count "$COUNT" --window 2000 --sessions 2 --registered-delivery --json >"$TMP/load.json" 2>"$TMP/load.log"
      stop_sim
      python3 - "$TMP/load.json" "$protocol" "$delay" "$run" "$(cpu_of "$TMP/load.time")" "$(cpu_of "$TMP/sim.time")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]:<8} {sys.argv[3]:<10} {sys.argv[4]:<6} {r['throughput_per_s']:>14,.0f} {r['dlr']['received']:>12,} {sys.argv[5]:>10} {sys.argv[6]:>10}")
PY
    done
  done
done
