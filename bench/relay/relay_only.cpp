// The relay alone (proxy::proxy without tap queues: no analysis, no ring, no pcap), for
// bench/relay/run.sh to separate the relay's own cost from the capture pipeline's.
//   relay_only --listen HOST:PORT --upstream HOST:PORT [--threads N]
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "smppscope/proxy/proxy.hpp"

int main(int argc, char** argv) {
  smppscope::proxy::proxy_options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--listen" || k == "--upstream") {
      auto hp = smppscope::proxy::parse_host_port(v);
      if (!hp) {
        std::fprintf(stderr, "relay_only: %s must be HOST:PORT\n", k.c_str());
        return 2;
      }
      (k == "--listen" ? o.listen : o.upstream) = *hp;
    } else if (k == "--threads") {
      o.threads = static_cast<unsigned>(std::atoi(v.c_str()));
    } else {
      std::fprintf(stderr, "relay_only: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  smppscope::proxy::proxy p(o);
  p.start();
  int sig = 0;
  sigwait(&s, &sig);
  p.stop();
  return 0;
}
