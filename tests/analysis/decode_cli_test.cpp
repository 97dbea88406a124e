// `smppscope decode` as users run it, checked against tshark: the reference vectors (tests/data) and a
// capture written by our own pcap writer.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "analysis_test_util.hpp"
#include "pcap_builder.hpp"
#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/pcap_writer.hpp"
#include "test_data.hpp"

using namespace analysis_test;
namespace json = boost::json;

namespace {
std::string S(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }
std::int64_t N(const json::value& v) { return v.to_number<std::int64_t>(); }
}  // namespace

namespace {

const std::string binary = SMPPSCOPE_BINARY;
const std::filesystem::path vectors = smppscope::test::vectors_dir();

struct result {
  int status;
  std::string out, err;
};

result decode(const std::string& args) {
  temp_dir d;
  const auto err_file = (d.path / "stderr").string();
  result r;
  r.out = run(shell_quote(binary) + " decode " + args + " 2>" + shell_quote(err_file), &r.status);
  std::ifstream in(err_file);
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  return r;
}

struct pdu_row {
  std::uint64_t stream;
  std::uint32_t id, seq, status;
  auto operator<=>(const pdu_row&) const = default;
};
std::ostream& operator<<(std::ostream& o, const pdu_row& k) {
  return o << "{stream " << k.stream << std::hex << " 0x" << k.id << std::dec << " seq " << k.seq << " st " << k.status << "}";
}

std::vector<pdu_row> from_json_lines(const std::string& out) {
  std::vector<pdu_row> rows;
  for (const auto& line : lines(out)) {
    const auto o = json::parse(line).as_object();
    if (o.at("type") != "pdu") continue;
    rows.push_back({o.at("session").to_number<std::uint64_t>(), o.at("command_id").to_number<std::uint32_t>(),
                    o.at("sequence_number").to_number<std::uint32_t>(), o.at("command_status").to_number<std::uint32_t>()});
  }
  return rows;
}

std::vector<pdu_row> from_tshark(const std::string& file) {
  const std::string out = run("tshark -r " + shell_quote(file) +
                              " -T fields -e tcp.stream -e smpp.command_id -e smpp.sequence_number"
                              " -e smpp.command_status 2>/dev/null");
  std::vector<pdu_row> rows;
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
      rows.push_back({std::stoull(cols[0]), ids[i], seqs[i], status_for(ids, sts, i)});
  }
  return rows;
}

}  // namespace

TEST(DecodeCli, EveryReferenceVectorMatchesTshark) {
  ASSERT_FALSE(smppscope::test::list_files(vectors, "smpp_", ".pcap").empty())
      << smppscope::test::missing_data_message(vectors);
  REQUIRE_TSHARK();
  int n = 0;
  for (const std::string& stem : smppscope::test::list_files(vectors, "smpp_", ".pcap")) {
    const std::string name = stem + ".pcap";
    const std::filesystem::path file = vectors / name;
    SCOPED_TRACE(name);
    ++n;
    const auto r = decode("--json " + shell_quote(file.string()));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const auto ours = from_json_lines(r.out);
    EXPECT_EQ(ours, from_tshark(file.string()));
    if (name == "smpp_submit_sm_seed_literal.pcap") {
      EXPECT_TRUE(ours.empty());  // command_length 59, 46 octets present: both wait for more
    } else {
      EXPECT_EQ(ours.size(), 1u);
    }
    // The human-readable form has one line per PDU too.
    const auto t = decode(shell_quote(file.string()));
    ASSERT_EQ(t.status, 0);
    EXPECT_EQ(lines(t.out).size(), ours.size());
  }
  EXPECT_GE(n, 18) << smppscope::test::missing_data_message(vectors);  // the smpp_* vectors
}

TEST(DecodeCli, HumanReadableLine) {
  const auto r = decode(shell_quote((vectors / "smpp_submit_sm_ucs2_hi.pcap").string()));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto l = lines(r.out);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_NE(l[0].find("10.0.0.1:40000 -> 10.0.0.2:2775 submit_sm seq=1"), std::string::npos) << l[0];
  EXPECT_NE(l[0].find("from=1234"), std::string::npos) << l[0];
  EXPECT_NE(l[0].find("to=5678"), std::string::npos) << l[0];
  EXPECT_NE(l[0].find("text=\"Hi\""), std::string::npos) << l[0];
  const auto resp = decode(shell_quote((vectors / "smpp_submit_sm_resp_error_header_only.pcap").string()));
  EXPECT_NE(resp.out.find("submit_sm_resp seq=3 status=ESME_RSUBMITFAIL"), std::string::npos) << resp.out;
  EXPECT_NE(resp.out.find("10.0.0.2:2775 -> 10.0.0.1:40000"), std::string::npos) << resp.out;
}

TEST(DecodeCli, JsonLinesAreInterfaceEvents) {
  const auto r = decode("--json " + shell_quote((vectors / "smpp_deliver_sm_dlr.pcap").string()));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto l = lines(r.out);
  ASSERT_EQ(l.size(), 1u);
  const auto o = json::parse(l[0]).as_object();
  EXPECT_EQ(S(o.at("type")), "pdu");
  EXPECT_EQ(N(o.at("session")), 0);
  // The vector has no handshake; deliver_sm comes from the SMSC.
  EXPECT_EQ(S(o.at("direction")), "smsc_to_esme");
  EXPECT_EQ(S(o.at("command")), "deliver_sm");
  EXPECT_EQ(N(o.at("command_length")), 168);
  EXPECT_TRUE(o.contains("ts_us"));
  EXPECT_FALSE(o.contains("hex"));
  const auto h = decode("--json --hex " + shell_quote((vectors / "smpp_enquire_link.pcap").string()));
  EXPECT_EQ(S(json::parse(lines(h.out).at(0)).at("hex")), "00000010000000150000000000000009");
}

TEST(DecodeCli, OurOwnCaptureMatchesTshark) {
  REQUIRE_TSHARK();
  temp_dir dir;
  {
    sc::event_ring ring;
    sc::session_table sessions;
    sc::analyzer an(ring, sessions);
    sc::pcap_writer w({.dir = dir.path, .legs = sc::pcap_legs::both});
    an.add_sink(w);
    std::int64_t ts = 1'763'800'000'000'000;
    for (std::uint64_t s = 1; s <= 3; ++s) {
      an.process(open_record(s, ts++, s == 2));
      an.process(data_record(s, sc::direction::esme_to_smsc, ts++, bind_trx(1)));
      an.process(data_record(s, sc::direction::smsc_to_esme, ts++, bind_trx_resp(1)));
      bytes burst;
      for (std::uint32_t i = 2; i < 400; ++i) burst = cat({burst, submit(i, "x" + std::to_string(i))});
      for (std::size_t pos = 0; pos < burst.size(); pos += 1000)  // chunks cut through PDUs
        an.process(data_record(s, sc::direction::esme_to_smsc, ts++,
                               bytes(burst.begin() + long(pos), burst.begin() + long(std::min(pos + 1000, burst.size())))));
      for (std::uint32_t i = 2; i < 400; ++i)
        an.process(data_record(s, sc::direction::smsc_to_esme, ts++, submit_resp(i, i % 7 == 0 ? 0x14 : 0)));
    }
    w.close();
  }
  std::filesystem::path file;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) file = e.path();
  const auto r = decode("--json " + shell_quote(file.string()));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto ours = from_json_lines(r.out);
  EXPECT_EQ(ours.size(), 3u * 2 * (2 + 2 * 398));
  EXPECT_EQ(ours, from_tshark(file.string()));
}

TEST(DecodeCli, BadInputIsOneLineOnStderrAndNonZeroExit) {
  temp_dir dir;
  const auto junk = (dir.path / "notes.txt").string();
  std::ofstream(junk) << "hello\n";
  for (const std::string& args : {shell_quote(junk), shell_quote((dir.path / "absent.pcap").string()), std::string("")}) {
    SCOPED_TRACE(args);
    const auto r = decode(args);
    EXPECT_NE(r.status, 0);
    EXPECT_EQ(r.out, "");
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_NE(decode(shell_quote(junk)).err.find("notes.txt"), std::string::npos);
  EXPECT_EQ(decode("--help").status, 0);
}

// A hostile capture: thousands of SYN-only streams (half answered by RST) and hundreds of streams
// whose out-of-order data waits on a hole that never fills, around one well-formed SMPP stream.
// With small limits the counted state stays under them, the eviction is said once on stderr and
// counted in --stats, and every PDU of the well-formed stream is still decoded.
TEST(DecodeCli, HostileCaptureStaysWithinTheLimits) {
  namespace pb = pcap_builder;
  temp_dir dir;
  const auto file = (dir.path / "hostile.pcap").string();
  std::vector<pb::packet> pkts;
  std::int64_t ts = 1'700'000'000'000'000;
  auto add = [&](const bytes& ip) { pkts.push_back({ts += 10, pb::ethernet(ip)}); };
  pb::conversation good{pb::a4(10, 0, 0, 1, 40000), pb::a4(10, 0, 0, 2, 2775)};
  add(good.syn());
  add(good.synack());
  add(good.ack());
  add(good.data(true, bind_trx(1)));
  add(good.data(false, bind_trx_resp(1)));
  const bytes junk(20000, 0x5A);
  std::uint32_t submits = 0;
  for (std::uint32_t i = 0; i < 3000; ++i) {
    const pb::addr c = pb::a4(10, 1, std::uint8_t(i >> 8), std::uint8_t(i), std::uint16_t(1024 + i % 50000));
    const pb::addr srv = pb::a4(10, 0, 0, 2, 2775);
    add(pb::ip_tcp(c, srv, 1000 * i, 0, pb::SYN, {}));
    if (i % 2) add(pb::ip_tcp(srv, c, 0, 1000 * i + 1, 0x04 | pb::ACK, {}));  // RST: refused
    if (i % 10 == 0) {  // a stream that only ever sends data after a hole
      const pb::addr h = pb::a4(10, 2, std::uint8_t(i >> 8), std::uint8_t(i), 3000);
      add(pb::ip_tcp(h, srv, 5000, 0, pb::PSH | pb::ACK, bytes(16, 0)));
      add(pb::ip_tcp(h, srv, 5016 + 1000, 0, pb::PSH | pb::ACK, junk));
      ++submits;
      add(good.data(true, submit(1 + submits, "m" + std::to_string(submits))));
      add(good.data(false, submit_resp(1 + submits)));
    }
  }
  pb::write_pcap(file, 1, pkts);

  const auto r = decode("--json --stats --max-streams 64 --max-state-mb 1 " + shell_quote(file));
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::uint32_t> seqs;
  for (const std::string& l : lines(r.out)) {
    const auto o = json::parse(l).as_object();
    if (S(o.at("type")) != "pdu") continue;
    EXPECT_EQ(N(o.at("session")), 0) << l;
    if (S(o.at("command")) == "submit_sm") seqs.push_back(std::uint32_t(N(o.at("sequence_number"))));
  }
  ASSERT_EQ(seqs.size(), submits);
  for (std::uint32_t k = 0; k < submits; ++k) EXPECT_EQ(seqs[k], k + 2);
  const auto err = lines(r.err);
  ASSERT_EQ(err.size(), 2u) << r.err;  // the eviction notice once, then the stats
  EXPECT_NE(err[0].find("idlest streams"), std::string::npos) << err[0];
  auto stat = [&](const std::string& name) {
    const auto at = err[1].find(name + " ");
    EXPECT_NE(at, std::string::npos) << name << " in " << err[1];
    return at == std::string::npos ? -1 : std::stoll(err[1].substr(at + name.size() + 1));
  };
  EXPECT_EQ(stat("empty streams dropped"), 1500);
  EXPECT_GT(stat("streams evicted"), 1000);
  EXPECT_LE(stat("peak live streams"), 64);
  EXPECT_LE(stat("peak state"), 1024);  // KiB
  EXPECT_EQ(stat("streams"), 1 + 3000 + 300);
}
