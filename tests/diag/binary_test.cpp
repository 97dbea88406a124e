// The shipped binary: `smppscope proxy` with the diagnostics flags in front of `smppscope sim`
// in a fault mode writes the alert line (and the alert reaches nothing but loopback).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <thread>

#include "diag_test_util.hpp"

extern char** environ;

using namespace diag_test;
using namespace std::chrono_literals;

namespace {

// A child process whose stderr is collected line by line.
class child {
 public:
  explicit child(std::vector<std::string> args) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    if (rc != 0) throw std::runtime_error("spawn " + args[0]);
    fd_ = fds[0];
    reader_ = std::thread([this] {
      char buf[4096];
      ssize_t n;
      while ((n = ::read(fd_, buf, sizeof buf)) > 0) {
        const std::lock_guard lock(mu_);
        text_.append(buf, static_cast<std::size_t>(n));
        cv_.notify_all();
      }
    });
  }
  ~child() {
    stop();
    reader_.join();
    ::close(fd_);
  }
  // SIGTERM (unless it has exited) and reap it.
  void stop() {
    if (exited_) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exited_ = true;
  }
  // Waits for it to exit by itself; false when it is still running after `timeout`.
  bool wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exited_) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }
  // First match of `re` in the stderr text, waiting up to `timeout`.
  std::optional<std::smatch> wait_for(const std::regex& re, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    std::smatch m;
    if (!cv_.wait_for(lock, timeout, [&] { return std::regex_search(text_, m, re); })) return std::nullopt;
    copy_ = text_;
    std::regex_search(copy_, m, re);
    return m;
  }
  std::string text() {
    const std::lock_guard lock(mu_);
    return text_;
  }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int fd_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_, copy_;
};

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const bytes& b) {
  return ::send(fd, b.data(), b.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(b.size());
}

std::string run(const std::string& cmd) {
  std::string out;
  if (FILE* f = ::popen(cmd.c_str(), "r")) {
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
    ::pclose(f);
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (std::size_t at; (at = s.find(sep, from)) != std::string::npos; from = at + 1) out.push_back(s.substr(from, at - from));
  out.push_back(s.substr(from));
  return out;
}

}  // namespace

TEST(Binary, ProxyLogsEnquireLinkTimeoutFromTheSimulatorsFaultMode) {
  child sim({SMPPSCOPE_BINARY, "sim", "--listen", "127.0.0.1:0", "--no-enquire-link-resp",
             "--enquire-link-interval", "0"});
  const auto sim_port = sim.wait_for(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"), 10s);
  ASSERT_TRUE(sim_port) << sim.text();
  child proxy({SMPPSCOPE_BINARY, "proxy", "--listen", "127.0.0.1:0", "--upstream",
               "127.0.0.1:" + (*sim_port)[1].str(), "--enquire-link-timeout", "0.5",
               "--request-expiry", "30"});
  const auto proxy_port = proxy.wait_for(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"), 10s);
  ASSERT_TRUE(proxy_port) << proxy.text();

  const int fd = connect_to(static_cast<std::uint16_t>(std::stoi((*proxy_port)[1].str())));
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd, bind_trx(1)));
  std::uint8_t buf[256];
  ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);  // bind_transceiver_resp
  const auto sent = std::chrono::steady_clock::now();
  ASSERT_TRUE(send_all(fd, enquire(2)));
  const auto line = proxy.wait_for(
      std::regex("session \\d+ alert enquire_link_timeout: SMSC did not answer the ESME's enquire_link "
                 "\\(seq 2\\) within 0\\.5 s \\[side smsc, direction esme_to_smsc\\]"),
      3s);
  ASSERT_TRUE(line) << proxy.text();
  // Within 2x the timeout (plus the tick and process scheduling slack of a busy CI machine).
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 1500ms);
  ::close(fd);
}

// CMPP 3.0 end to end through the shipped binary: `load --protocol cmpp3` against `sim --protocol
// cmpp3` through `proxy --pcap-dir --cmpp-secret`. A wrong password is refused by the ISMG and the
// proxy's analysis says why (bind_failed, cmpp_auth_mismatch) without touching the relay; the
// right one sends its messages; the pcap, read back by tshark, shows the PDUs our decode shows.
TEST(Binary, CmppThroughTheProxyDiagnosedAndCapturedAsTsharkReadsIt) {
  const bool have_tshark = std::system("tshark --version >/dev/null 2>&1") == 0;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("smppscope-cmpp-binary-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "pcap");
  const std::string creds = (dir / "credentials").string();
  std::ofstream(creds) << "901234:Pa55-w0rd\n";

  child sim({SMPPSCOPE_BINARY, "sim", "--protocol", "cmpp3", "--listen", "127.0.0.1:0", "--credentials", creds});
  const auto sim_port = sim.wait_for(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"), 10s);
  ASSERT_TRUE(sim_port) << sim.text();
  std::string proxy_port;
  std::string proxy_log;
  {
    child proxy({SMPPSCOPE_BINARY, "proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + (*sim_port)[1].str(),
                 "--pcap-dir", (dir / "pcap").string(), "--pcap-legs", "client", "--cmpp-secret", "901234:Pa55-w0rd"});
    const auto pp = proxy.wait_for(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"), 10s);
    ASSERT_TRUE(pp) << proxy.text();
    proxy_port = (*pp)[1].str();
    const std::string target = "127.0.0.1:" + proxy_port;

    child bad({SMPPSCOPE_BINARY, "load", "--protocol", "cmpp3", "--target", target, "--system-id", "901234",
               "--password", "wrong", "--count", "1", "--timeout", "5", "--quiet"});
    EXPECT_TRUE(proxy.wait_for(std::regex("alert cmpp_auth_mismatch: CMPP_CONNECT from Source_Addr .?901234.?: "
                                          "AuthenticatorSource does not match"),
                               15s))
        << proxy.text();
    EXPECT_TRUE(proxy.wait_for(std::regex("alert bind_failed: CMPP_CONNECT refused by the SMSC: Status 3"), 15s))
        << proxy.text();
    ASSERT_TRUE(bad.wait(20s)) << bad.text();

    child good({SMPPSCOPE_BINARY, "load", "--protocol", "cmpp3", "--target", target, "--system-id", "901234",
                "--password", "Pa55-w0rd", "--count", "20", "--window", "4", "--timeout", "20", "--quiet"});
    ASSERT_TRUE(good.wait(40s)) << good.text();
    proxy.stop();  // flushes and closes the pcap
    proxy_log = proxy.text();
  }
  EXPECT_EQ(proxy_log.find("Pa55-w0rd"), std::string::npos) << "the secret is never logged";
  EXPECT_EQ(proxy_log.find("alert cmpp_auth_mismatch", proxy_log.find("alert cmpp_auth_mismatch") + 1),
            std::string::npos)
      << "the right secret raises nothing: " << proxy_log;

  std::vector<std::string> files;
  for (const auto& f : std::filesystem::directory_iterator(dir / "pcap"))
    if (f.path().extension() == ".pcap") files.push_back(f.path().string());
  ASSERT_EQ(files.size(), 1u);
  // Our decode: command, sequence and length of every CMPP PDU, in capture order.
  std::vector<std::string> ours;
  for (const std::string& line : split(run(std::string(SMPPSCOPE_BINARY) + " decode --json '" + files[0] + "'"), '\n')) {
    if (line.empty()) continue;
    const auto id = std::regex_search(line, std::regex("\"protocol\":\"cmpp\""));
    if (!id) continue;
    std::smatch c, q, l;
    ASSERT_TRUE(std::regex_search(line, c, std::regex("\"command_id\":(\\d+)"))) << line;
    ASSERT_TRUE(std::regex_search(line, q, std::regex("\"sequence_number\":(\\d+)"))) << line;
    ASSERT_TRUE(std::regex_search(line, l, std::regex("\"command_length\":(\\d+)"))) << line;
    ours.push_back(c[1].str() + "/" + q[1].str() + "/" + l[1].str());
  }
  // 1 refused CONNECT + CONNECT_RESP, then a CONNECT, 20 SUBMITs and their answers at least.
  EXPECT_GE(ours.size(), 2u + 2u + 40u);
  if (!have_tshark) {
    std::filesystem::remove_all(dir);
    if (std::getenv("CI")) FAIL() << "tshark is required in CI";
    GTEST_SKIP() << "tshark not installed";
  }
  std::vector<std::string> theirs;
  const std::string out = run("tshark -r '" + files[0] + "' -d tcp.port==" + proxy_port +
                              ",cmpp -Y cmpp -T fields -e cmpp.Command_Id -e cmpp.Sequence_Id -e cmpp.Total_Length "
                              "-E occurrence=a -E aggregator=, 2>/dev/null");
  for (const std::string& line : split(out, '\n')) {
    if (line.empty()) continue;
    const auto cols = split(line, '\t');
    ASSERT_EQ(cols.size(), 3u) << line;
    const auto ids = split(cols[0], ','), seqs = split(cols[1], ','), lens = split(cols[2], ',');
    ASSERT_EQ(ids.size(), seqs.size()) << line;
    ASSERT_EQ(ids.size(), lens.size()) << line;
    for (std::size_t k = 0; k < ids.size(); ++k)
      theirs.push_back(std::to_string(std::stoul(ids[k], nullptr, 0)) + "/" + seqs[k] + "/" + lens[k]);
  }
  EXPECT_EQ(theirs, ours);
  std::filesystem::remove_all(dir);
}
