// Writes the PDU event JSON of ../shared/INTERFACE.md ("type":"pdu"). Passwords are masked.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "smppscope/decoder/pdu.hpp"
#include "smppscope/decoder/text.hpp"

namespace smppscope::decoder {

struct json_context {
  std::uint64_t session = 0;
  std::string_view direction;     // "esme_to_smsc" or "smsc_to_esme"
  std::int64_t ts_us = 0;
  std::uint64_t event_id = 0;     // written as "id" when non-zero
  std::string_view error;         // decode error message; written as "error" when not empty
  text_options text;              // GSM7 packing override etc.
  bool include_hex = true;        // write "hex": the PDU's bytes as lowercase hex
};

// Appends one PDU event object to `out`. `frame` is the PDU's bytes (for "hex").
void append_pdu_json(std::string& out, const pdu& p, bytes_view frame, const json_context& ctx);

// Appends `s` as a JSON string literal (quoted, escaped; invalid UTF-8 replaced by U+FFFD).
void append_json_string(std::string& out, std::string_view s);

}  // namespace smppscope::decoder
