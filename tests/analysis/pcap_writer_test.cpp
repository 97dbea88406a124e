// pcap files written by pcap_writer (live, through the analyzer) and by write_pcap (ring export),
// read back by tshark (the outside oracle) and by our own reader.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>

#include "analysis_test_util.hpp"
#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/offline_decode.hpp"
#include "smppscope/analysis/pcap_writer.hpp"

using namespace analysis_test;

namespace {

constexpr auto e2s = sc::direction::esme_to_smsc;
constexpr auto s2e = sc::direction::smsc_to_esme;

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

// Parses `tshark -T fields -e tcp.stream -e smpp.command_id -e smpp.sequence_number
// -e smpp.command_status` (aggregated values are comma-separated) into PDUs per TCP stream.
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
    EXPECT_EQ(ids.size(), seqs.size()) << line;
    for (std::size_t i = 0; i < ids.size() && i < seqs.size(); ++i) {
      per_stream[std::stoi(cols[0])].push_back({ids[i], seqs[i], status_for(ids, sts, i)});
    }
  }
  return per_stream;
}

// The same, from our own reader.
struct collector : sc::offline_handler {
  std::map<int, std::vector<pdu_key>> per_stream;
  std::map<int, std::vector<sc::direction>> dirs;
  void on_pdu(const sc::offline_pdu& p) override {
    per_stream[int(p.stream)].push_back({p.pdu->hdr.command_id, p.pdu->hdr.sequence_number, p.pdu->hdr.command_status});
    dirs[int(p.stream)].push_back(p.dir);
  }
};

// Feeds records into an analyzer and remembers, in completion order, which PDUs each session
// carried (computed from the octets, independently of the framer).
struct traffic {
  std::int64_t ts = 1'763'800'000'000'000;
  std::map<std::uint64_t, std::vector<std::pair<pdu_key, sc::direction>>> expected;
  struct dir_state {
    bytes pending;
  };
  std::map<std::pair<std::uint64_t, int>, dir_state> dirs;
  sc::analyzer* an;

  void record(const sc::tap_record& r) { an->process(r); }
  void open(std::uint64_t s, bool v6_upstream = false) { record(open_record(s, ts++, v6_upstream)); }
  void close(std::uint64_t s) { record(text_record(sc::record_kind::session_close, s, ts++, "closed by client")); }
  void data(std::uint64_t s, sc::direction d, const bytes& b, std::int64_t step = 1) {
    ts += step;
    record(data_record(s, d, ts, b));
    auto& p = dirs[{s, int(d)}].pending;
    p.insert(p.end(), b.begin(), b.end());
    for (;;) {
      if (p.size() < 16) break;
      const std::uint32_t len = (std::uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
      if (p.size() < len) break;
      expected[s].push_back({key_of(bytes(p.begin(), p.begin() + len)), d});
      p.erase(p.begin(), p.begin() + len);
    }
  }
  // Sends `b` in random pieces.
  void split(std::uint64_t s, sc::direction d, const bytes& b, std::size_t max, unsigned seed) {
    std::mt19937 rng(seed);
    for (std::size_t pos = 0; pos < b.size();) {
      const std::size_t n = std::min<std::size_t>(b.size() - pos, 1 + rng() % max);
      data(s, d, bytes(b.begin() + long(pos), b.begin() + long(pos + n)));
      pos += n;
    }
  }
};

void session_traffic(traffic& t, std::uint64_t s, int n_submits) {
  t.open(s, s % 2 == 0);
  t.split(s, e2s, bind_trx(1, "sys" + std::to_string(s), "secret"), 7, unsigned(s));
  t.data(s, s2e, bind_trx_resp(1));
  bytes burst;
  for (int i = 0; i < n_submits; ++i) burst = cat({burst, submit(std::uint32_t(2 + i), "msg " + std::to_string(i))});
  t.split(s, e2s, burst, 300, unsigned(s) + 1);
  for (int i = 0; i < n_submits; ++i) t.data(s, s2e, submit_resp(std::uint32_t(2 + i), i % 10 == 9 ? 0x58 : 0));
  t.data(s, s2e, header_only(sd::command_id::enquire_link, 900));
  t.data(s, e2s, header_only(sd::command_id::enquire_link_resp, 900));
  t.data(s, e2s, header_only(sd::command_id::unbind, 901));
  t.data(s, s2e, header_only(sd::command_id::unbind_resp, 901));
  t.close(s);
}

std::vector<std::filesystem::path> pcaps_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> v;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".pcap") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

// Packets tshark flags (TCP analysis, bad checksums, malformed); "" when clean. A tshark failure
// (bad filter, unreadable file) is reported too, so this cannot pass by accident.
std::string tcp_problems(const std::string& file) {
  int status = 0;
  std::string out = run("tshark -r " + shell_quote(file) +
                            " -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -o tcp.analyze_sequence_numbers:TRUE"
                            " -Y 'tcp.analysis.flags || tcp.checksum.status == 0 || ip.checksum.status == 0 || _ws.malformed'"
                            " 2>/dev/null",
                        &status);
  if (status != 0) out += "tshark exit status " + std::to_string(status);
  return out;
}

// Expert infos at warning or error level (notes and chats are fine); "" when none.
std::string expert_warnings(const std::string& file) {
  int status = 0;
  std::string out = run("tshark -r " + shell_quote(file) +
                            " -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -q -z expert,warn 2>/dev/null",
                        &status);
  if (status != 0) out += "tshark exit status " + std::to_string(status);
  return out;
}

}  // namespace

TEST(PcapWriter, BothLegsDecodeInTsharkWithCleanTcpAnalysis) {
  REQUIRE_TSHARK();
  temp_dir dir;
  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer an(ring, sessions);
  sc::pcap_writer w({.dir = dir.path, .legs = sc::pcap_legs::both, .redact_passwords = true});
  an.add_sink(w);
  traffic t;
  t.an = &an;
  session_traffic(t, 1, 120);  // IPv4 both legs
  session_traffic(t, 2, 80);   // IPv6 upstream leg
  // One chunk far larger than an IP packet: split into several segments.
  t.open(3);
  bytes big;
  for (int i = 0; i < 2500; ++i) big = cat({big, submit(std::uint32_t(i + 1), std::string(40, char('a' + i % 26)))});
  ASSERT_GT(big.size(), 150000u);
  t.data(3, e2s, big);
  for (int i = 0; i < 2500; ++i) t.data(3, s2e, submit_resp(std::uint32_t(i + 1)));
  t.close(3);
  an.tick(t.ts);  // flush point: the file is complete on disk while still open

  const auto files = pcaps_in(dir.path);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(w.current_file(), files[0]);
  EXPECT_TRUE(std::regex_match(files[0].filename().string(), std::regex(R"(smppscope-\d{8}-\d{6}-1\.pcap)")));

  const auto ts = tshark_pdus(files[0]);
  // Streams: 0/1 = session 1 client/upstream leg, 2/3 = session 2, 4/5 = session 3.
  ASSERT_EQ(ts.size(), 6u);
  for (std::uint64_t s = 1; s <= 3; ++s) {
    std::vector<pdu_key> want;
    for (const auto& [k, d] : t.expected[s]) want.push_back(k);
    for (int leg = 0; leg < 2; ++leg) {
      const int stream = int(s - 1) * 2 + leg;
      ASSERT_TRUE(ts.count(stream)) << stream;
      EXPECT_EQ(ts.at(stream), want) << "session " << s << " leg " << leg;
    }
  }
  EXPECT_EQ(tcp_problems(files[0]), "");
  EXPECT_EQ(expert_warnings(files[0]), "");
  {  // ...and those checks do catch a broken packet: corrupt the last TCP header.
    const auto broken = (dir.path / "broken.pcap.x").string();
    std::filesystem::copy_file(files[0], broken);
    std::fstream f(broken, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put('\x5a');
    f.close();
    EXPECT_NE(tcp_problems(broken), "");
    EXPECT_NE(expert_warnings(broken), "");
  }

  // Both legs carry the real endpoints; the passwords are starred, same length.
  const auto eps = run("tshark -r " + shell_quote(files[0].string()) +
                       " -Y smpp.password -T fields -e ip.src -e ipv6.src -e tcp.srcport -e smpp.password 2>/dev/null");
  EXPECT_NE(eps.find("127.0.0.2\t\t41001\t******"), std::string::npos) << eps;
  EXPECT_NE(eps.find("\tfd00::1\t51002\t******"), std::string::npos) << eps;
  EXPECT_EQ(eps.find("secret"), std::string::npos);

  // Our own reader agrees with tshark, and knows who the ESME is (SYN seen).
  collector c;
  sc::offline_stats st;
  std::string err;
  ASSERT_TRUE(sc::for_each_pdu(files[0].string(), c, &st, err)) << err;
  EXPECT_EQ(c.per_stream, ts);
  EXPECT_EQ(st.streams, 6u);
  EXPECT_EQ(st.gaps, 0u);
  for (std::uint64_t s = 1; s <= 3; ++s) {
    std::vector<sc::direction> want;
    for (const auto& [k, d] : t.expected[s]) want.push_back(d);
    EXPECT_EQ(c.dirs[int(s - 1) * 2], want);
    EXPECT_EQ(c.dirs[int(s - 1) * 2 + 1], want);
  }
  const auto wst = w.stats();
  EXPECT_EQ(wst.files, 1u);
  EXPECT_EQ(wst.write_errors, 0u);
  EXPECT_EQ(wst.dropped_bytes, 0u);
  EXPECT_EQ(wst.bytes, std::filesystem::file_size(files[0]));
}

TEST(PcapWriter, RedactionMasksAnOverlongPasswordWhole) {
  temp_dir dir;
  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer an(ring, sessions);
  sc::pcap_writer w({.dir = dir.path, .legs = sc::pcap_legs::both, .redact_passwords = true});
  an.add_sink(w);
  traffic t;
  t.an = &an;
  t.open(7);
  // 27 octets: three times what SMPP allows. The bind is malformed but still relayed and written.
  const std::string pw = "Zq9overlongSecretPassword42";
  t.data(7, e2s, bind_trx(1, "sys7", pw));  // one segment, so the file holds it contiguous
  t.data(7, s2e, bind_trx_resp(1, 0x0E));
  t.close(7);
  w.close();
  const auto files = pcaps_in(dir.path);
  ASSERT_EQ(files.size(), 1u);
  std::ifstream f(files[0], std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(all.find("sys7"), std::string::npos);
  for (std::size_t i = 0; i + 4 <= pw.size(); ++i)  // no four octets of it survive anywhere
    EXPECT_EQ(all.find(pw.substr(i, 4)), std::string::npos) << pw.substr(i, 4);
  EXPECT_NE(all.find(std::string(pw.size(), '*')), std::string::npos);
}

std::string file_text(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// True when no four consecutive octets of `secret` appear in `all`.
bool no_trace_of(const std::string& all, const std::string& secret) {
  for (std::size_t i = 0; i + 4 <= secret.size(); ++i)
    if (all.find(secret.substr(i, 4)) != std::string::npos) return false;
  return true;
}

// One session whose ESME direction breaks framing twice before a bind: a header with
// command_length 5, then (later) 37 octets of garbage with the second bind right behind them. Returns the pcap file (client leg only).
std::filesystem::path resync_capture(const std::filesystem::path& dir, bool redact) {
  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer an(ring, sessions);
  sc::pcap_writer w({.dir = dir, .legs = sc::pcap_legs::client, .redact_passwords = redact});
  an.add_sink(w);
  std::int64_t ts = 1'763'800'000'000'000;
  an.process(open_record(1, ts++));
  const bytes bad_header = {0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1};
  an.process(data_record(1, e2s, ts++, bad_header));
  an.process(data_record(1, e2s, ts++, bind_trx(1, "sysA", "pwAlpha1")));
  an.process(data_record(1, s2e, ts++, bind_trx_resp(1)));
  bytes garbage;
  std::mt19937 rng(7);
  for (int i = 0; i < 37; ++i) garbage.push_back(std::uint8_t(rng()));
  const bytes tail = cat({garbage, bind_trx(2, "sysB", "pwBravo2"), submit(3)});
  // The second bind's header (octets 37..52) spans chunks; its body is in one piece.
  const std::size_t cuts[] = {0, 30, 45, tail.size()};
  for (int i = 0; i < 3; ++i)
    an.process(data_record(1, e2s, ts++, bytes(tail.begin() + long(cuts[i]), tail.begin() + long(cuts[i + 1]))));
  an.process(text_record(sc::record_kind::session_close, 1, ts++, "closed"));
  w.close();
  const auto files = pcaps_in(dir);
  return files.size() == 1 ? files[0] : std::filesystem::path();
}

// Masking is the default, and survives the framing breaking (the scanner hunts for the next
// plausible header); the keep option writes them as relayed. tshark reads the passwords back.
TEST(PcapWriter, PasswordsMaskedByDefaultAlsoAfterFramingBreaks) {
  REQUIRE_TSHARK();
  EXPECT_TRUE(sc::pcap_writer_options{}.redact_passwords);
  const std::string tshark_pw = " -Y smpp.password -T fields -e smpp.password 2>/dev/null";
  {
    temp_dir dir;
    const auto file = resync_capture(dir.path, true);
    ASSERT_FALSE(file.empty());
    const std::string all = file_text(file);
    EXPECT_TRUE(no_trace_of(all, "pwAlpha1"));
    EXPECT_TRUE(no_trace_of(all, "pwBravo2"));
    EXPECT_NE(all.find("sysA"), std::string::npos);
    EXPECT_NE(all.find("sysB"), std::string::npos);
    EXPECT_NE(all.find(std::string("\0********\0", 10)), std::string::npos);
    const auto pw = run("tshark -r " + shell_quote(file.string()) + tshark_pw);
    EXPECT_NE(pw.find("********"), std::string::npos) << pw;
    EXPECT_EQ(pw.find("pw"), std::string::npos) << pw;
  }
  {
    temp_dir dir;
    const auto file = resync_capture(dir.path, false);
    ASSERT_FALSE(file.empty());
    const std::string all = file_text(file);
    EXPECT_NE(all.find("pwAlpha1"), std::string::npos);
    EXPECT_NE(all.find("pwBravo2"), std::string::npos);
    const auto pw = run("tshark -r " + shell_quote(file.string()) + tshark_pw);
    EXPECT_NE(pw.find("pwAlpha1"), std::string::npos) << pw;
  }
}

// GET /api/pcap masks by default too, even when an event disagrees with its command_length.
TEST(PcapExport, MasksPasswordsByDefaultEvenAfterAnOddEvent) {
  auto pdu_event = [](std::uint64_t id, const bytes& b) {
    sc::event e;
    e.id = id;
    e.type = sc::event_type::pdu;
    e.dir = e2s;
    e.session = 1;
    e.ts_us = 1'763'800'000'000'000 + std::int64_t(id);
    e.payload.assign(b.begin(), b.end());
    return e;
  };
  bytes odd = header_only(sd::command_id::submit_sm, 1);
  odd[2] = 1;  // claims 272 octets, holds 16
  const std::vector<sc::event> events = {pdu_event(1, odd), pdu_event(2, bind_trx(2, "sysC", "pwCharl3")),
                                         pdu_event(3, bytes{0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 3}),
                                         pdu_event(4, bind_trx(4, "sysD", "pwDelta4"))};
  const std::string masked = sc::write_pcap(events, {});
  EXPECT_TRUE(no_trace_of(masked, "pwCharl3"));
  EXPECT_TRUE(no_trace_of(masked, "pwDelta4"));
  EXPECT_NE(masked.find("sysD"), std::string::npos);
  const std::string kept = sc::write_pcap(events, {}, {.redact_passwords = false});
  EXPECT_NE(kept.find("pwCharl3"), std::string::npos);
  EXPECT_NE(kept.find("pwDelta4"), std::string::npos);
}

TEST(PcapWriter, SingleLegOptionAndUnredacted) {
  REQUIRE_TSHARK();
  for (auto legs : {sc::pcap_legs::client, sc::pcap_legs::upstream}) {
    temp_dir dir;
    sc::event_ring ring;
    sc::session_table sessions;
    sc::analyzer an(ring, sessions);
    sc::pcap_writer w({.dir = dir.path, .legs = legs, .redact_passwords = false});
    an.add_sink(w);
    traffic t;
    t.an = &an;
    session_traffic(t, 5, 10);
    w.close();
    const auto files = pcaps_in(dir.path);
    ASSERT_EQ(files.size(), 1u);
    const auto ts = tshark_pdus(files[0]);
    ASSERT_EQ(ts.size(), 1u);
    EXPECT_EQ(ts.begin()->second.size(), t.expected[5].size());
    const auto port = run("tshark -r " + shell_quote(files[0].string()) +
                          " -Y smpp.password -T fields -e tcp.dstport -e smpp.password 2>/dev/null");
    EXPECT_EQ(port, legs == sc::pcap_legs::client ? "2775\tsecret\n" : "2776\tsecret\n");
    EXPECT_EQ(tcp_problems(files[0]), "");
  }
  EXPECT_EQ(sc::parse_pcap_legs("both"), sc::pcap_legs::both);
  EXPECT_FALSE(sc::parse_pcap_legs("left"));
}

TEST(PcapWriter, RotatesBySizeAndByTime) {
  REQUIRE_TSHARK();
  {
    temp_dir dir;
    sc::event_ring ring;
    sc::session_table sessions;
    sc::analyzer an(ring, sessions);
    sc::pcap_writer w({.dir = dir.path, .legs = sc::pcap_legs::client, .rotate_bytes = 8192});
    an.add_sink(w);
    traffic t;
    t.an = &an;
    t.open(1);
    for (int i = 1; i <= 300; ++i) t.data(1, e2s, submit(std::uint32_t(i)));
    t.close(1);
    w.close();
    const auto files = pcaps_in(dir.path);
    EXPECT_GE(files.size(), 4u);
    std::size_t total = 0;
    for (const auto& f : files) {
      EXPECT_LE(std::filesystem::file_size(f), 8192u + 200u) << f;
      EXPECT_TRUE(std::regex_match(f.filename().string(), std::regex(R"(smppscope-\d{8}-\d{6}-\d+\.pcap)")));
      int status = 0;
      run("tshark -r " + shell_quote(f.string()) + " >/dev/null 2>&1", &status);
      EXPECT_EQ(status, 0) << f;
      for (const auto& [stream, v] : tshark_pdus(f)) total += v.size();
    }
    EXPECT_EQ(total, 300u);  // every PDU is in exactly one file
  }
  {
    temp_dir dir;
    sc::event_ring ring;
    sc::session_table sessions;
    sc::analyzer an(ring, sessions);
    sc::pcap_writer w({.dir = dir.path, .legs = sc::pcap_legs::client, .rotate_bytes = 0, .rotate_seconds = 2});
    an.add_sink(w);
    traffic t;
    t.ts = sc::now_us();
    t.an = &an;
    t.open(1);
    for (int i = 1; i <= 10; ++i) t.data(1, e2s, submit(std::uint32_t(i)), 1'000'000);  // 1 s apart
    w.close();
    EXPECT_GE(pcaps_in(dir.path).size(), 5u);
    EXPECT_LE(pcaps_in(dir.path).size(), 7u);
  }
}

// Disk full (here: RLIMIT_FSIZE): capture pauses, counts what it drops, never throws; after
// the retry delay it opens a new file and carries on.
TEST(PcapWriter, WriteErrorPausesCountsAndResumes) {
  REQUIRE_TSHARK();
  temp_dir dir;
  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer an(ring, sessions);
  sc::pcap_writer w({.dir = dir.path, .legs = sc::pcap_legs::client, .retry_after_us = 1'000'000});
  an.add_sink(w);
  traffic t;
  t.an = &an;
  t.ts = sc::now_us();
  t.open(1);
  an.tick(t.ts);

  auto* old = std::signal(SIGXFSZ, SIG_IGN);
  rlimit saved{};
  ::getrlimit(RLIMIT_FSIZE, &saved);
  rlimit small = saved;
  small.rlim_cur = 20000;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  for (int i = 1; i <= 400; ++i) {
    t.data(1, e2s, submit(std::uint32_t(i)));
    if (i % 20 == 0) an.tick(t.ts);
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old);

  auto st = w.stats();
  EXPECT_TRUE(st.paused);
  EXPECT_GE(st.write_errors, 1u);
  EXPECT_GT(st.dropped_bytes, 0u);
  EXPECT_EQ(st.files, 1u);
  EXPECT_TRUE(w.current_file().empty());

  t.ts += 2'000'000;  // past the retry delay
  an.tick(t.ts);
  st = w.stats();
  EXPECT_FALSE(st.paused);
  EXPECT_EQ(st.files, 2u);
  for (int i = 401; i <= 410; ++i) t.data(1, e2s, submit(std::uint32_t(i)));
  an.tick(t.ts);
  const auto files = pcaps_in(dir.path);
  ASSERT_EQ(files.size(), 2u);
  const auto ts = tshark_pdus(files[1]);
  ASSERT_EQ(ts.size(), 1u);
  ASSERT_EQ(ts.begin()->second.size(), 10u);
  EXPECT_EQ(ts.begin()->second.front().seq, 401u);
}

TEST(PcapWriter, BadDirectoryIsAClearError) {
  try {
    sc::pcap_writer w({.dir = "/proc/no/such/dir"});
    FAIL() << "expected an exception";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("--pcap-dir"), std::string::npos) << e.what();
  }
}

TEST(PcapExport, RingEventsBecomeAPcapTsharkReads) {
  REQUIRE_TSHARK();
  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer an(ring, sessions);
  traffic t;
  t.an = &an;
  session_traffic(t, 1, 30);
  session_traffic(t, 2, 20);
  const auto events = ring.read_since(0, 1'000'000);
  temp_dir dir;
  // All sessions, client leg (default), passwords redacted (default).
  {
    const std::string pcap = sc::write_pcap(events, sc::endpoints_from(sessions));
    const auto file = (dir.path / "all.pcap").string();
    std::ofstream(file, std::ios::binary).write(pcap.data(), std::streamsize(pcap.size()));
    const auto ts = tshark_pdus(file);
    ASSERT_EQ(ts.size(), 2u);
    for (std::uint64_t s = 1; s <= 2; ++s) {
      std::vector<pdu_key> want;
      for (const auto& [k, d] : t.expected[s]) want.push_back(k);
      EXPECT_EQ(ts.at(int(s - 1)), want);
    }
    EXPECT_EQ(tcp_problems(file), "");
    EXPECT_EQ(expert_warnings(file), "");
    const auto pw = run("tshark -r " + shell_quote(file) + " -Y smpp.password -T fields -e ip.src -e smpp.password 2>/dev/null");
    EXPECT_EQ(pw, "127.0.0.2\t******\n127.0.0.2\t******\n");
  }
  // One session, both legs, through a FILE*.
  {
    std::vector<sc::event> one;
    for (const auto& e : events)
      if (e.session == 2) one.push_back(e);
    const auto file = (dir.path / "one.pcap").string();
    std::FILE* f = std::fopen(file.c_str(), "wb");
    ASSERT_TRUE(f);
    ASSERT_TRUE(sc::write_pcap(f, one, sc::endpoints_from(sessions), {.legs = sc::pcap_legs::both, .redact_passwords = false}));
    std::fclose(f);
    const auto ts = tshark_pdus(file);
    ASSERT_EQ(ts.size(), 2u);
    EXPECT_EQ(ts.at(0).size(), t.expected[2].size());
    EXPECT_EQ(ts.at(1), ts.at(0));
    EXPECT_EQ(tcp_problems(file), "");
    const auto v6 = run("tshark -r " + shell_quote(file) + " -Y 'ipv6 && smpp.password' -T fields -e ipv6.dst -e smpp.password 2>/dev/null");
    EXPECT_EQ(v6, "fd00::2\tsecret\n");
  }
  // Unknown sessions get synthetic endpoints; still a valid capture.
  {
    const std::string pcap = sc::write_pcap(events, {});
    const auto file = (dir.path / "anon.pcap").string();
    std::ofstream(file, std::ios::binary).write(pcap.data(), std::streamsize(pcap.size()));
    EXPECT_EQ(tshark_pdus(file).size(), 2u);
    EXPECT_EQ(tcp_problems(file), "");
  }
}
