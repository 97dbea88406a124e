// The alert kinds the diagnostics raise (the `kind` of alert events and of /api/sessions alerts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "smppscope/analysis/tap.hpp"

namespace smppscope::analysis::diag {

enum class alert_kind : std::uint8_t {
  bind_failed,           // a bind_*_resp (or generic_nack) with an error status
  unmatched_response,    // responses whose sequence_number matches no outstanding request
  window_full,           // the window is full and not draining
  response_timeout,      // a request unanswered after response_timeout
  enquire_link_timeout,  // an enquire_link unanswered after enquire_link_timeout
  silence,               // no PDU in one direction of a bound session
  throttled,             // ESME_RTHROTTLED / ESME_RMSGQFUL responses, congestion_state
  dlr_unmatched,         // delivery receipts for message ids no submit returned
  malformed,             // decode errors (out of sync is raised by the analyzer, same kind)
  concat_incomplete,     // a concatenated message whose parts did not all arrive in time
  version_mismatch,      // CMPP: CONNECT_RESP answers another Version than CONNECT asked for
  cmpp_auth_mismatch,    // CMPP: an authenticator does not match the configured shared secret
};
inline constexpr std::size_t alert_kind_count = 12;

std::string_view alert_kind_name(alert_kind k) noexcept;
std::optional<alert_kind> parse_alert_kind(std::string_view name) noexcept;

// Who sends in a direction / who receives: "ESME" / "SMSC".
inline std::string_view sender_name(direction d) noexcept {
  return d == direction::esme_to_smsc ? "ESME" : "SMSC";
}
inline std::string_view receiver_name(direction d) noexcept {
  return d == direction::esme_to_smsc ? "SMSC" : "ESME";
}
// The side an alert blames, as alert objects name it: "esme" / "smsc".
inline std::string_view side_of_sender(direction d) noexcept {
  return d == direction::esme_to_smsc ? "esme" : "smsc";
}
inline std::string_view side_of_receiver(direction d) noexcept {
  return d == direction::esme_to_smsc ? "smsc" : "esme";
}
inline direction opposite(direction d) noexcept {
  return d == direction::esme_to_smsc ? direction::smsc_to_esme : direction::esme_to_smsc;
}

}  // namespace smppscope::analysis::diag
