// The analyzer on CMPP sessions: the protocol decided from the first PDU (SMPP beside it stays
// SMPP), CMPP framed across chunks, the version followed per session (CONNECT, mid-session
// lengths, a refused 3.0 session reconnecting as 2.0), events rendered with the CMPP field names.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <random>

#include "analysis_test_util.hpp"
#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/cmpp_auth/authenticator.hpp"
#include "smppscope/decoder/cmpp.hpp"

using namespace analysis_test;
namespace json = boost::json;
namespace cmpp = smppscope::decoder::cmpp;

namespace {

constexpr auto e2s = sc::direction::esme_to_smsc;
constexpr auto s2e = sc::direction::smsc_to_esme;

struct fixture {
  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer an;
  std::int64_t ts = 1'700'000'000'000'000;
  explicit fixture(sc::analyzer_options o = {}) : an(ring, sessions, o) {}

  void open(std::uint64_t id) { an.process(open_record(id, ts++)); }
  void send(std::uint64_t id, sc::direction d, const bytes& b) { an.process(data_record(id, d, ts++, b)); }
  void send_split(std::uint64_t id, sc::direction d, const bytes& b, std::size_t max, unsigned seed) {
    std::mt19937 rng(seed);
    std::size_t pos = 0;
    while (pos < b.size()) {
      const std::size_t n = std::min<std::size_t>(b.size() - pos, 1 + rng() % max);
      send(id, d, bytes(b.begin() + long(pos), b.begin() + long(pos + n)));
      pos += n;
    }
  }
  std::vector<json::object> pdus(std::uint64_t session) {
    std::vector<json::object> out;
    for (const sc::event& e : ring.read_since(0, 1'000'000, [session](const sc::event_info& i) {
           return i.type == sc::event_type::pdu && i.session == session;
         })) {
      out.push_back(json::parse(sc::event_json(e, {.include_hex = true})).as_object());
    }
    return out;
  }
};

std::string cmpp_hex(const bytes& b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t c : b) {
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}

std::string S(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }

bytes c_connect(cmpp::version v, std::uint32_t seq) {
  const auto auth = smppscope::cmpp_auth::authenticator_source("901234", "secret", 1122134530u).value();
  return cmpp::pdu_builder(cmpp::command_id::connect, v, seq)
      .set("Source_Addr", "901234")
      .set_bytes("AuthenticatorSource", auth)
      .set("Version", cmpp::version_byte(v))
      .set("Timestamp", 1122134530u)
      .bytes();
}
bytes c_connect_resp(cmpp::version v, std::uint32_t seq, std::uint32_t status, std::uint8_t offered) {
  return cmpp::pdu_builder(cmpp::command_id::connect_resp, v, seq).set("Status", status).set("Version", offered).bytes();
}
bytes c_submit(cmpp::version v, std::uint32_t seq, std::uint8_t fmt, cmpp::bytes_view content, bool udhi = false) {
  const std::string_view dest[] = {"13800138000"};
  return cmpp::pdu_builder(cmpp::command_id::submit, v, seq)
      .set("Pk_total", 1)
      .set("Pk_number", 1)
      .set("TP_udhi", udhi ? 1 : 0)
      .set("Msg_Fmt", fmt)
      .set("Msg_src", "901234")
      .set("Src_Id", "1066888")
      .destinations(dest)
      .set_bytes("Msg_Content", content)
      .bytes();
}
bytes c_submit_resp(cmpp::version v, std::uint32_t seq, std::uint64_t msg_id, std::uint32_t result) {
  return cmpp::pdu_builder(cmpp::command_id::submit_resp, v, seq).set("Msg_Id", msg_id).set("Result", result).bytes();
}

}  // namespace

TEST(AnalyzerCmpp, Cmpp20SessionFramedDecodedAndShown) {
  fixture f;
  f.open(1);
  bytes stream = c_connect(cmpp::version::v20, 1);
  const auto gbk = *cmpp::utf8_to_gbk("你好");
  stream = cat({stream, c_submit(cmpp::version::v20, 2, 15, gbk)});
  f.send_split(1, e2s, stream, 7, 3);  // split anywhere, the CONNECT too
  f.send(1, s2e, cat({c_connect_resp(cmpp::version::v20, 1, 0, 0x20), c_submit_resp(cmpp::version::v20, 2, 0xBB36D781E2401234u, 0)}));
  bytes at(12, 0);  // ACTIVE_TEST: header only, 12 octets
  at = {0, 0, 0, 12, 0, 0, 0, 8, 0, 0, 0, 3};
  f.send(1, s2e, at);

  const auto ev = f.pdus(1);
  ASSERT_EQ(ev.size(), 5u);
  for (const auto& e : ev) {
    EXPECT_EQ(S(e.at("protocol")), "cmpp");
    EXPECT_EQ(S(e.at("protocol_version")), "2.0");
  }
  EXPECT_EQ(S(ev[0].at("command")), "CMPP_CONNECT");
  EXPECT_EQ(S(ev[0].at("fields").at("Source_Addr")), "901234");
  EXPECT_EQ(S(ev[0].at("fields").at("AuthenticatorSource")), "5edd80a12b6fdf3c4521ee74984e2bc6");
  EXPECT_EQ(S(ev[0].at("names").at("Version")), "2.0");
  EXPECT_EQ(S(ev[0].at("names").at("Timestamp")), "11-22 13:45:30");
  EXPECT_EQ(S(ev[1].at("command")), "CMPP_SUBMIT");
  EXPECT_EQ(S(ev[1].at("text")), "你好");
  EXPECT_EQ(S(ev[1].at("encoding")), "gbk");
  EXPECT_EQ(S(ev[1].at("fields").at("Dest_terminal_Id").as_array().at(0)), "13800138000");
  EXPECT_EQ(S(ev[1].at("names").at("Msg_Fmt")), "gbk");
  EXPECT_EQ(S(ev[1].at("hex")), cmpp_hex(c_submit(cmpp::version::v20, 2, 15, gbk)));
  EXPECT_EQ(S(ev[2].at("command")), "CMPP_CONNECT_RESP");
  EXPECT_EQ(ev[2].at("command_status").as_int64(), 0);
  EXPECT_EQ(S(ev[2].at("status_name")), "ok");
  EXPECT_EQ(S(ev[3].at("fields").at("Msg_Id")), "bb36d781e2401234");
  const auto& mid = ev[3].at("msg_id").as_object();
  EXPECT_EQ(mid.at("month").as_int64(), 11);
  EXPECT_EQ(mid.at("day").as_int64(), 22);
  EXPECT_EQ(mid.at("gateway").as_int64(), 123456);
  EXPECT_EQ(mid.at("sequence").as_int64(), 4660);
  EXPECT_EQ(S(ev[4].at("command")), "CMPP_ACTIVE_TEST");
  EXPECT_EQ(ev[4].at("sequence_number").as_int64(), 3);

  const auto s = f.sessions.get(1);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->protocol, "cmpp");
  EXPECT_EQ(s->protocol_version, "2.0");
  EXPECT_EQ(s->system_id, "901234");
  EXPECT_EQ(s->state, sc::session_state::bound_trx);
  EXPECT_EQ(s->pdus_in, 2u);
  EXPECT_EQ(s->pdus_out, 3u);
  EXPECT_EQ(s->malformed, 0u);
  std::string js;
  sc::append_session_json(js, *s);
  const auto so = json::parse(js).as_object();
  EXPECT_EQ(S(so.at("protocol")), "cmpp");
  EXPECT_EQ(S(so.at("protocol_version")), "2.0");
}

TEST(AnalyzerCmpp, SmppSessionBesideItStaysSmpp) {
  fixture f;
  f.open(1);
  f.open(2);
  f.send(1, e2s, c_connect(cmpp::version::v30, 1));
  f.send_split(2, e2s, bind_trx(1, "alice", "pw12"), 5, 1);  // SMPP bind_* share id 1..9 with CMPP
  f.send(2, s2e, bind_trx_resp(1));
  const auto smpp = f.pdus(2);
  ASSERT_EQ(smpp.size(), 2u);
  EXPECT_EQ(S(smpp[0].at("protocol")), "smpp");
  EXPECT_EQ(S(smpp[0].at("command")), "bind_transceiver");
  EXPECT_EQ(f.sessions.get(2)->protocol, "smpp");
  EXPECT_EQ(f.sessions.get(2)->state, sc::session_state::bound_trx);
  const auto c = f.pdus(1);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(S(c[0].at("protocol_version")), "3.0");
  EXPECT_EQ(f.sessions.get(1)->protocol_version, "3.0");
}

TEST(AnalyzerCmpp, MidSessionCaptureDetectsTheVersion) {
  fixture f;
  f.open(1);
  // No CONNECT: the first octets are a 2.0 SUBMIT_RESP (21 octets), then 2.0 SUBMITs.
  f.send(1, s2e, c_submit_resp(cmpp::version::v20, 7, 0xBB36D781E2401234u, 8));
  f.send(1, e2s, c_submit(cmpp::version::v20, 8, 0, cmpp::bytes_view(reinterpret_cast<const std::uint8_t*>("hi"), 2)));
  const auto ev = f.pdus(1);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(S(ev[0].at("protocol_version")), "2.0");
  EXPECT_EQ(S(ev[0].at("status_name")), "flow_control");
  EXPECT_EQ(S(ev[1].at("protocol_version")), "2.0");
  EXPECT_EQ(S(ev[1].at("text")), "hi");
  EXPECT_EQ(f.sessions.get(1)->protocol_version, "2.0");
}

TEST(AnalyzerCmpp, RefusedAt30ReconnectsAs20) {
  fixture f;
  f.open(1);
  f.send(1, e2s, c_connect(cmpp::version::v30, 1));
  EXPECT_EQ(f.sessions.get(1)->protocol_version, "3.0");
  f.send(1, s2e, c_connect_resp(cmpp::version::v20, 1, cmpp::connect_status_version_too_high, 0x20));
  f.send(1, e2s, c_connect(cmpp::version::v20, 2));
  f.send(1, s2e, c_connect_resp(cmpp::version::v20, 2, 0, 0x20));
  f.send(1, e2s, c_submit(cmpp::version::v20, 3, 8, cmpp::bytes_view(reinterpret_cast<const std::uint8_t*>("\0H\0i"), 4)));
  const auto ev = f.pdus(1);
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(S(ev[0].at("protocol_version")), "3.0");
  EXPECT_EQ(S(ev[1].at("protocol_version")), "2.0");
  EXPECT_EQ(S(ev[1].at("status_name")), "version_too_high");
  EXPECT_EQ(S(ev[4].at("protocol_version")), "2.0");
  EXPECT_EQ(S(ev[4].at("text")), "Hi");
  EXPECT_FALSE(ev[4].contains("error"));
  EXPECT_EQ(f.sessions.get(1)->protocol_version, "2.0");
}

TEST(AnalyzerCmpp, ConfiguredProtocolSkipsSniffing) {
  sc::analyzer_options o;
  o.protocol = cmpp::wire_protocol::cmpp;
  fixture f(o);
  f.open(1);
  const bytes at = {0, 0, 0, 12, 0, 0, 0, 8, 0, 0, 0, 1};
  f.send(1, e2s, at);  // alone an ACTIVE_TEST could be the start of anything
  const auto ev = f.pdus(1);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(S(ev[0].at("command")), "CMPP_ACTIVE_TEST");
}

TEST(AnalyzerCmpp, GarbageFirstStaysSmppAndResyncs) {
  fixture f;
  f.open(1);
  f.send(1, e2s, bytes{'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P'});
  f.send(1, e2s, bind_trx(1, "alice", "pw12"));
  const auto ev = f.pdus(1);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(S(ev[0].at("protocol")), "smpp");
}
