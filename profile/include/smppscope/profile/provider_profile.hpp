// A provider profile: one SMSC provider's SMPP contract as data (limits, bind rules, supported
// PDUs and data_codings, vendor statuses and TLVs, receipt format and its err: codes).
//
// Profiles are TOML files (profiles/*.toml in the source tree, embedded into the binary at build
// time; a user's own with --profile-file). The file format is described in docs/PROFILES.md.
// A loaded profile is immutable and shared (std::shared_ptr<const provider_profile>): the proxy
// hands one to each session's analysis (the compliance checker), the simulator enforces one, the
// load generator keeps to one. Nothing here is global state.
//
// An absent limit (std::nullopt / empty list) means "the provider says nothing": no check.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/decoder/json.hpp"
#include "smppscope/decoder/protocol.hpp"

namespace smppscope::profile {

enum class bind_type : std::uint8_t { transmitter, receiver, transceiver };
std::string_view to_string(bind_type t) noexcept;

enum class tls_version : std::uint8_t { none, v1_0, v1_1, v1_2, v1_3 };
std::string_view to_string(tls_version v) noexcept;  // "none", "1.0", ..., "1.3"
// "TLSv1.2" / "1.2" / "TLSv1.3" ... -> version; nullopt when not recognised.
std::optional<tls_version> parse_tls_version(std::string_view s) noexcept;

// How the provider expects GSM 7-bit text under data_coding 0 (and 1 where it means GSM 7).
enum class gsm7_packing : std::uint8_t {
  any,       // the provider does not say
  unpacked,  // one septet per octet (what most SMSCs read)
  packed,    // septets packed 8 into 7 octets (3GPP TS 23.038 section 6.1.2.1.1)
};
std::string_view to_string(gsm7_packing p) noexcept;

struct bind_rules {
  std::vector<bind_type> allowed;                   // empty: every bind type
  // Concurrent bound sessions of one system_id, per bind type (OVHcloud: 1 TX, 1 RX, 1 TRX).
  std::optional<std::uint32_t> max_transmitters;
  std::optional<std::uint32_t> max_receivers;
  std::optional<std::uint32_t> max_transceivers;
  // Concurrent bound sessions of one system_id, weighted: a transmitter or receiver counts 1, a
  // transceiver `transceiver_weight` (OVHcloud "one TX/RX pair or one TRX": limit 2, weight 2).
  std::optional<std::uint32_t> max_per_account;
  std::uint32_t transceiver_weight = 1;
  // Concurrent sessions of one system_id to one server address/port (Mensatek: 1).
  std::optional<std::uint32_t> max_per_server;
  // Concurrent binds from one client host, any system_id (Melrose Labs: 10 per host).
  std::optional<std::uint32_t> max_per_host;
  std::string scope;  // what the provider calls the unit it counts in ("zone", "server/port"), free text
};

struct tls_rules {
  bool required = false;                         // plain TCP refused
  tls_version min_version = tls_version::none;   // when TLS is used
  std::optional<std::uint16_t> port;             // the provider's TLS port, informational
};

// The provider's own command_status values (vendor range 0x400-0x4FF, or anything it defines).
struct vendor_status {
  std::uint32_t value = 0;
  std::string name;         // "ESME_RBINDTHROTTLED"
  std::string description;  // the provider's meaning
};

// The provider's own TLVs (vendor tag range 0x1400-0x3FFF).
struct vendor_tlv {
  std::uint16_t tag = 0;
  std::string name;  // "outgoing_id"
  decoder::tlv_type type = decoder::tlv_type::octets;
  std::uint16_t min_len = 0;
  std::uint16_t max_len = 0;
  std::string description;
};

// One code of the receipt text's err: field.
struct receipt_error {
  std::uint32_t code = 0;
  std::string meaning;  // short, as the provider names it
  std::string detail;   // longer explanation, may be empty
};

struct receipt_format {
  // Receipt text template with {id} {sub} {dlvrd} {submit_date} {done_date} {stat} {err} {text}
  // (SMPP v3.4 Appendix B shape); empty when the provider gives none.
  std::string text;
  std::uint8_t err_digits = 3;           // err: field zero-padded to this many digits
  std::vector<std::string> stats;        // stat: values the provider sends, empty = spec's list
  std::vector<std::string> tlvs;         // TLV names the receipt deliver_sm carries
  std::vector<receipt_error> errors;     // err: code table, sorted by code
};

// Statuses the provider answers with in given situations (the simulator sends them; the
// checker names them). Absent: the standard status for the case.
struct reply_statuses {
  std::optional<std::uint32_t> too_many_binds;           // OVHcloud ESME_RBINDTHROTTLED 0x400
  std::optional<std::uint32_t> unsupported_data_coding;  // OVHcloud ESME_RUNSDATACODING 0x401
  std::optional<std::uint32_t> invalid_gsm7;             // OVHcloud ESME_RINVGSM7CODING 0x402
  std::uint32_t throttled = 0x00000058;                  // rate above the limit (ESME_RTHROTTLED)
  std::uint32_t window_full = 0x00000058;                // window above the limit
  // An unsupported PDU: answered with generic_nack (true) or with its own _resp (false),
  // carrying this status (ESME_RINVCMDID by default).
  bool unsupported_pdu_generic_nack = true;
  std::uint32_t unsupported_pdu_status = 0x00000003;
};

struct system_id_shape {
  std::string prefix;                        // "smpp-"
  std::optional<std::uint32_t> min_length;   // whole system_id, octets
  std::optional<std::uint32_t> max_length;
  std::string example;                       // "smpp-*********", for messages
};

struct sm_length_rules {
  std::uint32_t max_octets = 140;       // short_message octets incl. UDH (one SMS)
  bool message_payload_allowed = true;  // the provider accepts the message_payload TLV
};

struct provider_profile {
  std::string name;          // "ovhcloud"; [a-z0-9._-]+
  std::string title;         // "OVHcloud SMPP"
  std::string description;   // one line
  std::string source;        // where the facts come from (document title, date)

  std::vector<std::uint8_t> interface_versions;  // 0x33, 0x34, 0x50; empty = any
  bind_rules binds;
  tls_rules tls;
  std::optional<std::uint32_t> window;               // outstanding requests per connection
  std::optional<double> rate_per_connection;         // messages per second per connection
  std::vector<std::uint32_t> rate_counts;            // command ids counted as messages (submit_sm)
  std::optional<std::uint32_t> enquire_link_interval_s;  // recommended interval
  double enquire_link_tolerance = 2.0;  // "far from": below interval/t or above interval*t
  std::optional<std::uint32_t> forced_unbind_period_s;   // the SMSC unbinds this often
  std::uint32_t reconnect_within_s = 60;                 // the ESME must be bound again within

  std::vector<std::uint32_t> supported_pdus;     // request command ids; empty = all the spec's
  std::vector<std::uint32_t> unsupported_pdus;   // request command ids the provider refuses
  std::vector<std::uint16_t> unsupported_tlvs;   // optional parameters the provider ignores/refuses
  std::vector<std::uint8_t> data_codings;        // supported data_coding values; empty = any
  gsm7_packing gsm7 = gsm7_packing::any;
  sm_length_rules sm_length;
  reply_statuses replies;

  std::vector<vendor_status> vendor_statuses;  // sorted by value
  std::vector<vendor_tlv> vendor_tlvs;         // sorted by tag
  receipt_format receipt;
  system_id_shape system_id;

  // ---- lookups (binary search / linear over small vectors) ----
  const vendor_status* find_status(std::uint32_t value) const noexcept;
  const vendor_tlv* find_tlv(std::uint16_t tag) const noexcept;
  const vendor_tlv* find_tlv(std::string_view name) const noexcept;
  const receipt_error* find_receipt_error(std::uint32_t code) const noexcept;
  bool pdu_supported(std::uint32_t command_id) const noexcept;  // request or its response
  bool data_coding_supported(std::uint8_t dc) const noexcept;
  bool bind_allowed(bind_type t) const noexcept;
  bool counts_as_message(std::uint32_t command_id) const noexcept;

  // The vendor rows above as the decoder's JSON writer takes them (row vendor = name; no hints).
  // Spans into this object: built by finalize(), so a copy must be finalized again.
  decoder::vendor_names names;
  std::vector<decoder::tlv_spec> tlv_rows;
  std::vector<decoder::status_spec> status_rows;
  std::vector<decoder::receipt_err_meaning> receipt_error_rows;
};

using profile_ptr = std::shared_ptr<const provider_profile>;

// Sorts the tables and builds `names`; the way to share a profile edited in code (tests,
// --profile overrides): finalize(std::move(copy)).
profile_ptr finalize(provider_profile p);

}  // namespace smppscope::profile
