// Delivery receipts matched to the submits that asked for them.
#include "detail/diag_state.hpp"
#include "smppscope/analysis/diag/receipt.hpp"

namespace smppscope::analysis::diag {

using namespace state;

// An accepted submit's message id: a receipt may already have overtaken its answer (another
// session, another relay thread), else the id waits for its receipt.
void diagnostics::track_submit(session& s, std::string_view mid, std::int64_t sent_us,
                               std::uint8_t registered_delivery) {
  if (!mid.empty()) {
    // A receipt that overtook this response (another session, another relay thread)?
    const message_id_keys keys = keys_of_message_id(mid);
    bool matched_early = false;
    for (std::uint8_t k = 0; k < keys.count && !matched_early; ++k) {
      const std::uint32_t x = dlr_->earlies.find(keys.key[k]);
      if (x == dlr_->earlies.npos) continue;
      const dlr_state::early er = dlr_->earlies[x].value;
      dlr_->earlies.erase(x);
      c_->receipt.add(std::max<std::int64_t>(0, er.ts_us - sent_us));
      if (er.intermediate) {
        bump(c_->dlr_intermediate);
      } else {
        bump(c_->dlr_matched);
        matched_early = true;
      }
      if (const auto it = sessions_.find(er.session); it != sessions_.end()) {
        if (!er.intermediate) ++it->second->dlr_matched;
      }
    }
    if (keys.count && !matched_early) {
      auto& pend = dlr_->pendings;
      if (const std::uint32_t old = pend.find(keys.key[0]); old != pend.npos) {
        pend.erase(old);
        drop(c_->dlr_pending);
      }
      if (pend.size() == pend.max_size()) {
        pend.erase(pend.front());
        drop(c_->dlr_pending);
        bump(c_->dlr_evicted);
      }
      pend.push_back(keys.key[0], {sent_us, s.id, registered_delivery});
      bump(c_->dlr_pending);
      bump(c_->dlr_tracked);
      ++s.dlr_tracked;
    }
  }
}

void diagnostics::handle_receipt(session& s, direction d, const decoder::pdu& p, std::int64_t ts,
                                 analysis_context& ctx) {
  (void)ctx;
  const auto rc = find_receipt(p);
  if (!rc) return;
  match_receipt(s, d, rc->id, rc->intermediate, ts);
}

// A receipt's message id: matched to a pending submit, else held for the grace period (its
// submit's answer may still be on its way), then counted as unmatched by check_dlr().
void diagnostics::match_receipt(session& s, direction d, std::string_view id, bool intermediate, std::int64_t ts) {
  const message_id_keys keys = keys_of_message_id(id);
  auto& pend = dlr_->pendings;
  for (std::uint8_t k = 0; k < keys.count; ++k) {
    const std::uint32_t at = pend.find(keys.key[k]);
    if (at == pend.npos) continue;
    c_->receipt.add(std::max<std::int64_t>(0, ts - pend[at].value.submit_us));
    if (intermediate) {
      bump(c_->dlr_intermediate);
      return;
    }
    pend.erase(at);
    drop(c_->dlr_pending);
    bump(c_->dlr_matched);
    ++s.dlr_matched;
    return;
  }
  if (keys.count == 0) return;
  // Not (yet) known: its submit_sm_resp may still be on its way.
  auto& early = dlr_->earlies;
  if (early.find(keys.key[0]) != early.npos) return;
  if (early.size() == early.max_size()) {  // a flood of strangers: the oldest counts as unmatched now
    const dlr_state::early old = early[early.front()].value;
    early.erase(early.front());
    bump(c_->dlr_unmatched);
    (void)old;
  }
  dlr_state::early e;
  e.ts_us = ts;
  e.session = s.id;
  e.dir = d;
  e.intermediate = intermediate;
  e.id_len = static_cast<std::uint8_t>(std::min(id.size(), sizeof e.id));
  std::memcpy(e.id, id.data(), e.id_len);
  early.push_back(keys.key[0], e);
}


void diagnostics::check_dlr(std::int64_t now, analysis_context& ctx) {
  auto& pend = dlr_->pendings;
  while (!pend.empty()) {
    const std::uint32_t f = pend.front();
    const dlr_state::pending& e = pend[f].value;
    if (now - e.submit_us < opt_.dlr_timeout_us) break;
    if ((e.registered_delivery & 0x03) == 1) bump(c_->dlr_missing);  // receipt on success or failure
    pend.erase(f);
    drop(c_->dlr_pending);
  }
  auto& early = dlr_->earlies;
  while (!early.empty()) {
    const std::uint32_t f = early.front();
    const dlr_state::early e = early[f].value;
    if (now - e.ts_us < opt_.dlr_grace_us) break;
    early.erase(f);
    bump(c_->dlr_unmatched);
    const auto it = sessions_.find(e.session);
    if (it == sessions_.end()) continue;
    session& s = *it->second;
    ++s.dlr_unmatched;
    alert_slot& a = s.slot(alert_kind::dlr_unmatched);
    a.last_cause_us = now;
    a.count = a.any() ? a.count + 1 : 1;
    if (a.any() && now - a.last_update_us < opt_.alert_update_us) continue;
    std::string msg = "delivery receipt for message_id ";
    decoder::append_json_string(msg, e.text());
    msg += " matches no submit seen";
    if (a.count > 1) {
      msg += " (";
      append_int(msg, a.count);
      msg += " unmatched)";
    }
    std::string extra;
    member_str(extra, "message_id", e.text(), false);
    member_int(extra, "count", a.count);
    raise(s, alert_kind::dlr_unmatched, std::nullopt, blame::sender_of(e.dir), std::move(msg), std::move(extra),
          now, ctx, true);
  }
}


}  // namespace smppscope::analysis::diag
