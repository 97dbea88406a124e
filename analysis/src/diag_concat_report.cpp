// Concatenated messages that lost parts, reported as concat_incomplete alerts.
#include "detail/diag_state.hpp"
#include "smppscope/decoder/reassembler.hpp"

namespace smppscope::analysis::diag {

using namespace state;

void diagnostics::report_incomplete(const std::vector<decoder::incomplete_message>& gone, std::int64_t now,
                                    analysis_context& ctx) {
  for (const decoder::incomplete_message& m : gone) {
    const auto it = sessions_.find(m.id.session);
    if (it == sessions_.end()) continue;  // counted in the totals; nothing left to show it on
    session& s = *it->second;
    const direction d = m.id.direction == ix(direction::smsc_to_esme) ? direction::smsc_to_esme
                                                                       : direction::esme_to_smsc;
    const int r = ix(d);
    ++s.concat_incomplete;
    s.concat_last_us[r] = now;
    alert_slot& a = s.slot(alert_kind::concat_incomplete);
    a.last_cause_us = now;
    std::string seen, missing;
    for (unsigned seq = 1, k = 0; seq <= m.id.total; ++seq) {
      const bool gap = k < m.missing.size() && m.missing[k] == seq;
      std::string& list = gap ? missing : seen;
      if (gap) ++k;
      if (!list.empty()) list += ',';
      append_int(list, seq);
    }
    std::string msg = "concatenated message from the ";
    msg += sender_name(d);
    msg += " (";
    msg += decoder::concat_source_name(m.id.numbering);
    msg += " ref ";
    append_int(msg, m.id.ref);
    msg += ", ";
    decoder::append_json_string(msg, m.id.source);
    msg += " -> ";
    decoder::append_json_string(msg, m.id.destination);
    msg += ") incomplete: ";
    append_int(msg, m.received);
    msg += " of ";
    append_int(msg, m.id.total);
    msg += " parts (";
    msg += seen;
    msg += "), missing ";
    msg += missing;
    if (s.concat_incomplete > 1) {
      msg += " (";
      append_int(msg, s.concat_incomplete);
      msg += " incomplete in this session)";
    }
    std::string extra;
    member_str(extra, "numbering", decoder::concat_source_name(m.id.numbering), false);
    member_int(extra, "ref", m.id.ref);
    member_int(extra, "total", m.id.total);
    extra += ",\"parts_seen\":[";
    extra += seen;
    extra += "],\"parts_missing\":[";
    extra += missing;
    extra += ']';
    member_str(extra, "source_addr", m.id.source);
    member_str(extra, "destination_addr", m.id.destination);
    member_int(extra, "first_part_us", m.first_us);
    member_int(extra, "last_part_us", m.last_us);
    member_int(extra, "count", s.concat_incomplete);
    raise(s, alert_kind::concat_incomplete, d, blame::sender_of(d), std::move(msg), std::move(extra), now, ctx,
          true);
  }
}


}  // namespace smppscope::analysis::diag
