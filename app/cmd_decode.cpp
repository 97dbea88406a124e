// smppscope decode FILE.pcap [--json] [--diagnose]: offline decode of a pcap/pcapng capture, one
// line per PDU; with --diagnose, then the alerts the session diagnostics raise over it.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "diag_wiring.hpp"
#include "smppscope/analysis/offline_decode.hpp"

namespace smppscope::app {

command_runner add_decode_command(CLI::App& app) {
  struct options {
    std::string file;
    bool json = false;
    bool hex = false;
    bool stats = false;
    bool diagnose = false;
    diag_cli_options diag;
    std::size_t max_streams = analysis::offline_limits{}.max_streams;
    std::size_t max_state_mb = analysis::offline_limits{}.max_state_bytes >> 20;
  };
  auto opt = std::make_shared<options>();
  auto* cmd = app.add_subcommand("decode", "decode SMPP in a pcap/pcapng file, one line per PDU");
  cmd->add_option("file", opt->file, "capture file (pcap or pcapng; Ethernet, Linux SLL/SLL2, raw IP, loopback)")
      ->required();
  cmd->add_flag("--json", opt->json, "one JSON event object per line (session = TCP stream index)");
  cmd->add_flag("--hex", opt->hex, "with --json: include the PDU octets as \"hex\"");
  cmd->add_flag("--diagnose", opt->diagnose,
                "after the PDU lines, the alerts of the session diagnostics over the capture (kind, side, "
                "session, time; with --json alert events); thresholds as for proxy");
  cmd->add_flag("--stats", opt->stats, "print packet/stream/PDU counts on stderr at the end");
  cmd->add_option("--max-streams", opt->max_streams,
                  "live TCP streams kept; beyond, the idlest is flushed and forgotten (counted)")
      ->capture_default_str()
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24).description(""));
  cmd->add_option("--max-state-mb", opt->max_state_mb,
                  "reassembly state kept, all streams (out-of-order octets, partial PDUs); beyond, the "
                  "idlest stream is flushed and forgotten (counted)")
      ->capture_default_str()
      ->type_name("MB")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20).description(""));
  add_diag_options(*cmd, opt->diag);
  return [opt] {
    static char buf[1 << 16];
    std::setvbuf(stdout, buf, _IOFBF, sizeof buf);
    analysis::decode_output_options o;
    o.json = opt->json;
    o.hex = opt->hex;
    o.diagnose = opt->diagnose;
    if (opt->diagnose) o.diag = resolve_diag_options(opt->diag);  // throws with the flag's name
    o.limits.max_streams = opt->max_streams;
    o.limits.max_state_bytes = opt->max_state_mb << 20;
    o.limits.on_first_eviction = [](std::string_view what) {
      std::fprintf(stderr, "smppscope decode: %.*s\n", static_cast<int>(what.size()), what.data());
    };
    analysis::offline_stats st;
    std::string error;
    if (!analysis::decode_pcap_file(opt->file, stdout, o, &st, error)) {
      std::fprintf(stderr, "smppscope decode: %s\n", error.c_str());
      return 1;
    }
    if (opt->stats)
      std::fprintf(stderr,
                   "packets %llu, tcp segments %llu, streams %llu (smpp %llu), pdus %llu, decode errors %llu, "
                   "out of sync %llu, tcp gaps %llu, empty streams dropped %llu, streams evicted %llu, "
                   "peak live streams %llu, peak state %llu KiB\n",
                   (unsigned long long)st.packets, (unsigned long long)st.tcp_segments,
                   (unsigned long long)st.streams, (unsigned long long)st.smpp_streams,
                   (unsigned long long)st.pdus, (unsigned long long)st.decode_errors,
                   (unsigned long long)st.out_of_sync, (unsigned long long)st.gaps,
                   (unsigned long long)st.empty_streams_dropped, (unsigned long long)st.evicted_streams,
                   (unsigned long long)st.peak_live_streams, (unsigned long long)(st.peak_state_bytes >> 10));
    return 0;
  };
}

}  // namespace smppscope::app
