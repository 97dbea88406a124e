// Healthy traffic raises nothing; the timeline and /metrics describe it; the per-PDU path does
// not allocate; web-thread readers run alongside the analysis thread.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdlib>
#include <functional>
#include <map>
#include <new>
#include <random>
#include <sstream>
#include <thread>

#include "diag_test_util.hpp"

using namespace diag_test;
using sc::event_type;

// ---- allocation counting (this binary only) ----------------------------------------------------
namespace {
std::atomic<bool> g_count_allocs{false};
std::atomic<std::uint64_t> g_allocs{0};
}  // namespace

void* operator new(std::size_t n) {
  if (g_count_allocs.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

// A discrete-event schedule: actions at injected times, run in time order, ticking every 100 ms.
struct schedule {
  std::multimap<std::int64_t, std::function<void(std::int64_t)>> q;
  void at(std::int64_t t, std::function<void(std::int64_t)> f) { q.emplace(t, std::move(f)); }
  void run(harness& h, std::int64_t until) {
    std::int64_t next_tick = t0 + 100 * ms;
    while (true) {
      const bool have = !q.empty() && q.begin()->first <= until;
      if (!have && next_tick > until) break;
      if (!have || next_tick <= q.begin()->first) {
        h.tick(next_tick);
        next_tick += 100 * ms;
        continue;
      }
      auto node = q.extract(q.begin());
      node.mapped()(node.key());
    }
  }
};

// 10 minutes of healthy traffic on a transceiver (session 1) and an idle receiver (session 2):
// submits at 20/s answered in 5-40 ms, receipts 2-20 s later, MO messages, enquire_links every
// 30 s both ways answered within 50 ms.
struct healthy_run {
  std::uint64_t submits = 0, receipts = 0;
  void build(schedule& s, harness& h, std::int64_t end) {
    std::mt19937 rng(7);
    h.open(2, t0);
    s.at(t0 + 1 * ms, [&h](std::int64_t t) {
      h.send(e2s, t, bind_trx(1));
      h.send(s2e, t + 3 * ms, bind_resp(1));
      h.send(e2s, t, bind_trx(1, sd::command_id::bind_receiver), 2);
      h.send(s2e, t + 3 * ms, bind_resp(1, 0, sd::command_id::bind_receiver_resp), 2);
    });
    std::uint32_t seq = 2, smsc_seq = 1000;
    for (std::int64_t t = t0 + 1 * sec; t < end - 30 * sec; t += 50 * ms, ++seq) {
      const std::int64_t lat = (5 + rng() % 36) * ms;
      const std::int64_t dlr = (2 + rng() % 19) * sec;
      const std::string id = std::to_string(0x10000 + seq);
      const std::uint32_t dseq = smsc_seq++;
      s.at(t, [&h, seq](std::int64_t t) { h.send(e2s, t, submit(seq, 1)); });
      s.at(t + lat, [&h, seq, id](std::int64_t t) { h.send(s2e, t, submit_resp(seq, 0, id)); });
      s.at(t + lat + dlr, [&h, dseq, id](std::int64_t t) { h.send(s2e, t, receipt(dseq, id)); });
      s.at(t + lat + dlr + 4 * ms, [&h, dseq](std::int64_t t) { h.send(e2s, t, deliver_resp(dseq)); });
      ++submits;
      ++receipts;
    }
    for (std::int64_t t = t0 + 30 * sec; t < end; t += 30 * sec) {
      const std::uint32_t a = seq++, b = smsc_seq++, c = seq++, d = smsc_seq++;
      s.at(t, [&h, a](std::int64_t t) { h.send(e2s, t, enquire(a)); });
      s.at(t + 20 * ms, [&h, a](std::int64_t t) { h.send(s2e, t, enquire_resp(a)); });
      s.at(t + 7 * sec, [&h, b](std::int64_t t) { h.send(s2e, t, enquire(b)); });
      s.at(t + 7 * sec + 40 * ms, [&h, b](std::int64_t t) { h.send(e2s, t, enquire_resp(b)); });
      // The idle receiver: enquire_link only.
      s.at(t + 3 * sec, [&h, c](std::int64_t t) { h.send(e2s, t, enquire(c), 2); });
      s.at(t + 3 * sec + 10 * ms, [&h, c](std::int64_t t) { h.send(s2e, t, enquire_resp(c), 2); });
      s.at(t + 15 * sec, [&h, d](std::int64_t t) { h.send(s2e, t, enquire(d), 2); });
      s.at(t + 15 * sec + 5 * ms, [&h, d](std::int64_t t) { h.send(e2s, t, enquire_resp(d), 2); });
    }
  }
};

}  // namespace

TEST(Healthy, TenMinutesOfNormalTrafficRaiseNothing) {
  harness h;
  schedule s;
  healthy_run run;
  const std::int64_t end = t0 + 600 * sec;
  run.build(s, h, end);
  s.run(h, end);

  EXPECT_TRUE(h.events(event_type::alert).empty()) << h.events(event_type::alert).front();
  EXPECT_TRUE(h.log.empty()) << h.log.front();
  const auto t = h.diag.totals();
  EXPECT_EQ(t.responses_unmatched[0] + t.responses_unmatched[1], 0u);
  EXPECT_EQ(t.response_timeouts[0] + t.response_timeouts[1], 0u);
  EXPECT_EQ(t.outstanding[0] + t.outstanding[1], 0u);
  EXPECT_EQ(t.dlr_matched, run.receipts);
  EXPECT_EQ(t.dlr_pending, 0u);
  EXPECT_EQ(t.dlr_unmatched, 0u);
  EXPECT_EQ(t.binds_ok, 2u);
  // bind + submits + enquire_links from the ESME on session 1, + bind + enquire_links on session 2.
  EXPECT_EQ(t.responses_matched[0], 2 + run.submits + 2 * 19);
  for (std::size_t k = 0; k < dg::alert_kind_count; ++k) EXPECT_EQ(t.alerts_raised[k], 0u) << k;
}

TEST(Healthy, TimelineDescribesTheTraffic) {
  harness h;
  schedule s;
  healthy_run run;
  const std::int64_t end = t0 + 120 * sec;
  run.build(s, h, end);
  s.run(h, end);

  const auto text = h.diag.timeline_json(1);
  ASSERT_TRUE(text);
  const boost::json::value v = boost::json::parse(*text);
  const auto& o = v.as_object();
  EXPECT_EQ(o.at("session").as_int64(), 1);
  const auto& samples = o.at("samples").as_array();
  // One per second from t0 to the last completed second.
  ASSERT_EQ(samples.size(), 120u);
  EXPECT_EQ(samples.front().as_object().at("t").as_int64(), t0 / sec);
  EXPECT_EQ(samples.back().as_object().at("t").as_int64(), t0 / sec + 119);
  // A busy second in the middle: 20 submits, latency between 5 and 40 ms.
  const auto& mid = samples[50].as_object();
  EXPECT_EQ(mid.at("submits").as_array()[0].as_int64(), 20);
  const auto p50 = mid.at("latency_p50_us").as_array()[0].as_int64();
  const auto max = mid.at("latency_max_us").as_array()[0].as_int64();
  EXPECT_GE(p50, 5000);
  EXPECT_LE(p50, max);
  EXPECT_LE(max, 40000);
  EXPECT_GE(mid.at("outstanding").as_array()[0].as_int64(), 1);
  EXPECT_LE(mid.at("outstanding").as_array()[0].as_int64(), 2);
  // Enquire_link marks at t0+30 (ESME) and t0+37 (SMSC).
  EXPECT_EQ(samples[30].as_object().at("enquire_links").as_array()[0].as_int64(), 1);
  EXPECT_EQ(samples[37].as_object().at("enquire_links").as_array()[1].as_int64(), 1);
  const auto& sum = o.at("summary").as_object();
  EXPECT_EQ(sum.at("bind_state").as_string(), "bound");
  const auto& e2 = sum.at("esme_to_smsc").as_object();
  // Submits ran from t0+1 s to t0+90 s at 20/s: 30 s of the last 60, none in the last 10.
  EXPECT_NEAR(e2.at("rate").as_object().at("submits_60s").to_number<double>(), 10.0, 0.5);
  EXPECT_EQ(e2.at("rate").as_object().at("submits_10s").to_number<double>(), 0.0);
  EXPECT_EQ(e2.at("unmatched").as_int64(), 0);
  EXPECT_GT(sum.at("dlr").as_object().at("receipts_matched").as_int64(), 1000);
  EXPECT_TRUE(o.at("alerts").as_array().empty());
  // since_second filters.
  const auto tail = boost::json::parse(*h.diag.timeline_json(1, t0 / sec + 110));
  EXPECT_EQ(tail.as_object().at("samples").as_array().size(), 10u);
  EXPECT_FALSE(h.diag.timeline_json(99));
}

namespace {
// Parses "name{labels} value" lines; returns value by full series text.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto sp = line.rfind(' ');
    EXPECT_NE(sp, std::string::npos) << line;
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}
}  // namespace

TEST(Healthy, PrometheusHistogramsAreConsistent) {
  harness h;
  schedule s;
  healthy_run run;
  const std::int64_t end = t0 + 60 * sec;
  run.build(s, h, end);
  s.run(h, end);
  std::string m;
  h.diag.append_prometheus(m);
  // Every sample line belongs to a family declared with # TYPE before it.
  std::istringstream in(m);
  std::string line, family;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) family = line.substr(7, line.find(' ', 7) - 7);
    else if (line[0] != '#') { EXPECT_EQ(line.rfind(family, 0), 0u) << line << " under " << family; }
  }
  const auto v = parse_prometheus(m);
  const std::string sub = "smppscope_diag_response_latency_seconds";
  const std::string lab = "command=\"submit_sm\",direction=\"esme_to_smsc\"";
  double prev = 0;
  for (const char* le : {"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "+Inf"}) {
    const double b = v.at(sub + "_bucket{" + lab + ",le=\"" + le + "\"}");
    EXPECT_GE(b, prev) << le;
    prev = b;
  }
  EXPECT_EQ(v.at(sub + "_bucket{" + lab + ",le=\"0.0025\"}"), 0);  // nothing under 5 ms
  EXPECT_EQ(v.at(sub + "_bucket{" + lab + ",le=\"0.05\"}"), prev);  // everything under 50 ms
  EXPECT_EQ(v.at(sub + "_count{" + lab + "}"), prev);
  EXPECT_EQ(prev, static_cast<double>(run.submits));
  const double avg = v.at(sub + "_sum{" + lab + "}") / prev;
  EXPECT_GT(avg, 0.005);
  EXPECT_LT(avg, 0.040);
  EXPECT_EQ(v.at("smppscope_diag_alerts_raised_total{kind=\"window_full\"}"), 0);
  EXPECT_EQ(v.at("smppscope_diag_binds_total{result=\"ok\"}"), 2);
  EXPECT_GT(v.at("smppscope_diag_dlr_receipts_total{result=\"matched\"}"), 500);
  EXPECT_EQ(v.at("smppscope_diag_dlr_receipt_seconds_count"), v.at("smppscope_diag_dlr_receipts_total{result=\"matched\"}"));
}

namespace {
// A context that only records; lets the observer run without the analyzer around it.
struct fake_context final : sc::analysis_context {
  sc::event_ring ring_{sc::event_ring_options{1024, 1u << 20}};
  sc::session_table table_;
  std::uint64_t raises = 0;
  std::uint64_t emit(event_type, std::uint64_t, std::optional<direction>, std::int64_t, std::string_view) override {
    return 0;
  }
  void raise_alert(std::uint64_t, std::string_view, std::string_view, std::int64_t, std::string_view) override {
    ++raises;
  }
  void clear_alert(std::uint64_t, std::string_view, std::int64_t) override {}
  void set_outstanding(std::uint64_t, direction, std::uint32_t) override {}
  sc::session_table& sessions() override { return table_; }
  const sc::event_ring& ring() const override { return ring_; }
};

void feed(dg::diagnostics& d, fake_context& ctx, direction dir, std::int64_t ts, const bytes& b) {
  sd::pdu p;
  const sd::decode_error err = sd::decode(b, p);
  sc::pdu_info i;
  i.session = 1;
  i.dir = dir;
  i.ts_us = ts;
  i.pdu = &p;
  i.error = err ? &err : nullptr;
  i.frame = b;
  d.on_pdu(i, ctx);
}
}  // namespace

TEST(HotPath, NoAllocationPerPduInSteadyState) {
  dg::diagnostics d(dg::diag_options{}, dg::null_alert_logger());
  fake_context ctx;
  // Pre-built PDUs: submit, submit_resp (id), receipt, deliver_sm_resp, enquire_link pair.
  constexpr std::uint32_t n = 3000;
  std::vector<bytes> subs, resps, rcpts, dresps;
  for (std::uint32_t i = 0; i < 2 * n; ++i) {
    subs.push_back(submit(i + 1, 1));
    resps.push_back(submit_resp(i + 1, 0, "ab" + std::to_string(i)));
    rcpts.push_back(receipt(100000 + i, "AB" + std::to_string(i)));
    dresps.push_back(deliver_resp(100000 + i));
  }
  const bytes el = enquire(999999), elr = enquire_resp(999999);
  auto cycle = [&](std::uint32_t i, std::int64_t ts) {
    feed(d, ctx, e2s, ts, subs[i]);
    feed(d, ctx, s2e, ts + 1, resps[i]);
    feed(d, ctx, s2e, ts + 2, rcpts[i]);
    feed(d, ctx, e2s, ts + 3, dresps[i]);
    feed(d, ctx, e2s, ts + 4, el);
    feed(d, ctx, s2e, ts + 5, elr);
  };
  // Warm up (tables grow), then cross into a fresh second so no roll happens while measuring.
  const std::int64_t start = t0 + 10 * sec;
  for (std::uint32_t i = 0; i < n; ++i) cycle(i, t0 + i * 100);
  d.on_tick(start, ctx);
  g_allocs = 0;
  g_count_allocs = true;
  for (std::uint32_t i = n; i < 2 * n; ++i) cycle(i, start + 10 + (i - n) * 100);  // 0.3 s
  g_count_allocs = false;
  EXPECT_EQ(g_allocs.load(), 0u);
  EXPECT_EQ(d.totals().dlr_matched, 2u * n);
  EXPECT_EQ(ctx.raises, 0u);
}

TEST(Threads, WebReadersRunAlongsideTheAnalysisThread) {
  harness h;
  schedule s;
  healthy_run run;
  const std::int64_t end = t0 + 120 * sec;
  run.build(s, h, end);
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      std::string m;
      h.diag.append_prometheus(m);
      const auto tl = h.diag.timeline_json(1);
      if (tl) boost::json::parse(*tl);  // never torn
      (void)h.diag.totals();
      (void)h.sessions.json();
      reads.fetch_add(1);
    }
  });
  s.run(h, end);
  h.close(1, end);
  h.close(2, end);
  done = true;
  reader.join();
  EXPECT_GT(reads.load(), 0u);
  EXPECT_TRUE(h.diag.timeline_json(1));
  EXPECT_TRUE(h.events(event_type::alert).empty());
}
