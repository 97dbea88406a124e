// The simulator's fault modes through the real proxy (loopback, real sockets, the analyzer thread
// on the wall clock): each raises the right alert kind naming the right side within 2x its
// timeout, and clears when traffic recovers.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "diag_test_util.hpp"
#include "smppscope/analysis/tap.hpp"
#include "smppscope/decoder/framer.hpp"
#include "smppscope/proxy/proxy.hpp"
#include "smppscope/sim/simulator.hpp"

using namespace diag_test;
namespace sp = smppscope::proxy;
namespace ss = smppscope::sim;
using clk = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// A blocking ESME on a loopback socket. A reader thread answers deliver_sm and enquire_link
// (unless told not to) and files responses by sequence_number.
class esme {
 public:
  explicit esme(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    reader_ = std::thread([this] { read_loop(); });
  }
  ~esme() {
    ::shutdown(fd_, SHUT_RDWR);
    reader_.join();
    ::close(fd_);
  }
  void send(const bytes& b) {
    const std::lock_guard lock(write_mu_);
    std::size_t off = 0;
    while (off < b.size()) {
      const ssize_t n = ::send(fd_, b.data() + off, b.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }
  // The response to `seq`, or nullopt after `timeout`.
  std::optional<sd::header> response(std::uint32_t seq, std::chrono::milliseconds timeout = 3000ms) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return responses_.count(seq) > 0; })) return std::nullopt;
    return responses_[seq];
  }
  std::uint64_t receipts() const { return receipts_.load(); }
  std::atomic<bool> answer_enquire_link{true};

 private:
  void read_loop() {
    sd::framer fr;
    std::uint8_t buf[65536];
    while (true) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return;
      fr.feed({buf, static_cast<std::size_t>(n)}, [&](std::span<const std::uint8_t> frame) {
        const sd::header h = sd::read_header(frame);
        if (h.command_id == static_cast<std::uint32_t>(sd::command_id::deliver_sm)) {
          sd::pdu p;
          if (!sd::decode(frame, p) && p.esm_class() && (*p.esm_class() & 0x3C) == 0x04) ++receipts_;
          send(deliver_resp(h.sequence_number));
        } else if (h.command_id == static_cast<std::uint32_t>(sd::command_id::enquire_link)) {
          if (answer_enquire_link) send(enquire_resp(h.sequence_number));
        } else if (sd::is_response(h.command_id)) {
          const std::lock_guard lock(mu_);
          responses_[h.sequence_number] = h;
          cv_.notify_all();
        }
      });
    }
  }
  int fd_ = -1;
  std::thread reader_;
  std::mutex write_mu_, mu_;
  std::condition_variable cv_;
  std::map<std::uint32_t, sd::header> responses_;
  std::atomic<std::uint64_t> receipts_{0};
};

// Simulator <- proxy (tap queue) <- ESME; analyzer thread with the diagnostics.
struct stack {
  stack(ss::simulator_options so, dg::diag_options o)
      : an(ring, sessions, analyzer_opts()),
        diag(o, [this](std::string_view l) {
          const std::lock_guard lock(log_mu);
          log.emplace_back(l);
        }) {
    so.host = "127.0.0.1";
    so.port = 0;
    so.log = nullptr;
    smsc = std::make_unique<ss::simulator>(so);
    smsc->start();
    smsc_thread = std::thread([this] { smsc->run(); });
    an.add_queue(queue);
    an.add_observer(diag);
    an.start();
    sp::proxy_options po;
    po.listen = {"127.0.0.1", 0};
    po.upstream = {"127.0.0.1", smsc->port()};
    po.taps = {&queue};
    po.log = [](std::string_view) {};
    px = std::make_unique<sp::proxy>(po);
    px->start();
  }
  ~stack() {
    px->stop();
    an.stop();
    smsc->stop();
    smsc_thread.join();
  }
  static sc::analyzer_options analyzer_opts() {
    sc::analyzer_options a;
    a.tick_interval_us = 20'000;
    return a;
  }
  std::unique_ptr<esme> connect() { return std::make_unique<esme>(px->port()); }

  // Polls the session table (the web's view) until `pred` holds for the first alert of `kind`.
  std::optional<sc::session_alert> find_alert(std::string_view kind) const {
    for (const auto& s : sessions.snapshot())
      for (const auto& a : s.alerts)
        if (a.kind == kind) return a;
    return std::nullopt;
  }
  std::optional<sc::session_alert> wait_alert(std::string_view kind, clk::time_point deadline) const {
    while (clk::now() < deadline) {
      if (auto a = find_alert(kind)) return a;
      std::this_thread::sleep_for(5ms);
    }
    return find_alert(kind);
  }
  bool wait_cleared(std::string_view kind, clk::time_point deadline) const {
    while (clk::now() < deadline) {
      if (!find_alert(kind)) return true;
      std::this_thread::sleep_for(5ms);
    }
    return !find_alert(kind);
  }
  template <class Pred>
  bool wait_for(Pred pred, clk::duration d = 5s) const {
    const auto deadline = clk::now() + d;
    while (clk::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return pred();
  }
  std::vector<std::string> alert_kinds() const {
    std::vector<std::string> k;
    for (const auto& s : sessions.snapshot())
      for (const auto& a : s.alerts) k.push_back(a.kind + ": " + a.message);
    return k;
  }

  sc::tap_queue queue{8u << 20};
  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer an;
  std::mutex log_mu;
  std::vector<std::string> log;
  dg::diagnostics diag;
  std::unique_ptr<ss::simulator> smsc;
  std::thread smsc_thread;
  std::unique_ptr<sp::proxy> px;
};

ss::simulator_options quiet_smsc() {
  ss::simulator_options so;
  so.enquire_link_interval = std::chrono::seconds(0);
  so.dlr_delay = std::chrono::milliseconds(20);
  so.window = 0;
  return so;
}

dg::diag_options short_timeouts() {
  dg::diag_options o;
  o.window = 5;
  o.window_stall_us = 500'000;
  o.response_timeout_us = 500'000;
  o.enquire_link_timeout_us = 500'000;
  o.request_expiry_us = 1'500'000;
  o.silence_us = 60'000'000;
  o.quiet_period_us = 500'000;
  o.dlr_grace_us = 200'000;
  return o;
}

void bind(esme& c) {
  c.send(bind_trx(1));
  const auto r = c.response(1);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->command_status, 0u);
}

bool contains(const std::string& s, std::string_view what) { return s.find(what) != std::string::npos; }

}  // namespace

TEST(Integration, HealthyTrafficThroughTheProxyRaisesNothing) {
  auto so = quiet_smsc();
  so.latency = 50ms;
  stack st(so, short_timeouts());
  auto c = st.connect();
  bind(*c);
  std::uint32_t seq = 2;
  for (int round = 0; round < 10; ++round) {
    const std::uint32_t first = seq;
    for (int i = 0; i < 5; ++i) c->send(submit(seq++, 1));  // a full window, answered in 50 ms
    c->send(enquire(seq++));
    for (std::uint32_t s = first; s < seq; ++s) ASSERT_TRUE(c->response(s)) << s;
  }
  ASSERT_TRUE(st.wait_for([&] { return st.diag.totals().dlr_matched == 50; })) << st.diag.totals().dlr_matched;
  // Let the detectors look at it for a while (a few timeouts' worth) on the wall clock.
  EXPECT_FALSE(st.wait_for([&] { return !st.alert_kinds().empty(); }, 1500ms)) << st.alert_kinds().front();
  const auto t = st.diag.totals();
  EXPECT_EQ(t.responses_matched[0], 61u);  // bind + 50 submits + 10 enquire_links
  EXPECT_EQ(t.responses_unmatched[0] + t.responses_unmatched[1], 0u);
  EXPECT_EQ(t.dlr_unmatched, 0u);
  std::string m;
  st.diag.append_prometheus(m);
  // 50 ms of injected latency: nothing at or under 25 ms.
  EXPECT_TRUE(contains(m, "smppscope_diag_response_latency_seconds_bucket{command=\"submit_sm\",direction=\"esme_to_smsc\",le=\"0.025\"} 0")) << m;
  EXPECT_TRUE(contains(m, "smppscope_diag_response_latency_seconds_count{command=\"submit_sm\",direction=\"esme_to_smsc\"} 50")) << m;
}

TEST(Integration, StalledSmscRaisesWindowFullAndResponseTimeoutThenClears) {
  stack st(quiet_smsc(), short_timeouts());
  auto c = st.connect();
  bind(*c);
  for (std::uint32_t s = 2; s < 5; ++s) {
    c->send(submit(s));
    ASSERT_TRUE(c->response(s));
  }
  st.smsc->set_stalled(true);
  const auto fault = clk::now();
  for (std::uint32_t s = 10; s < 15; ++s) c->send(submit(s));  // fills the window of 5
  const auto limit = fault + 2 * 500ms;
  const auto rt = st.wait_alert("response_timeout", limit);
  ASSERT_TRUE(rt) << "no response_timeout within 2x the timeout";
  EXPECT_TRUE(contains(rt->message, "SMSC did not answer submit_sm (seq 10)")) << rt->message;
  EXPECT_TRUE(contains(rt->extra_json, "\"side\":\"smsc\"")) << rt->extra_json;
  const auto wf = st.wait_alert("window_full", limit);
  ASSERT_TRUE(wf) << "no window_full within 2x the stall time";
  EXPECT_TRUE(contains(wf->message, "SMSC has not answered 5 submit_sm")) << wf->message;
  EXPECT_TRUE(contains(wf->message, "window full (5/5)")) << wf->message;
  EXPECT_EQ(st.sessions.snapshot().front().outstanding_esme_to_smsc, 5u);

  st.smsc->set_stalled(false);  // the SMSC answers what it held
  for (std::uint32_t s = 10; s < 15; ++s) ASSERT_TRUE(c->response(s)) << s;
  EXPECT_TRUE(st.wait_cleared("window_full", clk::now() + 2s));
  EXPECT_TRUE(st.wait_cleared("response_timeout", clk::now() + 2s));
  EXPECT_TRUE(st.wait_for([&] { return st.sessions.snapshot().front().outstanding_esme_to_smsc == 0; }));
  EXPECT_EQ(st.diag.totals().late_responses[0], 5u);
  EXPECT_FALSE(st.find_alert("unmatched_response"));
}

TEST(Integration, StopSubmitAfterTimesOutThenExpires) {
  auto so = quiet_smsc();
  so.stop_submit_after = 2;
  stack st(so, short_timeouts());
  auto c = st.connect();
  bind(*c);
  c->send(submit(2));
  c->send(submit(3));
  ASSERT_TRUE(c->response(2));
  ASSERT_TRUE(c->response(3));
  const auto fault = clk::now();
  c->send(submit(4));
  const auto a = st.wait_alert("response_timeout", fault + 1000ms);
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "SMSC did not answer submit_sm (seq 4) within 0.5 s")) << a->message;
  // The SMSC still answers enquire_link; the lost submit is forgotten after the request expiry.
  c->send(enquire(5));
  ASSERT_TRUE(c->response(5));
  EXPECT_TRUE(st.wait_cleared("response_timeout", fault + 2 * 1500ms));
  EXPECT_EQ(st.diag.totals().expired_requests[0], 1u);
  EXPECT_FALSE(st.find_alert("enquire_link_timeout"));
}

TEST(Integration, NoEnquireLinkRespNamesTheSmsc) {
  auto so = quiet_smsc();
  so.no_enquire_link_resp = true;
  stack st(so, short_timeouts());
  auto c = st.connect();
  bind(*c);
  const auto fault = clk::now();
  c->send(enquire(77));
  const auto a = st.wait_alert("enquire_link_timeout", fault + 1000ms);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->message, "SMSC did not answer the ESME's enquire_link (seq 77) within 0.5 s");
  EXPECT_FALSE(st.find_alert("response_timeout"));
  EXPECT_TRUE(st.wait_cleared("enquire_link_timeout", fault + 2 * 1500ms));  // forgotten at expiry
}

TEST(Integration, EsmeIgnoringTheSmscsEnquireLinkIsBlamed) {
  auto so = quiet_smsc();
  so.enquire_link_interval = std::chrono::seconds(1);
  stack st(so, short_timeouts());
  auto c = st.connect();
  c->answer_enquire_link = false;
  bind(*c);
  const auto bound = clk::now();
  // The SMSC's first enquire_link comes within 1 s; it must be blamed on the ESME by +1 s + 2x0.5 s.
  const auto a = st.wait_alert("enquire_link_timeout", bound + 2000ms);
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "ESME did not answer the SMSC's enquire_link")) << a->message;
  EXPECT_TRUE(contains(a->extra_json, "\"side\":\"esme\"")) << a->extra_json;
  c->answer_enquire_link = true;  // recovers at the next one
  EXPECT_TRUE(st.wait_cleared("enquire_link_timeout", clk::now() + 2500ms));
}

TEST(Integration, ThrottlingSmscRaisesThrottledThenQuietClears) {
  auto so = quiet_smsc();
  so.window = 2;  // beyond 2 unanswered: ESME_RTHROTTLED
  so.latency = 100ms;
  stack st(so, short_timeouts());
  auto c = st.connect();
  bind(*c);
  const auto fault = clk::now();
  for (std::uint32_t s = 2; s < 12; ++s) c->send(submit(s));
  std::uint32_t throttled = 0;
  for (std::uint32_t s = 2; s < 12; ++s) {
    const auto r = c->response(s);
    ASSERT_TRUE(r);
    if (r->command_status == 0x58) ++throttled;
  }
  ASSERT_GT(throttled, 0u);
  const auto a = st.wait_alert("throttled", fault + 1000ms);
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "SMSC is throttling the ESME (ESME_RTHROTTLED)")) << a->message;
  EXPECT_TRUE(contains(a->extra_json, "\"side\":\"smsc\"")) << a->extra_json;
  // The alert comes with the first throttled answer; the analysis thread may still be counting
  // the rest, so wait (bounded) for the count to reach what the client received.
  const auto counted_by = clk::now() + 5s;
  while (st.diag.totals().throttled_responses[0] < throttled && clk::now() < counted_by)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(st.diag.totals().throttled_responses[0], throttled);
  EXPECT_TRUE(st.wait_cleared("throttled", clk::now() + 2 * 500ms + 500ms));
}

TEST(Integration, DecimalReceiptIdsMatchHexMessageIds) {
  auto so = quiet_smsc();
  so.dlr_ids = ss::dlr_id_format::decimal;
  stack st(so, short_timeouts());
  auto c = st.connect();
  bind(*c);
  for (std::uint32_t s = 2; s < 22; ++s) {
    c->send(submit(s, 1));
    ASSERT_TRUE(c->response(s));
  }
  ASSERT_TRUE(st.wait_for([&] { return c->receipts() == 20; }));
  ASSERT_TRUE(st.wait_for([&] { return st.diag.totals().dlr_matched == 20; })) << st.diag.totals().dlr_matched;
  EXPECT_FALSE(st.wait_alert("dlr_unmatched", clk::now() + 500ms));
}

TEST(Integration, MismatchedReceiptIdsRaiseDlrUnmatched) {
  auto so = quiet_smsc();
  so.dlr_ids = ss::dlr_id_format::mismatch;
  stack st(so, short_timeouts());
  auto c = st.connect();
  bind(*c);
  c->send(submit(2, 1));
  ASSERT_TRUE(c->response(2));
  ASSERT_TRUE(st.wait_for([&] { return c->receipts() == 1; }));
  const auto a = st.wait_alert("dlr_unmatched", clk::now() + 2 * 200ms + 200ms);
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "delivery receipt for message_id")) << a->message;
  EXPECT_TRUE(contains(a->extra_json, "\"message_id\":")) << a->extra_json;
  EXPECT_TRUE(st.wait_cleared("dlr_unmatched", clk::now() + 2s));  // quiet period
}

TEST(Integration, RefusedBindRaisesBindFailed) {
  auto so = quiet_smsc();
  so.credentials = {{"client1", "right"}};
  stack st(so, short_timeouts());
  auto c = st.connect();
  c->send(bind_trx(1));  // password "secret"
  const auto r = c->response(1);
  ASSERT_TRUE(r);
  ASSERT_NE(r->command_status, 0u);
  const auto a = st.wait_alert("bind_failed", clk::now() + 1s);
  ASSERT_TRUE(a);
  EXPECT_TRUE(contains(a->message, "bind_transceiver refused by the SMSC: " +
                                        std::string(sd::status_name(r->command_status))))
      << a->message;
}

TEST(Integration, SilentBoundSessionRaisesSilenceForBothSides) {
  auto o = short_timeouts();
  o.silence_us = 500'000;
  stack st(quiet_smsc(), o);
  auto c = st.connect();
  bind(*c);
  const auto bound = clk::now();
  const auto a = st.wait_alert("silence", bound + 1000ms);
  ASSERT_TRUE(a);
  ASSERT_TRUE(st.wait_for([&] {
    const auto x = st.find_alert("silence");
    return x && contains(x->message, "ESME") && contains(x->message, "SMSC");
  }, 1s)) << st.find_alert("silence")->message;
  c->send(enquire(2));
  ASSERT_TRUE(c->response(2));
  EXPECT_TRUE(st.wait_cleared("silence", clk::now() + 1s));
}
