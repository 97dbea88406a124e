// Runs the real smppscope binary for the command-line tests: stdout and stderr captured through
// pipes, signals, a bounded wait.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace smppscope::sim::test {

class child_process {
 public:
  explicit child_process(std::vector<std::string> args) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) throw std::runtime_error("spawn " + args[0]);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    ::close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }
  ~child_process() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      int st;
      ::waitpid(pid_, &st, 0);
    }
    ::close(out_);
    ::close(err_);
  }

  void signal(int sig) { ::kill(pid_, sig); }

  // Reads output until `pred(stderr so far)` holds or the time is up.
  template <class Pred>
  bool wait_stderr(Pred pred, std::chrono::milliseconds timeout) {
    return wait_for(err_text, pred, timeout);
  }
  template <class Pred>
  bool wait_stdout(Pred pred, std::chrono::milliseconds timeout) {
    return wait_for(out_text, pred, timeout);
  }

  // Waits for the exit (collecting output); nullopt on timeout. The exit code, or 128 + signal.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int st = 0;
      const pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        while (pump(std::chrono::milliseconds(0))) {
        }
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return status_;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      if (!pump(std::min(left, std::chrono::milliseconds(20)))) {
        // Both pipes at EOF: the child is exiting; poll waitpid briefly.
        struct timespec ts{0, 2'000'000};
        ::nanosleep(&ts, nullptr);
      }
    }
  }

  std::string out_text, err_text;

 private:
  template <class Pred>
  bool wait_for(const std::string& text, Pred& pred, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred(text)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return pred(text);
      if (!pump(left) && !out_open_ && !err_open_) return pred(text);
    }
    return true;
  }

  // One poll round; false when both pipes are at EOF or nothing came in time.
  bool pump(std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{out_open_ ? out_ : -1, POLLIN, 0}, {err_open_ ? err_ : -1, POLLIN, 0}};
    if (!out_open_ && !err_open_) return false;
    if (::poll(fds, 2, static_cast<int>(timeout.count())) <= 0) return false;
    char buf[65536];
    bool got = false;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? out_text : err_text).append(buf, static_cast<std::size_t>(n));
        got = true;
      } else {
        (i == 0 ? out_open_ : err_open_) = false;
      }
    }
    return got || out_open_ || err_open_;
  }

  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
  bool out_open_ = true, err_open_ = true;
  std::optional<int> status_;
};

}  // namespace smppscope::sim::test
