// Anything that contributes lines to GET /metrics (Prometheus text exposition format 0.0.4).
// The web server calls append_prometheus() on its own thread: implementations read atomics or
// take a short lock; they never block the relay or the analysis thread for long.
#pragma once

#include <string>

namespace smppscope::analysis {

class metrics_source {
 public:
  virtual ~metrics_source() = default;
  // Appends complete metric families (# HELP, # TYPE, samples), names prefixed "smppscope_".
  virtual void append_prometheus(std::string& out) const = 0;
};

}  // namespace smppscope::analysis
