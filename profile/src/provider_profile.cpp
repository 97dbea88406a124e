#include "smppscope/profile/provider_profile.hpp"

#include <algorithm>

namespace smppscope::profile {

std::string_view to_string(bind_type t) noexcept {
  switch (t) {
    case bind_type::transmitter: return "transmitter";
    case bind_type::receiver: return "receiver";
    case bind_type::transceiver: return "transceiver";
  }
  return "?";
}

std::string_view to_string(tls_version v) noexcept {
  switch (v) {
    case tls_version::none: return "none";
    case tls_version::v1_0: return "1.0";
    case tls_version::v1_1: return "1.1";
    case tls_version::v1_2: return "1.2";
    case tls_version::v1_3: return "1.3";
  }
  return "?";
}

std::optional<tls_version> parse_tls_version(std::string_view s) noexcept {
  // OpenSSL's SSL_get_version() says "TLSv1.3"; profiles say "1.3".
  if (s.starts_with("TLSv")) s.remove_prefix(4);
  if (s == "1" || s == "1.0") return tls_version::v1_0;
  if (s == "1.1") return tls_version::v1_1;
  if (s == "1.2") return tls_version::v1_2;
  if (s == "1.3") return tls_version::v1_3;
  if (s == "none") return tls_version::none;
  return std::nullopt;
}

std::string_view to_string(gsm7_packing p) noexcept {
  switch (p) {
    case gsm7_packing::any: return "any";
    case gsm7_packing::unpacked: return "unpacked";
    case gsm7_packing::packed: return "packed";
  }
  return "?";
}

const vendor_status* provider_profile::find_status(std::uint32_t value) const noexcept {
  for (const auto& s : vendor_statuses)
    if (s.value == value) return &s;
  return nullptr;
}

const vendor_tlv* provider_profile::find_tlv(std::uint16_t tag) const noexcept {
  for (const auto& t : vendor_tlvs)
    if (t.tag == tag) return &t;
  return nullptr;
}

const vendor_tlv* provider_profile::find_tlv(std::string_view n) const noexcept {
  for (const auto& t : vendor_tlvs)
    if (t.name == n) return &t;
  return nullptr;
}

const receipt_error* provider_profile::find_receipt_error(std::uint32_t code) const noexcept {
  const auto& e = receipt.errors;
  const auto it = std::lower_bound(e.begin(), e.end(), code,
                                   [](const receipt_error& x, std::uint32_t c) { return x.code < c; });
  return it != e.end() && it->code == code ? &*it : nullptr;
}

bool provider_profile::pdu_supported(std::uint32_t command_id) const noexcept {
  const std::uint32_t id = command_id & ~decoder::response_bit;
  if (std::find(unsupported_pdus.begin(), unsupported_pdus.end(), id) != unsupported_pdus.end()) return false;
  if (supported_pdus.empty()) return true;
  // generic_nack is the answer to anything, never a request a provider lists.
  return command_id == static_cast<std::uint32_t>(decoder::command_id::generic_nack) ||
         std::find(supported_pdus.begin(), supported_pdus.end(), id) != supported_pdus.end();
}

bool provider_profile::data_coding_supported(std::uint8_t dc) const noexcept {
  return data_codings.empty() || std::find(data_codings.begin(), data_codings.end(), dc) != data_codings.end();
}

bool provider_profile::bind_allowed(bind_type t) const noexcept {
  return binds.allowed.empty() || std::find(binds.allowed.begin(), binds.allowed.end(), t) != binds.allowed.end();
}

bool provider_profile::counts_as_message(std::uint32_t command_id) const noexcept {
  return std::find(rate_counts.begin(), rate_counts.end(), command_id) != rate_counts.end();
}

profile_ptr finalize(provider_profile p) {
  std::sort(p.vendor_statuses.begin(), p.vendor_statuses.end(),
            [](const vendor_status& a, const vendor_status& b) { return a.value < b.value; });
  std::sort(p.vendor_tlvs.begin(), p.vendor_tlvs.end(), [](const vendor_tlv& a, const vendor_tlv& b) { return a.tag < b.tag; });
  std::sort(p.receipt.errors.begin(), p.receipt.errors.end(),
            [](const receipt_error& a, const receipt_error& b) { return a.code < b.code; });
  auto out = std::make_shared<provider_profile>(std::move(p));
  provider_profile& q = *out;
  // Rows point into q's strings, which no longer move.
  q.tlv_rows.clear();
  q.status_rows.clear();
  q.receipt_error_rows.clear();
  for (const auto& t : q.vendor_tlvs)
    q.tlv_rows.push_back({t.tag, t.name, t.type, t.min_len, t.max_len, 0, q.name});
  for (const auto& s : q.vendor_statuses) q.status_rows.push_back({s.value, s.name, s.description, q.name});
  for (const auto& e : q.receipt.errors) q.receipt_error_rows.push_back({e.code, e.meaning});
  q.names = {};
  q.names.tlvs = q.tlv_rows;
  q.names.statuses = q.status_rows;
  q.names.receipt_errors = q.receipt_error_rows;
  return out;
}

}  // namespace smppscope::profile
