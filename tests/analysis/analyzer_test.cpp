// Analyzer + session table + observers, driven through process() and through the thread.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <thread>

#include "analysis_test_util.hpp"
#include "smppscope/analysis/analyzer.hpp"

using namespace analysis_test;
namespace json = boost::json;

namespace {
std::string S(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }
std::int64_t N(const json::value& v) { return v.to_number<std::int64_t>(); }
}  // namespace

namespace {

constexpr auto e2s = sc::direction::esme_to_smsc;
constexpr auto s2e = sc::direction::smsc_to_esme;

struct fixture {
  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer an{ring, sessions};
  std::int64_t ts = 1'700'000'000'000'000;

  void open(std::uint64_t id) { an.process(open_record(id, ts++)); }
  void send(std::uint64_t id, sc::direction d, const bytes& b) { an.process(data_record(id, d, ts++, b)); }
  // Sends `b` cut into pieces of 1..max octets.
  void send_split(std::uint64_t id, sc::direction d, const bytes& b, std::size_t max, unsigned seed) {
    std::mt19937 rng(seed);
    std::size_t pos = 0;
    while (pos < b.size()) {
      const std::size_t n = std::min<std::size_t>(b.size() - pos, 1 + rng() % max);
      send(id, d, bytes(b.begin() + long(pos), b.begin() + long(pos + n)));
      pos += n;
    }
  }
  std::vector<sc::event> pdus(std::uint64_t session) {
    return ring.read_since(0, 1'000'000, [session](const sc::event_info& e) {
      return e.type == sc::event_type::pdu && e.session == session;
    });
  }
  std::vector<sc::event> of_type(sc::event_type t) {
    return ring.read_since(0, 1'000'000, [t](const sc::event_info& e) { return e.type == t; });
  }
};

json::object parse_obj(const std::string& s) { return json::parse(s).as_object(); }

}  // namespace

TEST(Analyzer, FramesAcrossChunksAndFollowsBindState) {
  fixture f;
  f.open(1);
  auto s = f.sessions.get(1);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, sc::session_state::open);
  EXPECT_EQ(s->client.to_string(), "127.0.0.2:41001");

  f.send_split(1, e2s, bind_trx(1, "alice", "pw12"), 3, 1);
  s = f.sessions.get(1);
  EXPECT_EQ(s->state, sc::session_state::open);  // not bound before the response
  EXPECT_EQ(s->system_id, "alice");
  EXPECT_EQ(s->bind_type, "transceiver");
  EXPECT_EQ(s->interface_version, 0x34);
  f.send(1, s2e, bind_trx_resp(1));
  EXPECT_EQ(f.sessions.get(1)->state, sc::session_state::bound_trx);

  // 50 submits in one stream cut at random places, several PDUs per chunk and PDUs split.
  bytes many;
  for (std::uint32_t i = 2; i < 52; ++i) many = cat({many, submit(i, "text " + std::to_string(i))});
  f.send_split(1, e2s, many, 200, 7);
  for (std::uint32_t i = 2; i < 52; ++i) f.send(1, s2e, submit_resp(i));

  f.send(1, e2s, header_only(sd::command_id::unbind, 60));
  EXPECT_EQ(f.sessions.get(1)->state, sc::session_state::unbinding);
  f.send(1, s2e, header_only(sd::command_id::unbind_resp, 60));
  EXPECT_EQ(f.sessions.get(1)->state, sc::session_state::open);

  const auto ev = f.pdus(1);
  ASSERT_EQ(ev.size(), 2u + 50 + 50 + 2);
  std::vector<std::uint32_t> seq_in;
  for (const auto& e : ev) {
    const auto h = sd::read_header({reinterpret_cast<const std::uint8_t*>(e.payload.data()), e.payload.size()});
    EXPECT_EQ(h.command_length, e.payload.size());
    if (e.dir == e2s) seq_in.push_back(h.sequence_number);
  }
  std::vector<std::uint32_t> want = {1};
  for (std::uint32_t i = 2; i < 52; ++i) want.push_back(i);
  want.push_back(60);
  EXPECT_EQ(seq_in, want);

  f.an.process(text_record(sc::record_kind::session_close, 1, f.ts++, "client closed"));
  s = f.sessions.get(1);
  EXPECT_EQ(s->state, sc::session_state::closed);
  EXPECT_EQ(s->close_reason, "client closed");
  EXPECT_EQ(s->pdus_in, 52u);   // esme_to_smsc
  EXPECT_EQ(s->pdus_out, 52u);  // smsc_to_esme
  EXPECT_EQ(s->bytes_in, bind_trx(1, "alice", "pw12").size() + many.size() + 16);
  EXPECT_EQ(f.sessions.live_count(), 0u);
  EXPECT_EQ(f.sessions.closed_count(), 1u);
  const auto st = f.an.stats();
  EXPECT_EQ(st.pdus, 104u);
  EXPECT_EQ(st.decode_errors, 0u);
  EXPECT_EQ(st.sessions_opened, 1u);
  EXPECT_EQ(st.sessions_closed, 1u);

  const auto opens = f.of_type(sc::event_type::session_open);
  ASSERT_EQ(opens.size(), 1u);
  const auto o = parse_obj(sc::event_json(opens[0]));
  EXPECT_EQ(S(o.at("type")), "session_open");
  EXPECT_EQ(N(o.at("session")), 1);
  EXPECT_EQ(S(o.at("client")), "127.0.0.2:41001");
  EXPECT_EQ(S(o.at("upstream")), "127.0.0.3:2776");
  const auto closes = f.of_type(sc::event_type::session_close);
  ASSERT_EQ(closes.size(), 1u);
  const auto c = parse_obj(sc::event_json(closes[0]));
  EXPECT_EQ(S(c.at("reason")), "client closed");
  EXPECT_EQ(N(c.at("pdus_in")), 52);
}

TEST(Analyzer, PduEventJsonFollowsTheInterface) {
  fixture f;
  f.open(3);
  f.send(3, e2s, bind_trx(1, "bob", "hunter2"));
  f.send(3, e2s, submit(2, "Hi there"));
  const auto ev = f.pdus(3);
  ASSERT_EQ(ev.size(), 2u);
  const std::string bind_json = sc::event_json(ev[0]);
  EXPECT_EQ(bind_json.find("hunter2"), std::string::npos) << bind_json;  // passwords masked
  const auto o = parse_obj(sc::event_json(ev[1]));
  EXPECT_EQ(S(o.at("type")), "pdu");
  EXPECT_EQ(N(o.at("session")), 3);
  EXPECT_EQ(S(o.at("direction")), "esme_to_smsc");
  EXPECT_EQ(N(o.at("ts_us")), ev[1].ts_us);
  EXPECT_EQ(S(o.at("command")), "submit_sm");
  EXPECT_EQ(N(o.at("command_id")), 4);
  EXPECT_EQ(N(o.at("sequence_number")), 2);
  EXPECT_EQ(N(o.at("command_length")), std::int64_t(ev[1].payload.size()));
  EXPECT_EQ(S(o.at("fields").at("source_addr")), "1234");
  EXPECT_EQ(S(o.at("text")), "Hi there");
  EXPECT_EQ(N(o.at("id")), std::int64_t(ev[1].id));
  EXPECT_FALSE(o.contains("error"));
}

TEST(Analyzer, FailedBindStaysOpenAndReceiverBindIsBoundRx) {
  fixture f;
  f.open(4);
  f.send(4, e2s, bind_trx(1));
  f.send(4, s2e, bind_trx_resp(1, 0x0E));  // ESME_RINVPASWD
  EXPECT_EQ(f.sessions.get(4)->state, sc::session_state::open);
  f.send(4, e2s, sd::pdu_builder(sd::command_id::bind_receiver, 2).set("system_id", "rx").bytes());
  f.send(4, s2e, sd::pdu_builder(sd::command_id::bind_receiver_resp, 2).set("system_id", "S").bytes());
  const auto s = f.sessions.get(4);
  EXPECT_EQ(s->state, sc::session_state::bound_rx);
  EXPECT_EQ(s->bind_type, "receiver");
  EXPECT_EQ(s->system_id, "rx");
}

TEST(Analyzer, FramingBreakResyncsAtTheNextPduWithOneEventAndKeepsTheOtherDirection) {
  fixture f;
  f.open(5);
  f.send(5, e2s, submit(1));
  // command_length 8 (< 16): framing breaks at stream offset submit(1).size().
  const bytes garbage = {0, 0, 0, 8, 0, 0, 0, 4, 1, 2, 3, 4, 5, 6, 7, 8};
  f.send(5, e2s, garbage);
  f.send(5, e2s, submit(2));  // the next plausible header: decoding resumes there
  f.send(5, s2e, submit_resp(1));  // the other direction never stopped
  const auto mal = f.of_type(sc::event_type::malformed);
  ASSERT_EQ(mal.size(), 1u);  // one event for the whole episode, when it ended
  const auto m = parse_obj(sc::event_json(mal[0]));
  EXPECT_EQ(S(m.at("direction")), "esme_to_smsc");
  EXPECT_EQ(N(m.at("stream_offset")), std::int64_t(submit(1).size()));
  EXPECT_EQ(N(m.at("command_length")), 8);
  EXPECT_NE(json::value_to<std::string>(m.at("error")).find("8"), std::string::npos);
  EXPECT_EQ(N(m.at("skipped")), std::int64_t(garbage.size()));
  EXPECT_EQ(N(m.at("lost")), 0);
  EXPECT_TRUE(m.at("resynced").as_bool());
  EXPECT_EQ(N(m.at("resumed_offset")), std::int64_t(submit(1).size() + garbage.size()));
  const auto ev = f.pdus(5);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[1].dir, e2s);
  EXPECT_EQ(sd::read_header({reinterpret_cast<const std::uint8_t*>(ev[1].payload.data()), ev[1].payload.size()}).sequence_number, 2u);
  EXPECT_EQ(ev[2].dir, s2e);
  auto s = f.sessions.get(5);
  EXPECT_EQ(s->malformed, 1u);
  EXPECT_FALSE(s->lossy());  // nothing was lost by the tap
  EXPECT_EQ(s->skipped_bytes[0], garbage.size());
  ASSERT_EQ(s->alerts.size(), 1u);
  EXPECT_EQ(s->alerts[0].kind, "malformed");
  EXPECT_EQ(f.of_type(sc::event_type::alert).size(), 1u);

  // A second break that never resolves: its event comes at session close, "resynced": false.
  f.send(5, e2s, garbage);
  EXPECT_EQ(f.of_type(sc::event_type::malformed).size(), 1u);
  f.an.process(text_record(sc::record_kind::session_close, 5, f.ts++, "done"));
  const auto mal2 = f.of_type(sc::event_type::malformed);
  ASSERT_EQ(mal2.size(), 2u);
  const auto m2 = parse_obj(sc::event_json(mal2[1]));
  EXPECT_FALSE(m2.at("resynced").as_bool());
  EXPECT_EQ(N(m2.at("skipped")), std::int64_t(garbage.size()));
  EXPECT_FALSE(m2.contains("resumed_offset"));
  const auto st = f.an.stats();
  EXPECT_EQ(st.out_of_sync, 2u);
  EXPECT_EQ(st.resyncs, 1u);
  s = f.sessions.get(5);
  // Bytes are still counted for the out-of-sync direction (the relay never stopped).
  EXPECT_EQ(s->bytes_in, submit(1).size() + submit(2).size() + 2 * garbage.size());
  EXPECT_EQ(s->skipped_bytes[0], 2 * garbage.size());
}

TEST(Analyzer, UndecodablePduIsAPduEventWithError) {
  fixture f;
  f.open(6);
  // A submit_sm whose body ends after source_addr (no NUL): frames (length consistent), fails
  // decode() at dest_addr_ton, offset 22.
  bytes bad = {0, 0, 0, 22, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9, 0, 1, 1, '1', '2', '3'};
  f.send(6, e2s, bad);
  f.send(6, e2s, submit(10));
  const auto ev = f.pdus(6);
  ASSERT_EQ(ev.size(), 2u);
  const auto o = parse_obj(sc::event_json(ev[0]));
  EXPECT_EQ(S(o.at("command")), "submit_sm");
  EXPECT_EQ(N(o.at("sequence_number")), 9);
  ASSERT_TRUE(o.contains("error"));
  const std::string error = json::value_to<std::string>(o.at("error"));
  EXPECT_NE(error.find("dest_addr_ton"), std::string::npos) << o;
  EXPECT_NE(error.find("offset 22"), std::string::npos) << o;
  EXPECT_FALSE(parse_obj(sc::event_json(ev[1])).contains("error"));
  EXPECT_EQ(f.an.stats().decode_errors, 1u);
  EXPECT_EQ(f.sessions.get(6)->malformed, 1u);
  EXPECT_EQ(f.of_type(sc::event_type::malformed).size(), 0u);  // framing is fine
}

TEST(Analyzer, UpstreamFailureAndDataWithoutOpen) {
  fixture f;
  auto r = open_record(7, f.ts);
  r.kind = sc::record_kind::upstream_failure;
  const std::string why = "connect 127.0.0.3:2776: connection refused";
  r.bytes = {reinterpret_cast<const std::uint8_t*>(why.data()), why.size()};
  f.an.process(r);
  const auto s = f.sessions.get(7);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, sc::session_state::closed);
  EXPECT_EQ(s->close_reason, why);
  const auto uf = f.of_type(sc::event_type::upstream_failure);
  ASSERT_EQ(uf.size(), 1u);
  EXPECT_EQ(S(parse_obj(sc::event_json(uf[0])).at("reason")), why);

  f.send(8, e2s, submit(1));  // no session_open seen (e.g. dropped): still tracked
  EXPECT_EQ(f.pdus(8).size(), 1u);
  EXPECT_EQ(f.sessions.get(8)->pdus_in, 1u);
}

TEST(SessionTable, JsonMatchesApiSessionsAndClosedAreBounded) {
  sc::session_table t(3);
  for (std::uint64_t id = 1; id <= 6; ++id) t.open(open_record(id, 1000 + std::int64_t(id), id == 2));
  t.set_outstanding(2, e2s, 5);
  t.set_outstanding(2, s2e, 1);
  EXPECT_EQ(t.set_alert(2, {"window_full", "10 of 10 outstanding", 1234, "\"outstanding\":10"}),
            sc::session_table::alert_change::added);
  EXPECT_EQ(t.set_alert(2, {"window_full", "still full", 9999, ""}), sc::session_table::alert_change::updated);
  EXPECT_EQ(t.set_alert(99, {"x", "y", 1, ""}), sc::session_table::alert_change::unknown_session);
  const auto arr = json::parse(t.json()).as_array();
  ASSERT_EQ(arr.size(), 6u);
  const auto& s2 = arr[1].as_object();
  for (const char* k : {"id", "client", "upstream", "state", "system_id", "bind_type", "pdus_in", "pdus_out",
                        "outstanding", "alerts"})
    EXPECT_TRUE(s2.contains(k)) << k;
  EXPECT_EQ(N(s2.at("id")), 2);
  EXPECT_EQ(S(s2.at("state")), "open");
  EXPECT_EQ(S(s2.at("upstream")), "[fd00::2]:2776");
  EXPECT_EQ(N(s2.at("outstanding").at("esme_to_smsc")), 5);
  EXPECT_EQ(N(s2.at("outstanding").at("smsc_to_esme")), 1);
  const auto& alerts = s2.at("alerts").as_array();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(S(alerts[0].at("kind")), "window_full");
  EXPECT_EQ(S(alerts[0].at("message")), "still full");
  EXPECT_EQ(N(alerts[0].at("since_us")), 1234);  // the alert started then; updates keep it
  EXPECT_FALSE(alerts[0].as_object().contains("outstanding"));
  EXPECT_TRUE(t.clear_alert(2, "window_full"));
  EXPECT_FALSE(t.clear_alert(2, "window_full"));

  for (std::uint64_t id = 1; id <= 6; ++id) t.close(id, 5000, "bye");
  EXPECT_EQ(t.live_count(), 0u);
  EXPECT_EQ(t.closed_count(), 3u);  // only the most recent 3 closed are kept
  EXPECT_FALSE(t.get(3));
  EXPECT_TRUE(t.get(4));
  EXPECT_EQ(t.snapshot().front().id, 4u);
}

// Random octets from the network: never a crash; each break of framing is one event.
TEST(Analyzer, RandomBytesNeverCrash) {
  fixture f;
  std::mt19937 rng(99);
  for (std::uint64_t s = 1; s <= 50; ++s) {
    f.open(s);
    for (int i = 0; i < 40; ++i) {
      bytes b(rng() % 64);
      for (auto& x : b) x = std::uint8_t(rng() % 3 ? rng() % 2 : rng());
      if (i % 5 == 0 && b.size() >= 16) {  // a header that frames, then garbage in the body
        b[0] = b[1] = b[2] = 0;
        b[3] = std::uint8_t(b.size());
        b[4] = b[5] = b[6] = 0;
        b[7] = std::uint8_t(rng() % 0x22);
      }
      f.send(s, rng() % 2 ? e2s : s2e, b);
    }
    for (const auto& e : f.pdus(s)) (void)sc::event_json(e);  // rendering copes too
    f.an.process(text_record(sc::record_kind::session_close, s, f.ts++, "done"));
  }
  const auto st = f.an.stats();
  EXPECT_LE(st.out_of_sync, 50u * 40);
  // Every episode ends in exactly one event (resynced, or unresolved at close).
  EXPECT_EQ(f.of_type(sc::event_type::malformed).size(), st.out_of_sync);
}

namespace {

// A diagnostics-like observer: raises an alert when 3 requests are unanswered, clears it when
// the count drops, publishes outstanding counts, and counts ticks.
struct window_observer : sc::observer {
  std::uint32_t outstanding = 0;
  int opens = 0, closes = 0, ticks = 0, pdus = 0, out_of_sync = 0;
  std::vector<std::uint64_t> event_ids;
  void on_session_open(const sc::session_open_info& i, sc::analysis_context&) override {
    ++opens;
    EXPECT_NE(i.record, nullptr);
  }
  void on_session_close(const sc::session_close_info& i, sc::analysis_context& ctx) override {
    ++closes;
    EXPECT_EQ(i.reason, "done");
    ctx.clear_alert(i.session, "window_full", i.ts_us);
  }
  void on_pdu(const sc::pdu_info& i, sc::analysis_context& ctx) override {
    ++pdus;
    event_ids.push_back(i.event_id);
    EXPECT_EQ(i.frame.size(), i.pdu->hdr.command_length);
    if (i.pdu->hdr.command_id == 4) ++outstanding;
    if (i.pdu->hdr.command_id == 0x80000004) --outstanding;
    ctx.set_outstanding(i.session, sc::direction::esme_to_smsc, outstanding);
    if (outstanding >= 3) ctx.raise_alert(i.session, "window_full", "3 unanswered", i.ts_us, "\"outstanding\":3");
    else ctx.clear_alert(i.session, "window_full", i.ts_us);
  }
  void on_out_of_sync(const sc::out_of_sync_info&, sc::analysis_context&) override { ++out_of_sync; }
  void on_tick(std::int64_t, sc::analysis_context& ctx) override {
    ++ticks;
    ctx.emit(sc::event_type::alert, 0, std::nullopt, 1, "\"kind\":\"tick\"");
  }
};

}  // namespace

TEST(Analyzer, ObserversSeeEverythingAndDriveAlerts) {
  fixture f;
  window_observer obs;
  f.an.add_observer(obs);
  f.open(9);
  for (std::uint32_t i = 1; i <= 4; ++i) {
    f.send(9, e2s, submit(i));
    if (i == 3) {
      const auto s = f.sessions.get(9);
      ASSERT_EQ(s->alerts.size(), 1u);
      EXPECT_EQ(s->outstanding_esme_to_smsc, 3u);
    }
  }
  for (std::uint32_t i = 1; i <= 4; ++i) f.send(9, s2e, submit_resp(i));
  EXPECT_TRUE(f.sessions.get(9)->alerts.empty());
  EXPECT_EQ(f.sessions.get(9)->outstanding_esme_to_smsc, 0u);
  f.an.tick(123);
  f.an.process(text_record(sc::record_kind::session_close, 9, f.ts++, "done"));
  EXPECT_EQ(obs.opens, 1);
  EXPECT_EQ(obs.closes, 1);
  EXPECT_EQ(obs.pdus, 8);
  EXPECT_EQ(obs.ticks, 1);
  // The event ids handed to the observer are the pdu events in the ring.
  const auto ev = f.pdus(9);
  ASSERT_EQ(ev.size(), obs.event_ids.size());
  for (std::size_t i = 0; i < ev.size(); ++i) EXPECT_EQ(ev[i].id, obs.event_ids[i]);
  // One alert (raised once even though the window stayed full for 2 PDUs), cleared once.
  const auto alerts = f.of_type(sc::event_type::alert);
  ASSERT_EQ(alerts.size(), 2u);  // window_full + the tick's
  const auto a = parse_obj(sc::event_json(alerts[0]));
  EXPECT_EQ(S(a.at("kind")), "window_full");
  EXPECT_EQ(N(a.at("outstanding")), 3);
  EXPECT_EQ(N(a.at("session")), 9);
  EXPECT_EQ(f.of_type(sc::event_type::alert_cleared).size(), 1u);
}

// The real thing: two relay threads push into their own queues while the analysis thread runs;
// stop() drains everything; nothing is lost when the queues are large enough.
TEST(Analyzer, ThreadedTwoQueuesDrainCompletelyOnStop) {
  sc::event_ring ring({.max_events = 1'000'000, .max_bytes = 256u << 20});
  sc::session_table sessions;
  sc::analyzer an(ring, sessions, {.tick_interval_us = 1000});
  sc::tap_queue q1(16u << 20), q2(16u << 20);
  an.add_queue(q1);
  an.add_queue(q2);
  window_observer obs;
  an.add_observer(obs);
  an.start();
  constexpr std::uint32_t per_session = 5000;
  auto relay = [&](sc::tap_queue& q, std::uint64_t session) {
    auto o = open_record(session, sc::now_us());
    q.push_event(o);
    for (std::uint32_t i = 1; i <= per_session; ++i) {
      q.push_data(session, e2s, sc::now_us(), submit(i));
      q.push_data(session, s2e, sc::now_us(), submit_resp(i));
    }
    const std::string why = "done";
    q.push_event(text_record(sc::record_kind::session_close, session, sc::now_us(), why));
  };
  std::thread t1(relay, std::ref(q1), 100);
  std::thread t2(relay, std::ref(q2), 200);
  t1.join();
  t2.join();
  an.stop();
  EXPECT_FALSE(an.running());
  const auto st = an.stats();
  EXPECT_EQ(st.tap_dropped_records, 0u);
  EXPECT_EQ(st.pdus, 4u * per_session);
  EXPECT_EQ(st.sessions_closed, 2u);
  EXPECT_GE(obs.ticks, 1);
  for (std::uint64_t id : {100u, 200u}) {
    const auto s = sessions.get(id);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->pdus_in, per_session);
    EXPECT_EQ(s->pdus_out, per_session);
    EXPECT_EQ(s->state, sc::session_state::closed);
  }
  EXPECT_EQ(ring.read_since(0, 100'000'000, [](const sc::event_info& e) { return e.type == sc::event_type::pdu; }).size(),
            4u * per_session);
}

// ---- no per-PDU heap allocation on the analysis path (steady state) ----

namespace {
std::atomic<bool> g_count_allocs{false};
std::atomic<long> g_allocs{0};
}  // namespace

void* operator new(std::size_t n) {
  if (g_count_allocs.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

TEST(Analyzer, NoHeapAllocationPerPduInSteadyState) {
  fixture f;
  f.open(1);
  f.send(1, e2s, bind_trx(1));
  f.send(1, s2e, bind_trx_resp(1));
  bytes burst;
  for (std::uint32_t i = 0; i < 200; ++i) burst = cat({burst, submit(i, "steady state")});
  bytes resps;
  for (std::uint32_t i = 0; i < 200; ++i) resps = cat({resps, submit_resp(i)});
  // Chunks that cut through PDUs, as TCP reads do.
  std::vector<bytes> chunks;
  for (std::size_t pos = 0; pos < burst.size(); pos += 777)
    chunks.emplace_back(burst.begin() + long(pos), burst.begin() + long(std::min(pos + 777, burst.size())));
  for (std::size_t pos = 0; pos < resps.size(); pos += 1000)
    chunks.emplace_back(resps.begin() + long(pos), resps.begin() + long(std::min(pos + 1000, resps.size())));
  const std::size_t split = (burst.size() + 776) / 777;
  auto round = [&] {
    for (std::size_t i = 0; i < chunks.size(); ++i)
      f.an.process(data_record(1, i < split ? e2s : s2e, f.ts++, chunks[i]));
  };
  round();  // warm-up: the framer's split-PDU buffer reaches its size
  const auto before = f.an.stats().pdus;
  g_allocs = 0;
  g_count_allocs = true;
  round();
  round();
  g_count_allocs = false;
  EXPECT_EQ(f.an.stats().pdus - before, 800u);
  EXPECT_EQ(g_allocs.load(), 0) << "heap allocations while analysing 800 PDUs";
}
