#!/usr/bin/env bash
# Fuzzes the decoder: configures a clang build in build-fuzz/ (next to the other build dirs),
# builds fuzz_decoder, seeds a corpus with the PDUs of ../shared/reference/vectors/*.pcap and
# runs libFuzzer for N seconds (default 60). Exits non-zero on any crash; the crashing input is
# left in build-fuzz/fuzz-artifacts/.
# Usage: tests/fuzz/run.sh [seconds]
set -euo pipefail

secs=${1:-60}
if ! [[ "$secs" =~ ^[0-9]+$ ]] || ((secs == 0)); then
  echo "run.sh: seconds must be a positive whole number, got '$secs'" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SMPPSCOPE_FUZZ_BUILD_DIR:-$root/build-fuzz}
vectors=$(cd "$root/../shared/reference/vectors" 2>/dev/null && pwd) || {
  echo "run.sh: no vectors at $root/../shared/reference/vectors" >&2
  exit 2
}
command -v clang++ >/dev/null || { echo "run.sh: clang++ is needed (deploy/install-deps.sh)" >&2; exit 2; }

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DSMPPSCOPE_FUZZ=ON -DSMPPSCOPE_BENCH=OFF >/dev/null
cmake --build "$build" -j2 --target fuzz_decoder

corpus=$build/fuzz-corpus/decoder
artifacts=$build/fuzz-artifacts/
mkdir -p "$corpus" "$artifacts"
# Each vector pcap holds one Ethernet/IPv4/TCP frame with 20-octet IP and TCP headers
# (make_vectors.py): the PDU starts after 24 (pcap) + 16 (record) + 14 + 20 + 20 octets.
n=0
for f in "$vectors"/*.pcap; do
  tail -c +95 "$f" >"$corpus/vector_$(basename "$f" .pcap)"
  n=$((n + 1))
done
# Several PDUs back to back, to exercise the framer across PDU boundaries.
cat "$corpus"/vector_smpp_* >"$corpus/stream_all_smpp"
echo "run.sh: $n vector seeds in $corpus; fuzzing for ${secs}s"

"$build/tests/fuzz/fuzz_decoder" "$corpus" -dict="$here/smpp.dict" -max_total_time="$secs" -max_len=4096 \
  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts"
echo "run.sh: no crash in ${secs}s"
