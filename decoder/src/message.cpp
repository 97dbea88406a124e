// Message extraction: user data, UDH, concatenation (SMPP v3.4 sections 5.2.21 and 5.3.2.32;
// 3GPP TS 23.040 section 9.2.3.24).
#include "smppscope/decoder/message.hpp"

namespace smppscope::decoder {

std::string_view concat_source_name(concat_source s) noexcept {
  switch (s) {
    case concat_source::udh_8bit: return "udh_8bit";
    case concat_source::udh_16bit: return "udh_16bit";
    case concat_source::sar: return "sar";
  }
  return "unknown";
}

bool carries_message(std::uint32_t id) noexcept {
  switch (static_cast<command_id>(id)) {
    case command_id::submit_sm:
    case command_id::deliver_sm:
    case command_id::data_sm:
    case command_id::submit_multi:
    case command_id::replace_sm:
    case command_id::broadcast_sm:
      return true;
    default:
      return false;
  }
}

namespace {

std::optional<concat_part> sar_concat(const tlv_range& tlvs) noexcept {
  std::optional<std::uint32_t> ref, total, seq;
  for (const tlv& t : tlvs) {
    switch (static_cast<tlv_tag>(t.tag)) {
      case tlv_tag::sar_msg_ref_num: ref = t.integer(); break;
      case tlv_tag::sar_total_segments: total = t.integer(); break;
      case tlv_tag::sar_segment_seqnum: seq = t.integer(); break;
      default: break;
    }
  }
  if (!ref || !total || !seq) return std::nullopt;
  // Same validity rule as the UDH concat IE (3GPP TS 23.040 section 9.2.3.24).
  if (*ref > 0xFFFF || *total == 0 || *total > 0xFF || *seq == 0 || *seq > *total) return std::nullopt;
  return concat_part{static_cast<std::uint16_t>(*ref), static_cast<std::uint8_t>(*total),
                     static_cast<std::uint8_t>(*seq), concat_source::sar};
}

std::string_view text_field(const pdu& p, std::string_view name) noexcept {
  const field_value* f = p.field(name);
  return f ? f->text() : std::string_view{};
}

}  // namespace

std::optional<message> find_message(const pdu& p) noexcept {
  if (!p.spec || !carries_message(p.hdr.command_id)) return std::nullopt;
  message m;
  m.data_coding = p.data_coding().value_or(0);
  m.esm_class = p.esm_class().value_or(0);
  m.user_data = p.short_message();
  const tlv_range tlvs = p.tlvs();
  if (m.user_data.empty()) {
    if (const auto t = tlvs.find(tlv_tag::message_payload)) {
      m.user_data = t->value;
      m.from_payload_tlv = true;
    }
  }
  m.text_octets = m.user_data;
  if (m.esm_class & esm_class_udhi) {
    udh h;
    m.udh_problem = parse_udh(m.user_data, h);
    if (m.udh_problem) {
      m.udhi_without_udh = true;
    } else {
      m.text_octets = m.user_data.subspan(h.size());
      m.fill_bits = gsm7_fill_bits(h.size());
      if (h.concat) {
        m.concat = concat_part{h.concat->ref, h.concat->total, h.concat->seq,
                               h.concat->ref16 ? concat_source::udh_16bit : concat_source::udh_8bit};
      }
      m.header = h;
    }
  }
  if (!m.concat) m.concat = sar_concat(tlvs);
  m.source_addr = text_field(p, "source_addr");
  m.destination_addr = text_field(p, "destination_addr");
  return m;
}

text_options message_text_options(const message& m, text_options opts) noexcept {
  if (m.header) {
    if (m.header->locking_shift) opts.locking_shift = *m.header->locking_shift;
    if (m.header->single_shift) opts.single_shift = *m.header->single_shift;
  }
  return opts;
}

text_info append_message_text(std::string& out, const message& m, const text_options& opts) {
  return append_text(out, m.text_octets, m.data_coding, message_text_options(m, opts), m.fill_bits);
}

decoded_text message_text(const message& m, const text_options& opts) {
  return decode_text(m.text_octets, m.data_coding, message_text_options(m, opts), m.fill_bits);
}

std::optional<decoded_message> decode_message(const pdu& p, const text_options& opts) {
  auto m = find_message(p);
  if (!m) return std::nullopt;
  decoded_message d{*m, message_text(*m, opts)};
  return d;
}

}  // namespace smppscope::decoder
