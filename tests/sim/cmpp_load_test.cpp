// `load --protocol cmpp2|cmpp3` against `sim --protocol cmpp2|cmpp3` over loopback, directly and
// through the proxy's relay: every SUBMIT answered, every status report received and matched by
// Msg_Id, CONNECT refusals reported, and the relay passing the bytes unchanged.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <thread>

#include "ismg_core.hpp"  // cmpp_framer
#include "smppscope/analysis/tap.hpp"
#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/proxy/proxy.hpp"
#include "smppscope/sim/ismg.hpp"
#include "smppscope/sim/load_generator.hpp"

namespace smppscope::sim {
namespace {

using namespace std::chrono_literals;
using decoder::cmpp::version;

class running_ismg {
 public:
  explicit running_ismg(ismg_options o) {
    o.host = "127.0.0.1";
    o.port = 0;
    o.log = std::getenv("SMPPSCOPE_TEST_LOG") ? stderr : nullptr;
    sim_ = std::make_unique<ismg>(std::move(o));
    sim_->start();
    thread_ = std::thread([this] { sim_->run(); });
  }
  ~running_ismg() {
    sim_->stop();
    thread_.join();
  }
  std::uint16_t port() const { return sim_->port(); }
  ismg& sim() { return *sim_; }

 private:
  std::unique_ptr<ismg> sim_;
  std::thread thread_;
};

ismg_options ismg_of(version v) {
  ismg_options o;
  o.version = v;
  o.credentials = {{"901234", "secret"}};
  o.dlr_delay = 20ms;
  o.window = 0;
  return o;
}

load_options load_of(std::uint16_t port, load_protocol p) {
  load_options o;
  o.port = port;
  o.protocol = p;
  o.system_id = "901234";
  o.password = "secret";
  o.source_addr = "1066888";
  o.destination_addr = "13800138000";
  o.count = 1000;
  o.window = 16;
  o.sessions = 2;
  o.registered_delivery = true;
  o.cmpp_mix = {cmpp_text::ascii, cmpp_text::gbk, cmpp_text::ucs2, cmpp_text::long_ucs2};
  o.timeout = 10s;
  return o;
}

void expect_complete(const load_report& r, std::uint64_t messages, std::uint64_t submits) {
  EXPECT_TRUE(r.ok()) << r.failure;
  EXPECT_EQ(r.messages, messages);
  EXPECT_EQ(r.sent, submits);
  EXPECT_EQ(r.acknowledged, submits);
  EXPECT_EQ(r.errors_total, 0u);
  EXPECT_EQ(r.timed_out, 0u);
  EXPECT_EQ(r.dlrs_expected, submits);
  EXPECT_EQ(r.dlrs_received, submits);
  EXPECT_EQ(r.dlrs_matched, submits);
  EXPECT_EQ(r.dlrs_unmatched, 0u);
  EXPECT_EQ(r.dlr_latency.count(), submits);
}

TEST(CmppLoad, EveryStatusReportArrivesAndMatchesIn20And30) {
  for (auto [v, p] : {std::pair{version::v20, load_protocol::cmpp2}, std::pair{version::v30, load_protocol::cmpp3}}) {
    SCOPED_TRACE(std::string(decoder::cmpp::version_name(v)));
    running_ismg s(ismg_of(v));
    load_generator g(load_of(s.port(), p));
    const load_report r = g.run();
    // 1000 messages in turns of ascii, gbk, ucs2 and a three-part long one: 250 x 6 SUBMITs.
    expect_complete(r, 1000, 1500);
    const auto st = s.sim().stats();
    EXPECT_EQ(st.sessions_bound, 2u);
    EXPECT_EQ(st.submits, 1500u);
    EXPECT_EQ(st.dlrs_sent, 1500u);
    EXPECT_EQ(st.unbinds, 2u);  // both sessions TERMINATEd
    // The default mix DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2, drawn per session.
    std::uint64_t states = 0;
    for (const auto& [k, n] : r.dlr_states) states += n;
    EXPECT_EQ(states, 1500u);
    EXPECT_GE(r.dlr_states.at("DELIVRD"), 1340u);
    const auto j = boost::json::parse(to_json(r));
    EXPECT_EQ(j.at("dlr").at("matched").to_number<std::uint64_t>(), 1500u);
  }
}

TEST(CmppLoad, FlowControlAndInjectedErrorsAreCountedByResult) {
  auto so = ismg_of(version::v20);
  so.error_rate = 0.1;
  running_ismg s(so);
  auto o = load_of(s.port(), load_protocol::cmpp2);
  o.count = 500;
  o.sessions = 1;
  o.registered_delivery = false;
  o.cmpp_mix = {cmpp_text::ascii};
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.sent, 500u);
  EXPECT_EQ(r.errors_total, 50u);
  EXPECT_EQ(r.acknowledged, 450u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors.begin()->first.rfind("Result 9", 0), 0u) << r.errors.begin()->first;

  auto fo = ismg_of(version::v20);
  fo.window = 4;  // the SP keeps 16 in flight
  running_ismg f(fo);
  auto o2 = load_of(f.port(), load_protocol::cmpp2);
  o2.count = 200;
  o2.sessions = 1;
  o2.registered_delivery = false;
  const load_report r2 = load_generator(o2).run();
  EXPECT_TRUE(r2.failure.empty()) << r2.failure;
  EXPECT_GT(r2.errors_total, 0u);
  EXPECT_EQ(r2.errors_total, f.sim().stats().throttled);
  EXPECT_EQ(r2.errors.count("Result 8 flow_control"), 1u);
}

TEST(CmppLoad, WrongSecretAndTooHighVersionAreConnectFailures) {
  running_ismg s(ismg_of(version::v20));
  {
    auto o = load_of(s.port(), load_protocol::cmpp2);
    o.password = "wrong";
    const load_report r = load_generator(o).run();
    EXPECT_TRUE(r.bind_failed);
    EXPECT_NE(r.failure.find("Status 3"), std::string::npos) << r.failure;
  }
  {
    auto o = load_of(s.port(), load_protocol::cmpp3);
    const load_report r = load_generator(o).run();
    EXPECT_TRUE(r.bind_failed);
    EXPECT_NE(r.failure.find("Status 4"), std::string::npos) << r.failure;
    EXPECT_NE(r.failure.find("0x20"), std::string::npos) << r.failure;
  }
  {
    auto o = load_of(s.port(), load_protocol::cmpp2);
    o.system_id = "toolong7";  // Source_Addr is 6 octets
    const load_report r = load_generator(o).run();
    EXPECT_TRUE(r.bind_failed);
    EXPECT_NE(r.failure.find("Source_Addr"), std::string::npos) << r.failure;
  }
}

TEST(CmppLoad, ThroughTheProxyTheRelayPassesEveryByte) {
  for (auto [v, p] : {std::pair{version::v20, load_protocol::cmpp2}, std::pair{version::v30, load_protocol::cmpp3}}) {
    SCOPED_TRACE(std::string(decoder::cmpp::version_name(v)));
    running_ismg s(ismg_of(v));
    proxy::proxy_options po;
    po.listen = {"127.0.0.1", 0};
    po.upstream = {"127.0.0.1", s.port()};
    po.log = [](std::string_view) {};
    analysis::tap_queue tap(8u << 20);
    po.taps = {&tap};
    proxy::proxy relay(po);
    relay.start();

    load_generator g(load_of(relay.port(), p));
    const load_report r = g.run();
    expect_complete(r, 1000, 1500);
    relay.stop();

    const auto st = relay.stats();
    const auto sim = s.sim().stats();
    EXPECT_EQ(st.opened, 2u);
    EXPECT_EQ(sim.submits, 1500u);
    EXPECT_EQ(sim.dlrs_sent, 1500u);
    // Byte identity: the tap's copies of each direction, framed again, are whole CMPP PDUs of the
    // session's version, as many as both ends say they exchanged.
    std::map<std::pair<std::uint64_t, int>, decoder::framer> framers;
    std::map<std::uint32_t, std::uint64_t> by_command;
    std::uint64_t tapped = 0, undecodable = 0;
    decoder::cmpp::pdu pdu;
    tap.drain([&](const analysis::tap_record& rec) {
      if (rec.kind != analysis::record_kind::data) return;
      tapped += rec.bytes.size();
      auto& f = framers.try_emplace({rec.session, static_cast<int>(rec.dir)}, detail::cmpp_framer()).first->second;
      EXPECT_TRUE(f.feed(rec.bytes, [&](std::span<const std::uint8_t> frame) {
        ++by_command[decoder::cmpp::read_header(frame).command_id];
        if (decoder::cmpp::decode(frame, v, pdu)) ++undecodable;
      }));
    });
    EXPECT_EQ(tap.dropped_bytes(), 0u);
    EXPECT_EQ(tapped, st.bytes_esme_to_smsc + st.bytes_smsc_to_esme);
    EXPECT_EQ(undecodable, 0u);
    using decoder::cmpp::command_id;
    auto n = [&](command_id c) { return by_command[static_cast<std::uint32_t>(c)]; };
    EXPECT_EQ(n(command_id::connect), 2u);
    EXPECT_EQ(n(command_id::connect_resp), 2u);
    EXPECT_EQ(n(command_id::submit), 1500u);
    EXPECT_EQ(n(command_id::submit_resp), 1500u);
    EXPECT_EQ(n(command_id::deliver), 1500u);
    EXPECT_EQ(n(command_id::deliver_resp), 1500u);
    EXPECT_EQ(n(command_id::terminate), 2u);
  }
}

}  // namespace
}  // namespace smppscope::sim
