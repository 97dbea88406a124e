// The analysis pipeline fed from capture files: sessions from TCP streams, diagnostics ticking on
// the capture's own times, and the same results as the records fed live.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "analysis_test_util.hpp"
#include "pcap_builder.hpp"
#include "smppscope/analysis/pipeline.hpp"

namespace {

using namespace analysis_test;
namespace pb = pcap_builder;
namespace json = boost::json;

constexpr std::int64_t t0 = 1'760'000'000'000'000;  // capture start, microseconds since the epoch
constexpr std::int64_t ms = 1000, s = 1'000'000;

// One TCP connection, packet by packet, as a capture shows it. Side 0 is the ESME.
struct conversation {
  pb::addr side[2] = {pb::a4(10, 0, 0, 1, 40001), pb::a4(10, 0, 0, 2, 2775)};
  std::uint32_t seq[2] = {1000, 900000};
  std::vector<pb::packet>* out;

  explicit conversation(std::vector<pb::packet>& o, std::uint16_t esme_port = 40001) : out(&o) {
    side[0].port = esme_port;
  }
  void packet(int from, std::int64_t ts, std::uint8_t flags, const bytes& payload) {
    out->push_back({ts, pb::ethernet(pb::ip_tcp(side[from], side[1 - from], seq[from], seq[1 - from], flags, payload))});
    seq[from] += std::uint32_t(payload.size()) + ((flags & (pb::SYN | pb::FIN)) ? 1 : 0);
  }
  void handshake(std::int64_t ts) {
    packet(0, ts, pb::SYN, {});
    packet(1, ts + 100, pb::SYN | pb::ACK, {});
    packet(0, ts + 200, pb::ACK, {});
  }
  void send(int from, std::int64_t ts, const bytes& b) { packet(from, ts, pb::PSH | pb::ACK, b); }
  void lose(int from, const bytes& b) { seq[from] += std::uint32_t(b.size()); }  // never captured
  void close(std::int64_t ts) {
    packet(0, ts, pb::FIN | pb::ACK, {});
    packet(1, ts + 100, pb::FIN | pb::ACK, {});
  }
};

bytes enquire_link(std::uint32_t seq) { return header_only(sd::command_id::enquire_link, seq); }
bytes enquire_link_resp(std::uint32_t seq) { return header_only(sd::command_id::enquire_link_resp, seq); }

struct alert_seen {
  std::uint64_t session;
  std::int64_t ts_us;
  std::string kind, side, json;
};

struct analysis_run {
  std::unique_ptr<sc::pipeline> p;
  std::vector<alert_seen> alerts;
  sc::capture_file_stats stats;

  explicit analysis_run(sc::diag::diag_options d = {}) {
    sc::pipeline_options po;
    po.diagnostics = d;
    po.analyzer.on_alert = [this](const sc::alert_event& a) {
      alerts.push_back({a.session, a.ts_us, std::string(a.kind), std::string(a.side), std::string(a.json)});
    };
    p = std::make_unique<sc::pipeline>(std::move(po));
  }
  void feed(const std::string& path, sc::capture_file_options co = {}) {
    std::string error;
    ASSERT_TRUE(sc::feed_capture_file(*p, path, co, &stats, error)) << error;
    p->finish();
  }
  const alert_seen* first(std::string_view kind) const {
    for (const auto& a : alerts)
      if (a.kind == kind) return &a;
    return nullptr;
  }
};

std::string write(const temp_dir& dir, const std::string& name, const std::vector<pb::packet>& pkts) {
  const std::string path = (dir.path / name).string();
  pb::write_pcap(path, 1, pkts);
  return path;
}

// F8: the SMSC stops answering submits; the alert comes response_timeout after the first
// unanswered one, dated in the capture, and the session shows the bind the capture saw.
TEST(pipeline_capture, a_stall_of_unanswered_submits_raises_response_timeout_at_capture_time) {
  temp_dir dir;
  std::vector<pb::packet> pkts;
  conversation c(pkts);
  c.handshake(t0);
  c.send(0, t0 + 1 * ms, bind_trx(1, "acme"));
  c.send(1, t0 + 2 * ms, bind_trx_resp(1));
  c.send(0, t0 + 1 * s, submit(2));
  c.send(1, t0 + 1 * s + 5 * ms, submit_resp(2));
  for (std::uint32_t i = 0; i < 5; ++i) c.send(0, t0 + 2 * s + i * ms, submit(3 + i));
  c.send(0, t0 + 30 * s, enquire_link(9));  // the capture goes on well past the timeout
  c.send(1, t0 + 30 * s + 1 * ms, enquire_link_resp(9));
  const std::string path = write(dir, "stall.pcap", pkts);

  sc::diag::diag_options d;
  d.response_timeout_us = 10 * s;
  analysis_run run(d);
  run.feed(path);
  const alert_seen* a = run.first("response_timeout");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->session, 1u);
  EXPECT_EQ(a->side, "smsc");
  // Raised on the first tick at or after the deadline: ticks are 100 ms of capture time.
  EXPECT_GE(a->ts_us, t0 + 2 * s + 10 * s);
  EXPECT_LT(a->ts_us, t0 + 2 * s + 10 * s + 200 * ms);
  const auto info = run.p->sessions().get(1);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->system_id, "acme");
  EXPECT_EQ(info->state, sc::session_state::bound_trx);
  EXPECT_EQ(info->pdus_in, 8u);
  EXPECT_EQ(info->pdus_out, 3u);
  EXPECT_EQ(info->client.port, 40001);
  EXPECT_EQ(info->upstream.port, 2775);
  EXPECT_EQ(info->closed_us, 0) << "the capture ended with the session open";
}

TEST(pipeline_capture, an_unanswered_enquire_link_times_out_at_capture_time_and_the_close_is_logged) {
  temp_dir dir;
  std::vector<pb::packet> pkts;
  conversation c(pkts);
  c.handshake(t0);
  c.send(0, t0 + 1 * ms, bind_trx(1, "acme"));
  c.send(1, t0 + 2 * ms, bind_trx_resp(1));
  c.send(0, t0 + 3 * s, enquire_link(2));   // never answered
  c.send(0, t0 + 20 * s, submit(3));
  c.send(1, t0 + 20 * s + 1 * ms, submit_resp(3));
  c.close(t0 + 21 * s);
  const std::string path = write(dir, "el.pcap", pkts);

  sc::diag::diag_options d;
  d.enquire_link_timeout_us = 5 * s;
  std::vector<std::string> log;
  sc::pipeline_options po;
  po.diagnostics = d;
  po.session_log = [&log](std::string_view l) { log.emplace_back(l); };
  std::vector<alert_seen> alerts;
  po.analyzer.on_alert = [&](const sc::alert_event& a) {
    alerts.push_back({a.session, a.ts_us, std::string(a.kind), std::string(a.side), std::string(a.json)});
  };
  sc::pipeline p(std::move(po));
  std::string error;
  ASSERT_TRUE(sc::feed_capture_file(p, path, {}, nullptr, error)) << error;
  p.finish();
  const alert_seen* a = nullptr;
  for (const auto& x : alerts)
    if (x.kind == "enquire_link_timeout") a = &x;
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->side, "smsc");
  EXPECT_GE(a->ts_us, t0 + 3 * s + 5 * s);
  EXPECT_LT(a->ts_us, t0 + 3 * s + 5 * s + 200 * ms);
  const json::object ev = json::parse(a->json).as_object();
  EXPECT_EQ(ev.at("type").as_string(), "alert");
  EXPECT_EQ(ev.at("session").to_number<std::uint64_t>(), 1u);

  // FIN both ways closes the session at the second FIN, with the side that closed first.
  const auto info = p.sessions().get(1);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->closed_us, t0 + 21 * s + 100);
  EXPECT_EQ(info->close_reason, "client closed");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0],
            "session 1 client 10.0.0.1:40001 close -> upstream 10.0.0.2:2775 system_id acme: esme_to_smsc 3 PDUs " +
                std::to_string(bind_trx(1, "acme").size() + enquire_link(2).size() + submit(3).size()) +
                " bytes, smsc_to_esme 2 PDUs " +
                std::to_string(bind_trx_resp(1).size() + submit_resp(3).size()) + " bytes, 21.000 s, client closed");
}

TEST(pipeline_capture, a_burst_of_throttled_responses_raises_throttled_at_the_first_one) {
  temp_dir dir;
  std::vector<pb::packet> pkts;
  conversation c(pkts);
  c.handshake(t0);
  c.send(0, t0 + 1 * ms, bind_trx(1));
  c.send(1, t0 + 2 * ms, bind_trx_resp(1));
  for (std::uint32_t i = 0; i < 20; ++i) {
    const std::int64_t ts = t0 + 5 * s + i * 10 * ms;
    c.send(0, ts, submit(10 + i));
    c.send(1, ts + 1 * ms, submit_resp(10 + i, i < 5 ? 0u : 0x58u));  // ESME_RTHROTTLED from the 6th on
  }
  const std::string path = write(dir, "throttle.pcap", pkts);

  analysis_run run;
  run.feed(path);
  const alert_seen* a = run.first("throttled");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->side, "smsc");
  EXPECT_EQ(a->ts_us, t0 + 5 * s + 5 * 10 * ms + 1 * ms);
}

// A capture that starts mid-session (no SYN, inside a PDU) and misses a segment later: the
// session still opens and the hole makes it lossy, not malformed. Without a handshake, the ESME
// is the side that sends what only an ESME sends (here the SMSC speaks first, from the higher
// port, which alone would have made it the client).
TEST(pipeline_capture, streams_without_their_start_are_sessions_and_holes_make_them_lossy) {
  temp_dir dir;
  std::vector<pb::packet> pkts;
  conversation c(pkts);
  const bytes first = submit(5);
  c.send(0, t0, bytes(first.begin() + 7, first.end()));  // the tail of a PDU begun before
  c.send(0, t0 + 1 * ms, submit(6));
  c.send(1, t0 + 2 * ms, submit_resp(6));
  c.lose(0, submit(7));
  c.send(0, t0 + 3 * ms, submit(8));
  c.send(1, t0 + 4 * ms, submit_resp(8));
  conversation d(pkts, 3000);
  d.side[1].port = 50000;
  bytes deliver = submit(9);
  deliver[7] = 0x05;  // deliver_sm has submit_sm's layout
  d.send(1, t0 + 5 * ms, deliver);
  d.send(0, t0 + 6 * ms, header_only(sd::command_id::deliver_sm_resp, 9));
  const std::string path = write(dir, "mid.pcap", pkts);

  analysis_run run;
  run.feed(path);
  const auto info = run.p->sessions().get(1);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->client.port, 40001);
  EXPECT_TRUE(info->lossy());
  EXPECT_EQ(info->lost_bytes[0], 1 + submit(7).size());  // "at least one" before the tail, then the hole
  EXPECT_EQ(info->pdus_in, 2u);
  EXPECT_EQ(info->pdus_out, 2u);
  EXPECT_EQ(run.first("malformed"), nullptr) << run.first("malformed")->json;
  EXPECT_EQ(run.stats.gaps, 1u);
  const auto other = run.p->sessions().get(2);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->client.port, 3000) << "deliver_sm comes from the SMSC";
  EXPECT_EQ(other->pdus_out, 1u);
  EXPECT_EQ(other->pdus_in, 1u);
  EXPECT_FALSE(other->lossy());
}

// The same records, once pushed as a relay would (record times) and once written to a pcap by
// the pcap writer and read back: the same session, alerts and timeline. What cannot match: the
// session's start (live: the open record; capture: its first data packet), the endpoints of the
// proxy's own legs, and event ids.
TEST(pipeline_capture, records_and_their_pcap_give_the_same_sessions_alerts_and_timelines) {
  temp_dir dir;
  sc::diag::diag_options d;
  d.response_timeout_us = 3 * s;
  d.enquire_link_timeout_us = 2 * s;
  std::vector<sc::tap_record> recs;
  std::vector<bytes> keep;  // record bytes live here
  auto data = [&](sc::direction dir_, std::int64_t ts, bytes b) {
    keep.push_back(std::move(b));
    recs.push_back(data_record(7, dir_, ts, keep.back()));
  };
  keep.reserve(64);
  sc::tap_record open = open_record(7, t0);
  recs.push_back(open);
  data(sc::direction::esme_to_smsc, t0 + 1 * ms, bind_trx(1, "acme"));
  data(sc::direction::smsc_to_esme, t0 + 2 * ms, bind_trx_resp(1));
  for (std::uint32_t i = 0; i < 10; ++i) {
    data(sc::direction::esme_to_smsc, t0 + 1 * s + i * 100 * ms, submit(2 + i));
    if (i < 6) data(sc::direction::smsc_to_esme, t0 + 1 * s + i * 100 * ms + 3 * ms, submit_resp(2 + i, i > 3 ? 0x58u : 0u));
  }
  data(sc::direction::esme_to_smsc, t0 + 4 * s, enquire_link(20));
  data(sc::direction::esme_to_smsc, t0 + 9 * s, enquire_link(21));
  data(sc::direction::smsc_to_esme, t0 + 9 * s + 1 * ms, enquire_link_resp(21));
  static const std::string reason = "client closed";
  recs.push_back(text_record(sc::record_kind::session_close, 7, t0 + 10 * s, reason));

  // Live: the records as the relay's tap hands them over (times are theirs), into a pcap writer.
  sc::pipeline_options live_opt;
  live_opt.diagnostics = d;
  live_opt.pcap = sc::pcap_writer_options{};
  live_opt.pcap->dir = dir.path / "pcap";
  live_opt.pcap->legs = *sc::parse_pcap_legs("client");
  std::vector<alert_seen> live_alerts;
  live_opt.analyzer.on_alert = [&](const sc::alert_event& a) {
    live_alerts.push_back({a.session, a.ts_us, std::string(a.kind), std::string(a.side), std::string(a.json)});
  };
  sc::pipeline live(std::move(live_opt));
  for (const auto& r : recs) live.push(r);
  live.finish();
  live.stop();  // closes the pcap file

  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir.path / "pcap")) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  analysis_run offline(d);
  sc::capture_file_options co;
  co.first_session_id = 7;
  offline.feed(files[0].string(), co);

  ASSERT_FALSE(live_alerts.empty());
  ASSERT_EQ(offline.alerts.size(), live_alerts.size());
  for (std::size_t i = 0; i < live_alerts.size(); ++i) {
    SCOPED_TRACE(live_alerts[i].json);
    EXPECT_EQ(offline.alerts[i].kind, live_alerts[i].kind);
    EXPECT_EQ(offline.alerts[i].side, live_alerts[i].side);
    EXPECT_EQ(offline.alerts[i].session, 7u);
    EXPECT_EQ(offline.alerts[i].ts_us, live_alerts[i].ts_us);
    json::object lj = json::parse(live_alerts[i].json).as_object(), oj = json::parse(offline.alerts[i].json).as_object();
    lj.erase("id");
    oj.erase("id");
    EXPECT_EQ(json::serialize(oj), json::serialize(lj));
  }
  const auto lj = live.sessions().get(7), oj = offline.p->sessions().get(7);
  ASSERT_TRUE(lj && oj);
  auto comparable = [](sc::session_info si) {
    si.started_us = 0;  // live: the open record; capture: the first data packet
    si.proxy_client_side = si.proxy_upstream_side = {};
    si.client = si.upstream = {};  // compared below: the pcap writer's client leg
    std::string out;
    sc::append_session_json(out, si);
    return out;
  };
  EXPECT_EQ(comparable(*oj), comparable(*lj));
  EXPECT_EQ(oj->client, lj->client);
  EXPECT_EQ(oj->closed_us, t0 + 10 * s) << "the pcap writer's FINs carry the close time";
  const auto lt = live.diagnostics()->timeline_json(7), ot = offline.p->diagnostics()->timeline_json(7);
  ASSERT_TRUE(lt && ot);
  EXPECT_EQ(*ot, *lt);
}

}  // namespace
