// `smppscope proxy` as a user runs it: the real binary, real signals, tshark on its pcap output.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <thread>

#include "test_support.hpp"

extern char** environ;

namespace smppscope::proxy::test {
namespace {

using namespace std::chrono_literals;

// A child process with its stderr captured line by line into a log_sink. `nofile` > 0: its
// RLIMIT_NOFILE, soft and hard (so it cannot raise it).
class child {
 public:
  explicit child(std::vector<std::string> args, rlim_t nofile = 0) {
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (nofile == 0) {
      posix_spawn_file_actions_t fa;
      posix_spawn_file_actions_init(&fa);
      posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
      if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
      posix_spawn_file_actions_destroy(&fa);
    } else {
      pid_ = ::fork();
      if (pid_ == 0) {  // only async-signal-safe calls until exec
        const rlimit rl{nofile, nofile};
        ::setrlimit(RLIMIT_NOFILE, &rl);
        ::dup2(err[1], STDERR_FILENO);
        ::execve(argv[0], argv.data(), environ);
        ::_exit(127);
      }
    }
    ::close(err[1]);
    reader_ = std::thread([this, fd = err[0]] {
      std::string partial;
      char buf[4096];
      auto sink = logs.fn();
      for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        partial.append(buf, static_cast<std::size_t>(n));
        for (std::size_t nl; (nl = partial.find('\n')) != std::string::npos;) {
          sink(partial.substr(0, nl));
          partial.erase(0, nl + 1);
        }
      }
      if (!partial.empty()) sink(partial);
      ::close(fd);
    });
  }
  ~child() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      wait_exit(5s);
    }
    if (reader_.joinable()) reader_.join();
  }
  bool valid() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  void signal(int s) { ::kill(pid_, s); }
  // Exit status, or -1 when it did not exit in time.
  int wait_exit(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        if (reader_.joinable()) reader_.join();
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (std::chrono::steady_clock::now() > until) return -1;
      std::this_thread::sleep_for(5ms);
    }
  }
  log_sink logs;

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::thread reader_;
};

struct run_result {
  int status;
  std::vector<std::string> lines;
};

run_result run_to_end(std::vector<std::string> args) {
  args.insert(args.begin(), SMPPSCOPE_BINARY);
  child c(args);
  const int st = c.wait_exit(10s);
  return {st, c.logs.lines()};
}

TEST(cli, bad_arguments_give_one_clear_line_and_fail) {
  const std::string up = "--upstream=127.0.0.1:2775";
  struct bad_case {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"proxy", "--listen=127.0.0.1:0", "--upstream=nowhere"}, "--upstream must be HOST:PORT"},
      {{"proxy", "--listen=::1:2775", up}, "--listen must be HOST:PORT"},
      {{"proxy", "--listen=127.0.0.1:0"}, "--upstream is required"},
      {{"proxy", "--listen=127.0.0.1:0", "--upstream=127.0.0.1:0"}, "--upstream needs a port other than 0"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--listen-tls"}, "--listen-tls needs --cert FILE and --key FILE"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--insecure"}, "add --upstream-tls"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--tls-min=1.1"}, "--tls-min must be 1.2 or 1.3"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--allow=300.1.1.1/8"}, "--allow must be an address or CIDR block"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--threads=0"}, "--threads must be between 1 and 256"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--connect-timeout=0"}, "--connect-timeout must be between"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--max-pdu=0"}, "--max-pdu must be between 16 (the SMPP header) and 16777216"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--max-pdu=15"}, "--max-pdu must be between 16"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--max-pdu=999999999999"}, "--max-pdu must be between 16 (the SMPP header) and 16777216"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--max-pdu=16777217"}, "--max-pdu must be between"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--idle-timeout=-1"}, "--idle-timeout must be between 0 (off) and"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--write-timeout=99999"}, "--write-timeout must be between 0 (off) and 3600"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--tcp-keepalive=40000"}, "--tcp-keepalive must be between 0 (off) and 32767"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--pcap-dir=/tmp", "--pcap-legs=sideways"}, "--pcap-legs must be"},
      {{"proxy", "--listen=127.0.0.1:0", up, "--listen-tls", "--cert=/nonexistent.pem", "--key=/nonexistent.key"},
       "--cert: cannot load certificate from /nonexistent.pem"},
  };
  for (auto& c : cases) {
    const auto r = run_to_end(c.args);
    EXPECT_NE(r.status, 0) << c.message;
    ASSERT_EQ(r.lines.size(), 1u) << c.message;
    EXPECT_NE(r.lines[0].find(c.message), std::string::npos) << r.lines[0];
  }
}

TEST(cli, pcap_flags_with_bad_values_fail_clearly) {
  const std::string up = "--upstream=127.0.0.1:2775";
  char tmpl[] = "/tmp/smppscope-cli-pcapdir-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  ::chmod(dir.c_str(), 0777);  // world-writable, no sticky bit
  // A path that must not come into existence: a rejected flag creates nothing.
  const std::string never = dir + "/never";
  struct bad_case {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"--pcap-dir=" + never, "--pcap-max-age=7x"}, "--pcap-max-age must be a duration like 7d, 12h, 30m or 3600"},
      {{"--pcap-dir=" + never, "--pcap-max-total-mb=10"}, "--pcap-max-total-mb must be at least --pcap-rotate-mb"},
      {{"--pcap-dir=" + never, "--pcap-keep-passwords", "--redact-passwords"}, "contradict each other"},
      {{"--pcap-dir=" + dir}, "--pcap-dir " + dir + ": is world-writable"},
  };
  for (auto& c : cases) {
    c.args.insert(c.args.begin(), {"proxy", "--listen=127.0.0.1:0", up});
    const auto r = run_to_end(c.args);
    EXPECT_NE(r.status, 0) << c.message;
    ASSERT_EQ(r.lines.size(), 1u) << c.message;
    EXPECT_NE(r.lines[0].find(c.message), std::string::npos) << r.lines[0];
  }
  EXPECT_FALSE(std::filesystem::exists(never));
  std::filesystem::remove_all(dir);
}

TEST(cli, listen_port_in_use_fails_clearly) {
  server taken([](conn&) {});
  const auto r = run_to_end({"proxy", "--listen=127.0.0.1:" + std::to_string(taken.port()), "--upstream=127.0.0.1:2775"});
  EXPECT_NE(r.status, 0);
  ASSERT_FALSE(r.lines.empty());
  EXPECT_NE(r.lines.back().find("cannot listen on 127.0.0.1:" + std::to_string(taken.port()) + ": Address already in use"),
            std::string::npos)
      << r.lines.back();
}

TEST(cli, help_works) {
  const std::string out = [] {
    std::string cmd = std::string(SMPPSCOPE_BINARY) + " proxy --help";
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string s;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) s.append(buf, n);
    EXPECT_EQ(::pclose(p), 0);
    return s;
  }();
  for (const char* flag : {"--listen", "--upstream", "--listen-tls", "--upstream-tls", "--allow", "--pcap-dir",
                           "--connect-timeout", "--tls-min", "--insecure", "--ca", "--sni", "--threads", "--max-pdu",
                           "--max-sessions", "--max-sessions-per-ip", "--idle-timeout", "--write-timeout", "--tcp-keepalive"})
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
}

// An SMSC that answers binds and submit_sm, and otherwise stays quiet.
server::handler tiny_smsc() {
  return [](conn& c) {
    std::uint8_t hdr[16];
    while (c.read_exact(hdr, 16)) {
      const std::uint32_t len = (std::uint32_t(hdr[0]) << 24) | (hdr[1] << 16) | (hdr[2] << 8) | hdr[3];
      const std::uint32_t id = (std::uint32_t(hdr[4]) << 24) | (hdr[5] << 16) | (hdr[6] << 8) | hdr[7];
      const std::uint32_t seq = (std::uint32_t(hdr[12]) << 24) | (hdr[13] << 16) | (hdr[14] << 8) | hdr[15];
      bytes body(len - 16);
      if (!c.read_exact(body.data(), body.size())) break;
      bytes resp;
      if (id == 0x09) resp = pdu(0x80000009, seq, bytes{'s', 'm', 's', 'c', 0});
      else if (id == 0x04) resp = pdu(0x80000004, seq, bytes{'m', '1', 0});
      else if (id == 0x06) resp = pdu(0x80000006, seq);
      if (!resp.empty() && !c.write_all(resp)) break;
    }
    c.shutdown_send();
  };
}

TEST(cli, real_binary_relays_captures_and_exits_cleanly_on_sigint) {
  server smsc(tiny_smsc());
  char tmpl[] = "/tmp/smppscope-cli-pcap-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::filesystem::path dir = tmpl;

  child proxy_proc({SMPPSCOPE_BINARY, "proxy", "--listen", "127.0.0.1:0", "--upstream",
                    "127.0.0.1:" + std::to_string(smsc.port()), "--pcap-dir", dir.string(), "--threads", "2"});
  ASSERT_TRUE(proxy_proc.valid());
  const std::string listening = proxy_proc.logs.wait_for("listening on 127.0.0.1:");
  ASSERT_NE(listening, "") << "no listening line";
  std::smatch m;
  ASSERT_TRUE(std::regex_search(listening, m, std::regex(R"(listening on 127\.0\.0\.1:(\d+))")));
  const auto port = static_cast<std::uint16_t>(std::stoi(m[1]));
  // The log line format: ISO 8601 UTC with milliseconds, then the message.
  EXPECT_TRUE(std::regex_search(listening, std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z listening on)"))) << listening;

  constexpr int submits = 50;
  {
    conn c = connect_tcp("127.0.0.1", port);
    ASSERT_TRUE(c.valid());
    ASSERT_TRUE(c.write_all(bind_transceiver(1, "cli-esme", "pw123")));
    std::uint8_t resp[21];
    ASSERT_TRUE(c.read_exact(resp, sizeof resp));
    EXPECT_EQ(resp[4], 0x80);
    const bytes stream = [] {
      bytes b;
      for (int i = 0; i < submits; ++i) {
        bytes body = {0, 1, 1, '1', 0, 1, 1, '2', 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 'h', 'i'};
        const bytes p = pdu(0x04, static_cast<std::uint32_t>(i + 2), body);
        b.insert(b.end(), p.begin(), p.end());
      }
      return b;
    }();
    ASSERT_TRUE(c.write_all(stream));
    bytes answers(static_cast<std::size_t>(submits) * 19);
    ASSERT_TRUE(c.read_exact(answers.data(), answers.size()));
  }
  const std::string closed = proxy_proc.logs.wait_for(" close -> upstream ");
  EXPECT_NE(closed.find("esme_to_smsc 51 PDUs"), std::string::npos) << closed;
  EXPECT_NE(closed.find("smsc_to_esme 51 PDUs"), std::string::npos) << closed;

  // A second client while the first is gone: the listener is still there.
  conn again = connect_tcp("127.0.0.1", port);
  EXPECT_TRUE(again.valid());
  again.close();

  const auto t0 = std::chrono::steady_clock::now();
  proxy_proc.signal(SIGINT);
  EXPECT_EQ(proxy_proc.wait_exit(5s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_TRUE(proxy_proc.logs.contains("received SIGINT, shutting down"));

  // The capture is complete once the process has exited: tshark is the judge.
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".pcap") files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  {  // private, and the bind password masked by default
    struct stat st {};
    ASSERT_EQ(::stat(files[0].c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::ifstream f(files[0], std::ios::binary);
    const std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_EQ(all.find("pw123"), std::string::npos);
    EXPECT_NE(all.find(std::string("cli-esme\0*****\0", 15)), std::string::npos);
  }
  const std::string cmd = "tshark -r " + files[0].string() + " -Y smpp -T fields -e smpp.command_id -e tcp.dstport 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  int to_smsc_submits = 0, binds = 0;
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  for (std::size_t start = 0, nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
    // Several PDUs in one segment come out comma-separated.
    const std::string l = out.substr(start, nl - start);
    const auto tab = l.find('\t');
    const std::string ids = l.substr(0, tab);
    const int dport = std::stoi(l.substr(tab + 1));
    std::size_t at = 0;
    while (at < ids.size()) {
      const auto comma = ids.find(',', at);
      const std::string id = ids.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      if (id == "0x00000004" && dport == smsc.port()) ++to_smsc_submits;
      if (id == "0x00000009") ++binds;
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  }
  EXPECT_EQ(::pclose(p), 0);
  EXPECT_EQ(to_smsc_submits, submits);  // on the upstream leg
  EXPECT_EQ(binds, 2);                   // the bind on both legs
  std::filesystem::remove_all(dir);
}

// --pcap-keep-passwords writes the password as relayed; --redact-passwords (the old flag) is
// still accepted and masks; retention flags are accepted.
TEST(cli, pcap_password_flags) {
  server smsc(tiny_smsc());
  for (const bool keep : {true, false}) {
    char tmpl[] = "/tmp/smppscope-cli-pcap-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::filesystem::path dir = tmpl;
    child proxy_proc({SMPPSCOPE_BINARY, "proxy", "--listen", "127.0.0.1:0", "--upstream",
                      "127.0.0.1:" + std::to_string(smsc.port()), "--pcap-dir", dir.string(),
                      keep ? "--pcap-keep-passwords" : "--redact-passwords", "--pcap-max-age", "7d",
                      "--pcap-max-total-mb", "1024"});
    ASSERT_TRUE(proxy_proc.valid());
    const std::string listening = proxy_proc.logs.wait_for("listening on 127.0.0.1:");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(listening, m, std::regex(R"(listening on 127\.0\.0\.1:(\d+))"))) << listening;
    {
      conn c = connect_tcp("127.0.0.1", static_cast<std::uint16_t>(std::stoi(m[1])));
      ASSERT_TRUE(c.valid());
      ASSERT_TRUE(c.write_all(bind_transceiver(1, "cli-esme", "pwKeep7")));
      std::uint8_t resp[21];
      ASSERT_TRUE(c.read_exact(resp, sizeof resp));
    }
    proxy_proc.logs.wait_for(" close -> upstream ");
    proxy_proc.signal(SIGINT);
    EXPECT_EQ(proxy_proc.wait_exit(5s), 0);
    std::string all;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      std::ifstream f(e.path(), std::ios::binary);
      all.append(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    EXPECT_EQ(all.find("pwKeep7") != std::string::npos, keep);
    EXPECT_EQ(all.find("*******") != std::string::npos, !keep);
    EXPECT_NE(all.find("cli-esme"), std::string::npos);
    std::filesystem::remove_all(dir);
  }
}

std::uint16_t listening_port(child& c) {
  const std::string listening = c.logs.wait_for("listening on 127.0.0.1:", 20s);
  std::smatch m;
  if (!std::regex_search(listening, m, std::regex(R"(listening on 127\.0\.0\.1:(\d+))"))) return 0;
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}


bool echoes(conn& c, std::uint32_t seq) {
  const bytes e = pdu(0x15, seq);
  std::uint8_t back[16];
  return c.write_all(e) && c.read_exact(back, sizeof back) && bytes(back, back + 16) == e;
}

// CPU time (user + system) of a process so far, in clock ticks.
long cpu_ticks(pid_t pid) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return -1;
  char buf[4096];
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char* p = std::strrchr(buf, ')');  // the command name may hold spaces
  if (!p) return -1;
  long utime = 0, stime = 0;
  // After ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  if (std::sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime, &stime) != 2) return -1;
  return utime + stime;
}

TEST(cli, out_of_file_descriptors_the_proxy_neither_spins_nor_dies_and_old_sessions_relay) {
  // Sanitizer builds leave out UBSan's vptr check (see CMakeLists.txt): it needs a free descriptor.
  const std::string binary = SMPPSCOPE_BINARY;
  server smsc(echo_handler());
  // Sessions take two descriptors each: whether the last free one goes to accept() (EMFILE there)
  // or to an upstream socket depends on how many the process holds at start, so two limits of
  // different parity are run; accept() must run out in at least one of them.
  bool accept_ran_out = false;
  for (const rlim_t limit : {rlim_t(48), rlim_t(49)}) {
    SCOPED_TRACE("RLIMIT_NOFILE " + std::to_string(limit));
    child proc({binary, "proxy", "--listen", "127.0.0.1:0", "--upstream",
                "127.0.0.1:" + std::to_string(smsc.port()), "--no-alert-log"},
               limit);
    ASSERT_TRUE(proc.valid());
    const std::uint16_t port = listening_port(proc);
    ASSERT_NE(port, 0) << "no listening line";
    EXPECT_NE(proc.logs.wait_for("RLIMIT_NOFILE is " + std::to_string(limit)), "");  // the start-up warning

    conn early = connect_tcp("127.0.0.1", port);
    ASSERT_TRUE(echoes(early, 1));

    std::vector<conn> flood;
    for (int i = 0; i < 120; ++i) flood.push_back(connect_tcp("127.0.0.1", port, 2s));
    // Held open while the proxy has no descriptor left: it must wait, not spin.
    std::this_thread::sleep_for(500ms);
    const long before = cpu_ticks(proc.pid());
    std::this_thread::sleep_for(2s);
    const long used = cpu_ticks(proc.pid()) - before;
    ASSERT_GE(before, 0);
    EXPECT_LT(used, ::sysconf(_SC_CLK_TCK)) << "over a second of CPU in two seconds of fd exhaustion: spinning";

    EXPECT_TRUE(echoes(early, 2)) << "the session opened before the flood stopped relaying";
    if (proc.logs.contains("accept failed: Too many open files")) accept_ran_out = true;

    flood.clear();  // descriptors come back; new sessions work again
    bool recovered = false;
    for (int i = 0; i < 50 && !recovered; ++i) {
      conn again = connect_tcp("127.0.0.1", port);
      recovered = again.valid() && echoes(again, 3);
      if (!recovered) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(recovered);
    EXPECT_TRUE(echoes(early, 4));
    early.close();
    proc.signal(SIGTERM);
    EXPECT_EQ(proc.wait_exit(20s), 0);
    for (const auto& l : proc.logs.lines()) EXPECT_EQ(l.find("unexpected error"), std::string::npos) << l;
    if (HasFailure())
      for (const auto& l : proc.logs.lines()) std::cerr << "  proxy: " << l << "\n";
  }
  EXPECT_TRUE(accept_ran_out) << "accept() never failed with EMFILE: the test did not test it";
}

TEST(cli, a_hostile_system_id_reaches_stderr_escaped) {
  server smsc(tiny_smsc());
  child proc({SMPPSCOPE_BINARY, "proxy", "--listen", "127.0.0.1:0", "--upstream",
              "127.0.0.1:" + std::to_string(smsc.port()), "--enquire-link-timeout", "0.2"});
  ASSERT_TRUE(proc.valid());
  const std::uint16_t port = listening_port(proc);
  ASSERT_NE(port, 0);
  const std::string evil = "e\x1b[31m\r\nX\x07\xc2\x9b";  // 12 octets: a valid system_id length
  {
    conn c = connect_tcp("127.0.0.1", port);
    ASSERT_TRUE(c.write_all(bind_transceiver(1, evil, "pw")));
    std::uint8_t resp[21];
    ASSERT_TRUE(c.read_exact(resp, sizeof resp));
    // An enquire_link the SMSC never answers: its alert line names the session's system_id, if any.
    ASSERT_TRUE(c.write_all(pdu(0x15, 2)));
    std::this_thread::sleep_for(1500ms);  // the analysis thread has seen the bind
  }
  const std::string closed = proc.logs.wait_for(" close -> upstream ");
  EXPECT_NE(closed.find("system_id e\\x1b[31m\\x0d\\x0aX\\x07\\xc2\\x9b:"), std::string::npos)
      << closed;
  proc.signal(SIGINT);
  EXPECT_EQ(proc.wait_exit(10s), 0);
  for (const auto& l : proc.logs.lines())
    for (const unsigned char ch : l) EXPECT_TRUE(ch >= 0x20 && ch != 0x7f) << "raw octet " << int(ch) << " in: " << l;
}

}  // namespace
}  // namespace smppscope::proxy::test
