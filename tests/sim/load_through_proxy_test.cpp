// The load generator through `smppscope proxy`'s relay to the simulator: the relay passes every
// PDU both ways, so the counts match a direct run, receipts included.
#include <gtest/gtest.h>

#include "sim_test_util.hpp"
#include "smppscope/proxy/proxy.hpp"
#include "smppscope/sim/load_generator.hpp"

namespace smppscope::sim::test {
namespace {

TEST(LoadThroughProxy, CountsAndReceiptsSurviveTheRelay) {
  simulator_options so;
  so.dlr_delay = 10ms;
  so.error_rate = 0.05;
  running_sim s(so);

  proxy::proxy_options po;
  po.listen = {"127.0.0.1", 0};
  po.upstream = {"127.0.0.1", s.port()};
  po.log = [](std::string_view) {};
  analysis::tap_queue tap(8u << 20);
  po.taps = {&tap};
  proxy::proxy relay(po);
  relay.start();

  load_options o;
  o.port = relay.port();
  o.system_id = "via-proxy";
  o.count = 2000;
  o.window = 10;
  o.sessions = 2;
  o.mix = {message_kind::gsm7, message_kind::long_gsm7};
  o.registered_delivery = true;
  load_generator g(o);
  const load_report r = g.run();
  EXPECT_TRUE(r.failure.empty()) << r.failure;
  EXPECT_EQ(r.messages, 2000u);
  EXPECT_EQ(r.sent, 4000u);  // 1000 x 1 + 1000 x 3 parts
  // One in twenty per session: 200 of 4000, less one per session for an uneven split.
  EXPECT_GE(r.errors_total, 198u);
  EXPECT_LE(r.errors_total, 200u);
  EXPECT_EQ(r.acknowledged + r.errors_total, 4000u);
  EXPECT_EQ(r.dlrs_received, r.acknowledged);
  EXPECT_EQ(r.dlrs_matched, r.acknowledged);
  EXPECT_EQ(r.timed_out, 0u);

  relay.stop();
  const auto st = relay.stats();
  EXPECT_EQ(st.opened, 2u);
  EXPECT_GT(st.bytes_esme_to_smsc, 4000u * 60);
  // The relay handed copies of what it relayed to the tap.
  std::uint64_t tapped = 0;
  tap.drain([&](const analysis::tap_record& rec) {
    if (rec.kind == analysis::record_kind::data) tapped += rec.bytes.size();
  });
  EXPECT_EQ(tapped + tap.dropped_bytes(), st.bytes_esme_to_smsc + st.bytes_smsc_to_esme);
}

}  // namespace
}  // namespace smppscope::sim::test
