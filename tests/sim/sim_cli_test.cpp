// `smppscope sim` and `smppscope load` as users run them: the real binary, flags, exit codes,
// the JSON report, SIGINT.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>

#include "child_process.hpp"

namespace smppscope::sim::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::vector<std::string> cmd(std::initializer_list<std::string> args) {
  std::vector<std::string> v{SMPPSCOPE_BINARY};
  v.insert(v.end(), args);
  return v;
}

int count_lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

// A `smppscope sim` on a free port; the port is read from its "listening on" line.
struct sim_process {
  explicit sim_process(std::vector<std::string> extra = {}) : proc(make(std::move(extra))) {
    static const std::regex re("listening on 127\\.0\\.0\\.1:([0-9]+)");
    std::smatch m;
    if (!proc.wait_stderr([&](const std::string& e) { return std::regex_search(e, m, re); }, 10s))
      throw std::runtime_error("sim did not start: " + proc.err_text);
    port = std::stoi(m[1].str());
  }
  static child_process make(std::vector<std::string> extra) {
    auto v = cmd({"sim", "--listen", "127.0.0.1:0"});
    v.insert(v.end(), extra.begin(), extra.end());
    return child_process(v);
  }
  std::string target() const { return "127.0.0.1:" + std::to_string(port); }
  child_process proc;
  int port = 0;
};

TEST(SimCli, BadArgumentsGiveOneLineAndNonZeroExit) {
  const std::vector<std::vector<std::string>> cases = {
      cmd({"sim", "--listen", "nonsense"}),
      cmd({"sim", "--listen", "127.0.0.1:0", "--dlr-mix", "FOO=1"}),
      cmd({"sim", "--listen", "127.0.0.1:0", "--dlr-id-format", "octal"}),
      cmd({"sim", "--listen", "127.0.0.1:0", "--error-status", "nope"}),
      cmd({"sim", "--listen", "127.0.0.1:0", "--tls"}),
      cmd({"sim", "--listen", "127.0.0.1:0", "--error-rate", "2"}),
      cmd({"load", "--target", "127.0.0.1:2775"}),  // no --system-id
      cmd({"load", "--target", "127.0.0.1", "--system-id", "x"}),
      cmd({"load", "--target", "127.0.0.1:2775", "--system-id", "x", "--mix", "gsm7,emoji"}),
      cmd({"load", "--target", "127.0.0.1:2775", "--system-id", "x", "--window", "0"}),
      cmd({"load", "--target", "127.0.0.1:2775", "--system-id", "x", "--window", "automatic"}),
      cmd({"load", "--target", "127.0.0.1:2775", "--system-id", "x", "--profile", "no-such-provider"}),
      cmd({"sim", "--listen", "127.0.0.1:0", "--profile", "no-such-provider"}),
      cmd({"sim", "--listen", "127.0.0.1:0", "--time-scale", "0"}),
  };
  for (const auto& args : cases) {
    child_process p(args);
    const auto code = p.wait(10s);
    ASSERT_TRUE(code.has_value());
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_NE(*code, 0) << joined;
    EXPECT_EQ(count_lines(p.err_text), 1) << joined << "\n" << p.err_text;
    EXPECT_TRUE(p.out_text.empty()) << joined << "\n" << p.out_text;
  }
}

TEST(SimCli, HelpListsTheFaultModes) {
  child_process p(cmd({"sim", "--help"}));
  ASSERT_EQ(p.wait(10s), 0);
  for (const char* flag : {"--latency-ms", "--stop-submit-after", "--no-enquire-link-resp", "--error-rate", "--error-status",
                           "--drop-after-pdus", "--drop-after-enquire-link", "--dlr-id-format", "--gsm7", "--dlr-mix",
                           "--mo-rate", "--window", "--rate", "--tls", "--threads", "--credentials", "--profile",
                           "--profile-file", "--time-scale"})
    EXPECT_NE(p.out_text.find(flag), std::string::npos) << flag;
}

TEST(SimCli, LoadAgainstSimReportsJsonAndExitsZero) {
  sim_process sim({"--dlr-delay", "10"});
  child_process load(cmd({"load", "--target", sim.target(), "--system-id", "cli", "--password", "pw", "--count", "500",
                          "--window", "10", "--registered-delivery", "--mix", "gsm7,ucs2,long", "--json"}));
  ASSERT_EQ(load.wait(30s), 0) << load.err_text;
  const json::value j = json::parse(load.out_text);
  EXPECT_EQ(j.at("ok").as_bool(), true);
  // 500 messages in the order gsm7, ucs2, long (3 parts): 167 + 167 + 166 x 3.
  EXPECT_EQ(j.at("messages").to_number<int>(), 500);
  EXPECT_EQ(j.at("sent").to_number<int>(), 167 + 167 + 166 * 3);
  EXPECT_EQ(j.at("acknowledged").to_number<int>(), 832);
  EXPECT_EQ(j.at("dlr").at("received").to_number<int>(), 832);
  EXPECT_EQ(j.at("dlr").at("matched").to_number<int>(), 832);
  // The session log of the simulator.
  EXPECT_TRUE(sim.proc.wait_stderr([](const std::string& e) { return e.find("closed: unbind") != std::string::npos; }, 5s))
      << sim.proc.err_text;
  EXPECT_NE(sim.proc.err_text.find("bound as transceiver, system_id 'cli'"), std::string::npos);
  sim.proc.signal(SIGINT);
  EXPECT_EQ(sim.proc.wait(5s), 0);
}

TEST(SimCli, LoadExitsNonZeroOnErrorsAndNamesThem) {
  sim_process sim({"--error-rate", "0.1", "--error-status", "ESME_RSUBMITFAIL", "--quiet"});
  child_process load(cmd({"load", "--target", sim.target(), "--system-id", "x", "--count", "200", "--window", "5", "--json"}));
  const auto code = load.wait(30s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1);
  const json::value j = json::parse(load.out_text);
  EXPECT_EQ(j.at("errors").at("ESME_RSUBMITFAIL").to_number<int>(), 20);
  EXPECT_EQ(j.at("acknowledged").to_number<int>(), 180);
  EXPECT_NE(load.err_text.find("20 submit_sm failed"), std::string::npos) << load.err_text;
}

// A window five times the simulator's: the throttled submits are retried and the run succeeds,
// with the throttling reported apart from failures.
TEST(SimCli, LoadWithAWindowAboveTheSimulatorsRetriesAndExitsZero) {
  sim_process sim({"--quiet"});  // window 10
  child_process load(cmd({"load", "--target", sim.target(), "--system-id", "x", "--count", "1000", "--window", "50",
                          "--json", "--quiet"}));
  ASSERT_EQ(load.wait(60s), 0) << load.err_text;
  const json::value j = json::parse(load.out_text);
  EXPECT_EQ(j.at("ok").as_bool(), true);
  EXPECT_EQ(j.at("acknowledged").to_number<int>(), 1000);
  EXPECT_EQ(j.at("errors_total").to_number<int>(), 0);
  const int throttled = j.at("throttled_total").to_number<int>();
  EXPECT_GT(throttled, 0);
  EXPECT_EQ(j.at("throttled").at("ESME_RTHROTTLED").to_number<int>(), throttled);
  EXPECT_EQ(j.at("retries").to_number<int>(), throttled);
  EXPECT_EQ(j.at("sent").to_number<int>(), 1000 + throttled);
  // Without retries the same run fails on the throttled submits.
  child_process strict(cmd({"load", "--target", sim.target(), "--system-id", "x", "--count", "200", "--window", "50",
                            "--retry-max", "0", "--quiet"}));
  EXPECT_EQ(strict.wait(30s), 1);
  EXPECT_NE(strict.err_text.find("submit_sm failed"), std::string::npos) << strict.err_text;
  EXPECT_NE(strict.out_text.find("ESME_RTHROTTLED"), std::string::npos) << strict.out_text;
}

TEST(SimCli, LoadWindowAutoSettlesOnTheSimulatorsWindow) {
  sim_process sim({"--quiet", "--latency-ms", "2"});
  child_process load(cmd({"load", "--target", sim.target(), "--system-id", "x", "--count", "1000", "--window", "auto",
                          "--json", "--quiet"}));
  ASSERT_EQ(load.wait(60s), 0) << load.err_text;
  const json::value j = json::parse(load.out_text);
  EXPECT_EQ(j.at("acknowledged").to_number<int>(), 1000);
  EXPECT_LE(j.at("window_final_max").to_number<int>(), 11);
  EXPECT_GE(j.at("window_final_min").to_number<int>(), 1);
}

// "OVHcloud" without an account: the simulator enforces the profile, the load generator keeps to
// it, and nothing is throttled or refused.
TEST(SimCli, LoadWithTheOvhcloudProfileAgainstSimWithIt) {
  sim_process sim({"--profile", "ovhcloud", "--dlr-delay", "10"});
  EXPECT_TRUE(sim.proc.wait_stderr(
      [](const std::string& e) { return e.find("behaving like ovhcloud") != std::string::npos; }, 5s))
      << sim.proc.err_text;
  child_process load(cmd({"load", "--target", sim.target(), "--system-id", "smpp-ab12345-1", "--count", "20",
                          "--sessions", "1", "--registered-delivery", "--profile", "ovhcloud", "--json"}));
  ASSERT_EQ(load.wait(30s), 0) << load.err_text;
  const json::value j = json::parse(load.out_text);
  EXPECT_EQ(j.at("acknowledged").to_number<int>(), 20);
  EXPECT_EQ(j.at("errors_total").to_number<int>(), 0);
  EXPECT_EQ(j.at("throttled_total").to_number<int>(), 0);
  EXPECT_EQ(j.at("dlr").at("received").to_number<int>(), 20);
  EXPECT_NE(load.err_text.find("load: window 10 per session (ovhcloud)"), std::string::npos) << load.err_text;
  EXPECT_NE(load.err_text.find("load: rate 20 submit_sm/s per session (ovhcloud)"), std::string::npos) << load.err_text;
  // A second transceiver of the same account while the first is bound is refused with 0x400.
  child_process hold(cmd({"load", "--target", sim.target(), "--system-id", "smpp-dup", "--count", "0", "--rate", "5",
                          "--quiet"}));
  ASSERT_TRUE(sim.proc.wait_stderr(
      [](const std::string& e) { return e.find("system_id 'smpp-dup'") != std::string::npos; }, 10s));
  child_process second(cmd({"load", "--target", sim.target(), "--system-id", "smpp-dup", "--count", "1", "--quiet"}));
  EXPECT_EQ(second.wait(10s), 1);
  EXPECT_NE(second.err_text.find("bind failed"), std::string::npos) << second.err_text;
  EXPECT_NE(second.err_text.find("0x00000400"), std::string::npos) << second.err_text;
  EXPECT_TRUE(sim.proc.wait_stderr(
      [](const std::string& e) { return e.find("refused for system_id 'smpp-dup': ESME_RBINDTHROTTLED") != std::string::npos; },
      5s))
      << sim.proc.err_text;
  hold.signal(SIGINT);
  EXPECT_EQ(hold.wait(10s), 0) << hold.err_text;
  sim.proc.signal(SIGINT);
  EXPECT_EQ(sim.proc.wait(5s), 0);
}

TEST(SimCli, LoadBindFailureIsOneClearLine) {
  char path[] = "/tmp/smppscope-cred-XXXXXX";
  const int fd = ::mkstemp(path);
  const std::string creds = "# test\nalice:secret\n";
  ASSERT_EQ(::write(fd, creds.data(), creds.size()), static_cast<ssize_t>(creds.size()));
  ::close(fd);
  sim_process sim({"--credentials", path});
  child_process load(cmd({"load", "--target", sim.target(), "--system-id", "alice", "--password", "wrong", "--count", "5"}));
  EXPECT_EQ(load.wait(10s), 1);
  EXPECT_NE(load.err_text.find("bind failed: ESME_RINVPASWD"), std::string::npos) << load.err_text;
  EXPECT_TRUE(sim.proc.wait_stderr(
      [](const std::string& e) { return e.find("refused for system_id 'alice': ESME_RINVPASWD") != std::string::npos; }, 5s))
      << sim.proc.err_text;
  ::unlink(path);
}

TEST(SimCli, SigintStopsAnUnlimitedLoadWithAReport) {
  sim_process sim({"--quiet"});
  child_process load(cmd({"load", "--target", sim.target(), "--system-id", "x", "--count", "0", "--window", "5", "--rate",
                          "500", "--json"}));
  // A progress line with something acknowledged: the run is under way (the first line may come
  // before the bind completes, with nothing acked yet).
  static const std::regex acked("acked [1-9]");
  ASSERT_TRUE(load.wait_stderr([](const std::string& e) { return std::regex_search(e, acked); }, 10s))
      << load.err_text;
  const auto t0 = std::chrono::steady_clock::now();
  load.signal(SIGINT);
  const auto code = load.wait(5s);
  ASSERT_TRUE(code);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(*code, 0) << load.err_text;
  const json::value j = json::parse(load.out_text);
  EXPECT_GT(j.at("acknowledged").to_number<int>(), 0);
  EXPECT_EQ(j.at("acknowledged"), j.at("sent"));
  sim.proc.signal(SIGTERM);
  EXPECT_EQ(sim.proc.wait(5s), 0);
}

}  // namespace
}  // namespace smppscope::sim::test
