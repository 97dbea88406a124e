#include "smppscope/analysis/event_ring.hpp"

#include <algorithm>
#include <cstring>

namespace smppscope::analysis {

namespace {

constexpr std::uint8_t no_direction = 0xFF;

constexpr std::uint64_t align8(std::uint64_t n) noexcept { return (n + 7) & ~std::uint64_t{7}; }

// packed metadata word: protocol (8) | payload size (32) | type (8) | direction (8)
constexpr std::uint64_t pack_meta(std::uint32_t size, event_type t, std::optional<direction> d,
                                  std::uint8_t protocol) noexcept {
  return (std::uint64_t(protocol) << 48) | (std::uint64_t(size) << 16) |
         (std::uint64_t(static_cast<std::uint8_t>(t)) << 8) | (d ? static_cast<std::uint8_t>(*d) : no_direction);
}

}  // namespace

struct event_ring::slot {
  std::atomic<std::uint64_t> seq{1};  // 2*id stable; odd = being written / evicted / never used
  std::atomic<std::uint64_t> meta{0};
  std::atomic<std::uint64_t> session{0};
  std::atomic<std::int64_t> ts_us{0};
  std::atomic<std::uint64_t> pos{0};  // monotonic arena position of the payload
};

event_ring::event_ring(event_ring_options opt)
    : opt_(opt),
      slot_count_(std::max<std::size_t>(opt.max_events, 16)),
      arena_words_(std::max<std::size_t>(align8(opt.max_bytes), 4096) / 8),
      slots_(new slot[slot_count_]),
      arena_(new std::uint64_t[arena_words_]) {
  opt_.max_events = slot_count_;
  opt_.max_bytes = arena_words_ * 8;
}

event_ring::~event_ring() = default;

void event_ring::evict_oldest() noexcept {
  slot& s = slots_[oldest_w_ % slot_count_];
  const std::uint64_t len = (s.meta.load(std::memory_order_relaxed) >> 16) & 0xFFFFFFFFu;
  // Invalidate before any of its slot or arena octets are overwritten (seqlock write side).
  s.seq.store(oldest_w_ * 2 + 1, std::memory_order_relaxed);
  bytes_w_ -= std::size_t(align8(len));
  ++oldest_w_;
  overwritten_.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t event_ring::append(event_type type, std::uint64_t session, std::optional<direction> dir,
                                 std::int64_t ts_us, std::string_view payload) noexcept {
  return append(type, session, dir, ts_us,
                std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                              payload.size()));
}

std::uint64_t event_ring::append(event_type type, std::uint64_t session, std::optional<direction> dir,
                                 std::int64_t ts_us, std::span<const std::uint8_t> payload) noexcept {
  return append(type, session, dir, ts_us, payload, protocol_smpp);
}

std::uint64_t event_ring::append(event_type type, std::uint64_t session, std::optional<direction> dir,
                                 std::int64_t ts_us, std::span<const std::uint8_t> payload,
                                 std::uint8_t protocol) noexcept {
  const std::uint64_t arena_bytes = arena_words_ * 8;
  const std::uint64_t len8 = align8(payload.size());
  if (len8 > arena_bytes / 4 || payload.size() > 0xFFFFFFFFu) {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  std::uint64_t start = write_pos_;
  if (start % arena_bytes + len8 > arena_bytes) start += arena_bytes - start % arena_bytes;
  const std::uint64_t end = start + len8;

  // Make room: by count, then by arena octets (an event whose octets the new payload would
  // overwrite starts before end - arena_bytes).
  const std::uint64_t old_oldest = oldest_w_;
  if (next_w_ - oldest_w_ >= slot_count_) evict_oldest();
  while (oldest_w_ < next_w_ && end > arena_bytes &&
         slots_[oldest_w_ % slot_count_].pos.load(std::memory_order_relaxed) < end - arena_bytes) {
    evict_oldest();
  }
  if (oldest_w_ != old_oldest) oldest_id_.store(oldest_w_, std::memory_order_release);

  const std::uint64_t id = next_w_;
  slot& s = slots_[id % slot_count_];
  s.seq.store(id * 2 + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);  // evictions + odd mark before new octets

  std::uint64_t* words = arena_.get() + (start % arena_bytes) / 8;
  const std::size_t full = payload.size() / 8;
  const std::uint8_t* src = payload.data();
  for (std::size_t i = 0; i < full; ++i) {
    std::uint64_t w;
    std::memcpy(&w, src + i * 8, 8);
    std::atomic_ref<std::uint64_t>(words[i]).store(w, std::memory_order_relaxed);
  }
  if (const std::size_t rest = payload.size() % 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, src + full * 8, rest);
    std::atomic_ref<std::uint64_t>(words[full]).store(w, std::memory_order_relaxed);
  }
  s.meta.store(pack_meta(std::uint32_t(payload.size()), type, dir, protocol), std::memory_order_relaxed);
  s.session.store(session, std::memory_order_relaxed);
  s.ts_us.store(ts_us, std::memory_order_relaxed);
  s.pos.store(start, std::memory_order_relaxed);
  s.seq.store(id * 2, std::memory_order_release);

  write_pos_ = end;
  bytes_w_ += std::size_t(len8);
  bytes_.store(bytes_w_, std::memory_order_relaxed);
  next_w_ = id + 1;
  next_id_.store(next_w_, std::memory_order_release);
  return id;
}

bool event_ring::read_one(std::uint64_t id, const event_filter* keep, event& out, bool& kept) const {
  kept = false;
  const slot& s = slots_[id % slot_count_];
  const std::uint64_t s1 = s.seq.load(std::memory_order_acquire);
  if (s1 != id * 2) return false;
  const std::uint64_t meta = s.meta.load(std::memory_order_relaxed);
  event_info info;
  info.id = id;
  info.payload_size = std::uint32_t(meta >> 16);
  info.protocol = std::uint8_t(meta >> 48);
  info.type = static_cast<event_type>((meta >> 8) & 0xFF);
  if ((meta & 0xFF) != no_direction) info.dir = static_cast<direction>(meta & 0xFF);
  info.session = s.session.load(std::memory_order_relaxed);
  info.ts_us = s.ts_us.load(std::memory_order_relaxed);
  const std::uint64_t pos = s.pos.load(std::memory_order_relaxed);
  if (keep && *keep) {
    std::atomic_thread_fence(std::memory_order_acquire);
    if (s.seq.load(std::memory_order_relaxed) != s1) return false;
    if (!(*keep)(info)) return true;  // valid, not kept
  }
  const std::uint64_t arena_bytes = arena_words_ * 8;
  if (info.payload_size > arena_bytes / 4) return false;  // torn metadata; the check below says so
  const std::size_t words = std::size_t(align8(info.payload_size) / 8);
  out.payload.resize(words * 8);
  const std::uint64_t* src = arena_.get() + (pos % arena_bytes) / 8;
  if ((pos % arena_bytes) / 8 + words > arena_words_) return false;  // torn
  char* dst = out.payload.data();
  for (std::size_t i = 0; i < words; ++i) {
    const std::uint64_t w =
        std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(src[i])).load(std::memory_order_relaxed);
    std::memcpy(dst + i * 8, &w, 8);
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  if (s.seq.load(std::memory_order_relaxed) != s1) return false;
  out.payload.resize(info.payload_size);
  static_cast<event_info&>(out) = info;
  kept = true;
  return true;
}

std::vector<event> event_ring::read_since(std::uint64_t after_id, std::size_t limit,
                                          const event_filter& keep) const {
  std::vector<event> out;
  if (limit == 0) return out;
  const std::uint64_t end = next_id_.load(std::memory_order_acquire);
  std::uint64_t id = std::max(after_id + 1, oldest_id_.load(std::memory_order_acquire));
  event e;
  for (; id < end && out.size() < limit; ++id) {
    bool kept = false;
    if (read_one(id, &keep, e, kept) && kept) out.push_back(std::move(e));
    else if (id < oldest_id_.load(std::memory_order_acquire)) id = oldest_id_.load(std::memory_order_acquire) - 1;
  }
  return out;
}

std::vector<event> event_ring::read_last(std::size_t limit, const event_filter& keep) const {
  std::vector<event> out;
  if (limit == 0) return out;
  const std::uint64_t end = next_id_.load(std::memory_order_acquire);
  event e;
  for (std::uint64_t id = end; id > 1 && out.size() < limit;) {
    --id;
    bool kept = false;
    const bool valid = read_one(id, &keep, e, kept);
    if (kept) out.push_back(std::move(e));
    if (!valid && id < oldest_id_.load(std::memory_order_acquire)) break;  // older ones are gone too
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<event> event_ring::get(std::uint64_t id) const {
  event e;
  bool kept = false;
  if (id == 0 || !read_one(id, nullptr, e, kept) || !kept) return std::nullopt;
  return e;
}

std::uint64_t event_ring::last_id() const noexcept { return next_id_.load(std::memory_order_acquire) - 1; }

std::uint64_t event_ring::first_id() const noexcept {
  const std::uint64_t next = next_id_.load(std::memory_order_acquire);
  const std::uint64_t oldest = oldest_id_.load(std::memory_order_acquire);
  return oldest < next ? oldest : 0;
}

event_ring_stats event_ring::stats() const noexcept {
  event_ring_stats st;
  const std::uint64_t next = next_id_.load(std::memory_order_acquire);
  const std::uint64_t oldest = oldest_id_.load(std::memory_order_acquire);
  st.appended = next - 1;
  st.overwritten = overwritten_.load(std::memory_order_relaxed);
  st.rejected = rejected_.load(std::memory_order_relaxed);
  st.last_id = next - 1;
  st.first_id = oldest < next ? oldest : 0;
  st.events = std::size_t(next > oldest ? next - oldest : 0);
  st.bytes = bytes_.load(std::memory_order_relaxed);
  return st;
}

}  // namespace smppscope::analysis
