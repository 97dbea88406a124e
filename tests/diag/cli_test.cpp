// app/diag_wiring: the diagnostics flags on a CLI11 subcommand.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../../app/diag_wiring.hpp"

namespace {

struct parsed {
  smppscope::app::diag_cli_options cli;
  CLI::App app{"test"};
  CLI::App* cmd = nullptr;
  parsed() {
    cmd = app.add_subcommand("proxy");
    smppscope::app::add_diag_options(*cmd, cli);
  }
  void parse(std::vector<std::string> args) {
    args.insert(args.begin(), "proxy");
    std::reverse(args.begin(), args.end());  // CLI11 takes them reversed
    app.parse(args);
  }
};

}  // namespace

TEST(DiagCli, DefaultsMatchTheOptions) {
  parsed p;
  p.parse({});
  const auto o = smppscope::app::resolve_diag_options(p.cli);
  const smppscope::analysis::diag::diag_options d;
  EXPECT_EQ(o.window, d.window);
  EXPECT_EQ(o.response_timeout_us, d.response_timeout_us);
  EXPECT_EQ(o.enquire_link_timeout_us, d.enquire_link_timeout_us);
  EXPECT_EQ(o.silence_us, d.silence_us);
  EXPECT_EQ(o.request_expiry_us, 60'000'000);
  EXPECT_EQ(o.concat_timeout_us, 60'000'000);
  EXPECT_EQ(o.concat_max_pending, d.concat_max_pending);
  EXPECT_TRUE(p.cli.log_alerts);
  const std::string help = p.cmd->help();
  EXPECT_NE(help.find("--response-timeout"), std::string::npos) << help;
  EXPECT_NE(help.find("Diagnostics"), std::string::npos) << help;
}

TEST(DiagCli, SecondsBecomeMicroseconds) {
  parsed p;
  p.parse({"--window", "20", "--response-timeout", "0.5", "--enquire-link-timeout", "0.25", "--silence", "3",
           "--window-stall", "1.5", "--alert-quiet", "2", "--dlr-timeout", "600", "--dlr-grace", "0",
           "--congestion-threshold", "90", "--max-outstanding", "1000", "--no-alert-log",
           "--concat-timeout", "2.5", "--concat-max-pending", "50"});
  const auto o = smppscope::app::resolve_diag_options(p.cli);
  EXPECT_EQ(o.window, 20u);
  EXPECT_EQ(o.response_timeout_us, 500'000);
  EXPECT_EQ(o.enquire_link_timeout_us, 250'000);
  EXPECT_EQ(o.silence_us, 3'000'000);
  EXPECT_EQ(o.window_stall_us, 1'500'000);
  EXPECT_EQ(o.quiet_period_us, 2'000'000);
  EXPECT_EQ(o.dlr_timeout_us, 600'000'000);
  EXPECT_EQ(o.dlr_grace_us, 0);
  EXPECT_EQ(o.congestion_threshold, 90u);
  EXPECT_EQ(o.max_outstanding, 1000u);
  EXPECT_EQ(o.concat_timeout_us, 2'500'000);
  EXPECT_EQ(o.concat_max_pending, 50u);
  EXPECT_FALSE(p.cli.log_alerts);
  EXPECT_TRUE(smppscope::app::make_diagnostics(p.cli));
}

TEST(DiagCli, RequestExpiryFollowsLongTimeoutsUnlessGiven) {
  parsed p;
  p.parse({"--response-timeout", "120"});
  EXPECT_EQ(smppscope::app::resolve_diag_options(p.cli).request_expiry_us, 240'000'000);
  parsed q;
  q.parse({"--response-timeout", "120", "--request-expiry", "30"});
  try {
    smppscope::app::resolve_diag_options(q.cli);
    FAIL() << "accepted an expiry shorter than the timeout";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--request-expiry"), std::string::npos) << e.what();
  }
}

TEST(DiagCli, BadValuesAreRejectedNamingTheFlag) {
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--window", "0"}, {"--window", "ten"}, {"--response-timeout", "-1"},
        {"--response-timeout", "0"}, {"--congestion-threshold", "101"}, {"--silence", "x"},
        {"--concat-timeout", "0"}, {"--concat-max-pending", "0"}}) {
    parsed p;
    try {
      p.parse(bad);
      FAIL() << "accepted " << bad[0] << " " << bad[1];
    } catch (const CLI::ParseError& e) {
      EXPECT_NE(std::string(e.what()).find(bad[0]), std::string::npos) << e.what();
    }
  }
}

// One set of flags for SMPP and CMPP: a CMPP session takes the specification's figures only for
// what was not given.
TEST(DiagCli, CmppTakesTheSpecificationsFiguresForFlagsNotGiven) {
  namespace dg = smppscope::analysis::diag;
  {
    parsed p;
    p.parse({});
    const auto c = dg::for_cmpp(smppscope::app::resolve_diag_options(p.cli));
    EXPECT_EQ(c.window, 16u);
    EXPECT_EQ(c.enquire_link_timeout_us, 60'000'000);
    EXPECT_EQ(c.silence_us, 360'000'000);
    EXPECT_GE(c.request_expiry_us, 240'000'000);
    EXPECT_TRUE(dg::validate(c).empty()) << dg::validate(c);
  }
  {
    parsed p;
    p.parse({"--window", "20", "--enquire-link-timeout", "7", "--silence", "30"});
    const auto c = dg::for_cmpp(smppscope::app::resolve_diag_options(p.cli));
    EXPECT_EQ(c.window, 20u);
    EXPECT_EQ(c.enquire_link_timeout_us, 7'000'000);
    EXPECT_EQ(c.silence_us, 30'000'000);
  }
}

TEST(DiagCli, CmppSecretsFromFlagsAndAFileThatOthersCannotRead) {
  namespace fs = std::filesystem;
  const fs::path file = fs::temp_directory_path() / ("smppscope-cmpp-secrets-" + std::to_string(::getpid()));
  std::ofstream(file) << "# SP secrets\n901234:one:with:colons\r\n\n445566:two\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  {
    parsed p;
    smppscope::app::add_cmpp_secret_options(*p.cmd, p.cli);
    p.parse({"--cmpp-secret-file", file.string(), "--cmpp-secret", "445566:flag-wins", "--cmpp-secret", "7:x"});
    const auto o = smppscope::app::resolve_diag_options(p.cli);
    ASSERT_TRUE(o.cmpp_secrets);
    EXPECT_EQ(o.cmpp_secrets->size(), 3u);
    EXPECT_EQ(o.cmpp_secrets->at("901234"), "one:with:colons");
    EXPECT_EQ(o.cmpp_secrets->at("445566"), "flag-wins");
    EXPECT_EQ(o.cmpp_secrets->at("7"), "x");
  }
  {  // world-readable: refused, naming the flag, without the secret
    fs::permissions(file, fs::perms::others_read, fs::perm_options::add);
    parsed p;
    smppscope::app::add_cmpp_secret_options(*p.cmd, p.cli);
    p.parse({"--cmpp-secret-file", file.string()});
    try {
      (void)smppscope::app::resolve_diag_options(p.cli);
      ADD_FAILURE() << "a world-readable secret file was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("--cmpp-secret-file"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("readable by others"), std::string::npos) << e.what();
    }
  }
  {  // a malformed flag names the flag, never echoes the value
    parsed p;
    smppscope::app::add_cmpp_secret_options(*p.cmd, p.cli);
    p.parse({"--cmpp-secret", "toolongaddr:hunter2"});
    try {
      (void)smppscope::app::resolve_diag_options(p.cli);
      ADD_FAILURE() << "a Source_Addr longer than 6 was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("--cmpp-secret"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    }
  }
  fs::remove(file);
}
