// One bad header from the SMSC (command_length 8), through the real proxy, while the SMSC goes
// on answering every request: decoding resumes at the next PDU, the request tracking stays
// honest, and nothing is blamed on the SMSC but the malformed header itself.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "diag_test_util.hpp"
#include "smppscope/analysis/tap.hpp"
#include "smppscope/decoder/framer.hpp"
#include "smppscope/proxy/proxy.hpp"

using namespace diag_test;
namespace sp = smppscope::proxy;
using clk = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

void send_all(int fd, const bytes& b) {
  std::size_t off = 0;
  while (off < b.size()) {
    const ssize_t n = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

bytes cat(const bytes& a, const bytes& b) {
  bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// A scripted SMSC on a loopback socket: answers every request of the one client it accepts;
// before the answer to `bad_before_seq` it writes a 16-octet header claiming command_length 8.
class scripted_smsc {
 public:
  explicit scripted_smsc(std::uint32_t bad_before_seq) : bad_before_(bad_before_seq) {
    lfd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(lfd_, 1) != 0)
      throw std::runtime_error("listen");
    socklen_t len = sizeof a;
    ::getsockname(lfd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~scripted_smsc() {
    ::shutdown(lfd_, SHUT_RDWR);
    if (const int fd = fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
    thread_.join();
    ::close(lfd_);
    if (fd_ >= 0) ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  void run() {
    const int fd = ::accept(lfd_, nullptr, nullptr);
    if (fd < 0) return;
    fd_ = fd;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sd::framer fr;
    std::uint8_t buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      fr.feed({buf, static_cast<std::size_t>(n)}, [&](std::span<const std::uint8_t> frame) {
        const sd::header h = sd::read_header(frame);
        bytes answer;
        switch (static_cast<sd::command_id>(h.command_id)) {
          case sd::command_id::bind_transceiver: answer = bind_resp(h.sequence_number); break;
          case sd::command_id::enquire_link: answer = enquire_resp(h.sequence_number); break;
          case sd::command_id::submit_sm: answer = submit_resp(h.sequence_number, 0, "m" + std::to_string(h.sequence_number)); break;
          default: return;
        }
        if (h.sequence_number == bad_before_)  // the SMSC's bug, in the same write as the answer
          answer = cat(bytes{0, 0, 0, 8, 0x80, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 0x63}, answer);
        send_all(fd, answer);
      });
    }
  }
  std::uint32_t bad_before_;
  int lfd_ = -1;
  std::atomic<int> fd_{-1};
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// The ESME: sends requests and collects answers with a resynchronising framer of its own.
class client {
 public:
  explicit client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
    reader_ = std::thread([this] {
      sd::framer fr(sd::default_max_pdu, sd::framer_mode::resync);
      std::uint8_t buf[65536];
      for (;;) {
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return;
        fr.feed({buf, static_cast<std::size_t>(n)}, [&](std::span<const std::uint8_t> f) {
          const std::lock_guard lock(mu_);
          answered_.insert(sd::read_header(f).sequence_number);
        });
      }
    });
  }
  ~client() {
    ::shutdown(fd_, SHUT_RDWR);
    reader_.join();
    ::close(fd_);
  }
  void send(const bytes& b) { send_all(fd_, b); }
  bool answered(std::uint32_t seq, clk::duration within = 3s) {
    const auto deadline = clk::now() + within;
    while (clk::now() < deadline) {
      {
        const std::lock_guard lock(mu_);
        if (answered_.count(seq)) return true;
      }
      std::this_thread::sleep_for(2ms);
    }
    return false;
  }

 private:
  int fd_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::set<std::uint32_t> answered_;
};

}  // namespace

TEST(ResyncIntegration, OneBadHeaderFromTheSmscBlamesNothingElseAndDecodingResumes) {
  constexpr std::uint32_t bad_before = 5, last = 20;
  scripted_smsc smsc(bad_before);
  sc::tap_queue queue{1u << 20};
  sc::event_ring ring;
  sc::session_table sessions;
  sc::analyzer_options ao;
  ao.tick_interval_us = 20'000;
  sc::analyzer an(ring, sessions, ao);
  dg::diag_options o;
  o.window = 5;
  o.window_stall_us = 300'000;
  o.response_timeout_us = 300'000;
  o.enquire_link_timeout_us = 300'000;
  o.request_expiry_us = 5'000'000;
  o.quiet_period_us = 60'000'000;
  dg::diagnostics diag(o, dg::null_alert_logger());
  an.add_queue(queue);
  an.add_observer(diag);
  an.start();
  sp::proxy_options po;
  po.listen = {"127.0.0.1", 0};
  po.upstream = {"127.0.0.1", smsc.port()};
  po.taps = {&queue};
  po.log = [](std::string_view) {};
  sp::proxy px(po);
  px.start();
  {
    client c(px.port());
    c.send(bind_trx(1));
    ASSERT_TRUE(c.answered(1));
    // Requests in flight: several unanswered at the moment the bad header arrives.
    for (std::uint32_t s = 2; s <= last; ++s) {
      c.send(s % 4 == 0 ? enquire(s) : submit(s));
      if (s % 3 == 0) ASSERT_TRUE(c.answered(s)) << s;
    }
    for (std::uint32_t s = 2; s <= last; ++s) ASSERT_TRUE(c.answered(s)) << "the SMSC answered " << s;
    // Long past every timeout: nothing may be overdue.
    std::this_thread::sleep_for(1s);
    const auto snap = sessions.snapshot();
    ASSERT_EQ(snap.size(), 1u);
    const auto& s = snap[0];
    EXPECT_EQ(s.outstanding_esme_to_smsc, 0u);
    EXPECT_EQ(s.outstanding_smsc_to_esme, 0u);
    EXPECT_EQ(s.pdus_in, last);
    EXPECT_EQ(s.pdus_out, last) << "decoding of the SMSC's direction resumed after the bad header";
    EXPECT_EQ(s.skipped_bytes[1], 16u);
    EXPECT_FALSE(s.lossy());
    bool malformed = false;
    for (const auto& a : s.alerts) {
      if (a.kind == "malformed") {
        malformed = true;
        EXPECT_NE(a.message.find("smsc_to_esme out of sync: command_length 8"), std::string::npos) << a.message;
        continue;
      }
      ADD_FAILURE() << "false alert: " << a.kind << ": " << a.message;
    }
    EXPECT_TRUE(malformed) << "the bad header itself is reported";
    const auto mal = ring.read_since(0, 100, [](const sc::event_info& i) { return i.type == sc::event_type::malformed; });
    ASSERT_EQ(mal.size(), 1u);
    const std::string j = sc::event_json(mal[0]);
    EXPECT_NE(j.find("\"skipped\":16"), std::string::npos) << j;
    EXPECT_NE(j.find("\"resynced\":true"), std::string::npos) << j;
  }
  px.stop();
  an.stop();
}
