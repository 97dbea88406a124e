// Delivery receipts as the simulator writes them: the final states and the weighted mix it draws
// them from. (Writing and reading the receipt text of SMPP v3.4 Appendix B is the decoder's job:
// smppscope/decoder/dlr.hpp.)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/decoder/dlr.hpp"

namespace smppscope::sim {

// The stat: values of SMPP v3.4 Appendix B.
enum class dlr_state : std::uint8_t { delivrd, expired, deleted, undeliv, acceptd, unknown, rejectd, enroute };
inline constexpr std::size_t dlr_state_count = 8;

std::string_view dlr_stat_text(dlr_state s) noexcept;          // "DELIVRD"
std::optional<dlr_state> parse_dlr_stat(std::string_view text) noexcept;
std::uint8_t message_state_of(dlr_state s) noexcept;           // SMPP v3.4 section 5.2.28 (DELIVRD -> 2)
std::optional<dlr_state> dlr_state_of_message_state(std::uint8_t message_state) noexcept;
std::uint16_t default_dlr_err(dlr_state s) noexcept;            // err: code when the mix gives none

struct dlr_mix_entry {
  dlr_state state = dlr_state::delivrd;
  std::uint16_t err = 0;     // err: field, 0..999
  std::uint32_t weight = 0;
  friend bool operator==(const dlr_mix_entry&, const dlr_mix_entry&) = default;
};

// "DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2"; an entry may name its err code: "UNDELIV:034=5".
// On error returns nullopt and sets *error to what is wrong ("unknown state 'FOO'").
std::optional<std::vector<dlr_mix_entry>> parse_dlr_mix(std::string_view spec, std::string* error = nullptr);
std::vector<dlr_mix_entry> default_dlr_mix();  // DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2

// Spreads the mix evenly (smooth weighted round-robin): within any run of sum(weights)
// consecutive positions each entry appears exactly `weight` times. Pure function of the position,
// so a message's final state follows from its message number.
class dlr_schedule {
 public:
  explicit dlr_schedule(std::vector<dlr_mix_entry> mix);
  const dlr_mix_entry& at(std::uint64_t position) const noexcept { return mix_[cycle_[position % cycle_.size()]]; }
  std::size_t period() const noexcept { return cycle_.size(); }
 private:
  std::vector<dlr_mix_entry> mix_;
  std::vector<std::uint8_t> cycle_;  // index into mix_
};

// Receipt text is written by the decoder, beside its parser (smppscope/decoder/dlr.hpp):
// receipt_fields (its stat a decoder::message_state: message_state_of(dlr_state)), format_receipt
// (standard or from a provider template) and format_receipt_date.
using decoder::format_receipt;
using decoder::format_receipt_date;
using decoder::receipt_fields;
// The decoder's state for one of ours.
decoder::message_state receipt_state(dlr_state s) noexcept;

}  // namespace smppscope::sim
