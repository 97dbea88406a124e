#include <algorithm>
#include <array>
#include <cstdio>

#include "smppscope/analysis/diag/alert_kind.hpp"
#include "smppscope/analysis/diag/diag_options.hpp"
#include "smppscope/analysis/diag/diagnostics.hpp"
#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/decoder/protocol.hpp"

namespace smppscope::analysis::diag {

namespace {

constexpr std::array<std::string_view, alert_kind_count> kind_names = {
    "bind_failed", "unmatched_response", "window_full",   "response_timeout", "enquire_link_timeout",
    "silence",     "throttled",          "dlr_unmatched", "malformed",        "concat_incomplete",
    "version_mismatch", "cmpp_auth_mismatch",
};

using decoder::command_id;
// Requests that get a response, each with its own latency histogram (SMPP v3.4 section 5.1.2.1).
constexpr std::array<command_id, 15> tracked = {
    command_id::submit_sm,         command_id::deliver_sm,         command_id::enquire_link,
    command_id::data_sm,           command_id::submit_multi,       command_id::query_sm,
    command_id::replace_sm,        command_id::cancel_sm,          command_id::bind_transmitter,
    command_id::bind_receiver,     command_id::bind_transceiver,   command_id::unbind,
    command_id::broadcast_sm,      command_id::query_broadcast_sm, command_id::cancel_broadcast_sm,
};

// CMPP requests, each with its own histogram (labelled with the CMPP name).
namespace cmpp = decoder::cmpp;
constexpr std::array<cmpp::command_id, 7> cmpp_tracked = {
    cmpp::command_id::connect, cmpp::command_id::terminate, cmpp::command_id::submit,      cmpp::command_id::deliver,
    cmpp::command_id::query,   cmpp::command_id::cancel,    cmpp::command_id::active_test,
};

}  // namespace

std::string_view alert_kind_name(alert_kind k) noexcept {
  const auto i = static_cast<std::size_t>(k);
  return i < kind_names.size() ? kind_names[i] : std::string_view("unknown");
}

std::optional<alert_kind> parse_alert_kind(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kind_names.size(); ++i)
    if (kind_names[i] == name) return static_cast<alert_kind>(i);
  return std::nullopt;
}

std::size_t tracked_command_count() noexcept { return tracked.size() + cmpp_tracked.size() + 1; }

std::size_t tracked_command_index(std::uint32_t request_id, bool cmpp) noexcept {
  if (cmpp) {
    for (std::size_t i = 0; i < cmpp_tracked.size(); ++i)
      if (static_cast<std::uint32_t>(cmpp_tracked[i]) == request_id) return tracked.size() + i;
  } else {
    for (std::size_t i = 0; i < tracked.size(); ++i)
      if (static_cast<std::uint32_t>(tracked[i]) == request_id) return i;
  }
  return tracked.size() + cmpp_tracked.size();
}

std::string_view tracked_command_name(std::size_t index) noexcept {
  if (index < tracked.size()) return decoder::command_name(static_cast<std::uint32_t>(tracked[index]));
  index -= tracked.size();
  if (index < cmpp_tracked.size())
    return decoder::cmpp::command_name(static_cast<std::uint32_t>(cmpp_tracked[index]), decoder::cmpp::version::v30);
  return "other";
}

diag_options for_cmpp(diag_options o) {
  if (!o.window_given) o.window = cmpp_window;
  if (!o.enquire_link_timeout_given) o.enquire_link_timeout_us = cmpp_active_test_timeout_us;
  if (!o.silence_given)
    o.silence_us = cmpp_active_test_idle_us + cmpp_active_test_tries * cmpp_active_test_timeout_us;
  if (!o.request_expiry_given)
    o.request_expiry_us = std::max({o.request_expiry_us, 4 * o.enquire_link_timeout_us, 2 * o.response_timeout_us});
  return o;
}

std::string validate(const diag_options& o) {
  if (o.window < 1) return "--window must be at least 1";
  if (o.window_stall_us <= 0) return "--window-stall must be a positive number of seconds";
  if (o.response_timeout_us <= 0) return "--response-timeout must be a positive number of seconds";
  if (o.enquire_link_timeout_us <= 0)
    return "--enquire-link-timeout must be a positive number of seconds";
  if (o.silence_us <= 0) return "--silence must be a positive number of seconds";
  if (o.request_expiry_us < o.response_timeout_us || o.request_expiry_us < o.enquire_link_timeout_us)
    return "--request-expiry must be at least --response-timeout and --enquire-link-timeout";
  if (o.quiet_period_us <= 0) return "--alert-quiet must be a positive number of seconds";
  if (o.congestion_threshold > 100) return "--congestion-threshold must be 0..100";
  if (o.dlr_timeout_us <= 0) return "--dlr-timeout must be a positive number of seconds";
  if (o.dlr_grace_us < 0) return "--dlr-grace must not be negative";
  if (o.max_outstanding < 1) return "--max-outstanding must be at least 1";
  if (o.max_dlr_pending < 1) return "--max-dlr-pending must be at least 1";
  if (o.concat_timeout_us <= 0) return "--concat-timeout must be a positive number of seconds";
  if (o.concat_max_pending < 1) return "--concat-max-pending must be at least 1";
  if (o.concat_max_bytes < 1) return "--concat-max-bytes must be at least 1";
  if (o.timeline_seconds < 1) return "--timeline-seconds must be at least 1";
  return {};
}

alert_logger stderr_alert_logger() {
  return [](std::string_view line) {
    std::fprintf(stderr, "smppscope: %.*s\n", static_cast<int>(line.size()), line.data());
  };
}

alert_logger null_alert_logger() {
  return [](std::string_view) {};
}

}  // namespace smppscope::analysis::diag
