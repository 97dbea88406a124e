// Load generator and sink SMSC for bench/relay/run.sh (not a test).
//
//   smpp_bench sink --port P
//       answers bind_* and submit_sm (in order, batched per read); one thread per connection
//   smpp_bench load --target HOST:PORT [--conns C] [--window W] [--count N]
//       per connection: bind_transceiver, then keeps W submit_sm outstanding until N are answered;
//       prints one line: pdus=.. secs=.. rate=.. p50_us=.. p99_us=.. max_us=..
//
// Standard library and POSIX only, so the numbers measure the relay, not this tool.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
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

void serve(int fd) {
  std::vector<std::uint8_t> in(1 << 20);
  std::size_t have = 0;
  std::vector<std::uint8_t> out;
  out.reserve(1 << 20);
  static const std::uint8_t message_id[] = {'m', 's', 'g', '0', '0', '0', '0', '1', 0};
  static const std::uint8_t system_id[] = {'s', 'i', 'n', 'k', 0};
  for (;;) {
    const ssize_t n = ::recv(fd, in.data() + have, in.size() - have, 0);
    if (n <= 0) break;
    have += static_cast<std::size_t>(n);
    std::size_t at = 0;
    out.clear();
    while (have - at >= 16) {
      const std::uint32_t len = be32(&in[at]);
      if (len < 16 || len > in.size()) {
        ::close(fd);
        return;
      }
      if (have - at < len) break;
      const std::uint32_t id = be32(&in[at + 4]);
      const std::uint32_t seq = be32(&in[at + 12]);
      if (id == 0x04) append_pdu(out, 0x80000004, seq, message_id, sizeof message_id);
      else if (id == 0x01 || id == 0x02 || id == 0x09)  // bind_*
        append_pdu(out, 0x80000000 | id, seq, system_id, sizeof system_id);
      else if (id == 0x06) append_pdu(out, 0x80000006, seq, nullptr, 0);
      else if (id == 0x15) append_pdu(out, 0x80000015, seq, nullptr, 0);
      at += len;
    }
    std::memmove(in.data(), in.data() + at, have - at);
    have -= at;
    if (!out.empty() && !write_all(fd, out.data(), out.size())) break;
  }
  ::close(fd);
}

int run_sink(int port) {
  const int l = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 1024) != 0)
    die("sink: cannot listen on 127.0.0.1:" + std::to_string(port));
  std::fprintf(stderr, "sink listening on 127.0.0.1:%d\n", port);
  for (;;) {
    const int c = ::accept(l, nullptr, nullptr);
    if (c < 0) continue;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread(serve, c).detach();
  }
}

// ---- load ----------------------------------------------------------------------------------

struct conn_result {
  std::vector<std::uint32_t> latencies_us;
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

void load_one(const std::string& host, const std::string& port, std::uint64_t count, std::uint32_t window,
              conn_result& r) {
  const int fd = dial(host, port);
  if (fd < 0) return;
  std::vector<std::uint8_t> out;
  static const std::uint8_t bind_body[] = {'b', 'e', 'n', 'c', 'h', 0, 'p', 'w', 0, 0, 0x34, 0, 0, 0};
  append_pdu(out, 0x09, 1, bind_body, sizeof bind_body);
  if (!write_all(fd, out.data(), out.size())) return;
  std::vector<std::uint8_t> in(1 << 20);
  std::size_t have = 0;
  // submit_sm, 140-octet message: a typical size on the wire (~190 octets).
  std::vector<std::uint8_t> submit_body = {0, 1, 1};
  for (char c : std::string("447700900123")) submit_body.push_back(static_cast<std::uint8_t>(c));
  submit_body.insert(submit_body.end(), {0, 1, 1});
  for (char c : std::string("447700900456")) submit_body.push_back(static_cast<std::uint8_t>(c));
  submit_body.insert(submit_body.end(), {0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 140});
  for (int i = 0; i < 140; ++i) submit_body.push_back(static_cast<std::uint8_t>('a' + i % 26));

  std::vector<clock_type::time_point> sent(count + 2);
  r.latencies_us.reserve(count);
  std::uint64_t next_seq = 2, answered = 0;
  bool bound = false;
  while (answered < count) {
    out.clear();
    const clock_type::time_point now = clock_type::now();
    while (bound && next_seq - 2 < count && next_seq - 2 - answered < window) {
      sent[next_seq] = now;
      append_pdu(out, 0x04, static_cast<std::uint32_t>(next_seq), submit_body.data(), submit_body.size());
      ++next_seq;
    }
    if (!out.empty() && !write_all(fd, out.data(), out.size())) return;
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
      }
      at += len;
    }
    std::memmove(in.data(), in.data() + at, have - at);
    have -= at;
  }
  static const std::uint8_t none[1] = {0};
  out.clear();
  append_pdu(out, 0x06, static_cast<std::uint32_t>(next_seq), none, 0);  // unbind
  write_all(fd, out.data(), out.size());
  ::shutdown(fd, SHUT_WR);
  while (::recv(fd, in.data(), in.size(), 0) > 0) {
  }
  ::close(fd);
  r.ok = true;
}

int run_load(const std::string& target, unsigned conns, std::uint32_t window, std::uint64_t count) {
  const auto colon = target.rfind(':');
  if (colon == std::string::npos) die("--target must be HOST:PORT");
  const std::string host = target.substr(0, colon), port = target.substr(colon + 1);
  std::vector<conn_result> results(conns);
  std::vector<std::thread> threads;
  const auto t0 = clock_type::now();
  for (unsigned i = 0; i < conns; ++i)
    threads.emplace_back([&, i] { load_one(host, port, count / conns, window, results[i]); });
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::vector<std::uint32_t> all;
  for (auto& r : results) {
    if (!r.ok) die("a connection failed before all its PDUs were answered");
    all.insert(all.end(), r.latencies_us.begin(), r.latencies_us.end());
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0u : all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))]; };
  std::printf("pdus=%zu secs=%.3f rate=%.0f p50_us=%u p99_us=%u max_us=%u\n", all.size(), secs,
              static_cast<double>(all.size()) / secs, pct(0.50), pct(0.99), all.empty() ? 0u : all.back());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: smpp_bench sink --port P | load --target HOST:PORT [--conns C] [--window W] [--count N]");
  const std::string mode = argv[1];
  std::string target;
  int port = 0;
  unsigned conns = 1;
  std::uint32_t window = 64;
  std::uint64_t count = 100000;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") port = std::atoi(v.c_str());
    else if (k == "--target") target = v;
    else if (k == "--conns") conns = static_cast<unsigned>(std::max(1, std::atoi(v.c_str())));
    else if (k == "--window") window = static_cast<std::uint32_t>(std::max(1, std::atoi(v.c_str())));
    else if (k == "--count") count = std::strtoull(v.c_str(), nullptr, 10);
    else die("unknown option " + k);
  }
  if (mode == "sink") return run_sink(port);
  if (mode == "load") return run_load(target, conns, window, count);
  die("unknown mode " + mode);
}
