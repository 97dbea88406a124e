// libFuzzer target for the provider profile loader (profile/loader.hpp): any octets as a TOML
// profile. Checked:
//   - parse_profile returns (never throws, never crashes) whatever the input;
//   - an error names a line inside the text (or none, for a file-level problem) and says what;
//   - a profile that loads is consistent: its decoder rows mirror its tables and name it.
// Invariants broken -> abort().
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "smppscope/profile/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace pf = smppscope::profile;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const pf::load_result r = pf::parse_profile(text, "fuzz.toml");
  if (!r) {
    const auto lines = static_cast<std::uint32_t>(std::count(text.begin(), text.end(), '\n') + 1);
    if (r.error.message.empty() || r.error.line > lines || r.error.source != "fuzz.toml") std::abort();
    return 0;
  }
  const pf::provider_profile& p = *r.profile;
  if (p.name.empty() || p.names.tlvs.size() != p.vendor_tlvs.size() ||
      p.names.statuses.size() != p.vendor_statuses.size() ||
      p.names.receipt_errors.size() != p.receipt.errors.size())
    std::abort();
  for (const auto& t : p.names.tlvs)
    if (t.vendor != p.name || t.min_len > t.max_len || t.tag < 0x1400 || t.tag > 0x3FFF) std::abort();
  if (!std::is_sorted(p.receipt.errors.begin(), p.receipt.errors.end(),
                      [](const auto& a, const auto& b) { return a.code < b.code; }))
    std::abort();
  for (const auto& e : p.receipt.errors)
    if (!p.find_receipt_error(e.code)) std::abort();
  return 0;
}
