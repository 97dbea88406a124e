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
                           "--mo-rate", "--window", "--rate", "--tls", "--threads", "--credentials"})
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
  sim_process sim({"--error-rate", "0.1", "--error-status", "ESME_RMSGQFUL", "--quiet"});
  child_process load(cmd({"load", "--target", sim.target(), "--system-id", "x", "--count", "200", "--window", "5", "--json"}));
  const auto code = load.wait(30s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1);
  const json::value j = json::parse(load.out_text);
  EXPECT_EQ(j.at("errors").at("ESME_RMSGQFUL").to_number<int>(), 20);
  EXPECT_EQ(j.at("acknowledged").to_number<int>(), 180);
  EXPECT_NE(load.err_text.find("20 submit_sm failed"), std::string::npos) << load.err_text;
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
