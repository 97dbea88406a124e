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

#include <chrono>
#include <condition_variable>
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
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reader_.join();
    ::close(fd_);
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
