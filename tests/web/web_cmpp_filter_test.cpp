// The server-side command filter with CMPP beside SMPP: command ids overlap (CMPP_SUBMIT and
// submit_sm are both 0x00000004), so a name matches only its own protocol's PDUs, case-insensitive
// like the UI's filter; a number matches either. Over real loopback HTTP (GET /api/pdus) and the
// WebSocket filter message parser.
#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/web/event_match.hpp"
#include "web_test_util.hpp"

using namespace web_test;
namespace cmpp = smppscope::decoder::cmpp;

namespace {

bytes c_submit(std::uint32_t seq) {
  const std::string_view dest[] = {"13800138000"};
  return cmpp::pdu_builder(cmpp::command_id::submit, cmpp::version::v30, seq)
      .set("Pk_total", 1)
      .set("Pk_number", 1)
      .set("Msg_src", "901234")
      .destinations(dest)
      .set("Msg_Content", "hi")
      .bytes();
}
bytes c_submit_resp(std::uint32_t seq, std::uint32_t result) {
  return cmpp::pdu_builder(cmpp::command_id::submit_resp, cmpp::version::v30, seq)
      .set("Msg_Id", 42)
      .set("Result", result)
      .bytes();
}

std::vector<std::string> commands_of(std::uint16_t port, const std::string& query) {
  const auto r = http_get(port, "/api/pdus?type=pdu&limit=100&" + query);
  EXPECT_EQ(r.status, 200) << r.body;
  std::vector<std::string> out;
  if (r.status != 200) return out;
  const json::value events = json::parse(r.body);
  for (const auto& v : events.as_array()) out.emplace_back(v.at("command").as_string());
  return out;
}

}  // namespace

TEST(web_cmpp_filter, command_names_match_only_their_protocol_numbers_match_either) {
  capture_rig rig;
  rig.open(1);  // SMPP
  rig.send(1, sc::direction::esme_to_smsc, bind_trx(1, "alice", "pw"));
  rig.send(1, sc::direction::esme_to_smsc, submit_sm(2, "smpp text"));
  rig.send(1, sc::direction::smsc_to_esme, submit_sm_resp(2, 0));
  rig.open(2);  // CMPP 3.0
  rig.send(2, sc::direction::esme_to_smsc,
           cmpp::pdu_builder(cmpp::command_id::connect, cmpp::version::v30, 1)
               .set("Source_Addr", "901234")
               .set_bytes("AuthenticatorSource", bytes(16, 0x5A))
               .set("Version", 0x30)
               .set("Timestamp", 1122134530u)  // a plausible MMDDHHMMSS: told apart from an SMPP bind
               .bytes());
  rig.send(2, sc::direction::smsc_to_esme,
           cmpp::pdu_builder(cmpp::command_id::connect_resp, cmpp::version::v30, 1).set("Version", 0x30).bytes());
  rig.send(2, sc::direction::esme_to_smsc, c_submit(2));
  rig.send(2, sc::direction::esme_to_smsc, c_submit(3));
  rig.send(2, sc::direction::smsc_to_esme, c_submit_resp(2, 0));
  rig.send(2, sc::direction::smsc_to_esme, c_submit_resp(3, 8));

  sw::server_options o;
  o.host = "127.0.0.1";
  o.port = 0;
  sw::server server(std::move(o), rig.ring, rig.sessions, rig.registry);
  server.start();
  const std::uint16_t port = server.port();

  using v = std::vector<std::string>;
  EXPECT_EQ(commands_of(port, "command=CMPP_SUBMIT"), (v{"CMPP_SUBMIT", "CMPP_SUBMIT"}));
  EXPECT_EQ(commands_of(port, "command=cmpp_submit_resp"), (v{"CMPP_SUBMIT_RESP", "CMPP_SUBMIT_RESP"}));
  EXPECT_EQ(commands_of(port, "command=submit_sm"), (v{"submit_sm"}));
  EXPECT_EQ(commands_of(port, "command=submit_sm,CMPP_CONNECT"), (v{"submit_sm", "CMPP_CONNECT"}));
  EXPECT_EQ(commands_of(port, "command=0x00000004"), (v{"submit_sm", "CMPP_SUBMIT", "CMPP_SUBMIT"}));
  // Status of a CMPP response is its Result: 8 (flow control) and "error" find the refused one.
  EXPECT_EQ(commands_of(port, "command=CMPP_SUBMIT_RESP&status=8"), (v{"CMPP_SUBMIT_RESP"}));
  EXPECT_EQ(commands_of(port, "session=2&status=error"), (v{"CMPP_SUBMIT_RESP"}));
  EXPECT_EQ(http_get(port, "/api/pdus?command=CMPP_NOPE").status, 400);

  // The WebSocket filter message takes the same names and echoes them back by protocol.
  sw::parse_error err;
  const auto m = sw::parse_filter_message(R"({"type":"filter","commands":["cmpp_deliver","deliver_sm"]})", err);
  ASSERT_TRUE(m) << err.message;
  ASSERT_EQ(m->commands.size(), 2u);
  EXPECT_EQ(m->commands[0], (sw::command_match{0x00000005, sw::command_protocol::cmpp}));
  EXPECT_EQ(m->commands[1], (sw::command_match{0x00000005, sw::command_protocol::smpp}));
  EXPECT_NE(sw::filter_json(*m).find(R"("commands":["CMPP_DELIVER","deliver_sm"])"), std::string::npos)
      << sw::filter_json(*m);
  server.stop();
}
