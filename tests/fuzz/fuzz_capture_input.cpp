// libFuzzer target for offline input: the TCP packet parser (parse_tcp_packet), the TCP stream
// reassembler (tcp_reassembler), the capture walk of `smppscope decode` (for_each_pdu, reading
// the input as a classic pcap file with our record walker, or as pcapng through libpcap) and
// the concatenated-message reassembler fed with what that walk decodes. The first input octet picks the mode:
//   bit 0 clear: the rest is a capture file; with bit 1 a classic pcap header (link type from
//                the second octet) is put in front, so the records themselves get fuzzed
//   bit 0 set:   the rest is a list of packets, each a 2-octet big-endian length then the octets,
//                parsed with the link type of the second octet and fed to a reassembler with a
//                small buffer bound (bit 1 marks a TCP sequence jump in front of every 4th packet)
// Invariants broken -> abort().
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "smppscope/analysis/offline_decode.hpp"
#include "smppscope/analysis/pcap_reader.hpp"
#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/decoder/cmpp_json.hpp"
#include "smppscope/decoder/json.hpp"
#include "smppscope/decoder/message.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/decoder/reassembler.hpp"

namespace {

namespace c = smppscope::analysis;
namespace d = smppscope::decoder;

// The failing line goes to stderr first, so a crash report says which invariant broke.
void require(bool ok, int line = __builtin_LINE()) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_capture_input.cpp:%d: invariant broken\n", line);
  std::abort();
}

// Link types the reader knows, plus one it does not.
constexpr int linktypes[] = {1, 113, 276, 0, 108, 12, 14, 228, 229, 147};

bool inside(std::span<const std::uint8_t> part, std::span<const std::uint8_t> whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

class checker final : public c::offline_handler {
 public:
  void on_pdu(const c::offline_pdu& p) override {
    ++pdus;
    require(p.pdu != nullptr && p.src != nullptr && p.dst != nullptr);
    require(p.frame.size() >= 16);
    require(p.pdu->hdr.command_length == p.frame.size());
    json.clear();
    d::json_context ctx;
    ctx.session = p.stream;
    ctx.direction = p.dir == c::direction::esme_to_smsc ? "esme_to_smsc" : "smsc_to_esme";
    std::string message;
    if (p.error) message = p.error->message(*p.pdu);
    ctx.error = message;
    d::append_pdu_json(json, *p.pdu, p.frame, ctx);
    require(!json.empty());
    if (const auto m = d::find_message(*p.pdu)) {
      const d::part_key key{p.stream, std::uint8_t(p.dir), m->source_addr, m->destination_addr};
      const auto r = joiner.add(key, *m, p.ts_us);
      if (r.status == d::part_status::completed) require(r.message.has_value());
      require(joiner.pending() <= 64);
    }
  }
  // CMPP streams (decided from their first PDU) count as PDUs too; their JSON must be an object.
  void on_cmpp_pdu(const c::offline_cmpp_pdu& p) override {
    ++pdus;
    require(p.pdu != nullptr && p.src != nullptr && p.dst != nullptr);
    require(p.frame.size() >= d::cmpp::header_size);
    json.clear();
    d::json_context ctx;
    ctx.session = p.stream;
    ctx.direction = p.dir == c::direction::esme_to_smsc ? "esme_to_smsc" : "smsc_to_esme";
    d::cmpp::append_pdu_json(json, *p.pdu, p.frame, ctx);
    require(json.size() >= 2 && json.front() == '{' && json.back() == '}');
  }
  void on_out_of_sync(const c::offline_out_of_sync& o) override {
    ++out_of_sync;
    require(!o.message.empty());
  }
  std::uint64_t pdus = 0, out_of_sync = 0;
  std::string json;
  d::reassembler joiner{d::reassembler_limits{.max_pending = 64, .max_bytes = 1 << 16, .timeout_us = 1'000'000}};
};

// The capture file lives in memory; the reader opens it by its /proc/self/fd path.
int capture_fd() {
  static const int fd = ::memfd_create("fuzz-capture", 0);
  require(fd >= 0);
  return fd;
}

void run_file(const std::uint8_t* data, std::size_t size, bool add_header, int linktype) {
  std::vector<std::uint8_t> file;
  if (add_header) {
    const std::uint8_t hdr[24] = {0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                  0,    0,    4,    0,    std::uint8_t(linktype), std::uint8_t(linktype >> 8), 0, 0};
    file.assign(hdr, hdr + sizeof hdr);
  }
  file.insert(file.end(), data, data + size);
  const int fd = capture_fd();
  require(::ftruncate(fd, 0) == 0);
  require(::pwrite(fd, file.data(), file.size(), 0) == ssize_t(file.size()));
  const std::string path = "/proc/self/fd/" + std::to_string(fd);

  checker h;
  c::offline_stats st;
  std::string error;
  const bool ok = c::for_each_pdu(path, h, &st, error);
  if (!ok) {
    require(!error.empty());
    return;
  }
  require(st.pdus == h.pdus);
  require(st.out_of_sync == h.out_of_sync);
  require(st.tcp_segments <= st.packets);
  require(st.smpp_streams + st.cmpp_streams <= st.streams);
  require(st.decode_errors <= st.pdus);
}

void run_packets(const std::uint8_t* data, std::size_t size, int linktype, bool jumps) {
  c::tcp_reassembler tr(c::tcp_reassembler::options{.max_buffered_per_direction = 4096});
  std::uint64_t fed = 0, delivered = 0;
  auto on_data = [&](const c::tcp_reassembler::data_chunk& ch) {
    require(ch.stream != nullptr);
    require(ch.side == 0 || ch.side == 1);
    require(!ch.bytes.empty());
    delivered += ch.bytes.size();
    require(delivered <= fed);
  };
  std::vector<std::uint8_t> pkt;
  std::size_t pos = 0;
  std::int64_t ts = 1'763'800'000'000'000;
  for (unsigned i = 0; pos + 2 <= size; ++i) {
    const std::size_t n = std::min<std::size_t>((std::size_t(data[pos]) << 8) | data[pos + 1], size - pos - 2);
    pos += 2;
    pkt.assign(data + pos, data + pos + n);
    pos += n;
    const auto seg = c::parse_tcp_packet(linktype, pkt, ts++);
    if (!seg) continue;
    require(inside(seg->payload, pkt));
    c::tcp_segment s = *seg;
    if (jumps && i % 4 == 3) s.seq += 1u << 20;  // far ahead: a hole the bound must skip
    fed += s.payload.size();
    tr.feed(s, on_data);
  }
  tr.finish(on_data);
  require(delivered <= fed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int linktype = linktypes[data[1] % std::size(linktypes)];
  if (data[0] & 1)
    run_packets(data + 2, size - 2, linktype, (data[0] & 2) != 0);
  else
    run_file(data + 2, size - 2, (data[0] & 2) != 0, linktype);
  return 0;
}
