// Compliance profiles are SMPP's: a CMPP session is not checked and has no compliance summary
// (it is neither "compliant" nor in breach), while an SMPP session beside it still is.
#include <gtest/gtest.h>

#include <vector>

#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/compliance.hpp"
#include "smppscope/analysis/event_ring.hpp"
#include "smppscope/analysis/session_table.hpp"
#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/profile/loader.hpp"

namespace {

namespace sc = smppscope::analysis;
namespace sd = smppscope::decoder;
namespace cmpp = smppscope::decoder::cmpp;
namespace pf = smppscope::profile;
using bytes = std::vector<std::uint8_t>;

constexpr std::int64_t t0 = 1'700'000'000'000'000;
constexpr std::int64_t ms = 1'000;

struct harness {
  sc::event_ring ring{sc::event_ring_options{10000, 8u << 20}};
  sc::session_table sessions;
  sc::analyzer an{ring, sessions};
  sc::compliance_checker check{sc::compliance_options{.profile = pf::find_builtin("ovhcloud")}};
  harness() { an.add_observer(check); }

  void open(std::uint64_t id) {
    sc::tap_record r;
    r.kind = sc::record_kind::session_open;
    r.session = id;
    r.ts_us = t0;
    r.client.addr[0] = 127;
    r.client.addr[3] = 1;
    r.client.port = static_cast<std::uint16_t>(40000 + id);
    r.upstream.addr[0] = 10;
    r.upstream.port = 7890;
    an.process(r);
  }
  void send(std::uint64_t id, sc::direction d, std::int64_t ts, const bytes& b) {
    sc::tap_record r;
    r.session = id;
    r.dir = d;
    r.ts_us = ts;
    r.bytes = b;
    an.process(r);
  }
};

}  // namespace

TEST(compliance_cmpp, cmpp_sessions_are_not_checked_and_have_no_summary) {
  harness h;
  h.open(1);
  h.send(1, sc::direction::esme_to_smsc, t0 + ms,
         cmpp::pdu_builder(cmpp::command_id::connect, cmpp::version::v30, 1)
             .set("Source_Addr", "901234")
             .set("Version", 0x30)
             .set("Timestamp", 1122134530u)
             .bytes());
  h.send(1, sc::direction::smsc_to_esme, t0 + 2 * ms,
         cmpp::pdu_builder(cmpp::command_id::connect_resp, cmpp::version::v30, 1).set("Version", 0x30).bytes());
  // Eleven unanswered CMPP_SUBMITs would break ovhcloud's SMPP window of 10: not counted here.
  const std::string_view dest[] = {"13800138000"};
  for (std::uint32_t k = 0; k < 11; ++k)
    h.send(1, sc::direction::esme_to_smsc, t0 + 3 * ms,
           cmpp::pdu_builder(cmpp::command_id::submit, cmpp::version::v30, 10 + k).destinations(dest).set("Msg_Content", "x").bytes());
  h.an.tick(t0 + 10'000 * ms);
  EXPECT_EQ(h.sessions.get(1)->protocol, "cmpp");
  EXPECT_FALSE(h.check.session_summary_json(1)) << *h.check.session_summary_json(1);
  EXPECT_TRUE(h.check.breaches(1).empty());

  // An SMPP session beside it is checked as before.
  h.open(2);
  h.send(2, sc::direction::esme_to_smsc, t0 + ms,
         sd::pdu_builder(sd::command_id::bind_transceiver, 1).set("system_id", "smpp-abc123").set("password", "pw").bytes());
  const auto s = h.check.session_summary_json(2);
  ASSERT_TRUE(s);
  EXPECT_NE(s->find("\"compliant\":"), std::string::npos) << *s;
}
