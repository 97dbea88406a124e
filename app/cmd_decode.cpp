// smppscope decode FILE.pcap [--json]: offline decode of a pcap/pcapng capture, one line per PDU.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "smppscope/capture/offline_decode.hpp"

namespace smppscope::app {

command_runner add_decode_command(CLI::App& app) {
  struct options {
    std::string file;
    bool json = false;
    bool hex = false;
    bool stats = false;
  };
  auto opt = std::make_shared<options>();
  auto* cmd = app.add_subcommand("decode", "decode SMPP in a pcap/pcapng file, one line per PDU");
  cmd->add_option("file", opt->file, "capture file (pcap or pcapng; Ethernet, Linux SLL/SLL2, raw IP, loopback)")
      ->required();
  cmd->add_flag("--json", opt->json, "one JSON event object per line (session = TCP stream index)");
  cmd->add_flag("--hex", opt->hex, "with --json: include the PDU octets as \"hex\"");
  cmd->add_flag("--stats", opt->stats, "print packet/stream/PDU counts on stderr at the end");
  return [opt] {
    static char buf[1 << 16];
    std::setvbuf(stdout, buf, _IOFBF, sizeof buf);
    capture::decode_output_options o;
    o.json = opt->json;
    o.hex = opt->hex;
    capture::offline_stats st;
    std::string error;
    if (!capture::decode_pcap_file(opt->file, stdout, o, &st, error)) {
      std::fprintf(stderr, "smppscope decode: %s\n", error.c_str());
      return 1;
    }
    if (opt->stats)
      std::fprintf(stderr,
                   "packets %llu, tcp segments %llu, streams %llu (smpp %llu), pdus %llu, decode errors %llu, "
                   "out of sync %llu, tcp gaps %llu\n",
                   (unsigned long long)st.packets, (unsigned long long)st.tcp_segments,
                   (unsigned long long)st.streams, (unsigned long long)st.smpp_streams,
                   (unsigned long long)st.pdus, (unsigned long long)st.decode_errors,
                   (unsigned long long)st.out_of_sync, (unsigned long long)st.gaps);
    return 0;
  };
}

}  // namespace smppscope::app
