#!/usr/bin/env bash
# Relay benchmark (not a test): the same SMPP load sent direct to a sink SMSC, through haproxy
# (TCP mode, one thread), through the relay alone (relay_only: proxy library, no capture) and
# through `smppscope proxy` (decoding, diagnostics, ring buffer and pcap on). Prints PDUs/s, p99
# latency and the proxy's CPU time for each, and the ratios against haproxy.
#
#   bench/relay/run.sh                 # builds build-bench (Release) first
#   NO_BUILD=1 BUILD=build-x bench/relay/run.sh
#   COUNT=500000 CONNS=2 WINDOW=64 LAT_COUNT=20000 REPEAT=5 bench/relay/run.sh
#
# Two phases per target: "throughput" (CONNS connections, WINDOW submit_sm outstanding each) and
# "ping" (one connection, window 1: one PDU in flight, so p99 is the per-hop cost, not queueing).
# Targets take turns within each repeat and medians are reported, so a busy machine skews them
# alike. "cpu ms" is the proxy process's user+system time during the throughput phase.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
COUNT=${COUNT:-500000}
CONNS=${CONNS:-2}
WINDOW=${WINDOW:-64}
LAT_COUNT=${LAT_COUNT:-20000}
REPEAT=${REPEAT:-5}
SETTLE=${SETTLE:-2}
BASE_PORT=${BASE_PORT:-23700}
SINK_PORT=$BASE_PORT
HAPROXY_PORT=$((BASE_PORT + 1))
SMPPSCOPE_PORT=$((BASE_PORT + 2))
RELAY_PORT=$((BASE_PORT + 3))

if [ -z "${NO_BUILD:-}" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSMPPSCOPE_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j2 --target smppscope smpp_bench relay_only >/dev/null
fi
SMPPSCOPE=$BUILD/smppscope
BENCH=$BUILD/bench/relay/smpp_bench
RELAY_ONLY=$BUILD/bench/relay/relay_only
command -v haproxy >/dev/null || { echo "run.sh: haproxy is not installed (deploy/install-deps.sh)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/smppscope-relay-bench-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# wait_port PORT LOG: until something listens there (or show LOG and give up)
wait_port() {
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "run.sh: nothing listens on 127.0.0.1:$1" >&2
  cat "$2" >&2
  exit 1
}

# cpu_ticks PID: user+system clock ticks of the whole process
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

"$BENCH" sink --port "$SINK_PORT" 2>"$TMP/sink.log" &
PIDS+=($!)
wait_port "$SINK_PORT" "$TMP/sink.log"

cat >"$TMP/haproxy.cfg" <<CFG
global
  nbthread 1
  maxconn 4096
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend smpp_in
  bind 127.0.0.1:$HAPROXY_PORT
  default_backend smsc
backend smsc
  server sink 127.0.0.1:$SINK_PORT
CFG
haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
HAPROXY_PID=$!
PIDS+=($HAPROXY_PID)
wait_port "$HAPROXY_PORT" "$TMP/haproxy.log"

"$RELAY_ONLY" --listen "127.0.0.1:$RELAY_PORT" --upstream "127.0.0.1:$SINK_PORT" 2>"$TMP/relay.log" &
RELAY_PID=$!
PIDS+=($RELAY_PID)
wait_port "$RELAY_PORT" "$TMP/relay.log"

mkdir -p "$TMP/pcap"
"$SMPPSCOPE" proxy --listen "127.0.0.1:$SMPPSCOPE_PORT" --upstream "127.0.0.1:$SINK_PORT" \
  --threads 1 --pcap-dir "$TMP/pcap" 2>"$TMP/smppscope.log" &
SMPPSCOPE_PID=$!
PIDS+=($SMPPSCOPE_PID)
wait_port "$SMPPSCOPE_PORT" "$TMP/smppscope.log"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

TARGETS="direct haproxy relay_only smppscope"
declare -A PORT=([direct]=$SINK_PORT [haproxy]=$HAPROXY_PORT [relay_only]=$RELAY_PORT [smppscope]=$SMPPSCOPE_PORT)
declare -A PID=([direct]="" [haproxy]=$HAPROXY_PID [relay_only]=$RELAY_PID [smppscope]=$SMPPSCOPE_PID)
declare -A RATES P99S LP50S LP99S CPUS
for _ in $(seq "$REPEAT"); do
  for t in $TARGETS; do
    before=0
    [ -n "${PID[$t]}" ] && before=$(cpu_ticks "${PID[$t]}")
    out=$("$BENCH" load --target "127.0.0.1:${PORT[$t]}" --conns "$CONNS" --window "$WINDOW" --count "$COUNT")
    if [ -n "${PID[$t]}" ]; then
      CPUS[$t]+="$(( ($(cpu_ticks "${PID[$t]}") - before) * 1000 / $(getconf CLK_TCK) )) "
    fi
    RATES[$t]+="$(echo "$out" | field rate) "
    P99S[$t]+="$(echo "$out" | field p99_us) "
    # Let the target settle first: smppscope's analysis may still be draining the throughput
    # phase, and a busy process answers faster (no idle wake-ups), which would flatter it.
    sleep "$SETTLE"
    out=$("$BENCH" load --target "127.0.0.1:${PORT[$t]}" --conns 1 --window 1 --count "$LAT_COUNT")
    LP50S[$t]+="$(echo "$out" | field p50_us) "
    LP99S[$t]+="$(echo "$out" | field p99_us) "
  done
done
med() { tr ' ' '\n' <<<"$1" | grep . | median; }

kill -INT "$SMPPSCOPE_PID"
wait "$SMPPSCOPE_PID" || true
analysed=$(sed -n 's/.*stopped: [0-9]* sessions, \(.*\)/\1/p' "$TMP/smppscope.log")
pcap_bytes=$(du -sb "$TMP/pcap" | cut -f1)

echo
echo "relay benchmark: submit_sm ~190 octets on the wire, medians of $REPEAT rounds, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
echo "throughput: $CONNS connections x window $WINDOW, $COUNT PDUs; ping: 1 connection, window 1, $LAT_COUNT PDUs"
printf '%-11s %10s %10s %12s %12s %10s\n' target "PDUs/s" "p99 us" "ping p50 us" "ping p99 us" "cpu ms"
declare -A R LP99
for t in $TARGETS; do
  R[$t]=$(med "${RATES[$t]}")
  LP99[$t]=$(med "${LP99S[$t]}")
  cpu="-"
  [ -n "${PID[$t]}" ] && cpu=$(med "${CPUS[$t]}")
  printf '%-11s %10s %10s %12s %12s %10s\n' "$t" "${R[$t]}" "$(med "${P99S[$t]}")" "$(med "${LP50S[$t]}")" "${LP99[$t]}" "$cpu"
done
awk -v sr="${R[smppscope]}" -v rr="${R[relay_only]}" -v hr="${R[haproxy]}" \
    -v sp="${LP99[smppscope]}" -v rp="${LP99[relay_only]}" -v hp="${LP99[haproxy]}" -v dp="${LP99[direct]}" 'BEGIN {
  printf "throughput vs haproxy: smppscope %.2fx, relay alone %.2fx (target >= 0.5x, aim 0.8x)\n", sr / hr, rr / hr
  ha = hp - dp; if (ha < 1) ha = 1
  printf "added ping p99 vs haproxy (%d us): smppscope %d us = %.2fx, relay alone %d us = %.2fx (target <= 2x)\n", hp - dp, sp - dp, (sp - dp) / ha, rp - dp, (rp - dp) / ha
}'
echo "smppscope: ${analysed:-?}; pcap written: $pcap_bytes bytes"
