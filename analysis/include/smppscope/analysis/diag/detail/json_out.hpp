// Small appenders for the JSON and Prometheus text the diagnostics write (no iostreams).
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "smppscope/decoder/json.hpp"

namespace smppscope::analysis::diag::detail {

template <class Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Shortest form that reads back exactly ("0.0025", "1", "12.5"); non-finite as 0.
inline void append_double(std::string& out, double v) {
  if (!std::isfinite(v)) v = 0;
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Seconds with one decimal, for messages ("12.0").
inline void append_seconds(std::string& out, std::int64_t us) {
  const std::int64_t tenths = (us + 50'000) / 100'000;
  append_int(out, tenths / 10);
  out += '.';
  append_int(out, tenths % 10);
}

inline void append_key(std::string& out, std::string_view key) {
  out += '"';
  out += key;
  out += "\":";
}

// ,"key":value helpers for building members after a first one.
template <class Int>
void member_int(std::string& out, std::string_view key, Int v, bool comma = true) {
  if (comma) out += ',';
  append_key(out, key);
  append_int(out, v);
}
inline void member_str(std::string& out, std::string_view key, std::string_view v, bool comma = true) {
  if (comma) out += ',';
  append_key(out, key);
  decoder::append_json_string(out, v);
}
inline void member_double(std::string& out, std::string_view key, double v, bool comma = true) {
  if (comma) out += ',';
  append_key(out, key);
  append_double(out, v);
}

}  // namespace smppscope::analysis::diag::detail
