// `smppscope sniff` on a real link: a veth pair between two network namespaces made for each
// test (unique names, removed even when the test fails), the simulator in one, the load
// generator and the sniffer in the other. Nothing connects through smppscope: it only watches.
// Needs root (CAP_NET_ADMIN for the namespaces, CAP_NET_RAW to capture); under CI=true a
// machine where the namespaces cannot be made fails the test instead of skipping it.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "sim/child_process.hpp"

namespace smppscope::sniff {
namespace {

using namespace std::chrono_literals;
using sim::test::child_process;

const std::string binary = SMPPSCOPE_BINARY;

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

// Runs a command to completion; its exit code, or -1 when it did not end in time.
int run(std::vector<std::string> args, std::string* err = nullptr) {
  child_process p(std::move(args));
  const auto rc = p.wait(20s);
  if (err) *err = p.err_text;
  return rc ? *rc : -1;
}

// Two namespaces joined by a veth pair: A = 10.231.0.1 (dev va), B = 10.231.0.2 (dev vb).
class netns_pair {
 public:
  netns_pair() {
    static std::atomic<int> counter{0};
    const std::string tag = std::to_string(::getpid()) + "x" + std::to_string(counter++);
    a = "smppscope-a" + tag;
    b = "smppscope-b" + tag;
    va = "ssa" + tag;
    vb = "ssb" + tag;
    if (va.size() > 15) {  // interface names are at most 15 characters
      va = va.substr(0, 15);
      vb = vb.substr(0, 15);
    }
    const std::vector<std::vector<std::string>> steps = {
        {"/usr/sbin/ip", "netns", "add", a},
        {"/usr/sbin/ip", "netns", "add", b},
        {"/usr/sbin/ip", "link", "add", va, "netns", a, "type", "veth", "peer", "name", vb, "netns", b},
        {"/usr/sbin/ip", "-n", a, "addr", "add", "10.231.0.1/24", "dev", va},
        {"/usr/sbin/ip", "-n", b, "addr", "add", "10.231.0.2/24", "dev", vb},
        {"/usr/sbin/ip", "-n", a, "link", "set", va, "up"},
        {"/usr/sbin/ip", "-n", b, "link", "set", vb, "up"},
        {"/usr/sbin/ip", "-n", a, "link", "set", "lo", "up"},
        {"/usr/sbin/ip", "-n", b, "link", "set", "lo", "up"},
    };
    for (const auto& s : steps) {
      std::string err;
      if (run(s, &err) != 0) {
        error = "`";
        for (const auto& w : s) error += w + " ";
        error += "` failed: " + err;
        return;
      }
    }
  }
  ~netns_pair() {  // deleting a namespace removes its end of the veth, and with it the pair
    run({"/usr/sbin/ip", "netns", "del", a});
    run({"/usr/sbin/ip", "netns", "del", b});
  }
  netns_pair(const netns_pair&) = delete;
  netns_pair& operator=(const netns_pair&) = delete;

  std::vector<std::string> in(const std::string& ns, std::vector<std::string> args) const {
    args.insert(args.begin(), {"/usr/sbin/ip", "netns", "exec", ns});
    return args;
  }

  std::string a, b, va, vb, error;
};

#define REQUIRE_NETNS(pair)                                                                      \
  do {                                                                                           \
    if (!(pair).error.empty()) {                                                                 \
      if (in_ci()) FAIL() << "network namespaces are needed (run as root): " << (pair).error;    \
      GTEST_SKIP() << "network namespaces are not available here (run as root): " << (pair).error; \
    }                                                                                            \
  } while (0)

// A TCP socket that lives in namespace `ns`: made on a thread that joined it (a socket stays in
// the namespace it was created in).
int socket_in(const std::string& ns) {
  int fd = -1;
  std::thread t([&] {
    const int nsfd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) return;
    if (::setns(nsfd, CLONE_NEWNET) == 0) fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ::close(nsfd);
  });
  t.join();
  return fd;
}

sockaddr_in address(const char* ip, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &sa.sin_addr);
  return sa;
}

bool connect_to(int fd, const char* ip, std::uint16_t port) {
  const sockaddr_in sa = address(ip, port);
  return ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
}

void send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += std::size_t(n);
  }
}

std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return out;
    out.append(buf, std::size_t(n));
  }
}

// GET over HTTP/1.0 from inside namespace `ns`; the body, or nullopt.
std::optional<std::string> http_get(const std::string& ns, std::uint16_t port, const std::string& path) {
  const int fd = socket_in(ns);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> body;
  if (connect_to(fd, "127.0.0.1", port)) {
    send_all(fd, "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    const std::string reply = read_all(fd);
    const auto at = reply.find("\r\n\r\n");
    if (reply.starts_with("HTTP/1.") && reply.find(" 200 ") == 8 && at != std::string::npos)
      body = reply.substr(at + 4);
  }
  ::close(fd);
  return body;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::uint64_t metric(const std::string& metrics, const std::string& sample) {
  const auto at = metrics.find("\n" + sample + " ");
  if (at == std::string::npos) return ~std::uint64_t(0);
  return std::stoull(metrics.substr(at + sample.size() + 2));
}

// SMPP command ids in a pcap file as tshark (the outside oracle) decodes them, in order.
std::vector<std::uint32_t> tshark_command_ids(const std::filesystem::path& file) {
  std::vector<std::uint32_t> ids;
  const std::string cmd = "tshark -r '" + file.string() + "' -T fields -e smpp.command_id 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return ids;
  std::string out;
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  ::pclose(p);
  for (char& c : out)
    if (c == ',' || c == '\n') c = ' ';
  std::istringstream in(out);
  for (std::string id; in >> id;) ids.push_back(std::uint32_t(std::stoul(id, nullptr, 0)));
  return ids;
}

TEST(SniffCapture, SeesEverySmppPduOfALoadWithDirectionsAndSystemIdAndIgnoresOtherTcp) {
  netns_pair net;
  REQUIRE_NETNS(net);
  constexpr std::uint16_t web_port = 8931;
  const std::filesystem::path pcap_dir =
      std::filesystem::temp_directory_path() / ("smppscope-sniff-test-" + net.a);
  struct remove_dir {
    std::filesystem::path p;
    ~remove_dir() { std::filesystem::remove_all(p); }
  } cleanup{pcap_dir};

  child_process sim(net.in(net.a, {binary, "sim", "--listen", "10.231.0.1:2775", "--window", "0", "--enquire-link-interval", "0"}));
  ASSERT_TRUE(sim.wait_stderr([](const std::string& e) { return has(e, "listening on"); }, 20s)) << sim.err_text;
  child_process sniff(net.in(net.b, {binary, "sniff", "--interface", net.vb, "--web",
                                     "127.0.0.1:" + std::to_string(web_port), "--pcap-dir", pcap_dir.string()}));
  ASSERT_TRUE(sniff.wait_stderr([](const std::string& e) { return has(e, "web UI on"); }, 20s)) << sniff.err_text;
  EXPECT_TRUE(has(sniff.err_text, "with filter 'tcp'")) << sniff.err_text;

  // A TCP conversation that is not SMPP, both ways, on the same link.
  const int listener = socket_in(net.a);
  ASSERT_GE(listener, 0);
  const int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const sockaddr_in la = address("10.231.0.1", 8080);
  ASSERT_EQ(::bind(listener, reinterpret_cast<const sockaddr*>(&la), sizeof la), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  const int client = socket_in(net.b);
  ASSERT_TRUE(connect_to(client, "10.231.0.1", 8080));
  const int server = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(server, 0);
  send_all(client, "GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n");
  send_all(server, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ::shutdown(client, SHUT_WR);
  ::shutdown(server, SHUT_WR);
  ::close(client);
  ::close(server);
  ::close(listener);

  child_process load(net.in(net.b, {binary, "load", "--target", "10.231.0.1:2775", "--system-id", "sniffed-esme",
                                    "--count", "300", "--window", "20", "--json", "--quiet",
                                    "--enquire-link-interval", "0"}));
  const auto load_rc = load.wait(60s);
  ASSERT_TRUE(load_rc.has_value());
  ASSERT_EQ(*load_rc, 0) << load.err_text;
  const auto report = boost::json::parse(load.out_text).as_object();
  const std::uint64_t sent = report.at("sent").to_number<std::uint64_t>();
  const std::uint64_t answered =
      report.at("acknowledged").to_number<std::uint64_t>() + report.at("errors_total").to_number<std::uint64_t>();
  EXPECT_EQ(sent, 300u);
  EXPECT_EQ(answered, sent);

  // The session closes once both FINs went by; wait for it (the analyzer works in batches).
  boost::json::object session;
  std::string last;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto body = http_get(net.b, web_port, "/api/sessions")) {
      last = *body;
      const auto all = boost::json::parse(*body).as_array();
      if (!all.empty() && !all[0].as_object().at("closed_us").is_null()) {
        session = all[0].as_object();
        EXPECT_EQ(all.size(), 1u) << *body;  // the HTTP conversation is no session
        break;
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(session.empty()) << "no closed session in time; last /api/sessions: " << last << "\n"
                                << sniff.err_text;
  EXPECT_EQ(session.at("system_id").as_string(), "sniffed-esme");
  EXPECT_EQ(session.at("protocol").as_string(), "smpp");
  EXPECT_TRUE(std::string(session.at("client").as_string()).starts_with("10.231.0.2:")) << last;
  EXPECT_EQ(session.at("upstream").as_string(), "10.231.0.1:2775");
  EXPECT_FALSE(session.at("lossy").as_bool()) << last;
  // bind_transceiver, every submit_sm and unbind one way; their responses the other.
  EXPECT_EQ(session.at("pdus_in").to_number<std::uint64_t>(), sent + 2) << last;
  EXPECT_EQ(session.at("pdus_out").to_number<std::uint64_t>(), answered + 2) << last;

  const auto metrics = http_get(net.b, web_port, "/metrics");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_EQ(metric(*metrics, "smppscope_sniff_sessions_total{protocol=\"smpp\"}"), 1u) << *metrics;
  EXPECT_EQ(metric(*metrics, "smppscope_sniff_ignored_streams_total"), 1u) << *metrics;
  EXPECT_EQ(metric(*metrics, "smppscope_sniff_dropped_packets_total{where=\"kernel\"}"), 0u) << *metrics;

  sniff.signal(SIGTERM);
  const auto sniff_rc = sniff.wait(20s);
  ASSERT_TRUE(sniff_rc.has_value());
  EXPECT_EQ(*sniff_rc, 0) << sniff.err_text;
  EXPECT_TRUE(has(sniff.err_text, "1 SMPP and 0 CMPP sessions")) << sniff.err_text;

  // The pcap file, read by tshark: the same PDUs, the SMPP dissector on port 2775 by default.
  std::vector<std::uint32_t> ids;
  for (const auto& f : std::filesystem::directory_iterator(pcap_dir)) {
    const auto more = tshark_command_ids(f.path());
    ids.insert(ids.end(), more.begin(), more.end());
  }
  EXPECT_EQ(ids.size(), sent + answered + 4);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 0x00000004u), static_cast<std::ptrdiff_t>(sent));  // submit_sm
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 0x80000004u), static_cast<std::ptrdiff_t>(answered));

  // The simulator's own count is the independent witness of what went over the wire.
  sim.signal(SIGTERM);
  ASSERT_TRUE(sim.wait(20s).has_value());
  EXPECT_TRUE(has(sim.err_text, "1 sessions, " + std::to_string(sent) + " submit_sm")) << sim.err_text;
}

TEST(SniffCapture, CmppOnAnUnusualPortIsFollowedToo) {
  netns_pair net;
  REQUIRE_NETNS(net);
  constexpr std::uint16_t web_port = 8932;
  child_process sim(net.in(net.a, {binary, "sim", "--protocol", "cmpp2", "--listen", "10.231.0.1:9123", "--window",
                                   "0"}));
  ASSERT_TRUE(sim.wait_stderr([](const std::string& e) { return has(e, "listening on"); }, 20s)) << sim.err_text;
  child_process sniff(net.in(net.b, {binary, "sniff", "--interface", net.vb, "--web",
                                     "127.0.0.1:" + std::to_string(web_port), "--no-alert-log"}));
  ASSERT_TRUE(sniff.wait_stderr([](const std::string& e) { return has(e, "web UI on"); }, 20s)) << sniff.err_text;
  child_process load(net.in(net.b, {binary, "load", "--protocol", "cmpp2", "--target", "10.231.0.1:9123",
                                    "--system-id", "901234", "--password", "secret", "--mix", "ascii", "--count",
                                    "50", "--json", "--quiet"}));
  const auto load_rc = load.wait(60s);
  ASSERT_TRUE(load_rc.has_value());
  ASSERT_EQ(*load_rc, 0) << load.err_text;
  const std::uint64_t sent = boost::json::parse(load.out_text).as_object().at("sent").to_number<std::uint64_t>();
  EXPECT_EQ(sent, 50u);

  boost::json::object session;
  std::string last;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (session.empty() && std::chrono::steady_clock::now() < deadline) {
    if (auto body = http_get(net.b, web_port, "/api/sessions")) {
      last = *body;
      const auto all = boost::json::parse(*body).as_array();
      if (!all.empty() && !all[0].as_object().at("closed_us").is_null()) session = all[0].as_object();
    }
    if (session.empty()) std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(session.empty()) << "no closed session in time; last /api/sessions: " << last << "\n"
                                << sniff.err_text;
  EXPECT_EQ(session.at("protocol").as_string(), "cmpp") << last;
  EXPECT_TRUE(std::string(session.at("client").as_string()).starts_with("10.231.0.2:")) << last;
  EXPECT_EQ(session.at("upstream").as_string(), "10.231.0.1:9123");
  // CONNECT, every SUBMIT and TERMINATE one way (at least: ACTIVE_TEST may add some).
  EXPECT_GE(session.at("pdus_in").to_number<std::uint64_t>(), sent + 2) << last;
  sniff.signal(SIGTERM);
  ASSERT_TRUE(sniff.wait(20s).has_value());
  EXPECT_TRUE(has(sniff.err_text, "0 SMPP and 1 CMPP sessions")) << sniff.err_text;
  sim.signal(SIGTERM);
  sim.wait(20s);
}

TEST(SniffCapture, WithoutCapNetRawSaysWhatIsMissingAndHowToGrantIt) {
  std::vector<std::string> args = {binary, "sniff", "--interface", "lo"};
  if (::geteuid() == 0)  // drop root, and with it every capability, as the child starts
    args.insert(args.begin(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
  std::string err;
  EXPECT_EQ(run(args, &err), 1) << err;
  EXPECT_TRUE(has(err, "permission denied")) << err;
  EXPECT_TRUE(has(err, "CAP_NET_RAW")) << err;
  EXPECT_TRUE(has(err, "setcap cap_net_raw,cap_net_admin=eip $(command -v smppscope)")) << err;
  EXPECT_FALSE(has(err, "AddressSanitizer")) << err;
}

TEST(SniffCapture, AnUnknownInterfaceOrABadFilterIsOneClearError) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to get past the permission check";
  std::string err;
  EXPECT_EQ(run({binary, "sniff", "--interface", "nosuchif0"}, &err), 1) << err;
  EXPECT_TRUE(has(err, "nosuchif0: no such interface")) << err;
  EXPECT_EQ(run({binary, "sniff", "--interface", "lo", "--filter", "tcp and and"}, &err), 1) << err;
  EXPECT_TRUE(has(err, "capture filter 'tcp and and' does not compile")) << err;
}

}  // namespace
}  // namespace smppscope::sniff
