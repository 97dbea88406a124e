// A full tap queue in the middle of a PDU: the analyzer resynchronises, the session is marked
// lossy, diagnostics raise nothing false, session records survive, and the pcap shows the hole
// (tshark, the outside oracle, reports "previous segment not captured").
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "analysis_test_util.hpp"
#include "smppscope/analysis/analyzer.hpp"
#include "smppscope/analysis/diag/diagnostics.hpp"
#include "smppscope/analysis/pcap_writer.hpp"

using namespace analysis_test;

namespace {

constexpr auto e2s = sc::direction::esme_to_smsc;
constexpr auto s2e = sc::direction::smsc_to_esme;

// What the relay does (proxy/detail/session.hpp): a refused push is remembered and its size is
// carried by the next accepted push of that direction.
struct relay_side {
  sc::tap_queue& q;
  std::uint64_t lost[2] = {0, 0};
  bool push(std::uint64_t session, sc::direction d, std::int64_t ts, std::span<const std::uint8_t> b) {
    std::uint64_t& l = lost[static_cast<int>(d)];
    const bool ok = q.push_data(session, d, ts, b, l);
    l = ok ? 0 : l + b.size();
    return ok;
  }
};

sc::tap_record event_record(sc::record_kind k, std::uint64_t session, std::int64_t ts) {
  sc::tap_record r = k == sc::record_kind::session_open ? open_record(session, ts) : sc::tap_record{};
  r.kind = k;
  r.session = session;
  r.ts_us = ts;
  return r;
}

}  // namespace

TEST(Resync, TapOverflowInTheMiddleOfAPduIsAGapNotAFalseAlert) {
  REQUIRE_TSHARK();
  temp_dir dir;
  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer an(ring, sessions);
  sc::diag::diag_options dopt;
  dopt.response_timeout_us = 1'000'000;
  dopt.enquire_link_timeout_us = 1'000'000;
  dopt.window = 5;
  dopt.window_stall_us = 500'000;
  sc::diag::diagnostics diag(dopt, sc::diag::null_alert_logger());
  sc::pcap_writer w({.dir = dir.path, .legs = sc::pcap_legs::both});
  an.add_observer(diag);
  an.add_sink(w);
  sc::tap_queue q(4096);
  an.add_queue(q);
  relay_side relay{q};
  std::int64_t ts = 1'700'000'000'000'000;

  ASSERT_TRUE(q.push_event(event_record(sc::record_kind::session_open, 1, ts)));
  ASSERT_TRUE(relay.push(1, e2s, ++ts, bind_trx(1)));
  ASSERT_TRUE(relay.push(1, s2e, ++ts, bind_trx_resp(1)));
  an.poll_once();
  constexpr std::uint32_t n = 40, dropped_in = 20;
  std::size_t refused = 0;
  bool records_survived = false;
  for (std::uint32_t i = 2; i < 2 + n; ++i) {
    ASSERT_TRUE(relay.push(1, e2s, ++ts, submit(i)));
    an.poll_once();
    const bytes resp = submit_resp(i);
    if (i > dropped_in) {  // after the hole the relay reads whole PDUs again
      ASSERT_TRUE(relay.push(1, s2e, ++ts, resp));
      an.poll_once();
      continue;
    }
    for (std::size_t off = 0; off < resp.size(); off += 7) {
      const std::span<const std::uint8_t> piece(resp.data() + off, std::min<std::size_t>(7, resp.size() - off));
      if (i == dropped_in && off == 7) {
        // Analysis falls behind: another session's data fills the queue up to the reserve.
        const bytes filler = header_only(sd::command_id::enquire_link, 1);
        relay_side other{q};
        while (other.push(2, e2s, ts, std::span(filler).first(8))) {
        }
      }
      if (i == dropped_in && off >= 7) {  // the rest of submit_resp(20) is dropped
        EXPECT_FALSE(relay.push(1, s2e, ++ts, piece));
        ++refused;
        continue;
      }
      ASSERT_TRUE(relay.push(1, s2e, ++ts, piece));
      an.poll_once();
    }
    if (i == dropped_in) {
      // Session records still get in: data left them room.
      records_survived = q.push_event(event_record(sc::record_kind::session_open, 3, ++ts)) &&
                         q.push_event(event_record(sc::record_kind::session_close, 3, ++ts));
      while (an.poll_once() != 0) {
      }
    }
  }
  EXPECT_EQ(refused, 2u);
  EXPECT_TRUE(records_survived);
  an.tick(ts + 3'000'000);  // long past every timeout
  an.tick(ts + 6'000'000);

  // Decoding went on after the hole: every submit, every response but the one cut in two.
  std::vector<std::uint32_t> resp_seqs;
  for (const auto& e : ring.read_since(0, 100000, [](const sc::event_info& i) {
         return i.type == sc::event_type::pdu && i.session == 1 && i.dir == sc::direction::smsc_to_esme;
       })) {
    resp_seqs.push_back(sd::read_header({reinterpret_cast<const std::uint8_t*>(e.payload.data()), e.payload.size()}).sequence_number);
  }
  std::vector<std::uint32_t> want = {1};
  for (std::uint32_t i = 2; i < 2 + n; ++i)
    if (i != dropped_in) want.push_back(i);
  EXPECT_EQ(resp_seqs, want);

  auto s = sessions.get(1);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->lossy());
  EXPECT_EQ(s->lost_bytes[1], submit_resp(dropped_in).size() - 7);
  EXPECT_EQ(s->lost_bytes[0], 0u);
  EXPECT_EQ(s->skipped_bytes[1], 7u);  // its first piece, which had arrived
  EXPECT_EQ(s->outstanding_esme_to_smsc, 0u);  // its request is "unknown", not overdue
  EXPECT_EQ(s->malformed, 0u);
  for (const auto& a : s->alerts) ADD_FAILURE() << "false alert: " << a.kind << ": " << a.message;
  const std::string json = sessions.json();
  EXPECT_NE(json.find("\"lossy\":true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"lost_bytes\":{\"esme_to_smsc\":0,\"smsc_to_esme\":13}"), std::string::npos) << json;

  const auto gaps = ring.read_since(0, 100, [](const sc::event_info& i) { return i.type == sc::event_type::capture_gap; });
  ASSERT_EQ(gaps.size(), 1u);
  const std::string g = sc::event_json(gaps[0]);
  EXPECT_NE(g.find("\"type\":\"capture_gap\""), std::string::npos) << g;
  EXPECT_NE(g.find("\"lost\":13"), std::string::npos) << g;
  EXPECT_NE(g.find("\"resynced\":true"), std::string::npos) << g;
  EXPECT_EQ(ring.read_since(0, 100, [](const sc::event_info& i) { return i.type == sc::event_type::malformed; }).size(), 0u);
  EXPECT_EQ(an.stats().capture_gaps, 1u);

  // Session 3's open and close, pushed while the queue was full, arrived.
  const auto s3 = sessions.get(3);
  ASSERT_TRUE(s3);
  EXPECT_EQ(s3->state, sc::session_state::closed);

  // The pcap leaves a real sequence gap on both legs; tshark decodes SMPP on both sides of it.
  an.process(text_record(sc::record_kind::session_close, 1, ++ts, "done"));
  an.tick(ts);
  w.close();
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    if (e.path().extension() == ".pcap") files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  int status = 0;
  const auto lost = lines(run("tshark -r " + shell_quote(files[0].string()) +
                                  " -o tcp.analyze_sequence_numbers:TRUE -Y tcp.analysis.lost_segment"
                                  " -T fields -e tcp.stream 2>/dev/null",
                              &status));
  EXPECT_EQ(status, 0);
  EXPECT_EQ(lost.size(), 2u) << "one lost segment per leg of session 1";
  const auto seqs = lines(run("tshark -r " + shell_quote(files[0].string()) +
                                  " -Y 'tcp.stream == 0 && smpp.command_id == 0x80000004' -T fields -e smpp.sequence_number"
                                  " 2>/dev/null",
                              &status));
  std::size_t after_gap = 0;
  for (const auto& l : seqs) after_gap += std::stoul(l) > dropped_in;
  EXPECT_EQ(after_gap, n + 1 - dropped_in) << "tshark decodes the responses after the gap";
}
