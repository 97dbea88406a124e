#include "detail/cmpp_analysis.hpp"

namespace smppscope::analysis::detail {

namespace cmpp = decoder::cmpp;

bool sniff_protocol(session_protocol& sp, direction d, std::span<const std::uint8_t> bytes,
                    std::uint64_t lost_before) {
  auto& held = sp.held[static_cast<int>(d)];
  if (lost_before) held.clear();
  held.insert(held.end(), bytes.begin(), bytes.end());
  if (held.size() < 8) return false;
  sp.proto = cmpp::sniff(held);
  if (sp.decided()) return true;
  // Undecided: wait only while the octets can still turn out to be a CMPP PDU (a plausible CMPP
  // header whose PDU has not all arrived). Anything else is left to the SMPP framer, which
  // resynchronises on garbage as it always did.
  const auto be32 = [&](std::size_t at) {
    return std::uint32_t(held[at]) << 24 | std::uint32_t(held[at + 1]) << 16 | std::uint32_t(held[at + 2]) << 8 | held[at + 3];
  };
  const std::uint32_t len = be32(0);
  const bool could_be_cmpp = len >= cmpp::header_size && len <= cmpp::max_pdu_size && cmpp::known_command(be32(4));
  if (!could_be_cmpp || held.size() >= len || held.size() >= sniff_limit) sp.proto = cmpp::wire_protocol::smpp;
  return sp.decided();
}

decoder::framer_layout cmpp_framer_layout() noexcept {
  return {static_cast<std::uint32_t>(cmpp::header_size), &cmpp::known_command};
}

void report_protocol(session_protocol& sp, std::uint64_t session, session_table& sessions) {
  if (!sp.decided()) return;
  if (!sp.is_cmpp()) {
    if (!sp.reported) sessions.set_protocol(session, "smpp", "");
    sp.reported = true;
    return;
  }
  const cmpp::version v = sp.cmpp_version.current();
  if (sp.reported && v == sp.reported_version) return;
  sessions.set_protocol(session, "cmpp", cmpp::version_name(v));
  sp.reported = true;
  sp.reported_version = v;
}

bool on_cmpp_frame(session_protocol& sp, std::uint64_t session, direction d, std::int64_t ts_us,
                   std::span<const std::uint8_t> frame, event_ring& ring, session_table& sessions,
                   cmpp::pdu& p, cmpp::decode_error& err, std::uint64_t& event_id) {
  const cmpp::version v = sp.cmpp_version.observe(frame);
  err = cmpp::decode(frame, v, p);
  const bool ok = !err;
  event_id = ring.append(event_type::pdu, session, d, ts_us, frame, cmpp::version_byte(v));
  report_protocol(sp, session, sessions);
  sessions.on_cmpp_pdu(session, d, p, ok, ts_us);
  return ok;
}

}  // namespace smppscope::analysis::detail
