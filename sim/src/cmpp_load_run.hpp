// The CMPP side of the load generator (cmpp_load.cpp), entered from load_generator::run() when
// load_options::protocol is cmpp2 or cmpp3. It runs on the generator's io_context and honours its
// stop / abort flags and progress callback, so load_generator's interface is the same for both.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

#include "smppscope/sim/load_generator.hpp"

namespace smppscope::sim::detail {

struct cmpp_load_hooks {
  load_options& opt;
  boost::asio::io_context& ctx;
  std::atomic<bool>& stop_flag;
  std::atomic<bool>& aborted;
  std::function<void(const load_progress&)>& progress_cb;
  std::chrono::steady_clock::duration progress_every;
};

load_report run_cmpp_load(cmpp_load_hooks hooks);

}  // namespace smppscope::sim::detail
