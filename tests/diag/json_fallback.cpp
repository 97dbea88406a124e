// Until decoder/src/json.cpp lands: weak stand-ins so the analyzer links; the real ones win.
#include "smppscope/decoder/json.hpp"

namespace smppscope::decoder {
__attribute__((weak)) void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  out += '"';
}
__attribute__((weak)) void append_pdu_json(std::string& out, const pdu&, bytes_view, const json_context&) {
  out += "{}";
}
}  // namespace smppscope::decoder
