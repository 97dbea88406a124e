#!/usr/bin/env bash
# Relay benchmark (not a test): smppscope against haproxy on the same SMPP load, in the same run.
#
#   bench/relay/run.sh                                   # builds build-bench (Release) first
#   NO_BUILD=1 BUILD=build-bench bench/relay/run.sh
#   REPEAT=5 COUNT=400000 CONNS=4 WINDOW=50 bench/relay/run.sh
#
# Needs haproxy (2.x) and taskset. A full run takes 3-6 minutes and stops everything it started.
#
# Traffic: smpp_bench load binds CONNS sessions and keeps WINDOW submit_sm (~190 octets) in flight
# on each; the sink SMSC answers each with submit_sm_resp and a delivery receipt (deliver_sm with
# receipt text and TLVs), which the load answers with deliver_sm_resp: 4 PDUs per message.
#
# Targets: haproxy 2.x in TCP mode, one thread; `smppscope proxy` as shipped (one relay thread,
# decode, diagnostics, event ring, pcap writing and the web server on: --web and --pcap-dir);
# "direct" (the sink without a proxy) for the ping baseline. Both proxies run for the whole script
# and take turns within each round, so a busy machine skews them alike; medians over REPEAT rounds.
#
# Two CPU placements:
#   pinned    every thread of the proxy under test on PROXY_CPU (taskset -a), load and sink on
#             PEER_CPU: equal CPU budget, one core for the proxy (relay and analysis threads share it)
#   unpinned  everything free to run anywhere
#
# Per placement and target:
#   submits/s     throughput phase (CONNS x WINDOW, COUNT submits, each with its receipt)
#   cpu us/submit the proxy's CPU time over the phase, the SETTLE seconds after it and, for
#                 smppscope, until its analysis thread is idle again (on a busy machine the
#                 SCHED_IDLE analysis drains its queue late), every thread counted
#                 (/proc/PID/task/*/schedstat), / submits
#   p50/p99/p999  submit_sm -> submit_sm_resp under that load, microseconds
#   ping p50/p99  one session, window 1 (one message in flight); "added p99" = target - direct
# smppscope's CPU is also split by thread (relay-N, analysis, the rest) from the thread names.
# Then RSS per idle session: fresh proxies, IDLE_SESSIONS bound idle sessions each (RSS after -
# RSS before) / sessions; also for relay_only (the relay without capture) to split the figure. smppscope's tap drops (from /metrics) are printed: analysis may drop
# copies under overload, counted; the relay never waits for it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
COUNT=${COUNT:-400000}          # submits per throughput phase
CONNS=${CONNS:-4}
WINDOW=${WINDOW:-50}
LAT_COUNT=${LAT_COUNT:-20000}   # messages in the ping phase
REPEAT=${REPEAT:-3}
SETTLE=${SETTLE:-2}
PROXY_CPU=${PROXY_CPU:-1}
PEER_CPU=${PEER_CPU:-0}
IDLE_SESSIONS=${IDLE_SESSIONS:-"2000 10000"}
PLACEMENTS=${PLACEMENTS:-"pinned unpinned"}
BASE_PORT=${BASE_PORT:-23700}
SINK_PORT=$BASE_PORT
HAPROXY_PORT=$((BASE_PORT + 1))
SMPPSCOPE_PORT=$((BASE_PORT + 2))
WEB_PORT=$((BASE_PORT + 3))
ALL_CPUS=$(seq -s, 0 $(($(nproc) - 1)))

if [ -z "${NO_BUILD:-}" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSMPPSCOPE_TESTS=OFF -DSMPPSCOPE_BENCH=ON >/dev/null
  cmake --build "$BUILD" -j2 --target smppscope smpp_bench relay_only >/dev/null
fi
SMPPSCOPE=$BUILD/smppscope
BENCH=$BUILD/bench/relay/smpp_bench
RELAY_ONLY=$BUILD/bench/relay/relay_only
command -v haproxy >/dev/null || { echo "run.sh: haproxy is not installed (apt-get install haproxy)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "run.sh: taskset is missing (util-linux)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/smppscope-relay-bench-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() {  # PORT LOG: until something listens there (or show LOG and give up)
  for _ in $(seq 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "run.sh: nothing listens on 127.0.0.1:$1" >&2
  cat "$2" >&2
  exit 1
}
cpu_ns() {  # PID [THREAD-NAME-PREFIX]: CPU time of every thread of the process (or those named so), ns
  local t s=0
  for t in /proc/"$1"/task/*; do
    if [ -n "${2:-}" ] && [[ "$(cat "$t/comm" 2>/dev/null)" != "$2"* ]]; then continue; fi
    s=$((s + $(cut -d' ' -f1 "$t/schedstat" 2>/dev/null || echo 0)))
  done
  echo "$s"
}
settle_analysis() {  # PID: until its analysis thread stops using CPU (the queue is drained), at most 60 s
  local prev now i
  prev=$(cpu_ns "$1" analysis)
  for i in $(seq 300); do
    sleep 0.2
    now=$(cpu_ns "$1" analysis)
    [ $((now - prev)) -lt 2000000 ] && return 0  # under 1 % of a CPU: idle, only its 1 ms wake-ups
    prev=$now
  done
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
pin() { taskset -a -p -c "$2" "$1" >/dev/null; }  # PID CPUS: every thread of PID
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -n "s/.*[ ^]$1=\([0-9.]*\).*/\1/p" <<<" $2"; }
tap_dropped() {
  curl -s "http://127.0.0.1:$WEB_PORT/metrics" | awk '/^smppscope_tap_dropped_records_total/ {print $2}'
}

start_haproxy() {  # -> HAPROXY_PID; maxconn as high as the descriptor limit allows
  ulimit -n "$(ulimit -Hn)"
  local maxconn=$(( ($(ulimit -Hn) - 100) / 2 ))
  cat >"$TMP/haproxy.cfg" <<CFG
global
  nbthread 1
  maxconn $maxconn
defaults
  mode tcp
  timeout connect 5s
  timeout client 600s
  timeout server 600s
frontend smpp_in
  bind 127.0.0.1:$HAPROXY_PORT
  default_backend smsc
backend smsc
  server sink 127.0.0.1:$SINK_PORT
CFG
  haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
  HAPROXY_PID=$!
  PIDS+=("$HAPROXY_PID")
  wait_port "$HAPROXY_PORT" "$TMP/haproxy.log"
}
start_smppscope() {  # -> SMPPSCOPE_PID
  rm -rf "$TMP/pcap" && mkdir -p "$TMP/pcap"
  "$SMPPSCOPE" proxy --listen "127.0.0.1:$SMPPSCOPE_PORT" --upstream "127.0.0.1:$SINK_PORT" \
    --web "127.0.0.1:$WEB_PORT" --pcap-dir "$TMP/pcap" 2>"$TMP/smppscope.log" &
  SMPPSCOPE_PID=$!
  PIDS+=("$SMPPSCOPE_PID")
  wait_port "$SMPPSCOPE_PORT" "$TMP/smppscope.log"
  wait_port "$WEB_PORT" "$TMP/smppscope.log"
}
stop_pid() { kill -"${2:-INT}" "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }  # PID [SIGNAL]

echo "relay benchmark, $(date -u +%FT%TZ), $(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "haproxy: $(haproxy -v | head -1 | cut -d' ' -f1-3)"

"$BENCH" sink --port "$SINK_PORT" 2>"$TMP/sink.log" &
SINK_PID=$!
PIDS+=("$SINK_PID")
wait_port "$SINK_PORT" "$TMP/sink.log"
start_haproxy
start_smppscope

declare -A PORT=([direct]=$SINK_PORT [haproxy]=$HAPROXY_PORT [smppscope]=$SMPPSCOPE_PORT)
declare -A PID=([direct]="" [haproxy]=$HAPROXY_PID [smppscope]=$SMPPSCOPE_PID)
declare -A RATE CPU CPU_RELAY CPU_ANALYSIS P50 P99 P999 LP50 LP99
DROPS_BEFORE=$(tap_dropped)

run_placement() {  # pinned | unpinned
  local placement=$1 t out before after
  if [ "$placement" = pinned ]; then
    pin "$HAPROXY_PID" "$PROXY_CPU"; pin "$SMPPSCOPE_PID" "$PROXY_CPU"; pin "$SINK_PID" "$PEER_CPU"
    PEER=(taskset -c "$PEER_CPU")
  else
    pin "$HAPROXY_PID" "$ALL_CPUS"; pin "$SMPPSCOPE_PID" "$ALL_CPUS"; pin "$SINK_PID" "$ALL_CPUS"
    PEER=()
  fi
  for round in $(seq "$REPEAT"); do
    for t in haproxy smppscope; do
      before=$(cpu_ns "${PID[$t]}")
      local before_relay=0 before_analysis=0 after_relay=0 after_analysis=0
      if [ "$t" = smppscope ]; then
        before_relay=$(cpu_ns "${PID[$t]}" relay-); before_analysis=$(cpu_ns "${PID[$t]}" analysis)
      fi
      out=$("${PEER[@]}" "$BENCH" load --target "127.0.0.1:${PORT[$t]}" --conns "$CONNS" --window "$WINDOW" --count "$COUNT")
      sleep "$SETTLE"
      if [ "$t" = smppscope ]; then settle_analysis "${PID[$t]}"; fi
      after=$(cpu_ns "${PID[$t]}")
      if [ "$t" = smppscope ]; then
        after_relay=$(cpu_ns "${PID[$t]}" relay-); after_analysis=$(cpu_ns "${PID[$t]}" analysis)
      fi
      local k="$placement/$t" submits
      submits=$(field submits "$out")
      RATE[$k]+="$(field rate "$out") "
      P50[$k]+="$(field p50_us "$out") "
      P99[$k]+="$(field p99_us "$out") "
      P999[$k]+="$(field p999_us "$out") "
      CPU[$k]+="$(awk -v c=$((after - before)) -v n="$submits" 'BEGIN {printf "%.3f", c / n / 1000}') "
      CPU_RELAY[$k]+="$(awk -v c=$((after_relay - before_relay)) -v n="$submits" 'BEGIN {printf "%.3f", c / n / 1000}') "
      CPU_ANALYSIS[$k]+="$(awk -v c=$((after_analysis - before_analysis)) -v n="$submits" 'BEGIN {printf "%.3f", c / n / 1000}') "
      echo "  $placement round $round $t: $out cpu_us_per_submit=$(awk -v c=$((after - before)) -v n="$submits" 'BEGIN {printf "%.3f", c / n / 1000}')" >&2
    done
    for t in direct haproxy smppscope; do
      out=$("${PEER[@]}" "$BENCH" load --target "127.0.0.1:${PORT[$t]}" --conns 1 --window 1 --count "$LAT_COUNT")
      LP50[$placement/$t]+="$(field p50_us "$out") "
      LP99[$placement/$t]+="$(field p99_us "$out") "
    done
  done
}

for placement in $PLACEMENTS; do run_placement "$placement"; done
DROPS=$(( $(tap_dropped) - DROPS_BEFORE ))
pdus_analysed=$(curl -s "http://127.0.0.1:$WEB_PORT/metrics" | awk '/^smppscope_pdus_total[{ ]/ {s += $2} END {print s}')
stop_pid "$SMPPSCOPE_PID"
stop_pid "$HAPROXY_PID" TERM
pcap_bytes=$(du -sb "$TMP/pcap" | cut -f1)

# ---- idle sessions ----
NOFILE=$(ulimit -Hn)
ulimit -n "$NOFILE"
declare -A IDLE_KB
IDLE_LIST=""
for n in $IDLE_SESSIONS; do
  max=$(( (NOFILE - 100) / 2 ))  # a proxy holds two descriptors per session
  if [ "$n" -gt "$max" ]; then
    echo "note: $n idle sessions need $((2 * n + 100)) descriptors, the limit here is $NOFILE: measuring $max" >&2
    n=$max
  fi
  IDLE_LIST+="$n "
  for t in haproxy smppscope relay_only; do
    case $t in
      haproxy) start_haproxy; p=$HAPROXY_PID ;;
      smppscope) start_smppscope; p=$SMPPSCOPE_PID ;;
      relay_only)  # the relay alone (no tap, analysis, ring, pcap or web), on smppscope's port
        "$RELAY_ONLY" --listen "127.0.0.1:$SMPPSCOPE_PORT" --upstream "127.0.0.1:$SINK_PORT" 2>"$TMP/relay_only.log" &
        p=$!
        PIDS+=("$p")
        wait_port "$SMPPSCOPE_PORT" "$TMP/relay_only.log"
        PORT[relay_only]=$SMPPSCOPE_PORT ;;
    esac
    "$BENCH" load --target "127.0.0.1:${PORT[$t]}" --conns 1 --window 1 --count 1000 >/dev/null  # warm-up
    sleep 1
    before=$(rss_kb "$p")
    coproc IDLE { "$BENCH" idle --target "127.0.0.1:${PORT[$t]}" --sessions "$n"; }
    read -r ready _ <&"${IDLE[0]}"
    [ "$ready" = ready ] || { echo "run.sh: idle sessions failed" >&2; exit 1; }
    sleep 3
    after=$(rss_kb "$p")
    IDLE_KB[$n/$t]=$(awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN {printf "%.1f", (a - b) / n}')
    IDLE_KB[$n/$t/total]=$(awk -v a="$after" 'BEGIN {printf "%.1f", a / 1024}')
    eval "exec ${IDLE[1]}>&-"
    wait "$IDLE_PID" 2>/dev/null || true
    if [ $t = smppscope ]; then stop_pid "$p"; else stop_pid "$p" TERM; fi
  done
done

# ---- report ----
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2fx", a / b; else print "-"}'; }
echo
echo "relay benchmark: $CONNS sessions x window $WINDOW, $COUNT submits per phase, each with submit_sm_resp,"
echo "a delivery receipt and its resp (4 PDUs per message); medians of $REPEAT rounds; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
for placement in $PLACEMENTS; do
  case $placement in
    pinned) echo; echo "pinned: each proxy (all its threads) on CPU $PROXY_CPU, load and sink on CPU $PEER_CPU" ;;
    *) echo; echo "unpinned: every process free on CPUs $ALL_CPUS" ;;
  esac
  printf '%-10s %11s %13s %8s %8s %9s %12s %12s %12s\n' target "submits/s" "cpu us/submit" "p50 us" "p99 us" "p999 us" \
    "ping p50 us" "ping p99 us" "added p99"
  dp=$(median "${LP99[$placement/direct]}")
  printf '%-10s %11s %13s %8s %8s %9s %12s %12s %12s\n' direct - - - - - "$(median "${LP50[$placement/direct]}")" "$dp" -
  for t in haproxy smppscope; do
    k=$placement/$t
    printf '%-10s %11s %13s %8s %8s %9s %12s %12s %12s\n' "$t" "$(median "${RATE[$k]}")" "$(median "${CPU[$k]}")" \
      "$(median "${P50[$k]}")" "$(median "${P99[$k]}")" "$(median "${P999[$k]}")" "$(median "${LP50[$k]}")" \
      "$(median "${LP99[$k]}")" "$(( $(median "${LP99[$k]}") - dp ))"
  done
  h=$placement/haproxy s=$placement/smppscope
  ha=$(( $(median "${LP99[$h]}") - dp )); sa=$(( $(median "${LP99[$s]}") - dp ))
  echo "smppscope cpu us/submit by thread: relay $(median "${CPU_RELAY[$s]}"), analysis $(median "${CPU_ANALYSIS[$s]}")," \
    "the rest (web, main) $(awk -v a="$(median "${CPU[$s]}")" -v r="$(median "${CPU_RELAY[$s]}")" -v n="$(median "${CPU_ANALYSIS[$s]}")" 'BEGIN {printf "%.3f", a - r - n}')"
  echo "smppscope vs haproxy: throughput $(ratio "$(median "${RATE[$s]}")" "$(median "${RATE[$h]}")") (target >= 0.9x)," \
    "cpu/submit $(ratio "$(median "${CPU[$s]}")" "$(median "${CPU[$h]}")") (<= 1.5x)," \
    "p99 $(ratio "$(median "${P99[$s]}")" "$(median "${P99[$h]}")") (<= 1.5x)," \
    "ping added p99 $sa us vs $ha us (<= haproxy + 10 us)"
done
echo
echo "idle bound sessions (fresh processes; RSS growth per session, total RSS):"
for n in $IDLE_LIST; do
  echo "  $n sessions: haproxy ${IDLE_KB[$n/haproxy]} KB (${IDLE_KB[$n/haproxy/total]} MB)," \
    "smppscope ${IDLE_KB[$n/smppscope]} KB (${IDLE_KB[$n/smppscope/total]} MB) = $(ratio "${IDLE_KB[$n/smppscope]}" "${IDLE_KB[$n/haproxy]}")" \
    "(target <= 8 KB per session, 10,000 sessions < 150 MB); the relay alone (relay_only) ${IDLE_KB[$n/relay_only]} KB"
done
echo "smppscope analysis: ${pdus_analysed:-?} PDUs decoded, $DROPS tap records dropped; pcap written: $pcap_bytes bytes"
