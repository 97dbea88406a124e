#include "smppscope/sim/stop_signal.hpp"

#include <csignal>
#include <pthread.h>

namespace smppscope::sim {
namespace {
sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR2);  // our own wake-up at destruction
  return set;
}
}  // namespace

stop_signal::stop_signal(std::function<void()> on_signal) : on_signal_(std::move(on_signal)) {
  const sigset_t set = stop_set();
  // A shell starts background jobs with SIGINT ignored, and an ignored signal never reaches
  // sigwait: restore the default action (it never runs while the signals stay blocked).
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  waiter_ = std::thread([this, set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (done_.load()) return;
      if (sig == SIGUSR2) continue;
      raised_ = true;
      if (on_signal_) on_signal_();
    }
  });
}

stop_signal::~stop_signal() {
  done_ = true;
  pthread_kill(waiter_.native_handle(), SIGUSR2);
  waiter_.join();
}

}  // namespace smppscope::sim
