// The relay over plain TCP, end to end on loopback: test ESME -> proxy -> test SMSC.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "smppscope/analysis/tap.hpp"
#include "smppscope/proxy/proxy.hpp"
#include "test_support.hpp"

namespace smppscope::proxy::test {
namespace {

using namespace std::chrono_literals;
using analysis::direction;
using analysis::record_kind;

// Reads a tap queue on its own thread (like the analysis thread) and keeps what it sees.
class tap_reader {
 public:
  explicit tap_reader(analysis::tap_queue& q) : q_(q), thread_([this] { run(); }) {}
  ~tap_reader() { finish(); }
  void finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  struct session_seen {
    bytes data[2];
    int opens = 0, closes = 0, failures = 0;
    std::string close_text, failure_text;
    std::uint64_t out_of_order = 0;
  };
  std::map<std::uint64_t, session_seen> sessions() {
    std::lock_guard lk(mu_);
    return seen_;
  }

 private:
  void run() {
    for (;;) {
      const bool last = stop_.load();
      const std::size_t n = q_.drain([this](const analysis::tap_record& r) {
        std::lock_guard lk(mu_);
        auto& s = seen_[r.session];
        switch (r.kind) {
          case record_kind::data: s.data[static_cast<int>(r.dir)].insert(s.data[static_cast<int>(r.dir)].end(), r.bytes.begin(), r.bytes.end()); break;
          case record_kind::session_open: ++s.opens; break;
          case record_kind::session_close:
            ++s.closes;
            s.close_text.assign(r.bytes.begin(), r.bytes.end());
            break;
          case record_kind::upstream_failure:
            ++s.failures;
            s.failure_text.assign(r.bytes.begin(), r.bytes.end());
            break;
        }
      });
      if (last && n == 0) return;
      if (n == 0) std::this_thread::sleep_for(1ms);
    }
  }
  analysis::tap_queue& q_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<std::uint64_t, session_seen> seen_;
  std::thread thread_;
};

std::uint16_t local_port(const conn& c) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(c.fd(), reinterpret_cast<sockaddr*>(&ss), &len);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}


// Sends `data` (chunked, from a second thread) and returns what comes back until EOF.
bytes exchange(conn& c, const bytes& data, std::uint64_t seed, bool* clean_eof = nullptr) {
  std::thread writer([&] {
    std::mt19937_64 rng(seed);
    c.write_chunked(data, rng);
    c.shutdown_send();
  });
  bytes got = c.read_to_eof(clean_eof);
  writer.join();
  return got;
}

TEST(relay, hundred_thousand_pdus_byte_exact_both_directions_and_tapped) {
  const bytes up = make_pdu_stream(50'000, 11);    // esme_to_smsc
  const bytes down = make_pdu_stream(50'000, 22);  // smsc_to_esme
  bytes got_up;
  bool server_clean = false;
  server smsc([&](conn& c) {
    std::thread writer([&] {
      std::mt19937_64 rng(3);
      c.write_chunked(down, rng);
      c.shutdown_send();
    });
    got_up = c.read_to_eof(&server_clean);
    writer.join();
  });

  analysis::tap_queue q(256u << 20);
  tap_reader reader(q);
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.taps = {&q};
  proxy p(opt);
  p.start();

  conn c = connect_tcp("127.0.0.1", p.port());
  ASSERT_TRUE(c.valid());
  bool client_clean = false;
  const bytes got_down = exchange(c, up, 4, &client_clean);
  smsc.wait_handlers();

  EXPECT_TRUE(client_clean);
  EXPECT_TRUE(server_clean);
  ASSERT_EQ(got_down.size(), down.size());
  EXPECT_TRUE(got_down == down);
  ASSERT_EQ(got_up.size(), up.size());
  EXPECT_TRUE(got_up == up);

  const std::string close = logs.wait_for(" close ");
  EXPECT_NE(close.find("esme_to_smsc 50000 PDUs " + std::to_string(up.size()) + " bytes"), std::string::npos) << close;
  EXPECT_NE(close.find("smsc_to_esme 50000 PDUs " + std::to_string(down.size()) + " bytes"), std::string::npos) << close;
  EXPECT_TRUE(logs.contains("session 1 client 127.0.0.1:"));

  ASSERT_TRUE(eventually([&] { return reader.sessions()[1].closes == 1; }));
  reader.finish();
  auto s = reader.sessions()[1];
  EXPECT_EQ(q.dropped_records(), 0u);
  EXPECT_EQ(s.opens, 1);
  EXPECT_TRUE(s.data[0] == up) << "tap copy esme_to_smsc differs";
  EXPECT_TRUE(s.data[1] == down) << "tap copy smsc_to_esme differs";
  EXPECT_FALSE(s.close_text.empty());
  EXPECT_EQ(p.stats().bytes_esme_to_smsc, up.size());
  EXPECT_EQ(p.stats().bytes_smsc_to_esme, down.size());
}

TEST(relay, two_hundred_concurrent_sessions_on_three_threads) {
  server smsc(echo_handler());
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.threads = 3;
  std::vector<std::unique_ptr<analysis::tap_queue>> queues;
  for (unsigned i = 0; i < opt.threads; ++i) {
    queues.push_back(std::make_unique<analysis::tap_queue>(1u << 20));
    opt.taps.push_back(queues.back().get());
  }
  proxy p(opt);
  p.start();

  constexpr int sessions = 200;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < sessions; ++i) {
    clients.emplace_back([&, i] {
      const bytes data = make_pdu_stream(100, 1000 + i);
      conn c = connect_tcp("127.0.0.1", p.port());
      if (!c.valid()) {
        ADD_FAILURE() << "client " << i << " cannot connect";
        return;
      }
      bool clean = false;
      const bytes got = exchange(c, data, i, &clean);
      if (got == data && clean) ++ok;
      else ADD_FAILURE() << "client " << i << " port " << local_port(c) << ": " << got.size() << " of " << data.size() << " octets back, clean " << clean;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), sessions);
  EXPECT_TRUE(eventually([&] { return p.stats().active == 0; }));
  EXPECT_EQ(p.stats().opened, static_cast<std::uint64_t>(sessions));
  EXPECT_EQ(p.stats().closed, static_cast<std::uint64_t>(sessions));
  // Nobody drains these small queues: they overflow, count drops, and the relay carries on.
  std::uint64_t dropped = 0;
  for (const auto& q : queues) dropped += q->dropped_records();
  EXPECT_GT(dropped, 0u);
}

TEST(relay, malformed_streams_are_relayed_byte_exact_and_do_not_disturb_others) {
  server smsc(echo_handler());
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.threads = 1;  // everything on one io_context: a misbehaving session must not stall the rest
  proxy p(opt);
  p.start();

  std::mt19937_64 rng(99);
  auto junk = [&](std::size_t n) {
    bytes b(n);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    return b;
  };
  std::vector<bytes> bad;
  bad.push_back(junk(100'000));                                                     // garbage
  bad.push_back(bytes{0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9});      // command_length 0
  bad.push_back(bytes{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1});   // 0xFFFFFFFF
  bad.push_back(bytes{0, 0, 0, 0x2C, 0});                                            // truncated header
  {
    bytes b = bind_transceiver(1, "esme", "secret");
    const bytes j = junk(1u << 20);
    b.insert(b.end(), j.begin(), j.end());
    bad.push_back(b);  // a bind, then 1 MiB of junk
  }

  // A well-behaved session that keeps going while the bad ones come and go.
  std::atomic<bool> bad_done{false};
  std::atomic<bool> good_ok{false};
  std::thread good([&] {
    conn c = connect_tcp("127.0.0.1", p.port());
    if (!c.valid()) return;
    const bytes unit = make_pdu_stream(50, 5);
    bytes echo_buf(unit.size());
    int rounds = 0;
    bool fine = true;
    while (fine && (!bad_done || rounds < 20)) {
      fine = c.write_all(unit) && c.read_exact(echo_buf.data(), echo_buf.size()) && echo_buf == unit;
      ++rounds;
    }
    c.shutdown_send();
    bool clean = false;
    const bytes rest = c.read_to_eof(&clean);
    good_ok = fine && clean && rest.empty();
  });

  std::vector<std::thread> senders;
  std::atomic<int> exact{0};
  for (std::size_t i = 0; i < bad.size(); ++i) {
    senders.emplace_back([&, i] {
      conn c = connect_tcp("127.0.0.1", p.port());
      if (c.valid() && exchange(c, bad[i], 50 + i) == bad[i]) ++exact;
    });
  }
  for (auto& t : senders) t.join();
  bad_done = true;
  good.join();
  EXPECT_EQ(exact.load(), static_cast<int>(bad.size()));
  EXPECT_TRUE(good_ok.load());

  // Still serving.
  conn again = connect_tcp("127.0.0.1", p.port());
  ASSERT_TRUE(again.valid());
  const bytes hello = make_pdu_stream(3, 1);
  EXPECT_EQ(exchange(again, hello, 1), hello);
}

TEST(relay, five_hundred_rapid_connect_close_cycles) {
  server smsc(echo_handler());
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  proxy p(opt);
  p.start();
  for (int i = 0; i < 500; ++i) {
    conn c = connect_tcp("127.0.0.1", p.port());
    ASSERT_TRUE(c.valid()) << "cycle " << i;
    switch (i % 4) {
      case 0: c.close(); break;
      case 1: c.reset(); break;
      case 2: {
        const std::uint8_t partial[] = {0, 0, 0, 0x10, 0, 0};
        c.write_all(partial, sizeof partial);
        c.close();
        break;
      }
      default: {
        const bytes e = pdu(0x15, static_cast<std::uint32_t>(i));
        c.write_all(e);
        c.reset();
        break;
      }
    }
  }
  EXPECT_TRUE(eventually([&] { return p.stats().active == 0; }, 20s)) << p.stats().active << " still active";
  EXPECT_EQ(p.stats().accepted, 500u);
  conn c = connect_tcp("127.0.0.1", p.port());
  ASSERT_TRUE(c.valid());
  const bytes data = make_pdu_stream(10, 3);
  EXPECT_EQ(exchange(c, data, 3), data);
}

TEST(relay, upstream_refused_closes_client_promptly_and_keeps_listening) {
  const std::uint16_t dead = unused_port();
  analysis::tap_queue q(1u << 20);
  log_sink logs;
  auto opt = local_options(dead, logs);
  opt.taps = {&q};
  proxy p(opt);
  p.start();

  for (int i = 0; i < 2; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    conn c = connect_tcp("127.0.0.1", p.port());
    ASSERT_TRUE(c.valid());
    std::uint8_t b[16];
    EXPECT_LE(c.read_some(b, sizeof b), 0);  // closed, nothing relayed
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  }
  const std::string want = "upstream 127.0.0.1:" + std::to_string(dead) + " connect failed: Connection refused";
  EXPECT_NE(logs.wait_for(want), "");
  EXPECT_TRUE(eventually([&] { return p.stats().upstream_failures == 2; }));
  EXPECT_EQ(p.stats().opened, 0u);

  int failures = 0;
  q.drain([&](const analysis::tap_record& r) {
    if (r.kind != record_kind::upstream_failure) return;
    ++failures;
    EXPECT_EQ(std::string(r.bytes.begin(), r.bytes.end()), want);
    EXPECT_EQ(r.upstream.port, 0);                 // never connected
    EXPECT_EQ(r.proxy_client_side.port, p.port());
  });
  EXPECT_EQ(failures, 2);
}

TEST(relay, upstream_connect_timeout) {
  // A listener that never accepts, with its queue filled, drops further SYNs: connect hangs.
  server stuck(nullptr, "127.0.0.1", nullptr, /*accept=*/false, /*backlog=*/0);
  std::vector<conn> fillers;
  for (int i = 0; i < 8; ++i) {
    conn f = connect_tcp("127.0.0.1", stuck.port(), 200ms);
    if (!f.valid()) break;
    fillers.push_back(std::move(f));
  }
  log_sink logs;
  auto opt = local_options(stuck.port(), logs);
  opt.connect_timeout = 300ms;
  proxy p(opt);
  p.start();
  const auto t0 = std::chrono::steady_clock::now();
  conn c = connect_tcp("127.0.0.1", p.port());
  ASSERT_TRUE(c.valid());
  std::uint8_t b[16];
  EXPECT_LE(c.read_some(b, sizeof b), 0);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  EXPECT_NE(logs.wait_for("connect failed: timed out after 0.3 s"), "");
}

TEST(relay, half_close_from_client_first) {
  const bytes request = make_pdu_stream(2000, 1);
  const bytes response = make_pdu_stream(20000, 2);
  bool server_saw_all = false;
  server smsc([&](conn& c) {
    bool clean = false;
    server_saw_all = c.read_to_eof(&clean) == request && clean;
    // Only now answer: the client has already half-closed.
    c.write_all(response);
    c.shutdown_send();
  });
  log_sink logs;
  proxy p(local_options(smsc.port(), logs));
  p.start();
  conn c = connect_tcp("127.0.0.1", p.port());
  ASSERT_TRUE(c.write_all(request));
  c.shutdown_send();
  bool clean = false;
  EXPECT_TRUE(c.read_to_eof(&clean) == response);
  EXPECT_TRUE(clean);
  smsc.wait_handlers();
  EXPECT_TRUE(server_saw_all);
  EXPECT_NE(logs.wait_for("client closed"), "");
}

TEST(relay, half_close_from_upstream_first) {
  const bytes greeting = make_pdu_stream(20000, 3);
  const bytes reply = make_pdu_stream(2000, 4);
  bool server_saw_all = false;
  server smsc([&](conn& c) {
    c.write_all(greeting);
    c.shutdown_send();
    bool clean = false;
    server_saw_all = c.read_to_eof(&clean) == reply && clean;
  });
  log_sink logs;
  proxy p(local_options(smsc.port(), logs));
  p.start();
  conn c = connect_tcp("127.0.0.1", p.port());
  bool clean = false;
  EXPECT_TRUE(c.read_to_eof(&clean) == greeting);  // upstream's FIN arrives...
  EXPECT_TRUE(clean);
  ASSERT_TRUE(c.write_all(reply));                  // ...and this direction still works
  c.shutdown_send();
  smsc.wait_handlers();
  EXPECT_TRUE(server_saw_all);
  EXPECT_NE(logs.wait_for("upstream closed"), "");
}

TEST(relay, allow_list_rejects_other_clients) {
  server smsc(echo_handler());
  {
    log_sink logs;
    auto opt = local_options(smsc.port(), logs);
    opt.allow.add(*cidr::parse("10.0.0.0/8"));
    opt.allow.add(*cidr::parse("::1/128"));
    proxy p(opt);
    p.start();
    conn c = connect_tcp("127.0.0.1", p.port());
    ASSERT_TRUE(c.valid());
    std::uint8_t b[16];
    EXPECT_LE(c.read_some(b, sizeof b), 0);
    EXPECT_NE(logs.wait_for("client 127.0.0.1:"), "");
    EXPECT_TRUE(logs.contains("rejected: not in the --allow list"));
    EXPECT_EQ(p.stats().rejected, 1u);
    EXPECT_EQ(smsc.accepted(), 0);
  }
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.allow.add(*cidr::parse("127.0.0.0/8"));
  proxy p(opt);
  p.start();
  conn c = connect_tcp("127.0.0.1", p.port());
  const bytes data = make_pdu_stream(10, 1);
  EXPECT_EQ(exchange(c, data, 1), data);
  EXPECT_EQ(p.stats().rejected, 0u);
}

bool ipv6_loopback_available() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

TEST(relay, ipv6_loopback_both_legs) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
  server smsc(echo_handler(), "::1");
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.listen = {"::1", 0};
  opt.upstream = {"::1", smsc.port()};
  opt.allow.add(*cidr::parse("::1"));
  proxy p(opt);
  p.start();
  ASSERT_EQ(p.listening().size(), 1u);
  EXPECT_EQ(p.listening()[0], "[::1]:" + std::to_string(p.port()));
  conn c = connect_tcp("::1", p.port());
  ASSERT_TRUE(c.valid());
  const bytes data = make_pdu_stream(500, 6);
  EXPECT_EQ(exchange(c, data, 6), data);
  EXPECT_NE(logs.wait_for("open -> upstream [::1]:" + std::to_string(smsc.port())), "");
}

TEST(relay, stop_ends_live_sessions_within_the_grace) {
  server smsc(echo_handler());
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.stop_grace = 500ms;
  opt.threads = 2;
  proxy p(opt);
  p.start();
  std::vector<conn> clients;
  for (int i = 0; i < 10; ++i) {
    clients.push_back(connect_tcp("127.0.0.1", p.port()));
    const bytes e = pdu(0x15, 1);
    ASSERT_TRUE(clients.back().write_all(e));
    std::uint8_t back[16];
    ASSERT_TRUE(clients.back().read_exact(back, 16));  // relaying
  }
  const auto t0 = std::chrono::steady_clock::now();
  p.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  for (auto& c : clients) {
    std::uint8_t b[16];
    EXPECT_LE(c.read_some(b, sizeof b), 0);
  }
  EXPECT_EQ(p.stats().active, 0u);
  EXPECT_NE(logs.wait_for("proxy shutdown"), "");
  EXPECT_FALSE(connect_tcp("127.0.0.1", p.port(), 500ms).valid());
}

TEST(relay, listen_port_in_use_is_a_clear_error) {
  server taken(echo_handler());
  log_sink logs;
  auto opt = local_options(taken.port(), logs);
  opt.listen = {"127.0.0.1", taken.port()};
  proxy p(opt);
  try {
    p.start();
    FAIL() << "start() should throw";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot listen on 127.0.0.1:" + std::to_string(taken.port()) + ": Address already in use");
  }
}

}  // namespace
}  // namespace smppscope::proxy::test

namespace smppscope::proxy::test {
namespace {

TEST(relay, close_line_names_the_system_id_from_the_capture_side) {
  server smsc([](conn& c) { c.read_to_eof(); });
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  std::atomic<std::uint64_t> asked{0};
  opt.system_id_of = [&](std::uint64_t id) {
    asked = id;
    return std::string("esme-7");
  };
  proxy p(opt);
  p.start();
  {
    conn c = connect_tcp("127.0.0.1", p.port());
    ASSERT_TRUE(c.write_all(bind_transceiver(1, "esme-7", "pw")));
  }
  const std::string line = logs.wait_for(" close -> ");
  EXPECT_NE(line.find("system_id esme-7: esme_to_smsc 1 PDUs"), std::string::npos) << line;
  EXPECT_EQ(asked.load(), 1u);
}

}  // namespace
}  // namespace smppscope::proxy::test

namespace smppscope::proxy::test {
namespace {

TEST(relay, two_thousand_concurrent_sessions) {
  // Each session holds three descriptors here (client, proxy's two). 2000 sessions need ~6500;
  // where the hard limit is lower, as many as fit (and at least 200, or the test is no test).
  const std::uint64_t fds = raise_fd_limit();
  const int n = static_cast<int>(std::min<std::uint64_t>(2000, fds > 500 ? (fds - 500) / 3 : 0));
  ASSERT_GE(n, 200) << "RLIMIT_NOFILE " << fds << " is too low for this test";
  if (n < 2000) std::cerr << "[ note ] RLIMIT_NOFILE " << fds << ": " << n << " sessions, not 2000\n";
  // The kernel completes upstream connects into the backlog; nobody needs to accept them.
  server smsc(nullptr, "127.0.0.1", nullptr, /*accept=*/false, /*backlog=*/4096);
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.threads = 2;
  opt.log = [](std::string_view) {};
  proxy p(opt);
  p.start();
  std::vector<conn> clients;
  clients.reserve(n);
  for (int i = 0; i < n; ++i) {
    clients.push_back(connect_tcp("127.0.0.1", p.port()));
    ASSERT_TRUE(clients.back().valid()) << i;
  }
  EXPECT_TRUE(eventually([&] { return p.stats().opened == static_cast<std::uint64_t>(n); }, 30s)) << p.stats().opened;
  EXPECT_EQ(p.stats().active, static_cast<std::uint64_t>(n));
  // Every client is relayed: its bytes reach the (unaccepted) upstream socket, then the client
  // half-closes. The upstream never closes its side, so the sessions stay half-open until stop()
  // ends them all.
  for (auto& c : clients) {
    ASSERT_TRUE(c.write_all(pdu(0x15, 1)));
    c.shutdown_send();
  }
  EXPECT_TRUE(eventually([&] { return p.stats().bytes_esme_to_smsc == 16u * n; }, 30s));
  EXPECT_EQ(p.stats().active, static_cast<std::uint64_t>(n));
  const auto t0 = std::chrono::steady_clock::now();
  p.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(p.stats().active, 0u);
  EXPECT_EQ(p.stats().closed, static_cast<std::uint64_t>(n));
  EXPECT_EQ(p.stats().bytes_esme_to_smsc, 16u * n);
  for (auto& c : clients) {
    std::uint8_t b[1];
    EXPECT_LE(c.read_some(b, 1), 0);
  }
}

}  // namespace
}  // namespace smppscope::proxy::test
