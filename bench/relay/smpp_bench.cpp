// Load generator and sink SMSC for bench/relay/run.sh (not a test).
//
//   smpp_bench sink --port P [--receipts 0|1]
//       one thread, epoll: answers bind_*, unbind, enquire_link and submit_sm (in order, batched
//       per read); with --receipts 1 (default) each submit_sm_resp is followed by a delivery
//       receipt (deliver_sm, esm_class 0x04, receipt text and TLVs) naming its message id
//   smpp_bench load --target HOST:PORT [--conns C] [--window W] [--count N]
//       per connection (one thread each): bind_transceiver, then keeps W submit_sm outstanding
//       until N/C are answered, answering every deliver_sm with deliver_sm_resp; ends when every
//       submit has its response and its receipt. Prints one line:
//       submits=.. receipts=.. secs=.. rate=.. p50_us=.. p99_us=.. p999_us=.. max_us=..
//       (rate: submits/s; latency: submit_sm -> submit_sm_resp)
//   smpp_bench idle --target HOST:PORT --sessions N
//       opens N connections and binds each (bind_transceiver), prints "ready N", then holds them
//       idle until stdin closes or SIGTERM
//
// Standard library and POSIX only, so the numbers measure the relay, not this tool.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}
void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  const std::uint8_t x[4] = {std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)};
  b.insert(b.end(), x, x + 4);
}
void append_pdu(std::vector<std::uint8_t>& out, std::uint32_t id, std::uint32_t seq, const std::uint8_t* body,
                std::size_t n) {
  put32(out, static_cast<std::uint32_t>(16 + n));
  put32(out, id);
  put32(out, 0);
  put32(out, seq);
  out.insert(out.end(), body, body + n);
}
void append_cstr(std::vector<std::uint8_t>& b, const char* s) {
  b.insert(b.end(), s, s + std::strlen(s) + 1);
}

bool write_all(int fd, const std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

[[noreturn]] void die(const std::string& m) {
  std::fprintf(stderr, "smpp_bench: %s\n", m.c_str());
  std::exit(2);
}

// ---- sink ----------------------------------------------------------------------------------

struct sink_conn {
  std::vector<std::uint8_t> partial;  // bytes of a PDU split across reads
  std::uint64_t next_id = 0;          // message ids handed out on this connection
  std::uint32_t next_seq = 1;         // our own requests (deliver_sm)
  unsigned index = 0;
};

// submit_sm_resp and, with receipts, deliver_sm for one submit.
void answer_submit(sink_conn& c, std::uint32_t seq, bool receipts, std::vector<std::uint8_t>& out) {
  char id[24];
  std::snprintf(id, sizeof id, "%04x%012llx", c.index & 0xffff, static_cast<unsigned long long>(c.next_id++));
  std::vector<std::uint8_t> body;
  append_cstr(body, id);
  append_pdu(out, 0x80000004, seq, body.data(), body.size());
  if (!receipts) return;
  body.clear();
  body.push_back(0);  // service_type
  body.insert(body.end(), {1, 1});
  append_cstr(body, "447700900456");
  body.insert(body.end(), {1, 1});
  append_cstr(body, "447700900123");
  body.insert(body.end(), {0x04, 0, 0, 0, 0, 0, 0, 0, 0});  // esm_class receipt .. sm_default_msg_id
  char text[200];
  const int n = std::snprintf(text, sizeof text,
                              "id:%s sub:001 dlvrd:001 submit date:2611221000 done date:2611221000 "
                              "stat:DELIVRD err:000 text:aaaaaaaaaaaaaaaaaaaa",
                              id);
  body.push_back(static_cast<std::uint8_t>(n));
  body.insert(body.end(), text, text + n);
  const std::size_t idlen = std::strlen(id) + 1;
  body.insert(body.end(), {0x00, 0x1E, 0x00, static_cast<std::uint8_t>(idlen)});  // receipted_message_id
  body.insert(body.end(), id, id + idlen);
  body.insert(body.end(), {0x04, 0x27, 0x00, 0x01, 0x02});  // message_state DELIVERED
  append_pdu(out, 0x00000005, c.next_seq++, body.data(), body.size());
}

// Answers every complete PDU in [p, p+n); returns the octets consumed, or SIZE_MAX on garbage.
std::size_t sink_parse(sink_conn& c, const std::uint8_t* p, std::size_t n, bool receipts,
                       std::vector<std::uint8_t>& out) {
  static const std::uint8_t system_id[] = {'s', 'i', 'n', 'k', 0};
  std::size_t at = 0;
  while (n - at >= 16) {
    const std::uint32_t len = be32(p + at);
    if (len < 16 || len > (1u << 20)) return SIZE_MAX;
    if (n - at < len) break;
    const std::uint32_t id = be32(p + at + 4);
    const std::uint32_t seq = be32(p + at + 12);
    if (id == 0x04) answer_submit(c, seq, receipts, out);
    else if (id == 0x01 || id == 0x02 || id == 0x09) append_pdu(out, 0x80000000 | id, seq, system_id, sizeof system_id);
    else if (id == 0x06) append_pdu(out, 0x80000006, seq, nullptr, 0);
    else if (id == 0x15) append_pdu(out, 0x80000015, seq, nullptr, 0);
    at += len;
  }
  return at;
}

int run_sink(int port, bool receipts) {
  const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 4096) != 0)
    die("sink: cannot listen on 127.0.0.1:" + std::to_string(port));
  const int ep = ::epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = l;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
  std::fprintf(stderr, "sink listening on 127.0.0.1:%d\n", port);
  std::unordered_map<int, sink_conn> conns;
  std::vector<std::uint8_t> in(1 << 20), out;
  out.reserve(1 << 20);
  unsigned accepted = 0;
  epoll_event evs[256];
  for (;;) {
    const int k = ::epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < k; ++i) {
      const int fd = evs[i].data.fd;
      if (fd == l) {
        for (;;) {
          const int c = ::accept4(l, nullptr, nullptr, 0);  // blocking: replies are written whole
          if (c < 0) break;
          ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          conns[c].index = accepted++;
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      sink_conn& c = conns[fd];
      const ssize_t n = ::recv(fd, in.data(), in.size(), MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      bool bad = n <= 0;
      out.clear();
      if (!bad) {
        const std::uint8_t* p = in.data();
        std::size_t len = static_cast<std::size_t>(n);
        if (!c.partial.empty()) {
          c.partial.insert(c.partial.end(), p, p + len);
          p = c.partial.data();
          len = c.partial.size();
        }
        const std::size_t used = sink_parse(c, p, len, receipts, out);
        if (used == SIZE_MAX) {
          bad = true;
        } else if (!c.partial.empty()) {
          c.partial.erase(c.partial.begin(), c.partial.begin() + static_cast<std::ptrdiff_t>(used));
        } else {
          c.partial.assign(p + used, p + len);
        }
      }
      if (!bad && !out.empty()) bad = !write_all(fd, out.data(), out.size());
      if (bad) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        conns.erase(fd);
      }
    }
  }
}

// ---- load ----------------------------------------------------------------------------------

struct conn_result {
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t receipts = 0;
  bool ok = false;
};

int dial(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return -1;
  int fd = -1;
  for (auto* r = res; r; r = r->ai_next) {
    fd = ::socket(r->ai_family, SOCK_STREAM, 0);
    if (::connect(fd, r->ai_addr, r->ai_addrlen) == 0) break;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd >= 0) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

const std::uint8_t bind_body[] = {'b', 'e', 'n', 'c', 'h', 0, 'p', 'w', 0, 0, 0x34, 0, 0, 0};

void load_one(const std::string& host, const std::string& port, std::uint64_t count, std::uint32_t window,
              conn_result& r) {
  const int fd = dial(host, port);
  if (fd < 0) return;
  std::vector<std::uint8_t> out;
  append_pdu(out, 0x09, 1, bind_body, sizeof bind_body);
  if (!write_all(fd, out.data(), out.size())) return;
  std::vector<std::uint8_t> in(1 << 20);
  std::size_t have = 0;
  // submit_sm, 140-octet message, registered_delivery 1: a typical size on the wire (~190 octets).
  std::vector<std::uint8_t> submit_body = {0, 1, 1};
  for (char c : std::string("447700900123")) submit_body.push_back(static_cast<std::uint8_t>(c));
  submit_body.insert(submit_body.end(), {0, 1, 1});
  for (char c : std::string("447700900456")) submit_body.push_back(static_cast<std::uint8_t>(c));
  submit_body.insert(submit_body.end(), {0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 140});
  for (int i = 0; i < 140; ++i) submit_body.push_back(static_cast<std::uint8_t>('a' + i % 26));
  static const std::uint8_t empty_id[1] = {0};

  std::vector<clock_type::time_point> sent(count + 2);
  r.latencies_us.reserve(count);
  std::uint64_t next_seq = 2, answered = 0;
  bool bound = false;
  out.clear();
  while (answered < count || r.receipts < count) {
    const clock_type::time_point now = clock_type::now();
    while (bound && next_seq - 2 < count && next_seq - 2 - answered < window) {
      sent[next_seq] = now;
      append_pdu(out, 0x04, static_cast<std::uint32_t>(next_seq), submit_body.data(), submit_body.size());
      ++next_seq;
    }
    if (!out.empty() && !write_all(fd, out.data(), out.size())) return;
    out.clear();
    const ssize_t n = ::recv(fd, in.data() + have, in.size() - have, 0);
    if (n <= 0) return;
    have += static_cast<std::size_t>(n);
    const clock_type::time_point got = clock_type::now();
    std::size_t at = 0;
    while (have - at >= 16) {
      const std::uint32_t len = be32(&in[at]);
      if (len < 16 || len > in.size()) return;
      if (have - at < len) break;
      const std::uint32_t id = be32(&in[at + 4]);
      const std::uint32_t seq = be32(&in[at + 12]);
      if (id == 0x80000009) {
        bound = true;
      } else if (id == 0x80000004 && seq >= 2 && seq < next_seq) {
        r.latencies_us.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(got - sent[seq]).count()));
        ++answered;
      } else if (id == 0x05) {
        ++r.receipts;
        append_pdu(out, 0x80000005, seq, empty_id, sizeof empty_id);  // sent with the next submits
      }
      at += len;
    }
    std::memmove(in.data(), in.data() + at, have - at);
    have -= at;
  }
  static const std::uint8_t none[1] = {0};
  append_pdu(out, 0x06, static_cast<std::uint32_t>(next_seq), none, 0);  // unbind
  write_all(fd, out.data(), out.size());
  ::shutdown(fd, SHUT_WR);
  while (::recv(fd, in.data(), in.size(), 0) > 0) {
  }
  ::close(fd);
  r.ok = true;
}

std::pair<std::string, std::string> split_target(const std::string& target) {
  const auto colon = target.rfind(':');
  if (colon == std::string::npos) die("--target must be HOST:PORT");
  return {target.substr(0, colon), target.substr(colon + 1)};
}

int run_load(const std::string& target, unsigned conns, std::uint32_t window, std::uint64_t count) {
  const auto [host, port] = split_target(target);
  std::vector<conn_result> results(conns);
  std::vector<std::thread> threads;
  const auto t0 = clock_type::now();
  for (unsigned i = 0; i < conns; ++i)
    threads.emplace_back([&, i] { load_one(host, port, count / conns, window, results[i]); });
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::vector<std::uint32_t> all;
  std::uint64_t receipts = 0;
  for (auto& r : results) {
    if (!r.ok) die("a connection failed before all its PDUs were answered");
    all.insert(all.end(), r.latencies_us.begin(), r.latencies_us.end());
    receipts += r.receipts;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0u : all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))]; };
  std::printf("submits=%zu receipts=%llu secs=%.3f rate=%.0f p50_us=%u p99_us=%u p999_us=%u max_us=%u\n", all.size(),
              static_cast<unsigned long long>(receipts), secs, static_cast<double>(all.size()) / secs, pct(0.50),
              pct(0.99), pct(0.999), all.empty() ? 0u : all.back());
  return 0;
}

int run_idle(const std::string& target, unsigned sessions) {
  const auto [host, port] = split_target(target);
  std::vector<int> fds;
  std::vector<std::uint8_t> out;
  std::uint8_t in[256];
  for (unsigned i = 0; i < sessions; ++i) {
    const int fd = dial(host, port);
    if (fd < 0) die("idle: connect failed after " + std::to_string(i) + " sessions");
    out.clear();
    append_pdu(out, 0x09, 1, bind_body, sizeof bind_body);
    if (!write_all(fd, out.data(), out.size())) die("idle: bind not sent");
    std::size_t have = 0;
    while (have < 16 || have < be32(in)) {
      const ssize_t n = ::recv(fd, in + have, sizeof in - have, 0);
      if (n <= 0) die("idle: no bind_transceiver_resp on session " + std::to_string(i));
      have += static_cast<std::size_t>(n);
    }
    fds.push_back(fd);
  }
  std::printf("ready %u\n", sessions);
  std::fflush(stdout);
  char c;
  while (::read(0, &c, 1) > 0) {
  }
  for (int fd : fds) ::close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2)
    die("usage: smpp_bench sink --port P [--receipts 0|1] | load --target HOST:PORT [--conns C] [--window W] "
        "[--count N] | idle --target HOST:PORT --sessions N");
  const std::string mode = argv[1];
  std::string target;
  int port = 0;
  unsigned conns = 1, sessions = 1;
  bool receipts = true;
  std::uint32_t window = 64;
  std::uint64_t count = 100000;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") port = std::atoi(v.c_str());
    else if (k == "--target") target = v;
    else if (k == "--conns") conns = static_cast<unsigned>(std::max(1, std::atoi(v.c_str())));
    else if (k == "--sessions") sessions = static_cast<unsigned>(std::max(1, std::atoi(v.c_str())));
    else if (k == "--window") window = static_cast<std::uint32_t>(std::max(1, std::atoi(v.c_str())));
    else if (k == "--count") count = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--receipts") receipts = std::atoi(v.c_str()) != 0;
    else die("unknown option " + k);
  }
  if (mode == "sink") return run_sink(port, receipts);
  if (mode == "load") return run_load(target, conns, window, count);
  if (mode == "idle") return run_idle(target, sessions);
  die("unknown mode " + mode);
}
