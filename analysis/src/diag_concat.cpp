#include "smppscope/analysis/diag/concat_tracker.hpp"

#include "smppscope/decoder/message.hpp"
#include "smppscope/decoder/pdu.hpp"

namespace smppscope::analysis::diag {

namespace {
void put(std::atomic<std::uint64_t>& a, std::uint64_t v) noexcept { a.store(v, std::memory_order_relaxed); }
}  // namespace

concat_tracker::concat_tracker(const diag_options& o)
    : r_(decoder::reassembler_limits{o.concat_max_pending, o.concat_max_bytes, o.concat_timeout_us}) {}

void concat_tracker::on_pdu(std::uint64_t session, direction d, const decoder::pdu& p, std::int64_t ts_us) {
  if (!decoder::carries_message(p.hdr.command_id)) return;
  const std::optional<decoder::message> m = decoder::find_message(p);
  if (!m || !m->concat || m->concat->total < 2) return;
  const decoder::part_key key{session, static_cast<std::uint8_t>(d), m->source_addr, m->destination_addr};
  r_.add(key, *m, ts_us);
  put(parts_, parts_.load(std::memory_order_relaxed) + 1);
  publish();
}

std::vector<decoder::incomplete_message> concat_tracker::expire(std::int64_t now_us) {
  if (r_.pending() == 0 || now_us < next_expiry_us_) return {};
  next_expiry_us_ = now_us + 1'000'000;
  auto out = r_.expire(now_us);
  if (!out.empty()) {
    put(incomplete_, incomplete_.load(std::memory_order_relaxed) + out.size());
    publish();
  }
  return out;
}

std::vector<decoder::incomplete_message> concat_tracker::end_session(std::uint64_t session) {
  if (r_.pending() == 0) return {};
  auto out = r_.take_session(session);
  if (!out.empty()) {
    put(incomplete_, incomplete_.load(std::memory_order_relaxed) + out.size());
    publish();
  }
  return out;
}

void concat_tracker::publish() {
  put(completed_, r_.completed());
  put(evicted_, r_.evicted());
  put(duplicates_, r_.duplicates());
  put(pending_, r_.pending());
  put(bytes_, r_.buffered_bytes());
}

concat_totals concat_tracker::totals() const noexcept {
  auto ld = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  concat_totals t;
  t.parts = ld(parts_);
  t.completed = ld(completed_);
  t.incomplete = ld(incomplete_);
  t.evicted = ld(evicted_);
  t.duplicates = ld(duplicates_);
  t.pending = ld(pending_);
  t.buffered_bytes = ld(bytes_);
  return t;
}

}  // namespace smppscope::analysis::diag
