// The shipped binary: `smppscope profiles` lists the shipped profiles, a broken --profile-file is
// one clear error naming the line, and `proxy --profile ovhcloud` in front of `sim` reports a
// breach live (alert line on stderr) for one client and nothing for a compliant one.
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
#include <cstdio>
#include <fstream>
#include <mutex>
#include <regex>
#include <thread>

#include "smppscope/decoder/pdu.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
namespace sd = smppscope::decoder;

// A child process whose stdout and stderr are collected.
class child {
 public:
  explicit child(std::vector<std::string> args) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
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
    if (!exited_) ::kill(pid_, SIGTERM);
    wait_exit();
    reader_.join();
    ::close(fd_);
  }
  int wait_exit() {
    if (!exited_) {
      ::waitpid(pid_, &status_, 0);
      exited_ = true;
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  // The groups of the first match (owned copies: a later call cannot invalidate them).
  std::optional<std::vector<std::string>> wait_for(const std::regex& re, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    std::smatch m;
    if (!cv_.wait_for(lock, timeout, [&] { return std::regex_search(text_, m, re); })) return std::nullopt;
    std::vector<std::string> groups;
    for (const auto& g : m) groups.push_back(g.str());
    return groups;
  }
  std::string text() {
    const std::lock_guard lock(mu_);
    return text_;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1, status_ = 0;
  bool exited_ = false;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
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

bool bind_and_wait(int fd, const std::string& system_id) {
  const auto b = sd::pdu_builder(sd::command_id::bind_transceiver, 1)
                     .set("system_id", system_id)
                     .set("password", "pw")
                     .set("interface_version", 0x34)
                     .bytes();
  if (::send(fd, b.data(), b.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(b.size())) return false;
  std::uint8_t buf[256];
  return ::recv(fd, buf, sizeof buf, 0) > 0;  // bind_transceiver_resp
}

TEST(profile_cli, profiles_lists_the_shipped_ones) {
  child c({SMPPSCOPE_BINARY, "profiles"});
  EXPECT_EQ(c.wait_exit(), 0);
  const std::string out = c.text();
  for (const char* name : {"generic-3.4", "ovhcloud", "mensatek", "melrose-labs"})
    EXPECT_NE(out.find(name), std::string::npos) << out;
  EXPECT_NE(out.find("window 10, 20 msg/s per connection"), std::string::npos) << out;
  child s({SMPPSCOPE_BINARY, "profiles", "show", "mensatek"});
  EXPECT_EQ(s.wait_exit(), 0);
  EXPECT_NE(s.text().find("133 Fallo en móvil destino"), std::string::npos) << s.text();
}

TEST(profile_cli, a_broken_profile_file_is_one_error_naming_the_line) {
  const std::string path = ::testing::TempDir() + "/broken_profile_cli.toml";
  std::ofstream(path) << "name = \"mine\"\n[limits]\nwindow = 10\nrate_per_connection = -5\n";
  child c({SMPPSCOPE_BINARY, "proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--profile-file", path});
  EXPECT_NE(c.wait_exit(), 0);
  ASSERT_TRUE(c.wait_for(std::regex("\n"), 10s)) << c.text();  // the reader may still be draining the pipe
  const std::string want = "smppscope: --profile-file: " + path + ":4:23: limits.rate_per_connection must be a number";
  const std::string out = c.text();
  EXPECT_EQ(out.rfind(want, 0), 0u) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  child u({SMPPSCOPE_BINARY, "proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--profile", "ovh"});
  EXPECT_NE(u.wait_exit(), 0);
  ASSERT_TRUE(u.wait_for(std::regex("\n"), 10s)) << u.text();
  EXPECT_NE(u.text().find("--profile: no shipped profile 'ovh' (shipped: generic-3.4, melrose-labs, mensatek, ovhcloud"),
            std::string::npos)
      << u.text();
  std::remove(path.c_str());
}

TEST(profile_cli, proxy_reports_a_breach_of_ovhcloud_live) {
  child sim({SMPPSCOPE_BINARY, "sim", "--listen", "127.0.0.1:0", "--enquire-link-interval", "0"});
  const auto sim_port = sim.wait_for(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"), 10s);
  ASSERT_TRUE(sim_port) << sim.text();
  child proxy({SMPPSCOPE_BINARY, "proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + (*sim_port)[1],
               "--profile", "ovhcloud"});
  const auto proxy_port = proxy.wait_for(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"), 10s);
  ASSERT_TRUE(proxy_port) << proxy.text();
  ASSERT_TRUE(proxy.wait_for(std::regex("checking sessions against provider profile ovhcloud"), 10s)) << proxy.text();
  const auto port = static_cast<std::uint16_t>(std::stoi((*proxy_port)[1]));

  const int good = connect_to(port);
  ASSERT_GE(good, 0);
  ASSERT_TRUE(bind_and_wait(good, "smpp-good1"));
  const int bad = connect_to(port);
  ASSERT_GE(bad, 0);
  ASSERT_TRUE(bind_and_wait(bad, "client1"));
  const auto line = proxy.wait_for(
      std::regex("session (\\d+) alert profile_system_id: ovhcloud: system_id 'client1' is not of the provider's form "
                 "smpp-\\*+ \\[side esme, direction esme_to_smsc\\]"),
      10s);
  ASSERT_TRUE(line) << proxy.text();
  ::close(bad);
  ::close(good);
  // The compliant session raised nothing: the only profile alert is the one above.
  const std::string all = proxy.text();
  std::size_t alerts = 0;
  for (std::size_t at = all.find("alert profile_"); at != std::string::npos; at = all.find("alert profile_", at + 1)) ++alerts;
  EXPECT_EQ(alerts, 1u) << all;
}

// The provider stood in for by the simulator, a client keeping to the provider's limits by itself,
// and the proxy checking the traffic between them: no failure, no throttling, no breach.
TEST(profile_cli, load_and_sim_with_the_ovhcloud_profile_through_the_proxy_break_nothing) {
  child sim({SMPPSCOPE_BINARY, "sim", "--listen", "127.0.0.1:0", "--profile", "ovhcloud", "--dlr-delay", "10",
             "--quiet"});
  const auto sim_port = sim.wait_for(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"), 10s);
  ASSERT_TRUE(sim_port) << sim.text();
  child proxy({SMPPSCOPE_BINARY, "proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + (*sim_port)[1],
               "--profile", "ovhcloud"});
  const auto proxy_port = proxy.wait_for(std::regex("listening on 127\\.0\\.0\\.1:(\\d+)"), 10s);
  ASSERT_TRUE(proxy_port) << proxy.text();
  ASSERT_TRUE(proxy.wait_for(std::regex("checking sessions against provider profile ovhcloud"), 10s)) << proxy.text();

  // 60 messages at the provider's 20 per second: about three seconds.
  child load({SMPPSCOPE_BINARY, "load", "--target", "127.0.0.1:" + (*proxy_port)[1], "--system-id",
              "smpp-load1", "--password", "pw", "--count", "60", "--registered-delivery", "--profile", "ovhcloud",
              "--json", "--quiet"});
  EXPECT_EQ(load.wait_exit(), 0) << load.text();
  const std::string report = load.text();
  EXPECT_NE(report.find("\"ok\":true"), std::string::npos) << report;
  EXPECT_NE(report.find("\"errors_total\":0"), std::string::npos) << report;
  EXPECT_NE(report.find("\"throttled_total\":0"), std::string::npos) << report;
  EXPECT_NE(report.find("\"received\":60"), std::string::npos) << report;
  // The session closed without a single profile alert (the analysis runs a little behind the
  // relay: give it time to raise one if it were going to).
  ASSERT_TRUE(proxy.wait_for(std::regex("session \\d+ client \\S+ close"), 10s)) << proxy.text();
  EXPECT_FALSE(proxy.wait_for(std::regex("alert profile_"), 1500ms)) << proxy.text();
}

}  // namespace
