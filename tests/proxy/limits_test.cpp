// The relay's resource limits on loopback: session limits, idle and write timeouts, TCP keepalive
// against a peer that vanished (in a private network namespace), RAII accounting, log escaping.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "smppscope/proxy/proxy.hpp"
#include "test_support.hpp"

namespace smppscope::proxy::test {
namespace {

using namespace std::chrono_literals;


// A TCP connection from a chosen loopback source address (127.0.0.2 is another client host).
conn connect_from(const char* source, const char* host, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  conn c(fd);
  c.set_timeout(20s);
  sockaddr_in src{};
  src.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &src.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) return {};
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(port);
  ::inet_pton(AF_INET, host, &dst.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) return {};
  return c;
}

// One enquire_link through the proxy and back from the echo SMSC: the session is relaying.
bool round_trip(conn& c, std::uint32_t seq = 1) {
  const bytes e = pdu(0x15, seq);
  std::uint8_t back[16];
  return c.write_all(e) && c.read_exact(back, sizeof back) && bytes(back, back + 16) == e;
}

// The proxy closed the connection without relaying anything (EOF or reset).
bool closed_by_proxy(conn& c) {
  std::uint8_t b[16];
  return c.read_some(b, sizeof b) <= 0;
}

TEST(limits, max_sessions_refuses_the_next_connection_logs_and_counts_it) {
  server smsc(echo_handler());
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.max_sessions = 2;
  proxy p(opt);
  p.start();
  conn a = connect_tcp("127.0.0.1", p.port());
  conn b = connect_tcp("127.0.0.1", p.port());
  ASSERT_TRUE(round_trip(a));
  ASSERT_TRUE(round_trip(b));

  conn third = connect_tcp("127.0.0.1", p.port());
  ASSERT_TRUE(third.valid());
  EXPECT_TRUE(closed_by_proxy(third));
  EXPECT_NE(logs.wait_for("refused: max_sessions 2 reached"), "");
  EXPECT_EQ(p.stats().refused_max_sessions, 1u);
  EXPECT_EQ(p.stats().opened, 2u);
  EXPECT_TRUE(round_trip(a, 2));  // the admitted ones are untouched

  // A slot frees when a session ends.
  a.close();
  ASSERT_TRUE(eventually([&] { return p.stats().active == 1; }));
  conn fourth = connect_tcp("127.0.0.1", p.port());
  EXPECT_TRUE(round_trip(fourth));
  EXPECT_EQ(p.stats().refused_max_sessions, 1u);
}

TEST(limits, max_sessions_per_ip_refuses_one_address_not_another) {
  server smsc(echo_handler());
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.max_sessions_per_ip = 2;
  proxy p(opt);
  p.start();
  conn a1 = connect_from("127.0.0.1", "127.0.0.1", p.port());
  conn a2 = connect_from("127.0.0.1", "127.0.0.1", p.port());
  ASSERT_TRUE(round_trip(a1));
  ASSERT_TRUE(round_trip(a2));
  conn a3 = connect_from("127.0.0.1", "127.0.0.1", p.port());
  ASSERT_TRUE(a3.valid());
  EXPECT_TRUE(closed_by_proxy(a3));
  EXPECT_NE(logs.wait_for("refused: max_sessions_per_ip 2 reached for 127.0.0.1"), "");

  conn other = connect_from("127.0.0.2", "127.0.0.1", p.port());
  ASSERT_TRUE(other.valid());
  EXPECT_TRUE(round_trip(other));  // another address has its own allowance
  EXPECT_EQ(p.stats().refused_per_ip, 1u);
  EXPECT_EQ(p.stats().refused_max_sessions, 0u);

  a1.close();
  ASSERT_TRUE(eventually([&] { return p.stats().active == 2; }));
  conn a4 = connect_from("127.0.0.1", "127.0.0.1", p.port());
  EXPECT_TRUE(round_trip(a4));
  EXPECT_EQ(p.stats().refused_per_ip, 1u);
}

TEST(limits, refusals_in_a_burst_are_logged_at_most_once_a_second) {
  server smsc(echo_handler());
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.max_sessions = 1;
  proxy p(opt);
  p.start();
  conn held = connect_tcp("127.0.0.1", p.port());
  ASSERT_TRUE(round_trip(held));
  for (int i = 0; i < 50; ++i) {
    conn c = connect_tcp("127.0.0.1", p.port());
    EXPECT_TRUE(closed_by_proxy(c));
  }
  ASSERT_TRUE(eventually([&] { return p.stats().refused_max_sessions == 50; }));
  int lines = 0;
  for (const auto& l : logs.lines()) lines += l.find("refused:") != std::string::npos;
  EXPECT_GE(lines, 1);
  EXPECT_LT(lines, 20);  // one a second at most; the burst took far less than 20 s
}

TEST(limits, a_throwing_callback_leaves_no_session_behind) {
  server smsc(echo_handler());
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.system_id_of = [](std::uint64_t) -> std::string { throw std::runtime_error("lookup broke"); };
  opt.stop_grace = 200ms;
  proxy p(opt);
  p.start();
  for (int i = 0; i < 3; ++i) {
    conn c = connect_tcp("127.0.0.1", p.port());
    ASSERT_TRUE(round_trip(c));
  }
  EXPECT_NE(logs.wait_for("system_id lookup failed: lookup broke"), "");
  EXPECT_TRUE(eventually([&] { return p.stats().active == 0 && p.stats().closed == 3; }));
  EXPECT_NE(logs.wait_for("close -> upstream"), "");

  // A callback that throws on a path with no handler: the session list and the counters must
  // still be right (stop() walks the list; a dangling entry would be a use after free).
  log_sink logs2;
  auto opt2 = local_options(smsc.port(), logs2);
  std::atomic<int> calls{0};
  opt2.log = [&](std::string_view line) {
    if (line.find(" open -> ") != std::string::npos && calls.fetch_add(1) == 0) throw std::runtime_error("log broke");
    logs2.fn()(line);
  };
  proxy p2(opt2);
  p2.start();
  conn broken = connect_tcp("127.0.0.1", p2.port());
  EXPECT_TRUE(closed_by_proxy(broken));
  EXPECT_TRUE(eventually([&] { return p2.stats().active == 0; })) << p2.stats().active;
  conn live = connect_tcp("127.0.0.1", p2.port());
  ASSERT_TRUE(round_trip(live));
  EXPECT_EQ(p2.stats().active, 1u);
  p2.stop();
  EXPECT_EQ(p2.stats().active, 0u);
}

TEST(timeouts, idle_timeout_ends_a_quiet_session_and_not_a_chatty_one) {
  server smsc(echo_handler());
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.idle_timeout = 1s;
  proxy p(opt);
  p.start();
  conn quiet = connect_tcp("127.0.0.1", p.port());
  conn chatty = connect_tcp("127.0.0.1", p.port());
  ASSERT_TRUE(round_trip(quiet));
  const auto t0 = std::chrono::steady_clock::now();
  // The chatty one sends an enquire_link every 100 ms for 3 s: three idle periods.
  std::uint32_t seq = 1;
  while (std::chrono::steady_clock::now() - t0 < 3s) {
    ASSERT_TRUE(round_trip(chatty, ++seq)) << "chatty session cut after " << (std::chrono::steady_clock::now() - t0).count() / 1e9 << " s";
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(closed_by_proxy(quiet));
  const std::string line = logs.wait_for("idle timeout after 1 s");
  EXPECT_NE(line, "");
  EXPECT_NE(line.find("session 1 "), std::string::npos) << line;
  EXPECT_EQ(p.stats().idle_timeouts, 1u);
  EXPECT_TRUE(round_trip(chatty, ++seq));
  EXPECT_EQ(p.stats().active, 1u);
  // Then the chatty one falls quiet, and goes too.
  const auto quiet_since = std::chrono::steady_clock::now();
  EXPECT_TRUE(closed_by_proxy(chatty));
  EXPECT_GE(std::chrono::steady_clock::now() - quiet_since, 900ms);
  EXPECT_TRUE(eventually([&] { return p.stats().idle_timeouts == 2; }));
}

// An SMSC that sends without pause and never reads, until the connection breaks. Counts octets.
struct firehose {
  std::atomic<std::uint64_t> sent{0};
  std::atomic<bool> broke{false};
  server::handler handler() {
    return [this](conn& c) {
      const bytes chunk = make_pdu_stream(200, 9);
      c.set_timeout(60s);
      while (c.write_all(chunk)) sent += chunk.size();
      broke = true;
    };
  }
};

TEST(timeouts, write_timeout_cuts_a_client_that_stops_reading_with_bounded_memory) {
  firehose smsc_side;
  server smsc(smsc_side.handler());
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.write_timeout = 500ms;
  proxy p(opt);
  p.start();
  conn c = connect_tcp("127.0.0.1", p.port());  // connects, then never reads
  ASSERT_TRUE(c.valid());
  const std::string line = logs.wait_for("client not reading: write timed out after 0.5 s", 20s);
  EXPECT_NE(line, "");
  EXPECT_EQ(p.stats().write_timeouts, 1u);
  // The SMSC's writes fail once the proxy closed the upstream leg: nothing piled up anywhere but
  // in the kernel's socket buffers and the proxy's fixed per-direction buffer.
  EXPECT_TRUE(eventually([&] { return smsc_side.broke.load(); }, 20s));
  EXPECT_LT(p.stats().bytes_smsc_to_esme, 64u << 20);
  EXPECT_LT(smsc_side.sent.load(), 128u << 20);
  EXPECT_TRUE(eventually([&] { return p.stats().active == 0; }));
}

TEST(timeouts, write_timeout_cuts_an_upstream_that_stops_reading) {
  std::atomic<bool> release{false};
  server smsc([&](conn& c) {  // accepts, never reads, until told
    while (!release) std::this_thread::sleep_for(10ms);
    c.read_to_eof();
  });
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  opt.write_timeout = 500ms;
  proxy p(opt);
  p.start();
  conn c = connect_tcp("127.0.0.1", p.port());
  ASSERT_TRUE(c.valid());
  c.set_timeout(30s);
  std::atomic<bool> writer_done{false};
  std::thread writer([&] {
    const bytes chunk = make_pdu_stream(200, 4);
    while (c.write_all(chunk)) {
    }
    writer_done = true;
  });
  const std::string line = logs.wait_for("upstream not reading: write timed out after 0.5 s", 20s);
  EXPECT_NE(line, "");
  EXPECT_TRUE(eventually([&] { return writer_done.load(); }, 40s));  // the client's writes fail too
  release = true;
  writer.join();
  EXPECT_EQ(p.stats().write_timeouts, 1u);
  EXPECT_LT(p.stats().bytes_esme_to_smsc, 64u << 20);
}

TEST(logs, a_system_id_with_control_characters_reaches_the_close_line_escaped) {
  server smsc([](conn& c) { c.read_to_eof(); });
  log_sink logs;
  auto opt = local_options(smsc.port(), logs);
  const std::string evil = "esme\x1b[2J\x1b[31mred\r\nsession 99 close -> forged\x07\x7f\xff\xc2\x9b" "end\\";
  opt.system_id_of = [&](std::uint64_t) { return evil; };
  proxy p(opt);
  p.start();
  {
    conn c = connect_tcp("127.0.0.1", p.port());
    ASSERT_TRUE(c.write_all(pdu(0x15, 1)));
  }
  const std::string line = logs.wait_for(" close -> upstream");
  ASSERT_NE(line, "");
  EXPECT_NE(line.find("system_id esme\\x1b[2J\\x1b[31mred\\x0d\\x0asession 99 close -> forged\\x07\\x7f\\xff\\xc2\\x9bend\\\\:"),
            std::string::npos)
      << line;
  for (const auto& l : logs.lines())
    for (const unsigned char ch : l) EXPECT_TRUE(ch >= 0x20 && ch != 0x7f) << "raw octet " << int(ch) << " in: " << l;
}

// ---- keepalive against a half-open peer --------------------------------------------------------
//
// A peer that vanishes without FIN or RST (power cut, a NAT that dropped the flow) is simulated
// in a private network namespace: a blackhole route rule for one loopback address swallows every
// packet sent to it, so the proxy's keepalive probes on that leg go unanswered. Without keepalive
// the session would stay open forever.

// Runs `scenario` on a thread of its own inside a fresh network namespace (threads it starts
// share it). Returns "" or why it could not run.
std::string in_private_netns(const std::function<void()>& scenario) {
  std::string why;
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      why = std::string("cannot create a network namespace (needs CAP_SYS_ADMIN): ") + std::strerror(errno);
      return;
    }
    if (std::system("ip link set lo up >/dev/null 2>&1") != 0) {
      why = "cannot bring up lo in the namespace (is iproute2's `ip` installed?)";
      return;
    }
    scenario();
  });
  t.join();
  return why;
}

// Every packet sent to `addr` from now on is dropped (the local rule moves behind the blackhole).
bool blackhole(const std::string& addr) {
  const std::string cmd = "ip rule add pref 100 lookup local && ip rule del pref 0 && ip rule add pref 10 to " + addr +
                          " blackhole";
  return std::system(cmd.c_str()) == 0;
}

proxy_options keepalive_options(std::uint16_t upstream_port, log_sink& logs) {
  auto opt = local_options(upstream_port, logs);
  opt.keepalive = {std::chrono::seconds(1), std::chrono::seconds(1), 2};
  opt.write_timeout = {};  // only keepalive can end these sessions
  opt.idle_timeout = {};
  return opt;
}

TEST(keepalive, a_vanished_client_ends_its_session) {
  bool ran = false;
  const std::string why = in_private_netns([&] {
    server smsc(echo_handler(), "127.0.0.1");
    log_sink logs;
    auto opt = keepalive_options(smsc.port(), logs);
    opt.listen = {"127.0.0.2", 0};
    proxy p(opt);
    p.start();
    conn c = connect_tcp("127.0.0.2", p.port());
    ASSERT_TRUE(round_trip(c));
    ASSERT_TRUE(blackhole("127.0.0.2"));  // the client's packets to the proxy vanish
    ran = true;
    const auto t0 = std::chrono::steady_clock::now();
    const std::string line = logs.wait_for(" close -> ", 30s);
    EXPECT_NE(line.find("client read failed: Connection timed out"), std::string::npos) << line;
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 1500ms);  // idle 1 s + 2 probes 1 s apart
    EXPECT_TRUE(eventually([&] { return p.stats().active == 0; }));
  });
  if (!why.empty()) GTEST_SKIP() << why;
  EXPECT_TRUE(ran);
}

TEST(keepalive, a_vanished_upstream_ends_its_session) {
  bool ran = false;
  const std::string why = in_private_netns([&] {
    server smsc(echo_handler(), "127.0.0.3");
    log_sink logs;
    auto opt = keepalive_options(smsc.port(), logs);
    opt.upstream = {"127.0.0.3", smsc.port()};
    proxy p(opt);
    p.start();
    conn c = connect_tcp("127.0.0.1", p.port());
    ASSERT_TRUE(round_trip(c));
    ASSERT_TRUE(blackhole("127.0.0.3"));  // the proxy's packets to the SMSC vanish
    ran = true;
    const std::string line = logs.wait_for(" close -> ", 30s);
    EXPECT_NE(line.find("upstream read failed: Connection timed out"), std::string::npos) << line;
    EXPECT_TRUE(closed_by_proxy(c));  // and the client is told
  });
  if (!why.empty()) GTEST_SKIP() << why;
  EXPECT_TRUE(ran);
}

TEST(keepalive, without_it_the_vanished_client_session_stays_open) {
  // The control for the two tests above: the blackhole alone does not end a session.
  bool ran = false;
  const std::string why = in_private_netns([&] {
    server smsc(echo_handler(), "127.0.0.1");
    log_sink logs;
    auto opt = keepalive_options(smsc.port(), logs);
    opt.keepalive.idle = {};  // off
    opt.listen = {"127.0.0.2", 0};
    proxy p(opt);
    p.start();
    conn c = connect_tcp("127.0.0.2", p.port());
    ASSERT_TRUE(round_trip(c));
    ASSERT_TRUE(blackhole("127.0.0.2"));
    ran = true;
    EXPECT_EQ(logs.wait_for(" close -> ", 5s), "") << "closed without keepalive: the namespace test proves nothing";
    EXPECT_EQ(p.stats().active, 1u);
  });
  if (!why.empty()) GTEST_SKIP() << why;
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace smppscope::proxy::test
