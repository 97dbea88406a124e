// smppscope demo: everything in one process, no arguments needed.
//
//   load generators (own threads) --> proxy relay --> SMSC simulator (own thread)
//                                        | tap
//                                        v
//                  analyzer thread --> event ring, sessions, diagnostics --> web UI (--web)
//                                  \-> pcap files (--pcap-dir, default a new temp directory)
//
// The traffic is gentle and varied (GSM7, UCS2, concatenated, receipts, MO, enquire_link, a few
// error statuses), and once a minute the simulator stalls for a few seconds so the diagnostics
// have something to flag. Ctrl-C stops everything in order.
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "diag_wiring.hpp"
#include "smppscope/analysis/pipeline.hpp"
#include "smppscope/proxy/host_port.hpp"
#include "smppscope/proxy/proxy.hpp"
#include "smppscope/sim/ismg.hpp"
#include "smppscope/sim/load_generator.hpp"
#include "smppscope/sim/simulator.hpp"
#include "web_wiring.hpp"

namespace smppscope::app {
namespace {

using namespace std::chrono_literals;

struct demo_args {
  std::string web = "127.0.0.1:8080";
  std::string listen = "127.0.0.1:2775";
  std::string pcap_dir;
  double rate = 4;             // messages per second over all traffic sessions
  double stall_every = 60;     // seconds; 0: never
  double stall_for = 5;        // seconds
  double duration = 0;         // seconds; 0: until Ctrl-C
  diag_cli_options diag;
};

CLI::Validator host_port_check() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        return proxy::parse_host_port(s) ? std::string{} : "must be HOST:PORT (got '" + s + "')";
      },
      "HOST:PORT");
}

// True when HOST:PORT can be bound now (so a busy default port falls back to a free one).
bool can_bind(const proxy::host_port& hp) {
  boost::asio::io_context ctx;
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(hp.host, ec);
  if (ec) return true;  // a name: let the real bind report it
  boost::asio::ip::tcp::acceptor a(ctx);
  a.open(addr.is_v6() ? boost::asio::ip::tcp::v6() : boost::asio::ip::tcp::v4(), ec);
  if (ec) return false;
  a.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true), ec);
  a.bind({addr, hp.port}, ec);
  return !ec;
}

std::filesystem::path make_pcap_dir(const std::string& given) {
  if (!given.empty()) return given;
  std::string tmpl = (std::filesystem::temp_directory_path() / "smppscope-demo-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary directory for pcap files");
  return tmpl;
}

// One traffic source: a load generator run over and over (a lost session is retried) until stop().
class traffic {
 public:
  traffic(sim::load_options o) : opt_(std::move(o)), thread_([this] { loop(); }) {}
  ~traffic() { stop(); }

  void stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      if (gen_) gen_->stop();
    }
    cv_.notify_all();
    // A clean stop waits for in-flight responses and unbinds; give it two seconds.
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (!done_ && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    {
      std::lock_guard lock(mu_);
      if (gen_) gen_->abort();
    }
    thread_.join();
  }

 private:
  void loop() {
    while (true) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) break;
        gen_ = std::make_unique<sim::load_generator>(opt_);
      }
      gen_->run();
      std::unique_lock lock(mu_);
      gen_.reset();
      if (cv_.wait_for(lock, 1s, [this] { return stopping_; })) break;
    }
    done_ = true;
  }

  sim::load_options opt_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<bool> done_{false};
  std::unique_ptr<sim::load_generator> gen_;
  std::thread thread_;
};

int run_demo(demo_args& a) {
  auto web_hp = proxy::parse_host_port(a.web);
  auto listen_hp = proxy::parse_host_port(a.listen);
  if (!(a.rate > 0) || a.rate > 100000) throw std::runtime_error("--rate must be between 0 and 100000 messages/s");
  if (a.stall_every < 0 || a.stall_for < 0) throw std::runtime_error("--stall-every and --stall-for must not be negative");
  if (a.stall_every > 0 && a.stall_for >= a.stall_every) throw std::runtime_error("--stall-for must be shorter than --stall-every");
  std::vector<std::string> notes;
  if (web_hp->port != 0 && !can_bind(*web_hp)) {
    notes.push_back("port " + std::to_string(web_hp->port) + " is busy: the web UI takes a free port");
    web_hp->port = 0;
  }
  if (listen_hp->port != 0 && !can_bind(*listen_hp)) {
    notes.push_back("port " + std::to_string(listen_hp->port) + " is busy: the proxy takes a free port");
    listen_hp->port = 0;
  }
  const std::filesystem::path pcap_dir = make_pcap_dir(a.pcap_dir);
  analysis::pipeline_options po;
  po.diagnostics = resolve_diag_options(a.diag);
  po.alert_log = make_alert_logger(a.diag);
  po.pcap = analysis::pcap_writer_options{};
  po.pcap->dir = pcap_dir;

  // SIGINT / SIGTERM are taken by sigtimedwait() below; every thread started from here on has
  // them blocked. A shell starts background jobs with SIGINT ignored: restore the default.
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // The SMSC.
  sim::simulator_options so;
  so.host = "127.0.0.1";
  so.port = 0;
  so.dlr_delay = 1500ms;
  so.mo_rate = 0.1;
  so.enquire_link_interval = 20s;
  so.error_rate = 0.03;
  so.error_status = 0x58;  // ESME_RTHROTTLED now and then
  so.log = nullptr;
  sim::simulator smsc(so);
  smsc.start();
  std::thread smsc_thread([&smsc] { smsc.run(); });

  // Capture and analysis, as `smppscope proxy` wires them.
  analysis::pipeline pl(std::move(po));
  analysis::tap_queue& tap = pl.add_queue(16u << 20);
  analysis::tap_queue& cmpp_tap = pl.add_queue(4u << 20);  // the CMPP relay's
  web_cli_options web_opt;
  web_opt.web = proxy::host_port{web_hp->host, web_hp->port}.to_string();
  web_frontend web(web_opt, pl.ring(), pl.sessions(), pl.analyzer(), pl.pcap());
  web.add_diagnostics(*pl.diagnostics());

  proxy::proxy_options rpo;
  rpo.listen = *listen_hp;
  rpo.upstream = {"127.0.0.1", smsc.port()};
  rpo.taps = {&tap};
  rpo.idle_timeout = std::chrono::seconds(300);  // as deploy/smppscope.default sets it
  rpo.system_id_of = [&pl](std::uint64_t id) {
    auto s = pl.sessions().get(id);
    return s ? s->system_id : std::string();
  };
  proxy::proxy relay(rpo);
  relay.start();
  // A CMPP 2.0 gateway behind a relay of its own (one upstream per proxy); the analyzer tells the
  // protocols apart per session. Its session ids start far above the SMPP relay's.
  sim::ismg_options io;
  io.host = "127.0.0.1";
  io.port = 0;
  io.dlr_delay = so.dlr_delay;
  io.mo_rate = so.mo_rate;
  io.enquire_link_interval = so.enquire_link_interval;  // ACTIVE_TEST
  io.error_rate = so.error_rate;
  io.error_status = 8;  // flow control now and then
  io.log = nullptr;
  sim::ismg ismg(io);
  ismg.start();
  std::thread ismg_thread([&ismg] { ismg.run(); });
  proxy::proxy_options cpo = rpo;
  cpo.listen = {listen_hp->host, 0};
  cpo.upstream = {"127.0.0.1", ismg.port()};
  cpo.taps = {&cmpp_tap};
  cpo.first_session_id = std::uint64_t{1} << 32;
  proxy::proxy cmpp_relay(cpo);
  cmpp_relay.start();
  pl.start();
  web.start();
  const std::uint16_t proxy_port = relay.port();

  // Traffic: two transceivers of one account, and a transmitter with its receiver of another.
  sim::load_options lo;
  lo.host = "127.0.0.1";
  lo.port = proxy_port;
  lo.count = 0;
  lo.window = 5;
  lo.mix = {sim::message_kind::gsm7, sim::message_kind::ucs2, sim::message_kind::gsm7, sim::message_kind::long_gsm7};
  lo.registered_delivery = true;
  lo.timeout = 30s;  // longer than a stall
  lo.enquire_link_interval = 15s;
  lo.system_id = "acme";
  lo.password = "demo";
  lo.sessions = 2;
  lo.rate = a.rate * 0.7;
  lo.source_addr = "ACME";
  auto trx = std::make_unique<traffic>(lo);
  lo.system_id = "globex";
  lo.sessions = 1;
  lo.bind = sim::bind_mode::transmitter;
  lo.rate = a.rate * 0.3;
  lo.source_addr = "4915112345678";
  lo.destination_addr = "447700900123";
  auto tx = std::make_unique<traffic>(lo);
  sim::load_options clo;  // one CMPP 2.0 SP: ASCII, GBK, UCS2 and three-part messages, status reports
  clo.port = cmpp_relay.port();
  clo.protocol = sim::load_protocol::cmpp2;
  clo.count = 0;
  clo.window = 5;
  clo.cmpp_mix = {sim::cmpp_text::ascii, sim::cmpp_text::gbk, sim::cmpp_text::ucs2, sim::cmpp_text::long_ucs2};
  clo.registered_delivery = true;
  clo.timeout = 30s;
  clo.enquire_link_interval = 15s;  // ACTIVE_TEST
  clo.system_id = "901234";
  clo.password = "demo";
  clo.rate = a.rate * 0.3;
  clo.source_addr = "1066888";
  clo.destination_addr = "13800138000";
  auto cmpp_sp = std::make_unique<traffic>(clo);

  const std::string proxy_addr = proxy::host_port{listen_hp->host, proxy_port}.to_string();
  std::printf("smppscope demo is running\n");
  std::printf("  web UI        %s\n", web.url().c_str());
  std::printf("  SMPP proxy    %s -> simulated SMSC 127.0.0.1:%u\n", proxy_addr.c_str(), smsc.port());
  std::printf("  CMPP proxy    %s -> simulated CMPP 2.0 ISMG 127.0.0.1:%u\n",
              proxy::host_port{listen_hp->host, cmpp_relay.port()}.to_string().c_str(), ismg.port());
  std::printf("  pcap files    %s\n", pcap_dir.c_str());
  std::printf("  traffic       3 SMPP sessions, about %g messages/s: GSM7, UCS2, concatenated, receipts, MO;\n"
              "                1 CMPP 2.0 session, about %g messages/s: ASCII, GBK, UCS2, long, status reports\n",
              a.rate, clo.rate);
  if (a.stall_every > 0)
    std::printf("  faults        ~3%% ESME_RTHROTTLED; the SMSC stalls for %g s every %g s\n", a.stall_for, a.stall_every);
  std::printf("Point your own client at %s (any system_id and password), for example:\n", proxy_addr.c_str());
  std::printf("  smppscope load --target %s --system-id me --password x --count 100 --window 10 --registered-delivery\n",
              proxy_addr.c_str());
  for (const auto& n : notes) std::printf("note: %s\n", n.c_str());
  std::printf("Ctrl-C stops.\n");
  std::fflush(stdout);

  // Main thread: signals, --duration and the periodic stall.
  const auto start = std::chrono::steady_clock::now();
  auto next_stall = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(a.stall_every > 0 ? a.stall_every / 2 : 1e9));
  std::chrono::steady_clock::time_point stall_end{};
  bool stalled = false;
  int sig = 0;
  for (;;) {
    timespec wait{0, 100'000'000};
    sig = sigtimedwait(&stop_signals, nullptr, &wait);
    if (sig == SIGINT || sig == SIGTERM) break;
    const auto now = std::chrono::steady_clock::now();
    if (a.duration > 0 && now - start >= std::chrono::duration<double>(a.duration)) break;
    if (!stalled && a.stall_every > 0 && now >= next_stall) {
      std::fprintf(stderr, "demo: the simulated SMSC stalls for %g s\n", a.stall_for);
      smsc.set_stalled(true);
      ismg.set_stalled(true);
      stalled = true;
      stall_end = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(a.stall_for));
      next_stall = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(a.stall_every));
    }
    if (stalled && now >= stall_end) {
      smsc.set_stalled(false);
      ismg.set_stalled(false);
      stalled = false;
      std::fprintf(stderr, "demo: the simulated SMSC answers again\n");
    }
  }
  std::fprintf(stderr, "demo: %s, stopping\n", sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "time is up");
  smsc.set_stalled(false);
  ismg.set_stalled(false);
  std::thread stop_trx([&] { trx.reset(); });  // all stop in parallel
  std::thread stop_cmpp([&] { cmpp_sp.reset(); });
  tx.reset();
  stop_trx.join();
  stop_cmpp.join();
  relay.stop();
  cmpp_relay.stop();
  ismg.stop();
  ismg_thread.join();
  smsc.stop();
  smsc_thread.join();
  pl.stop();  // drains the taps, then closes the pcap file
  web.stop();
  const auto st = relay.stats();
  std::fprintf(stderr, "demo: stopped after %llu proxied sessions; pcap files in %s\n",
               static_cast<unsigned long long>(st.opened), pcap_dir.c_str());
  return 0;
}

}  // namespace

command_runner add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "simulator + proxy + web UI + traffic in one process; prints the UI URL");
  auto a = std::make_shared<demo_args>();
  cmd->add_option("--web", a->web, "web UI address (a free port if this one is busy)")
      ->check(host_port_check())->capture_default_str();
  cmd->add_option("--listen", a->listen, "SMPP proxy address for your own clients (a free port if busy)")
      ->check(host_port_check())->capture_default_str();
  cmd->add_option("--pcap-dir", a->pcap_dir, "write pcap files here (default: a new temporary directory)");
  cmd->add_option("--rate", a->rate, "messages per second of demo traffic")->capture_default_str();
  cmd->add_option("--stall-every", a->stall_every, "seconds between simulator stalls (0: none)")->capture_default_str();
  cmd->add_option("--stall-for", a->stall_for, "seconds each stall lasts")->capture_default_str();
  cmd->add_option("--duration", a->duration, "stop after this many seconds (0: run until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  // Diagnostics tuned so that the stalls show within seconds.
  a->diag.opt.response_timeout_us = 3'000'000;
  a->diag.opt.enquire_link_timeout_us = 2'000'000;
  a->diag.opt.window_stall_us = 1'000'000;
  a->diag.opt.window = 5;
  add_diag_options(*cmd, a->diag);
  return [a] { return run_demo(*a); };
}

}  // namespace smppscope::app
