#!/usr/bin/env bash
# Offline decode against its I/O floor and against tshark, on the 1,000,000-PDU capture that
# decode_pcap_bench writes (4 sessions; submit_sm, submit_sm_resp, receipts with TLVs,
# deliver_sm_resp). Reports CPU time (user + sys, from /usr/bin/time) rather than wall time, so
# the figures hold on a machine that is busy with other work; medians of REPEAT runs.
#   I/O floor        decode_pcap_bench BM_io_floor: every record visited by pcap_file_reader
#   --stats          smppscope decode FILE --stats > /dev/null (text lines, counts on stderr)
#   --json           smppscope decode FILE --json > /dev/null
#   tshark           tshark -T fields on the first TSHARK_PACKETS packets, PDUs/s scaled
# Usage: NO_BUILD=1 BUILD=build-bench bench/decode_pcap.sh   (REPEAT=3, TSHARK_PACKETS=50000,
#        SMPPSCOPE_BIN=path to time another smppscope binary on the same capture)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD:-$root/build-bench}
repeat=${REPEAT:-3}
tshark_packets=${TSHARK_PACKETS:-50000}
if [[ -z "${NO_BUILD:-}" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSMPPSCOPE_TESTS=OFF -DSMPPSCOPE_BENCH=ON >/dev/null
  cmake --build "$build" -j2 --target smppscope decode_pcap_bench
fi
bin=${SMPPSCOPE_BIN:-$build/smppscope}  # SMPPSCOPE_BIN: another build to compare
bench=$build/bench/decode_pcap_bench
[[ -x $bin && -x $bench ]] || { echo "decode_pcap.sh: build $build first (or drop NO_BUILD)" >&2; exit 2; }

# Writes the capture on first use, then measures the floor (CPU time per walk, in ms).
floor_ms=$("$bench" --benchmark_filter='BM_io_floor$' --benchmark_format=csv 2>/dev/null |
  awk -F, '/BM_io_floor/ {print $4}')
file=${TMPDIR:-/tmp}/smppscope-decode-bench/decode-bench-1M.pcap
[[ -f $file ]] || { echo "decode_pcap.sh: $file was not written" >&2; exit 1; }

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
cpu_seconds() {  # user + sys of one run of "$@", output discarded
  /usr/bin/time -o "$timing" -f '%U %S' "$@" >/dev/null 2>&1
  awk '{print $1 + $2}' "$timing"
}
runs() { for ((i = 0; i < repeat; ++i)); do cpu_seconds "$@"; done | median; }

pdus=$("$bin" decode "$file" --stats 2>&1 >/dev/null | sed -n 's/.*pdus \([0-9]*\),.*/\1/p')
stats_s=$(runs "$bin" decode "$file" --stats)
json_s=$(runs "$bin" decode "$file" --json)

tshark_line=""
if command -v tshark >/dev/null; then
  out=$(mktemp)
  /usr/bin/time -o "$timing" -f '%U %S' tshark -r "$file" -c "$tshark_packets" -T fields -e tcp.stream \
    -e smpp.command_id -e smpp.sequence_number -e smpp.command_status >"$out" 2>/dev/null
  tshark_s=$(awk '{print $1 + $2}' "$timing")
  tshark_pdus=$(awk -F'\t' '{n += split($2, a, ",")} END {print n}' "$out")
  rm -f "$out"
  tshark_rate=$(awk -v n="$tshark_pdus" -v s="$tshark_s" 'BEGIN {printf "%.0f", n / s}')
  tshark_line="tshark -T fields (first $tshark_packets packets, $tshark_pdus PDUs): ${tshark_s} s CPU, $tshark_rate PDUs/s"
fi

size_mb=$(( $(stat -c %s "$file") / 1000000 ))
echo "capture: $file ($size_mb MB, $pdus PDUs); CPU seconds (user + sys), median of $repeat"
awk -v f="$floor_ms" -v s="$stats_s" -v j="$json_s" -v n="$pdus" -v tr="${tshark_rate:-0}" 'BEGIN {
  fs = f / 1000
  printf "I/O floor (record walk): %.3f s\n", fs
  printf "decode --stats > /dev/null: %.3f s, %.2f M PDUs/s, %.1fx the floor (target <= 5x)\n", s, n / s / 1e6, s / fs
  printf "decode --json > /dev/null:  %.3f s, %.2f M PDUs/s, %.1fx the floor", j, n / j / 1e6, j / fs
  if (tr > 0) printf ", %.0fx tshark (target >= 100x)", n / j / tr
  printf "\n"
}'
[[ -n $tshark_line ]] && echo "$tshark_line"
