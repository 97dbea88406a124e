// CMPP message parts: Msg_Id layout, status reports, Msg_Fmt text (GBK through the C library's
// iconv), and the bridge to the SMPP message model so one reassembler joins both protocols.
#include <iconv.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "smppscope/decoder/cmpp.hpp"

namespace smppscope::decoder::cmpp {
namespace {

std::uint64_t get_be(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

std::string_view cut_text(bytes_view b) noexcept {
  const auto* nul = static_cast<const std::uint8_t*>(std::memchr(b.data(), 0, b.size()));
  const std::size_t n = nul ? static_cast<std::size_t>(nul - b.data()) : b.size();
  return {reinterpret_cast<const char*>(b.data()), n};
}

void put_text(std::vector<std::uint8_t>& out, std::string_view s, std::size_t width) {
  s = s.substr(0, width);
  out.insert(out.end(), s.begin(), s.end());
  out.insert(out.end(), width - s.size(), std::uint8_t{0});
}

// Converts with iconv; false when a sequence does not convert (the output so far is kept).
bool convert(const char* to, const char* from, bytes_view in, std::string& out) {
  iconv_t cd = iconv_open(to, from);
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  char* src = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
  std::size_t left = in.size();
  bool ok = true;
  char buf[512];
  while (left > 0) {
    char* dst = buf;
    std::size_t room = sizeof buf;
    const std::size_t rc = iconv(cd, &src, &left, &dst, &room);
    out.append(buf, static_cast<std::size_t>(dst - buf));
    if (rc == static_cast<std::size_t>(-1) && errno != E2BIG) {
      ok = false;
      break;
    }
  }
  iconv_close(cd);
  return ok;
}

}  // namespace

// ---- Msg_Id (§7) ----

msg_id_parts unpack_msg_id(std::uint64_t v) noexcept {
  msg_id_parts p;
  p.month = static_cast<std::uint8_t>((v >> 60) & 0xF);
  p.day = static_cast<std::uint8_t>((v >> 55) & 0x1F);
  p.hour = static_cast<std::uint8_t>((v >> 50) & 0x1F);
  p.minute = static_cast<std::uint8_t>((v >> 44) & 0x3F);
  p.second = static_cast<std::uint8_t>((v >> 38) & 0x3F);
  p.gateway = static_cast<std::uint32_t>((v >> 16) & 0x3FFFFF);
  p.sequence = static_cast<std::uint16_t>(v & 0xFFFF);
  return p;
}

std::uint64_t pack_msg_id(const msg_id_parts& p) noexcept {
  return (std::uint64_t(p.month & 0xF) << 60) | (std::uint64_t(p.day & 0x1F) << 55) |
         (std::uint64_t(p.hour & 0x1F) << 50) | (std::uint64_t(p.minute & 0x3F) << 44) |
         (std::uint64_t(p.second & 0x3F) << 38) | (std::uint64_t(p.gateway & 0x3FFFFF) << 16) | p.sequence;
}

// ---- status report (§5, inside Msg_Content) ----

std::size_t status_report_size(version v) noexcept { return v == version::v20 ? 60 : 71; }

std::optional<status_report> parse_status_report(bytes_view c, version v) noexcept {
  if (c.size() < status_report_size(v)) return std::nullopt;
  const std::size_t dest_width = v == version::v20 ? 21 : 32;
  status_report r;
  r.msg_id = get_be(c.data(), 8);
  r.stat = cut_text(c.subspan(8, 7));
  r.submit_time = cut_text(c.subspan(15, 10));
  r.done_time = cut_text(c.subspan(25, 10));
  r.dest_terminal_id = cut_text(c.subspan(35, dest_width));
  r.smsc_sequence = static_cast<std::uint32_t>(get_be(c.data() + 35 + dest_width, 4));
  return r;
}

std::vector<std::uint8_t> format_status_report(const status_report& r, version v) {
  std::vector<std::uint8_t> out;
  out.reserve(status_report_size(v));
  for (int k = 7; k >= 0; --k) out.push_back(static_cast<std::uint8_t>(r.msg_id >> (8 * k)));
  put_text(out, r.stat, 7);
  put_text(out, r.submit_time, 10);
  put_text(out, r.done_time, 10);
  put_text(out, r.dest_terminal_id, v == version::v20 ? 21 : 32);
  for (int k = 3; k >= 0; --k) out.push_back(static_cast<std::uint8_t>(r.smsc_sequence >> (8 * k)));
  return out;
}

// ---- text (§6 Msg_Fmt) ----

decoded_text decode_text(bytes_view data, std::uint8_t fmt) {
  decoded_text t;
  switch (fmt) {
    case static_cast<std::uint8_t>(msg_fmt::ascii): {
      t.encoding = "ascii";
      for (std::uint8_t b : data) {
        if (b > 0x7F) {
          t.outside_alphabet = true;
          append_utf8(t.utf8, U'\uFFFD');
        } else {
          t.utf8.push_back(static_cast<char>(b));
        }
      }
      return t;
    }
    case static_cast<std::uint8_t>(msg_fmt::ucs2): {
      t.encoding = "ucs2";
      bool bad = false;
      t.utf8 = ucs2_to_utf8(data, &bad);
      t.outside_alphabet = bad;
      return t;
    }
    case static_cast<std::uint8_t>(msg_fmt::gbk): {
      t.encoding = "gbk";
      // GB18030 is a superset of GBK and GB2312 and decodes every valid GBK sequence.
      if (!convert("UTF-8", "GB18030", data, t.utf8)) {
        t.outside_alphabet = true;
        append_utf8(t.utf8, U'\uFFFD');
      }
      return t;
    }
    default:
      t.encoding = "binary";
      t.binary = true;
      append_hex(t.utf8, data);
      return t;
  }
}

std::optional<std::vector<std::uint8_t>> utf8_to_gbk(std::string_view utf8) {
  std::string out;
  if (!convert("GBK", "UTF-8", bytes_view(reinterpret_cast<const std::uint8_t*>(utf8.data()), utf8.size()), out)) {
    return std::nullopt;
  }
  return std::vector<std::uint8_t>(out.begin(), out.end());
}

std::uint8_t data_coding_of(std::uint8_t fmt) noexcept {
  switch (fmt) {
    case static_cast<std::uint8_t>(msg_fmt::ascii): return 0x01;  // IA5
    case static_cast<std::uint8_t>(msg_fmt::ucs2): return 0x08;
    default: return 0x04;  // 8-bit binary: joined octets come back as hex
  }
}

std::optional<message> find_message(const pdu& p) noexcept {
  const bool submit = p.hdr.command_id == static_cast<std::uint32_t>(command_id::submit);
  const bool deliver = p.hdr.command_id == static_cast<std::uint32_t>(command_id::deliver);
  if (!p.spec || (!submit && !deliver) || p.is_status_report()) return std::nullopt;
  const field_value* content = p.field("Msg_Content");
  if (!content) return std::nullopt;
  message m;
  m.user_data = content->bytes;
  m.data_coding = data_coding_of(p.msg_fmt().value_or(0));
  m.esm_class = p.tp_udhi() ? esm_class_udhi : 0;
  m.text_octets = m.user_data;
  if (p.tp_udhi()) {
    udh h;
    if (udh_error e = parse_udh(m.user_data, h); e) {
      m.udhi_without_udh = true;
      m.udh_problem = e;
    } else {
      m.header = h;
      m.text_octets = m.user_data.subspan(h.size());
      if (h.concat) m.concat = concat_part{h.concat->ref, h.concat->total, h.concat->seq,
                                           h.concat->ref16 ? concat_source::udh_16bit : concat_source::udh_8bit};
    }
  }
  if (submit) {
    m.source_addr = p.text("Src_Id").value_or("");
    m.destination_addr = p.dest_terminal_id(0);
  } else {
    m.source_addr = p.text("Src_terminal_Id").value_or("");
    m.destination_addr = p.text("Dest_Id").value_or("");
  }
  return m;
}

}  // namespace smppscope::decoder::cmpp
