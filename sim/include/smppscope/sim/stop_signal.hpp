// SIGINT / SIGTERM as a callback on a dedicated thread (sigwait), for the long-running commands.
// Construct it before starting other threads: it blocks the signals in the calling thread, and
// threads started afterwards inherit the mask.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace smppscope::sim {

class stop_signal {
 public:
  explicit stop_signal(std::function<void()> on_signal);
  ~stop_signal();
  stop_signal(const stop_signal&) = delete;
  stop_signal& operator=(const stop_signal&) = delete;
  bool raised() const noexcept { return raised_.load(); }

 private:
  std::function<void()> on_signal_;
  std::atomic<bool> raised_{false};
  std::atomic<bool> done_{false};
  std::thread waiter_;
};

}  // namespace smppscope::sim
