// `smppscope decode` on CMPP: every CMPP vector is found (port 7890) and decoded with the right
// version, and a CMPP 2.0 session on an unusual port, beside an SMPP one, is read as CMPP.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "analysis_test_util.hpp"
#include "pcap_builder.hpp"
#include "smppscope/cmpp_auth/authenticator.hpp"
#include "smppscope/decoder/cmpp.hpp"
#include "test_data.hpp"

using namespace analysis_test;
namespace json = boost::json;
namespace cmpp = smppscope::decoder::cmpp;

namespace {

const std::string binary = SMPPSCOPE_BINARY;
const std::filesystem::path vectors = smppscope::test::vectors_dir();

std::string decode_out(const std::string& args, int* status) {
  return run(shell_quote(binary) + " decode " + args + " 2>/dev/null", status);
}

}  // namespace

TEST(DecodeCmppCli, EveryCmppVectorDecodesWithItsVersion) {
  const auto stems = smppscope::test::list_files(vectors, "cmpp", ".pcap");
  ASSERT_EQ(stems.size(), 9u) << smppscope::test::missing_data_message(vectors);
  for (const std::string& stem : stems) {
    SCOPED_TRACE(stem);
    int status = -1;
    const std::string out = decode_out("--json " + shell_quote((vectors / (stem + ".pcap")).string()), &status);
    ASSERT_EQ(status, 0);
    const auto l = lines(out);
    ASSERT_EQ(l.size(), 1u) << out;
    const auto o = json::parse(l[0]).as_object();
    EXPECT_EQ(o.at("protocol").as_string(), "cmpp");
    EXPECT_FALSE(o.contains("error")) << l[0];
    if (stem.starts_with("cmpp2_") || stem == "cmpp_connect_v20") EXPECT_EQ(o.at("protocol_version").as_string(), "2.0");
    if (stem.starts_with("cmpp3_")) EXPECT_EQ(o.at("protocol_version").as_string(), "3.0");
    if (stem == "cmpp2_deliver_report") EXPECT_EQ(o.at("report").at("Stat").as_string(), "DELIVRD");
    if (stem == "cmpp2_submit") EXPECT_EQ(o.at("text").as_string(), "Hi");
  }
}

TEST(DecodeCmppCli, Cmpp20SessionOnAnyPortBesideSmpp) {
  temp_dir d;
  const std::string file = (d.path / "mixed.pcap").string();
  using namespace pcap_builder;
  const addr sp = a4(10, 1, 0, 1, 40001), ismg = a4(10, 1, 0, 2, 15000);
  const addr esme = a4(10, 1, 0, 3, 40002), smsc = a4(10, 1, 0, 4, 2775);
  const auto auth = smppscope::cmpp_auth::authenticator_source("901234", "secret", 1122134530u).value();
  const bytes conn = cmpp::pdu_builder(cmpp::command_id::connect, cmpp::version::v20, 1)
                         .set("Source_Addr", "901234")
                         .set_bytes("AuthenticatorSource", auth)
                         .set("Version", 0x20)
                         .set("Timestamp", 1122134530u)
                         .bytes();
  const bytes resp = cmpp::pdu_builder(cmpp::command_id::connect_resp, cmpp::version::v20, 1).set("Version", 0x20).bytes();
  const std::string_view dest[] = {"13800138000"};
  const auto gbk = *cmpp::utf8_to_gbk("你好");
  const bytes sub = cmpp::pdu_builder(cmpp::command_id::submit, cmpp::version::v20, 2)
                        .set("Msg_Fmt", 15)
                        .set("Src_Id", "1066888")
                        .destinations(dest)
                        .set_bytes("Msg_Content", gbk)
                        .bytes();
  const bytes bind = bind_trx(1, "alice", "pw");
  std::vector<packet> pkts;
  std::int64_t ts = 1'700'000'000'000'000;
  auto pkt = [&](const addr& s, const addr& t, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags, const bytes& p) {
    pkts.push_back({ts++, ethernet(ip_tcp(s, t, seq, ack, flags, p))});
  };
  pkt(sp, ismg, 100, 0, SYN, {});
  pkt(ismg, sp, 500, 101, SYN | ACK, {});
  pkt(sp, ismg, 101, 501, ACK | PSH, conn);
  pkt(ismg, sp, 501, 101 + std::uint32_t(conn.size()), ACK | PSH, resp);
  pkt(sp, ismg, 101 + std::uint32_t(conn.size()), 501 + std::uint32_t(resp.size()), ACK | PSH, sub);
  pkt(esme, smsc, 1000, 0, SYN, {});
  pkt(smsc, esme, 2000, 1001, SYN | ACK, {});
  pkt(esme, smsc, 1001, 2001, ACK | PSH, bind);
  write_pcap(file, 1, pkts);

  int status = -1;
  const auto l = lines(decode_out("--json " + shell_quote(file), &status));
  ASSERT_EQ(status, 0);
  ASSERT_EQ(l.size(), 4u);
  std::vector<json::object> o;
  for (const auto& x : l) o.push_back(json::parse(x).as_object());
  EXPECT_EQ(o[0].at("command").as_string(), "CMPP_CONNECT");
  EXPECT_EQ(o[0].at("direction").as_string(), "esme_to_smsc");
  EXPECT_EQ(o[1].at("command").as_string(), "CMPP_CONNECT_RESP");
  EXPECT_EQ(o[1].at("direction").as_string(), "smsc_to_esme");
  EXPECT_EQ(o[2].at("text").as_string(), "你好");
  EXPECT_EQ(o[2].at("protocol_version").as_string(), "2.0");
  EXPECT_EQ(o[3].at("protocol").as_string(), "smpp");
  EXPECT_EQ(o[3].at("command").as_string(), "bind_transceiver");
  // The human-readable lines.
  const std::string text = decode_out(shell_quote(file), &status);
  EXPECT_NE(text.find("10.1.0.1:40001 -> 10.1.0.2:15000 CMPP_SUBMIT (CMPP 2.0) seq=2"), std::string::npos) << text;
  EXPECT_NE(text.find("text=\"你好\""), std::string::npos) << text;
}
