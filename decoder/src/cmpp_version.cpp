// Telling CMPP 2.0 from 3.0 (and CMPP from SMPP) by the shape of the PDUs. The two versions
// differ only in field widths, so a PDU without a Version octet is judged by its Total_Length
// against each version's layout, and where both fit, by what each reading implies.
#include "smppscope/decoder/cmpp.hpp"
#include "smppscope/decoder/framer.hpp"
#include "smppscope/decoder/pdu.hpp"
#include "smppscope/decoder/wire.hpp"

namespace smppscope::decoder::cmpp {
namespace {

constexpr auto be32 = wire::get32;

bool flag(std::uint8_t b) noexcept { return b <= 1; }
bool known_fmt(std::uint8_t b) noexcept { return find_code(code_table::msg_fmt, b, version::v30) != nullptr; }

constexpr int strength(version_source s) noexcept {
  switch (s) {
    case version_source::configured: return 5;
    case version_source::connect: return 4;
    case version_source::response_length: return 3;
    case version_source::body_length: return 2;
    case version_source::tie_break: return 1;
    case version_source::none: return 0;
  }
  return 0;
}

// SUBMIT: does the length formula of each version hold, and how plausible is each reading?
// Offsets from the tables: 2.0 DestUsr_tl at 128, 3.0 at 140 (cmpp_protocol.cpp). The score
// counts what a reading gets wrong (0 best): a reading with more fields to check is not favoured.
struct fit {
  bool holds = false;
  int score = 0;
};

fit submit_fit(bytes_view f, version v) noexcept {
  fit r;
  const std::size_t len = f.size();
  const std::size_t n_at = v == version::v20 ? 128 : 140;
  const std::size_t width = v == version::v20 ? 21 : 32;
  const std::size_t fixed = v == version::v20 ? 138 : 163;
  if (len < fixed || n_at >= len) return r;
  const std::size_t n = f[n_at];
  const std::size_t l_at = n_at + 1 + width * n + (v == version::v30 ? 1 : 0);
  if (l_at >= len) return r;
  const std::size_t l = f[l_at];
  r.holds = fixed + width * n + l == len;
  if (!r.holds) return r;
  const std::size_t udhi_at = v == version::v20 ? 57 : 69;
  r.score += n >= 1 ? 0 : -2;
  r.score += flag(f[udhi_at]) ? 0 : -1;
  r.score += known_fmt(f[udhi_at + 1]) ? 0 : -1;
  if (v == version::v30) {
    r.score += flag(f[67]) ? 0 : -1;          // Fee_terminal_type
    r.score += flag(f[l_at - 1]) ? 0 : -1;    // Dest_terminal_type
  }
  return r;
}

// DELIVER: 2.0 Msg_Length at 76 (85 + L), 3.0 at 88 (109 + L).
fit deliver_fit(bytes_view f, version v) noexcept {
  fit r;
  const std::size_t len = f.size();
  const std::size_t l_at = v == version::v20 ? 76 : 88;
  const std::size_t fixed = v == version::v20 ? 85 : 109;
  if (len < fixed) return r;
  const std::size_t l = f[l_at];
  r.holds = fixed + l == len;
  if (!r.holds) return r;
  const std::uint8_t registered = f[l_at - 1];
  r.score += flag(f[52]) ? 0 : -1;  // TP_udhi
  r.score += known_fmt(f[53]) ? 0 : -1;
  r.score += flag(registered) ? 0 : -1;
  if (v == version::v30) r.score += flag(f[86]) ? 0 : -1;  // Src_terminal_type
  if (registered == 1) r.score += l == status_report_size(v) ? 0 : -1;
  return r;
}

version_evidence by_fits(fit f20, fit f30) noexcept {
  if (f20.holds && !f30.holds) return {version::v20, version_source::body_length};
  if (f30.holds && !f20.holds) return {version::v30, version_source::body_length};
  if (f20.holds && f30.holds) {
    if (f20.score > f30.score) return {version::v20, version_source::tie_break};
    if (f30.score > f20.score) return {version::v30, version_source::tie_break};
  }
  return {};
}

}  // namespace

version_evidence examine(bytes_view f) noexcept {
  if (f.size() < header_size) return {};
  const std::uint32_t len = be32(f.data());
  if (len != f.size()) return {};
  switch (be32(f.data() + 4)) {
    case static_cast<std::uint32_t>(command_id::connect):
      if (len == 39) {
        if (auto v = version_from_byte(f[34])) return {*v, version_source::connect};
      }
      return {};
    case static_cast<std::uint32_t>(command_id::connect_resp):
      if (len == 30) return {version::v20, version_source::response_length};
      if (len == 33) return {version::v30, version_source::response_length};
      return {};
    case static_cast<std::uint32_t>(command_id::submit_resp):
    case static_cast<std::uint32_t>(command_id::deliver_resp):
      if (len == 21) return {version::v20, version_source::response_length};
      if (len == 24) return {version::v30, version_source::response_length};
      return {};
    case static_cast<std::uint32_t>(command_id::cancel_resp):
      if (len == 13) return {version::v20, version_source::response_length};
      if (len == 16) return {version::v30, version_source::response_length};
      return {};
    case static_cast<std::uint32_t>(command_id::submit):
      return by_fits(submit_fit(f, version::v20), submit_fit(f, version::v30));
    case static_cast<std::uint32_t>(command_id::deliver):
      return by_fits(deliver_fit(f, version::v20), deliver_fit(f, version::v30));
    default:
      return {};
  }
}

void version_detector::configure(version v) noexcept { set(v, version_source::configured); }

void version_detector::set(version v, version_source s) noexcept {
  if (decided_ && *decided_ != v) ++changes_;
  decided_ = v;
  source_ = s;
}

version version_detector::observe(bytes_view frame) noexcept {
  const version_evidence ev = examine(frame);
  if (!ev.ver) return current();
  if (ev.source == version_source::connect &&
      frame.size() >= header_size && be32(frame.data() + 4) == static_cast<std::uint32_t>(command_id::connect)) {
    set(*ev.ver, version_source::connect);  // a new CONNECT starts over
    return *ev.ver;
  }
  if (source_ == version_source::configured) return current();
  // A CONNECT_RESP that refuses the version names the one the SP must come back with.
  const std::uint32_t id = be32(frame.data() + 4);
  if (id == static_cast<std::uint32_t>(command_id::connect_resp)) {
    pdu p;
    if (!decode(frame, *ev.ver, p)) {
      const auto status = p.status().value_or(0);
      const auto offered = version_from_byte(static_cast<std::uint8_t>(p.integer("Version").value_or(0)));
      if (status == connect_status_version_too_high && offered) {
        set(*offered, version_source::connect);
        return *ev.ver;
      }
    }
  }
  if (strength(ev.source) > strength(source_) ||
      (strength(ev.source) == strength(source_) && ev.source == version_source::response_length)) {
    set(*ev.ver, ev.source);
  }
  // Lengths say how this PDU is laid out, whatever the session decided before.
  if (ev.source == version_source::response_length || ev.source == version_source::body_length) return *ev.ver;
  return current();
}

// ---- SMPP or CMPP ----

namespace {

bool plausible_timestamp(std::uint32_t ts) noexcept {
  const connect_time t = unpack_timestamp(ts);
  return ts <= 1231235959u && t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= 31 && t.hour < 24 &&
         t.minute < 60 && t.second < 60;
}

// The first PDU read as CMPP: whole, and decodes with the layout its shape suggests.
bool cmpp_fits(bytes_view f, std::uint32_t len, std::uint32_t id) noexcept {
  if (len < header_size || len > max_pdu_size || !known_command(id)) return false;
  if (id == static_cast<std::uint32_t>(command_id::connect)) {
    return len == 39 && version_from_byte(f[34]).has_value() && plausible_timestamp(be32(f.data() + 35));
  }
  const version_evidence ev = examine(f);
  for (version v : {version::v30, version::v20}) {
    if (ev.ver && *ev.ver != v) continue;
    pdu p;
    // Unmodelled bodies (FWD, route commands) take any octets: they prove nothing.
    if (!decode(f, v, p) && p.trailing.empty() && p.spec && p.spec->modelled) return true;
  }
  return false;
}

bool smpp_fits(bytes_view f, std::uint32_t len, std::uint32_t id) noexcept {
  if (len < decoder::header_size || !decoder::find_pdu(id)) return false;
  const std::uint32_t status = be32(f.data() + 8);
  if (!decoder::is_response(id) && status != 0) return false;  // requests carry command_status 0
  decoder::pdu p;
  // A C-Octet String running to the end without its NUL is how CMPP's fixed fields read as SMPP.
  if (decoder::decode(f, p) || p.has_lint(decoder::lint::c_string_without_nul)) return false;
  // SMPP's C-Octet Strings (ids, addresses, times) are printable text; CMPP's binary Msg_Id and
  // authenticators read as SMPP put control octets into them.
  for (std::size_t i = 0; p.spec && i < p.field_count; ++i) {
    if (p.spec->fields[i].type != decoder::field_type::c_string) continue;
    for (std::uint8_t c : p.fields[i].bytes) {
      if (c < 0x20 || c > 0x7E) return false;
    }
  }
  return true;
}

}  // namespace

wire_protocol sniff(bytes_view first) noexcept {
  if (first.size() < 8) return wire_protocol::unknown;
  const std::uint32_t len = be32(first.data());
  const std::uint32_t id = be32(first.data() + 4);
  const bool cmpp_header = len >= header_size && len <= max_pdu_size && known_command(id);
  const bool smpp_header = len >= decoder::header_size && len <= decoder::default_max_pdu && decoder::find_pdu(id);
  if (!cmpp_header && !smpp_header) return wire_protocol::unknown;
  if (cmpp_header && !smpp_header) {
    if (first.size() < len) return wire_protocol::unknown;
    return cmpp_fits(first.first(len), len, id) ? wire_protocol::cmpp : wire_protocol::unknown;
  }
  if (first.size() < len) return wire_protocol::unknown;  // the whole first PDU decides
  const bytes_view f = first.first(len);
  const bool c = cmpp_header && cmpp_fits(f, len, id);
  const bool s = smpp_fits(f, len, id);
  if (c && !s) return wire_protocol::cmpp;
  if (s && !c) return wire_protocol::smpp;
  if (c && s) {
    // Both read cleanly (rare: a short body of zeros). A CMPP CONNECT with a valid Version and
    // Timestamp is a stronger sign than SMPP C-strings that happen to terminate.
    return id == static_cast<std::uint32_t>(command_id::connect) ? wire_protocol::cmpp : wire_protocol::smpp;
  }
  return wire_protocol::unknown;
}

}  // namespace smppscope::decoder::cmpp
