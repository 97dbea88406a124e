#include "smppscope/sim/dlr.hpp"

#include <array>
#include <charconv>
#include <numeric>

namespace smppscope::sim {
namespace {

using ms = decoder::message_state;

struct state_row {
  dlr_state state;
  ms message_state;            // SMPP v3.4 section 5.2.28; its stat text comes from the decoder
  std::uint16_t default_err;   // simulator's choice for the err: field
};

constexpr std::array<state_row, dlr_state_count> state_table{{
    {dlr_state::delivrd, ms::delivered, 0},
    {dlr_state::expired, ms::expired, 2},
    {dlr_state::deleted, ms::deleted, 4},
    {dlr_state::undeliv, ms::undeliverable, 1},
    {dlr_state::acceptd, ms::accepted, 0},
    {dlr_state::unknown, ms::unknown, 5},
    {dlr_state::rejectd, ms::rejected, 3},
    {dlr_state::enroute, ms::enroute, 0},
}};

const state_row& row(dlr_state s) noexcept { return state_table[static_cast<std::size_t>(s)]; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <class T>
bool parse_uint(std::string_view s, T& out) noexcept {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

}  // namespace

std::string_view dlr_stat_text(dlr_state s) noexcept { return decoder::receipt_stat(row(s).message_state); }
decoder::message_state receipt_state(dlr_state s) noexcept { return row(s).message_state; }
std::uint8_t message_state_of(dlr_state s) noexcept { return static_cast<std::uint8_t>(row(s).message_state); }
std::uint16_t default_dlr_err(dlr_state s) noexcept { return row(s).default_err; }

std::optional<dlr_state> parse_dlr_stat(std::string_view text) noexcept {
  for (const auto& r : state_table)
    if (decoder::receipt_stat(r.message_state) == text) return r.state;
  return std::nullopt;
}

std::optional<dlr_state> dlr_state_of_message_state(std::uint8_t message_state) noexcept {
  for (const auto& r : state_table)
    if (static_cast<std::uint8_t>(r.message_state) == message_state) return r.state;
  return std::nullopt;
}

std::vector<dlr_mix_entry> default_dlr_mix() {
  return {{dlr_state::delivrd, 0, 90}, {dlr_state::undeliv, 1, 5}, {dlr_state::expired, 2, 3}, {dlr_state::rejectd, 3, 2}};
}

std::optional<std::vector<dlr_mix_entry>> parse_dlr_mix(std::string_view spec, std::string* error) {
  auto fail = [&](std::string msg) -> std::optional<std::vector<dlr_mix_entry>> {
    if (error) *error = std::move(msg);
    return std::nullopt;
  };
  std::vector<dlr_mix_entry> mix;
  std::uint64_t total = 0;
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    const std::string_view item = trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return fail("entry '" + std::string(item) + "' is not STATE=WEIGHT");
    std::string_view name = trim(item.substr(0, eq));
    dlr_mix_entry e;
    if (!parse_uint(trim(item.substr(eq + 1)), e.weight))
      return fail("weight of '" + std::string(item) + "' is not a whole number");
    std::optional<std::uint16_t> err;
    if (const auto colon = name.find(':'); colon != std::string_view::npos) {
      std::uint16_t v = 0;
      if (!parse_uint(name.substr(colon + 1), v) || v > 999)
        return fail("err code of '" + std::string(item) + "' is not 0..999");
      err = v;
      name = name.substr(0, colon);
    }
    const auto state = parse_dlr_stat(name);
    if (!state) return fail("unknown state '" + std::string(name) + "' (DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD, UNKNOWN, REJECTD, ENROUTE)");
    e.state = *state;
    e.err = err.value_or(default_dlr_err(*state));
    if (e.weight == 0) continue;
    total += e.weight;
    mix.push_back(e);
  }
  if (mix.empty() || total == 0) return fail("the mix needs at least one state with a weight above 0");
  if (mix.size() > 255) return fail("too many entries");
  return mix;
}

dlr_schedule::dlr_schedule(std::vector<dlr_mix_entry> mix) : mix_(std::move(mix)) {
  if (mix_.empty()) mix_ = default_dlr_mix();
  std::uint64_t g = 0;
  for (const auto& e : mix_) g = std::gcd(g, std::uint64_t{e.weight});
  std::vector<std::int64_t> weight(mix_.size());
  std::int64_t total = 0;
  for (std::size_t i = 0; i < mix_.size(); ++i) total += weight[i] = static_cast<std::int64_t>(mix_[i].weight / g);
  // Very long cycles (huge co-prime weights) are scaled down; proportions stay within 0.01 %.
  while (total > 100000) {
    total = 0;
    for (auto& w : weight) total += w = std::max<std::int64_t>(1, w / 2);
  }
  std::vector<std::int64_t> current(mix_.size(), 0);
  cycle_.reserve(static_cast<std::size_t>(total));
  for (std::int64_t n = 0; n < total; ++n) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < mix_.size(); ++i) {
      current[i] += weight[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    cycle_.push_back(static_cast<std::uint8_t>(best));
  }
}

}  // namespace smppscope::sim
