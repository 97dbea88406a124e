// Our reader on hand-built captures: pcapng, SLL/SLL2, raw IP, loopback, VLAN, IPv6; TCP
// reassembly with out-of-order, retransmitted and overlapping segments; tshark as the oracle
// wherever it reassembles the same way.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <sstream>

#include "analysis_test_util.hpp"
#include "pcap_builder.hpp"
#include "smppscope/analysis/offline_decode.hpp"
#include "smppscope/analysis/pcap_reader.hpp"
#include "smppscope/decoder/json.hpp"
#include "smppscope/decoder/text.hpp"

using namespace analysis_test;
namespace pb = pcap_builder;

namespace {

struct pdu_key {
  std::uint32_t id, seq, status;
  auto operator<=>(const pdu_key&) const = default;
};
std::ostream& operator<<(std::ostream& o, const pdu_key& k) {
  return o << std::hex << "{0x" << k.id << " seq " << std::dec << k.seq << " st " << k.status << "}";
}
pdu_key key_of(const bytes& b) {
  const auto h = sd::read_header(b);
  return {h.command_id, h.sequence_number, h.command_status};
}

struct collector : sc::offline_handler {
  std::map<int, std::vector<pdu_key>> per_stream;
  std::map<int, std::vector<sc::direction>> dirs;
  std::map<int, std::vector<std::string>> src;
  std::vector<std::string> errors;
  std::vector<std::string> out_of_sync;
  void on_pdu(const sc::offline_pdu& p) override {
    per_stream[int(p.stream)].push_back({p.pdu->hdr.command_id, p.pdu->hdr.sequence_number, p.pdu->hdr.command_status});
    dirs[int(p.stream)].push_back(p.dir);
    src[int(p.stream)].push_back(p.src->to_string());
    if (p.error) errors.push_back(p.error->message(*p.pdu));
  }
  void on_out_of_sync(const sc::offline_out_of_sync& o) override {
    out_of_sync.push_back(std::string(sc::direction_name(o.dir)) + ": " + std::string(o.message));
  }
};

collector read(const std::string& file, sc::offline_stats* st = nullptr) {
  collector c;
  std::string err;
  EXPECT_TRUE(sc::for_each_pdu(file, c, st, err)) << err;
  return c;
}

std::map<int, std::vector<pdu_key>> tshark_pdus(const std::string& file, const std::string& extra = "") {
  const std::string out = run("tshark -r " + shell_quote(file) + " " + extra +
                              " -T fields -e tcp.stream -e smpp.command_id -e smpp.sequence_number"
                              " -e smpp.command_status 2>/dev/null");
  std::map<int, std::vector<pdu_key>> per_stream;
  for (const auto& line : lines(out)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, '\t')) cols.push_back(c);
    cols.resize(4);  // getline drops a trailing empty field
    if (cols[1].empty()) continue;
    auto split = [](const std::string& s) {
      std::vector<std::uint32_t> v;
      std::stringstream in(s);
      std::string x;
      while (std::getline(in, x, ',')) v.push_back(std::uint32_t(std::stoul(x, nullptr, 0)));
      return v;
    };
    const auto ids = split(cols[1]), seqs = split(cols[2]), sts = split(cols[3]);
    for (std::size_t i = 0; i < ids.size() && i < seqs.size(); ++i)
      per_stream[std::stoi(cols[0])].push_back({ids[i], seqs[i], status_for(ids, sts, i)});
  }
  return per_stream;
}

std::vector<pdu_key> keys(std::initializer_list<bytes> pdus) {
  std::vector<pdu_key> v;
  for (const auto& p : pdus) v.push_back(key_of(p));
  return v;
}

bytes slice(const bytes& b, std::size_t from, std::size_t to) {
  return bytes(b.begin() + long(from), b.begin() + long(std::min(to, b.size())));
}

// The conversation used by several link-type tests: handshake, bind, two submits in one segment,
// a submit split over three segments, responses.
struct standard_conv {
  bytes bind = bind_trx(1), bind_resp = bind_trx_resp(1), s2 = submit(2, "two"), s3 = submit(3, "three"),
        s4 = submit(4, "a somewhat longer message split across segments"), r2 = submit_resp(2),
        r3 = submit_resp(3, 0x58), r4 = submit_resp(4);
  std::vector<pdu_key> expected() const { return keys({bind, bind_resp, s2, s3, r2, r3, s4, r4}); }
  std::vector<sc::direction> dirs() const {
    using enum sc::direction;
    return {esme_to_smsc, smsc_to_esme, esme_to_smsc, esme_to_smsc, smsc_to_esme, smsc_to_esme, esme_to_smsc, smsc_to_esme};
  }
  std::vector<pb::packet> packets(pb::conversation& c, bytes (*link)(const bytes&)) const {
    std::vector<pb::packet> v;
    auto add = [&](const bytes& ip) { v.push_back({c.ts += 1000, link(ip)}); };
    add(c.syn());
    add(c.synack());
    add(c.ack());
    add(c.data(true, bind));
    add(c.data(false, bind_resp));
    add(c.data(true, cat({s2, s3})));
    add(c.data(false, cat({r2, r3})));
    // Splits after the header: tshark 4.0 drops a PDU whose header is split (see pcap_writer).
    add(c.data(true, slice(s4, 0, 20)));
    add(c.data(true, slice(s4, 20, 30)));
    add(c.data(true, slice(s4, 30, s4.size())));
    add(c.data(false, r4));
    return v;
  }
};

bytes eth_plain(const bytes& ip) { return pb::ethernet(ip); }
bytes eth_vlan_padded(const bytes& ip) { return pb::ethernet(ip, true, true); }

}  // namespace

TEST(PcapReader, LinkTypesAndFormatsAgreeWithTshark) {
  REQUIRE_TSHARK();
  temp_dir dir;
  struct variant {
    std::string name;
    std::uint32_t linktype;
    bytes (*link)(const bytes&);
    bool v6, pcapng;
  };
  const std::vector<variant> variants = {
      {"ethernet-pcapng", 1, eth_plain, false, true},
      {"ethernet-vlan-padded", 1, eth_vlan_padded, false, false},
      {"sll", 113, pb::sll, false, false},
      {"sll2", 276, pb::sll2, true, false},
      {"sll2-pcapng", 276, pb::sll2, false, true},
      {"raw-ipv6", 101, [](const bytes& ip) { return ip; }, true, false},
      {"ipv4-linktype", 228, [](const bytes& ip) { return ip; }, false, false},
      {"null-loopback", 0, pb::null_loopback, false, false},
      {"null-loopback-v6", 0, pb::null_loopback, true, true},
  };
  for (const auto& v : variants) {
    SCOPED_TRACE(v.name);
    standard_conv sc_;
    pb::conversation c;
    c.client = v.v6 ? pb::a6(1, 40123) : pb::a4(192, 168, 1, 10, 40123);
    c.server = v.v6 ? pb::a6(2, 2775) : pb::a4(192, 168, 1, 20, 2775);
    const auto pkts = sc_.packets(c, v.link);
    const std::string file = (dir.path / (v.name + (v.pcapng ? ".pcapng" : ".pcap"))).string();
    if (v.pcapng) pb::write_pcapng(file, std::uint16_t(v.linktype), pkts);
    else pb::write_pcap(file, v.linktype, pkts);
    sc::offline_stats st;
    const auto got = read(file, &st);
    ASSERT_EQ(got.per_stream.size(), 1u);
    EXPECT_EQ(got.per_stream.at(0), sc_.expected());
    EXPECT_EQ(got.dirs.at(0), sc_.dirs());
    EXPECT_EQ(got.src.at(0).front(), v.v6 ? "[2001:db8::1]:40123" : "192.168.1.10:40123");
    EXPECT_EQ(st.packets, pkts.size());
    EXPECT_EQ(st.smpp_streams, 1u);
    EXPECT_EQ(st.pdus, 8u);
    EXPECT_EQ(tshark_pdus(file), got.per_stream);
  }
}

// Out of order, retransmitted, overlapping and duplicate segments; PDUs split and several per
// segment. tshark (with out-of-order reassembly on) and our reader must both see every PDU once.
TEST(PcapReader, ReassemblesOutOfOrderRetransmittedAndOverlapping) {
  REQUIRE_TSHARK();
  temp_dir dir;
  pb::conversation c;
  c.client = pb::a4(10, 1, 1, 1, 50000);
  c.server = pb::a4(10, 1, 1, 2, 2775);
  std::vector<pb::packet> pkts;
  auto add = [&](const bytes& ip) { pkts.push_back({c.ts += 1000, pb::sll2(ip)}); };
  add(c.syn());
  add(c.synack());
  add(c.ack());
  bytes stream;
  std::vector<bytes> pdus;
  for (std::uint32_t i = 1; i <= 12; ++i) {
    pdus.push_back(submit(i, "message number " + std::to_string(i)));
    stream = cat({stream, pdus.back()});
  }
  const std::uint32_t base = c.seq_c;
  // Segments of 37 octets; send them in a shuffled order with duplicates and overlaps.
  std::vector<std::pair<std::size_t, std::size_t>> segs;
  for (std::size_t p = 0; p < stream.size(); p += 37) segs.push_back({p, std::min(p + 37, stream.size())});
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < segs.size(); i += 3) {  // each triple as 2, 0, 1
    if (i + 2 < segs.size()) order.insert(order.end(), {i + 2, i, i + 1});
    else for (std::size_t j = i; j < segs.size(); ++j) order.push_back(j);
  }
  for (std::size_t k = 0; k < order.size(); ++k) {
    const auto [from, to] = segs[order[k]];
    add(c.data_at(true, base + std::uint32_t(from), slice(stream, from, to)));
    if (k % 4 == 1) add(c.data_at(true, base + std::uint32_t(from), slice(stream, from, to)));  // retransmission
    if (k % 5 == 2 && from >= 10)  // overlap: re-sends the last 10 octets of the previous range plus this one
      add(c.data_at(true, base + std::uint32_t(from - 10), slice(stream, from - 10, to)));
  }
  c.seq_c += std::uint32_t(stream.size());
  add(c.data(false, submit_resp(1)));
  const std::string file = (dir.path / "ooo.pcap").string();
  pb::write_pcap(file, 276, pkts);

  std::vector<pdu_key> want;
  for (const auto& p : pdus) want.push_back(key_of(p));
  want.push_back(key_of(submit_resp(1)));
  sc::offline_stats st;
  const auto got = read(file, &st);
  EXPECT_EQ(got.per_stream.at(0), want);
  EXPECT_TRUE(got.errors.empty());
  EXPECT_TRUE(got.out_of_sync.empty());
  EXPECT_EQ(st.gaps, 0u);
  EXPECT_EQ(tshark_pdus(file, "-o tcp.reassemble_out_of_order:TRUE"), got.per_stream);
}

TEST(PcapReader, SequenceWrapAndMidStreamStartAndDirectionGuess) {
  temp_dir dir;
  // No handshake captured, sequence numbers wrap past 2^32 mid-PDU; the first PDU seen is a
  // deliver_sm from the server on port 2776, so the server side is the SMSC.
  pb::conversation c;
  c.client = pb::a4(10, 0, 0, 1, 33000);
  c.server = pb::a4(10, 0, 0, 2, 2776);
  c.seq_s = 0xFFFFFFF0u;
  c.seq_c = 77;
  std::vector<pb::packet> pkts;
  auto add = [&](const bytes& ip) { pkts.push_back({c.ts += 10, pb::ethernet(ip)}); };
  const bytes d1 = sd::pdu_builder(sd::command_id::deliver_sm, 1).set("source_addr", "5678").short_message(bytes{'o', 'k'}).bytes();
  add(c.data(false, slice(d1, 0, 5)));  // header split: our reader copes
  add(c.data(false, slice(d1, 5, 20)));
  add(c.data(false, slice(d1, 20, d1.size())));
  add(c.data(true, sd::pdu_builder(sd::command_id::deliver_sm_resp, 1).bytes()));
  add(c.data(false, header_only(sd::command_id::enquire_link, 2)));
  const std::string file = (dir.path / "wrap.pcap").string();
  pb::write_pcap(file, 1, pkts);
  const auto got = read(file);
  ASSERT_EQ(got.per_stream.size(), 1u);
  EXPECT_EQ(got.per_stream.at(0), keys({d1, sd::pdu_builder(sd::command_id::deliver_sm_resp, 1).bytes(),
                                        header_only(sd::command_id::enquire_link, 2)}));
  using enum sc::direction;
  EXPECT_EQ(got.dirs.at(0), (std::vector<sc::direction>{smsc_to_esme, esme_to_smsc, smsc_to_esme}));
}

TEST(PcapReader, FindsSmppOnAnyPortAndIgnoresOtherTcp) {
  temp_dir dir;
  std::vector<pb::packet> pkts;
  pb::conversation http;
  http.client = pb::a4(10, 0, 0, 1, 41000);
  http.server = pb::a4(10, 0, 0, 9, 80);
  const std::string get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  pkts.push_back({http.ts, pb::ethernet(http.syn())});
  pkts.push_back({http.ts, pb::ethernet(http.synack())});
  pkts.push_back({http.ts, pb::ethernet(http.data(true, bytes(get.begin(), get.end())))});
  pb::conversation smpp;
  smpp.client = pb::a4(10, 0, 0, 1, 41001);
  smpp.server = pb::a4(10, 0, 0, 8, 9999);
  pkts.push_back({smpp.ts, pb::ethernet(smpp.syn())});
  pkts.push_back({smpp.ts, pb::ethernet(smpp.synack())});
  pkts.push_back({smpp.ts, pb::ethernet(smpp.data(true, header_only(sd::command_id::enquire_link, 5)))});
  pkts.push_back({smpp.ts, pb::ethernet(smpp.data(false, header_only(sd::command_id::enquire_link_resp, 5)))});
  pkts.push_back({http.ts, pb::ethernet(http.data(false, bytes(300, 'h')))});
  const std::string file = (dir.path / "mixed.pcap").string();
  pb::write_pcap(file, 1, pkts);
  sc::offline_stats st;
  const auto got = read(file, &st);
  EXPECT_EQ(st.streams, 2u);
  EXPECT_EQ(st.smpp_streams, 1u);
  ASSERT_EQ(got.per_stream.size(), 1u);
  EXPECT_EQ(got.per_stream.at(1), keys({header_only(sd::command_id::enquire_link, 5),
                                        header_only(sd::command_id::enquire_link_resp, 5)}));
  EXPECT_TRUE(got.out_of_sync.empty());
}

TEST(PcapReader, FramingBreakIsReportedOnceAndTheOtherDirectionGoesOn) {
  temp_dir dir;
  pb::conversation c;
  c.client = pb::a4(10, 0, 0, 1, 41000);
  c.server = pb::a4(10, 0, 0, 2, 2775);
  std::vector<pb::packet> pkts;
  auto add = [&](const bytes& ip) { pkts.push_back({c.ts += 10, pb::ethernet(ip)}); };
  add(c.syn());
  add(c.synack());
  add(c.data(true, submit(1)));
  add(c.data(true, bytes{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 2}));
  add(c.data(true, submit(3)));
  add(c.data(false, submit_resp(1)));
  const std::string file = (dir.path / "break.pcap").string();
  pb::write_pcap(file, 1, pkts);
  sc::offline_stats st;
  const auto got = read(file, &st);
  EXPECT_EQ(got.per_stream.at(0), keys({submit(1), submit_resp(1)}));
  ASSERT_EQ(got.out_of_sync.size(), 1u);
  EXPECT_NE(got.out_of_sync[0].find("esme_to_smsc"), std::string::npos);
  EXPECT_NE(got.out_of_sync[0].find("4294967295"), std::string::npos) << got.out_of_sync[0];
  EXPECT_EQ(st.out_of_sync, 1u);
}

TEST(PcapReader, TruncatedFileKeepsWhatWasReadAndGarbageIsAnError) {
  temp_dir dir;
  standard_conv conv;
  pb::conversation c;
  c.client = pb::a4(10, 0, 0, 1, 41000);
  c.server = pb::a4(10, 0, 0, 2, 2775);
  const std::string file = (dir.path / "cut.pcap").string();
  pb::write_pcap(file, 1, conv.packets(c, eth_plain), 20);  // last record cut short
  const auto got = read(file);
  auto want = conv.expected();
  want.pop_back();
  EXPECT_EQ(got.per_stream.at(0), want);

  const std::string junk = (dir.path / "junk.txt").string();
  std::ofstream(junk) << "this is not a capture file at all\n";
  collector c2;
  std::string err;
  EXPECT_FALSE(sc::for_each_pdu(junk, c2, nullptr, err));
  EXPECT_NE(err.find("junk.txt"), std::string::npos) << err;
  EXPECT_FALSE(sc::for_each_pdu((dir.path / "missing.pcap").string(), c2, nullptr, err));
  EXPECT_NE(err.find("missing.pcap"), std::string::npos) << err;
}

// The reassembler on its own: a hole that never fills is skipped once the buffer bound is hit,
// and the delivery after it says so; finish() flushes what is left.
TEST(TcpReassembler, BoundedBufferingSkipsHolesAndFlagsTheGap) {
  sc::tcp_reassembler r({.max_buffered_per_direction = 100});
  sc::tcp_segment s;
  s.src = v4(1, 1, 1, 1, 1000);
  s.dst = v4(2, 2, 2, 2, 2775);
  s.flags = 0x18;
  std::vector<std::pair<std::string, bool>> got;
  auto on = [&](const sc::tcp_reassembler::data_chunk& c) {
    got.push_back({std::string(c.bytes.begin(), c.bytes.end()), c.after_gap});
  };
  auto seg = [&](std::uint32_t seq, const std::string& text) {
    s.seq = seq;
    s.payload = {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
    r.feed(s, on);
  };
  const std::string a(10, 'a'), b(60, 'b'), c(60, 'c'), d(5, 'd');
  seg(100, a);        // 100..110
  seg(120, b);        // hole 110..120; buffered 60
  EXPECT_EQ(got.size(), 1u);
  seg(180, c);        // buffered 120 > 100: the hole is given up
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1], std::make_pair(b, true));
  EXPECT_EQ(got[2], std::make_pair(c, false));
  seg(100, a);        // old retransmission: nothing new
  EXPECT_EQ(got.size(), 3u);
  seg(250, d);        // another hole, never filled
  r.finish(on);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[3], std::make_pair(d, true));
  EXPECT_EQ(r.gaps(), 2u);
}

// Network input never crashes the reader: random frames for every link type, then a capture of
// valid TCP/IP carrying random payloads at random (nearby) sequence numbers.
TEST(PcapReader, RandomInputNeverCrashes) {
  std::mt19937 rng(12345);
  for (const int lt : {0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 999}) {
    for (int i = 0; i < 3000; ++i) {
      bytes b(rng() % 120);
      for (auto& x : b) x = std::uint8_t(rng());
      if (!b.empty() && rng() % 2) b[0] = std::uint8_t((rng() % 2 ? 0x45 : 0x60) | (b[0] & 0x0F));
      (void)sc::parse_tcp_packet(lt, b, 0);
    }
  }
  temp_dir dir;
  std::vector<pb::packet> pkts;
  pb::conversation c;
  c.client = pb::a4(10, 0, 0, 1, 41000);
  c.server = pb::a4(10, 0, 0, 2, 2775);
  for (int i = 0; i < 4000; ++i) {
    bytes payload(rng() % 90);
    for (auto& x : payload) x = std::uint8_t(rng() % 4 ? rng() % 3 : rng());  // mostly small octets
    if (i % 7 == 0 && payload.size() >= 8) {  // a plausible header now and then
      payload[0] = payload[1] = 0;
      payload[3] = std::uint8_t(16 + rng() % 60);
      payload[4] = payload[5] = payload[6] = 0;
      payload[7] = 4;
    }
    const bool from_client = rng() % 2;
    const std::uint32_t seq = (from_client ? c.seq_c : c.seq_s) + rng() % 200 - 100;
    pkts.push_back({c.ts += 1, pb::ethernet(c.data_at(from_client, seq, payload))});
    if (rng() % 3 == 0) (from_client ? c.seq_c : c.seq_s) += std::uint32_t(payload.size());
  }
  const std::string file = (dir.path / "random.pcap").string();
  pb::write_pcap(file, 1, pkts);
  sc::offline_stats st;
  collector got;
  std::string err;
  EXPECT_TRUE(sc::for_each_pdu(file, got, &st, err)) << err;
  EXPECT_EQ(st.packets, 4000u);
  // And the text/JSON printers on the same input.
  std::FILE* devnull = std::fopen("/dev/null", "w");
  for (const bool json : {false, true}) {
    std::string e;
    EXPECT_TRUE(sc::decode_pcap_file(file, devnull, {.json = json, .hex = json}, nullptr, e)) << e;
  }
  std::fclose(devnull);
}

// ---- the in-order fast path against the buffered path ----
// Every case is decoded twice: in-order segments handed out as views into the read buffer (the
// fast path) and every segment copied through the reassembly buffer. Whatever the fast path has
// to fall back on (out of order, retransmitted overlap, a hole, a PDU header split between
// segments), the PDUs, their frames and timestamps, the out-of-sync reports, the counters and
// the printed text and JSON must be the same; and the PDUs must be the ones that were sent.
namespace {

struct full_record : sc::offline_handler {
  std::vector<std::string> lines;
  void on_pdu(const sc::offline_pdu& p) override {
    std::ostringstream o;
    o << p.stream << ' ' << int(p.dir) << ' ' << p.ts_us << ' ' << p.src->to_string() << '>' << p.dst->to_string()
      << ' ' << (p.error ? p.error->message(*p.pdu) : "ok") << ' ';
    for (std::uint8_t b : p.frame) o << std::hex << int(b >> 4) << int(b & 15) << std::dec;
    lines.push_back(o.str());
  }
  void on_out_of_sync(const sc::offline_out_of_sync& o) override {
    lines.push_back("oos " + std::to_string(o.stream) + ' ' + std::string(o.message));
  }
};

struct both_paths {
  full_record fast, buffered;
  sc::offline_stats fast_st, buffered_st;
  std::string fast_text, buffered_text, fast_json, buffered_json;
};

std::string printed(const std::string& file, bool json, bool fast) {
  char* data = nullptr;
  std::size_t size = 0;
  std::FILE* out = open_memstream(&data, &size);
  sc::decode_output_options o;
  o.json = o.hex = json;
  o.limits.in_order_fast_path = fast;
  std::string err;
  EXPECT_TRUE(sc::decode_pcap_file(file, out, o, nullptr, err)) << err;
  std::fclose(out);
  std::string s(data, size);
  std::free(data);
  return s;
}

both_paths decode_both(const std::string& file) {
  both_paths r;
  for (const bool fast : {true, false}) {
    sc::offline_limits lim;
    lim.in_order_fast_path = fast;
    std::string err;
    EXPECT_TRUE(sc::for_each_pdu(file, fast ? r.fast : r.buffered, fast ? &r.fast_st : &r.buffered_st, err, lim))
        << err;
    (fast ? r.fast_text : r.buffered_text) = printed(file, false, fast);
    (fast ? r.fast_json : r.buffered_json) = printed(file, true, fast);
  }
  return r;
}

void expect_same(const both_paths& r) {
  EXPECT_EQ(r.fast.lines, r.buffered.lines);
  EXPECT_EQ(r.fast_text, r.buffered_text);
  EXPECT_EQ(r.fast_json, r.buffered_json);
  EXPECT_EQ(r.fast_st.pdus, r.buffered_st.pdus);
  EXPECT_EQ(r.fast_st.gaps, r.buffered_st.gaps);
  EXPECT_EQ(r.fast_st.out_of_sync, r.buffered_st.out_of_sync);
  EXPECT_EQ(r.fast_st.decode_errors, r.buffered_st.decode_errors);
  EXPECT_FALSE(r.fast.lines.empty());
}

// PDUs sent on one client stream as one byte string, with the segments chosen by `plan`.
struct fast_path_case {
  temp_dir dir;
  pb::conversation c;
  std::vector<pb::packet> pkts;
  bytes stream;
  std::vector<bytes> pdus;
  std::uint32_t base = 0;
  fast_path_case() {
    c.client = pb::a4(10, 9, 0, 1, 43000);
    c.server = pb::a4(10, 9, 0, 2, 2775);
    add(c.syn());
    add(c.synack());
    add(c.ack());
    for (std::uint32_t i = 1; i <= 6; ++i) {
      pdus.push_back(submit(i, "fast path message " + std::to_string(i)));
      stream = cat({stream, pdus.back()});
    }
    base = c.seq_c;
  }
  void add(const bytes& ip) { pkts.push_back({c.ts += 1000, pb::ethernet(ip)}); }
  void seg(std::size_t from, std::size_t to) { add(c.data_at(true, base + std::uint32_t(from), slice(stream, from, to))); }
  std::string write() {
    c.seq_c = base + std::uint32_t(stream.size());
    add(c.data(false, submit_resp(1)));
    const std::string file = (dir.path / "case.pcap").string();
    pb::write_pcap(file, 1, pkts);
    return file;
  }
  std::vector<pdu_key> sent() const {
    std::vector<pdu_key> v;
    for (const auto& p : pdus) v.push_back(key_of(p));
    return v;
  }
};

std::vector<pdu_key> client_pdus(const std::string& file) {
  collector c = read(file);
  std::vector<pdu_key> v;
  for (std::size_t i = 0; i < c.per_stream[0].size(); ++i)
    if (c.dirs[0][i] == sc::direction::esme_to_smsc) v.push_back(c.per_stream[0][i]);
  return v;
}

}  // namespace

TEST(FastPath, OutOfOrderSegmentsFallBackToTheBuffer) {
  fast_path_case k;
  const std::size_t a = k.pdus[0].size(), b = a + k.pdus[1].size() + 5, n = k.stream.size();
  k.seg(0, a);
  k.seg(b, n);  // ahead of a hole
  k.seg(a, b);  // fills it
  const std::string file = k.write();
  expect_same(decode_both(file));
  EXPECT_EQ(client_pdus(file), k.sent());
}

TEST(FastPath, RetransmissionOverlapIsTrimmed) {
  fast_path_case k;
  const std::size_t n = k.stream.size(), m = n / 2;
  k.seg(0, m);
  k.seg(m - 7, m + 30);  // re-sends 7 octets already delivered
  k.seg(0, 20);          // a stale retransmission: nothing new
  k.seg(m + 30, n);
  const std::string file = k.write();
  expect_same(decode_both(file));
  EXPECT_EQ(client_pdus(file), k.sent());
}

TEST(FastPath, HoleThatNeverFillsIsAGap) {
  fast_path_case k;
  const std::size_t a = k.pdus[0].size(), b = a + k.pdus[1].size(), n = k.stream.size();
  k.seg(0, a);
  k.seg(b, n);  // the second PDU never arrives
  const std::string file = k.write();
  const both_paths r = decode_both(file);
  expect_same(r);
  EXPECT_EQ(r.fast_st.gaps, 1u);
  auto want = k.sent();
  want.erase(want.begin() + 1);
  EXPECT_EQ(client_pdus(file), want);  // decoding picks up again at the next header
}

TEST(FastPath, PduHeaderSplitAcrossSegments) {
  fast_path_case k;
  const std::size_t a = k.pdus[0].size(), n = k.stream.size();
  // Cuts inside the first header (the SMPP probe), inside later headers and right after them.
  std::vector<std::size_t> cuts = {3, 10, a + 2, a + 16, a + k.pdus[1].size() + 9};
  std::size_t from = 0;
  for (const std::size_t to : cuts) {
    k.seg(from, to);
    from = to;
  }
  k.seg(from, n);
  const std::string file = k.write();
  expect_same(decode_both(file));
  EXPECT_EQ(client_pdus(file), k.sent());
}

// The record walker (classic pcap on a regular file) against libpcap (pcapng, the same packets):
// same timestamps, octets and lengths, in either byte order and with nanosecond timestamps; a
// record claiming more than libpcap's maximum ends the walk with libpcap's message.
TEST(PcapFileReader, RecordWalkerAgreesWithLibpcap) {
  temp_dir dir;
  standard_conv conv;
  pb::conversation c;
  c.client = pb::a4(10, 0, 0, 1, 41000);
  c.server = pb::a4(10, 0, 0, 2, 2775);
  const auto pkts = conv.packets(c, eth_plain);
  const std::string le = (dir.path / "le.pcap").string(), ng = (dir.path / "same.pcapng").string(),
                    be = (dir.path / "be-nano.pcap").string();
  pb::write_pcap(le, 1, pkts);
  pb::write_pcapng(ng, 1, pkts);
  {  // big-endian, nanosecond timestamps
    bytes f;
    auto be32 = [&](std::uint32_t v) {
      for (int s = 24; s >= 0; s -= 8) f.push_back(std::uint8_t(v >> s));
    };
    be32(0xA1B23C4D);
    f.insert(f.end(), {0, 2, 0, 4});
    be32(0);
    be32(0);
    be32(65535);
    be32(1);
    for (const auto& p : pkts) {
      be32(std::uint32_t(p.ts_us / 1000000));
      be32(std::uint32_t(p.ts_us % 1000000) * 1000 + 999);  // sub-microsecond part is dropped
      be32(std::uint32_t(p.frame.size()));
      be32(std::uint32_t(p.frame.size()));
      f.insert(f.end(), p.frame.begin(), p.frame.end());
    }
    std::ofstream(be, std::ios::binary).write(reinterpret_cast<const char*>(f.data()), std::streamsize(f.size()));
  }
  struct rec {
    std::int64_t ts;
    bytes data;
    std::uint32_t len;
    bool operator==(const rec&) const = default;
  };
  auto all = [](const std::string& file, bool want_direct) {
    std::string err;
    auto r = sc::pcap_file_reader::open(file, err);
    std::vector<rec> v;
    EXPECT_TRUE(r) << err;
    if (!r) return v;
    EXPECT_EQ(r->direct(), want_direct) << file;
    EXPECT_EQ(r->linktype(), 1);
    sc::raw_packet p;
    while (r->next(p)) v.push_back({p.ts_us, bytes(p.data.begin(), p.data.end()), p.orig_len});
    EXPECT_EQ(r->error(), "") << file;
    return v;
  };
  const auto from_ng = all(ng, false);
  ASSERT_EQ(from_ng.size(), pkts.size());
  EXPECT_EQ(all(le, true), from_ng);
  EXPECT_EQ(all(be, true), from_ng);

  // A record larger than any snapshot length: the walk stops there, what came before is kept.
  bytes f;
  {
    std::ifstream in(le, std::ios::binary);
    f.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::size_t second = 24 + 16 + pkts[0].frame.size();
  const std::uint32_t huge = 300000;
  std::memcpy(f.data() + second + 8, &huge, 4);  // this host is little-endian, as the file
  const std::string bad = (dir.path / "bad.pcap").string();
  std::ofstream(bad, std::ios::binary).write(reinterpret_cast<const char*>(f.data()), std::streamsize(f.size()));
  std::string err;
  auto r = sc::pcap_file_reader::open(bad, err);
  ASSERT_TRUE(r) << err;
  sc::raw_packet p;
  EXPECT_TRUE(r->next(p));
  EXPECT_FALSE(r->next(p));
  EXPECT_EQ(r->error(), "invalid packet capture length 300000, bigger than snaplen of 65535");
  // The same through for_each_pdu: one packet read, not an error (a damaged tail).
  sc::offline_stats st;
  collector got;
  EXPECT_TRUE(sc::for_each_pdu(bad, got, &st, err)) << err;
  EXPECT_EQ(st.packets, 1u);
}

// Text lines show the first 60 octets of a message's UTF-8, decoded from a prefix of the text
// when that is sure to give the same octets. Long texts in every reading where a prefix could
// end mid-character (GSM7 escapes, packed septets, UCS2 surrogate pairs cut at the prefix end,
// Latin-1, binary) must print exactly the preview of the whole decoded text.
TEST(DecodeText, PreviewOfLongTextsEqualsTheWholeTextCut) {
  const auto gsm7 = [](const std::string& s) { return *sd::utf8_to_gsm7(s); };
  std::string escapes;
  for (int i = 0; i < 40; ++i) escapes += i % 3 ? "{€" : "a^";
  std::string plain;
  for (int i = 0; i < 20; ++i) plain += "Long message text " + std::to_string(i) + ". ";
  plain.resize(200);
  bytes ucs2 = {0x00, 0x41};  // one BMP character, then surrogate pairs straddling every 4th octet
  for (int i = 0; i < 60; ++i) ucs2.insert(ucs2.end(), {0xD8, 0x3D, 0xDE, std::uint8_t(i)});
  bytes latin1;
  for (int i = 0; i < 200; ++i) latin1.push_back(std::uint8_t(0xA0 + i % 96));
  bytes binary(180);
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = std::uint8_t(i * 7);
  const std::vector<std::pair<std::uint8_t, bytes>> texts = {
      {0, gsm7(escapes)},                    // unpacked GSM7, two septets per character often
      {0, sd::gsm7_pack(gsm7(plain))},       // packed GSM7 (octets above 0x7F)
      {0, sd::gsm7_pack(gsm7(escapes))},     // packed, with escapes
      {8, ucs2},
      {3, latin1},
      {4, binary},
      {0, gsm7(plain.substr(0, 70))},        // short enough to be decoded whole
  };
  temp_dir dir;
  pb::conversation c;
  c.client = pb::a4(10, 7, 0, 1, 44000);
  c.server = pb::a4(10, 7, 0, 2, 2775);
  std::vector<pb::packet> pkts;
  std::vector<std::string> want;
  std::uint32_t seq = 1;
  for (const auto& [dc, ud] : texts) {
    const bytes pdu = sd::pdu_builder(sd::command_id::submit_sm, seq++)
                          .set("source_addr", "1234")
                          .set("destination_addr", "5678")
                          .set("data_coding", dc)
                          .short_message(ud)
                          .bytes();
    pkts.push_back({c.ts += 1000, pb::ethernet(c.data(true, pdu))});
    std::string t = sd::decode_text(ud, dc).utf8;
    if (t.size() > 60) {
      std::size_t cut = 60;
      while (cut > 0 && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80) --cut;
      t = t.substr(0, cut) + "...";
    }
    want.push_back("text=\"" + sd::log_safe(t) + "\"");
  }
  const std::string file = (dir.path / "texts.pcap").string();
  pb::write_pcap(file, 1, pkts);
  const std::string out = printed(file, false, true);
  const auto got = lines(out);
  ASSERT_EQ(got.size(), want.size()) << out;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto at = got[i].find(" text=\"");
    ASSERT_NE(at, std::string::npos) << got[i];
    EXPECT_EQ(got[i].substr(at + 1), want[i]) << "text " << i;
  }
}
