#!/usr/bin/env bash
# Fuzzes with libFuzzer: configures a clang build in build-fuzz/ (next to the other build dirs),
# builds every fuzz target, seeds each corpus from the reference vectors in tests/data/vectors/
# and runs each target for N seconds (default 30; seven targets, so 210 s in all). Exits non-zero
# if any target crashes; the crashing input is left in build-fuzz/fuzz-artifacts/TARGET/.
#   decoder        framer + decode + encode round trip on raw PDU bytes
#   event_json     the event JSON writer never lets a bind password through
#   cmpp           CMPP framing, decode/encode both versions, version detector, SMPP/CMPP sniffer
#   capture_input  pcap/pcapng files and raw packets: TCP parse, reassembly, offline decode
#   pcap_redact    the pcap writer's password masking keeps lengths and masks every octet
#   web_query      REST query strings, the endpoints that take them, WebSocket filter messages
#   profile        provider profile TOML: the loader returns one profile or one positioned error
# Usage: tests/fuzz/run.sh [seconds-per-target] [target...]
set -euo pipefail

secs=${1:-30}
if ! [[ "$secs" =~ ^[0-9]+$ ]] || ((secs == 0)); then
  echo "run.sh: seconds must be a positive whole number, got '$secs'" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))
all=(decoder event_json cmpp capture_input pcap_redact web_query profile)
targets=("${@:-${all[@]}}")
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "run.sh: unknown target '$t' (${all[*]})" >&2; exit 2; }
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SMPPSCOPE_FUZZ_BUILD_DIR:-$root/build-fuzz}
vectors=$root/tests/data/vectors
if ! compgen -G "$vectors/smpp_*.pcap" >/dev/null; then
  echo "run.sh: no vector pcaps in $vectors (they are part of the repository)" >&2
  exit 2
fi
command -v clang++ >/dev/null || { echo "run.sh: clang++ is needed (deploy/install-deps.sh)" >&2; exit 2; }

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DSMPPSCOPE_FUZZ=ON -DSMPPSCOPE_BENCH=OFF >/dev/null
cmake --build "$build" -j2 --target "${targets[@]/#/fuzz_}"

# Each vector pcap holds one Ethernet/IPv4/TCP frame with 20-octet IP and TCP headers
# (tests/data/vectors/README.md): the PDU starts after 24 (pcap) + 16 (record) + 14 + 20 + 20
# octets, the frame after 24 + 16.
pdu_of() { tail -c +95 "$1"; }
frame_of() { tail -c +41 "$1"; }
be16() { printf "\\x$(printf %02x $(($1 >> 8)))\\x$(printf %02x $(($1 & 255)))"; }

seed() {  # seed TARGET CORPUS_DIR
  local t=$1 c=$2 f n=0
  case $t in
    decoder)
      for f in "$vectors"/*.pcap; do pdu_of "$f" >"$c/vector_$(basename "$f" .pcap)"; n=$((n + 1)); done
      # Several PDUs back to back, to exercise the framer across PDU boundaries.
      cat "$c"/vector_smpp_* >"$c/stream_all_smpp" ;;
    cmpp)
      # First octet: the version to decode with (odd 3.0, even 2.0); then the PDU(s).
      for f in "$vectors"/cmpp*.pcap; do
        case $(basename "$f") in cmpp2_*) v='\x00' ;; *) v='\x01' ;; esac
        { printf "$v"; pdu_of "$f"; } >"$c/vector_$(basename "$f" .pcap)"; n=$((n + 1))
      done
      { printf '\x00'; for f in "$vectors"/cmpp_connect_v20.pcap "$vectors"/cmpp2_*.pcap "$vectors"/cmpp_active*.pcap; do
          pdu_of "$f"; done; } >"$c/stream_cmpp2"
      { printf '\x01'; for f in "$vectors"/cmpp3_*.pcap "$vectors"/cmpp_active*.pcap; do pdu_of "$f"; done; } >"$c/stream_cmpp3"
      n=$((n + 2)) ;;
    event_json)
      # [flags: bind_transceiver][system_id length 11][password length 4 + 4][status], then
      # system_id, password and the rest of the body (system_type, version, ton, npi, range).
      printf '\x02\x0b\x04\x00smppclient1password\x00\x34\x00\x00\x00' >"$c/bind_transceiver"
      printf '\x03\x04\x00\x00SMSCpass' >"$c/outbind"
      printf '\x0a\x10\x08\x00sixteen_octets!!overlong_pw\x00\x34\x00\x00\x00\x00\x00\x00' >"$c/overlong"
      n=3 ;;
    capture_input)
      for f in "$vectors"/*.pcap; do
        { printf '\x00\x00'; cat "$f"; } >"$c/file_$(basename "$f" .pcap)"
        { printf '\x01\x00'; be16 "$(($(stat -c %s "$f") - 40))"; frame_of "$f"; } >"$c/packet_$(basename "$f" .pcap)"
        n=$((n + 2))
      done
      # All SMPP frames as one packet list (one stream, PDUs in order).
      { printf '\x01\x00'; for f in "$vectors"/smpp_*.pcap; do be16 "$(($(stat -c %s "$f") - 40))"; frame_of "$f"; done; } \
        >"$c/packets_all_smpp" ;;
    pcap_redact)
      { printf '\x00\x07'; for f in "$vectors"/smpp_*.pcap; do pdu_of "$f"; done; } >"$c/stream_all_smpp"
      { printf '\x00\x07'; pdu_of "$vectors/smpp_bind_transceiver.pcap"; } >"$c/bind"
      printf '\x02\x07\x0b\x08smppclient1password\x04\x03SMSCpw1' >"$c/built"
      n=3 ;;
    web_query)
      printf '\x00session=1&limit=10&command=submit_sm,bind_transceiver&status=ok&direction=esme_to_smsc&text=hi&hex=1' >"$c/pdus"
      printf '\x03type=all&after=1&before=5&status=error&text=%%41+b' >"$c/pdus_types"
      printf '\x01session=1' >"$c/sessions"
      printf '\x02session=1&legs=both' >"$c/pcap"
      printf '\x041?since=0' >"$c/timeline"
      printf '\x05{"type":"filter","session":3,"commands":["submit_sm"],"direction":"esme_to_smsc","errors_only":true,"text":"hello","types":["pdu"]}' >"$c/filter"
      n=6 ;;
    profile)
      for f in "$here"/../../profiles/*.toml; do cp "$f" "$c/$(basename "$f")"; n=$((n + 1)); done ;;
  esac
  echo "run.sh: $t: $n seeds in $c"
}

dict_of() {
  case $1 in
    web_query) echo "$here/web_query.dict" ;;
    profile) echo "$here/profile.dict" ;;
    *) echo "$here/smpp.dict" ;;
  esac
}

failed=()
for t in "${targets[@]}"; do
  corpus=$build/fuzz-corpus/$t
  artifacts=$build/fuzz-artifacts/$t/
  mkdir -p "$corpus" "$artifacts"
  seed "$t" "$corpus"
  echo "run.sh: $t: fuzzing for ${secs}s"
  if "$build/tests/fuzz/fuzz_$t" "$corpus" -dict="$(dict_of "$t")" -max_total_time="$secs" -max_len=4096 \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts"; then
    echo "run.sh: $t: no crash in ${secs}s"
  else
    echo "run.sh: $t: FAILED (input in $artifacts)"
    failed+=("$t")
  fi
done
if ((${#failed[@]})); then
  echo "run.sh: crashed: ${failed[*]}"
  exit 1
fi
echo "run.sh: no crash in ${#targets[@]} target(s), ${secs}s each"
