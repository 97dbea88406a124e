// What the browser tests run when `smppscope proxy` has no --web flags yet: the real relay, the
// analysis thread and the web frontend, wired as app/cmd_proxy.cpp will wire them.
//   web_ui_harness --listen HOST:PORT --upstream HOST:PORT --web HOST:PORT [--web-token ...]
#include <pthread.h>
#include <signal.h>

#include <cstdio>

#include "../../app/web_wiring.hpp"
#include "smppscope/capture/analyzer.hpp"
#include "smppscope/capture/event_ring.hpp"
#include "smppscope/capture/session_table.hpp"
#include "smppscope/proxy/proxy.hpp"

int main(int argc, char** argv) {
  namespace sc = smppscope::capture;
  CLI::App cli{"smppscope web UI harness"};
  std::string listen, upstream;
  smppscope::app::web_cli_options web;
  cli.add_option("--listen", listen)->required();
  cli.add_option("--upstream", upstream)->required();
  smppscope::app::add_web_options(cli, web);
  CLI11_PARSE(cli, argc, argv);
  try {
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);

    sc::event_ring ring;
    sc::session_table sessions;
    sc::tap_queue tap;
    sc::analyzer analyzer(ring, sessions);
    analyzer.add_queue(tap);
    smppscope::app::web_frontend front(web, ring, sessions, analyzer);

    smppscope::proxy::proxy_options po;
    po.listen = *smppscope::proxy::parse_host_port(listen);
    po.upstream = *smppscope::proxy::parse_host_port(upstream);
    po.taps = {&tap};
    po.system_id_of = [&sessions](std::uint64_t id) {
      auto s = sessions.get(id);
      return s ? s->system_id : std::string();
    };
    smppscope::proxy::proxy relay(po);
    analyzer.start();
    front.start();
    relay.start();
    std::printf("web UI on %s\n", front.url().c_str());
    std::fflush(stdout);
    int sig = 0;
    while (sigwait(&stop, &sig) != 0) {
    }
    relay.stop();
    front.stop();
    analyzer.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "web_ui_harness: %s\n", e.what());
    return 1;
  }
  return 0;
}
