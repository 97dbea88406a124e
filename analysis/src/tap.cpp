#include "smppscope/analysis/tap.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace smppscope::analysis {

namespace {

constexpr std::uint8_t wrap_marker = 0xFF;
constexpr std::size_t header_size = 40;
constexpr std::size_t endpoint_size = 20;
constexpr std::size_t endpoints_size = 4 * endpoint_size;

// Record header as laid out in the ring (8-octet aligned).
struct record_header {
  std::uint32_t size;  // whole record incl. header and padding; for a wrap marker: octets skipped
  std::uint8_t kind;
  std::uint8_t dir;
  std::uint8_t flags;  // bit 0 client_tls, bit 1 upstream_tls
  std::uint8_t pad0;
  std::uint32_t len;   // octets of `bytes`
  std::uint32_t pad1;
  std::uint64_t session;
  std::int64_t ts_us;
  std::uint64_t lost_before;  // data: octets dropped before this record
};
static_assert(sizeof(record_header) == header_size);

constexpr std::size_t align8(std::size_t n) noexcept { return (n + 7) & ~std::size_t{7}; }

// Octets pushed between two looks at the consumer while a backlog keeps the producer from
// wrapping early (each look reads the consumer's cache line).
constexpr std::size_t early_wrap_retry = 16u << 10;

void put_endpoint(std::uint8_t* p, const endpoint& e) noexcept {
  std::memcpy(p, e.addr, 16);
  std::memcpy(p + 16, &e.port, 2);
  p[18] = e.v6 ? 1 : 0;
  p[19] = 0;
}

void get_endpoint(const std::uint8_t* p, endpoint& e) noexcept {
  std::memcpy(e.addr, p, 16);
  std::memcpy(&e.port, p + 16, 2);
  e.v6 = p[18] != 0;
}

}  // namespace

std::string_view direction_name(direction d) noexcept {
  return d == direction::esme_to_smsc ? "esme_to_smsc" : "smsc_to_esme";
}

std::string endpoint::to_string() const {
  char buf[INET6_ADDRSTRLEN + 16];
  char host[INET6_ADDRSTRLEN] = {};
  if (v6) {
    ::inet_ntop(AF_INET6, addr, host, sizeof host);
    std::snprintf(buf, sizeof buf, "[%s]:%u", host, unsigned(port));
  } else {
    ::inet_ntop(AF_INET, addr, host, sizeof host);
    std::snprintf(buf, sizeof buf, "%s:%u", host, unsigned(port));
  }
  return buf;
}

tap_queue::tap_queue(std::size_t capacity_bytes)
    : capacity_(align8(capacity_bytes < 4096 ? 4096 : capacity_bytes)),
      // A quarter of a small ring, 256 KiB of a large one: room for over a thousand session
      // records while data is being dropped.
      event_reserve_(std::min<std::size_t>(capacity_ / 4, 256u << 10)),
      early_wrap_(std::min<std::size_t>(capacity_ / 2, 4u << 20)),
      storage_(new std::uint64_t[capacity_ / 8]),
      ring_(reinterpret_cast<std::uint8_t*>(storage_.get())) {}

tap_queue::~tap_queue() = default;

std::size_t tap_queue::used_bytes() const noexcept {
  const auto h = head_.load(std::memory_order_acquire);
  const auto t = tail_.load(std::memory_order_acquire);
  return h >= t ? std::size_t(h - t) : 0;
}

void tap_queue::drop(std::size_t bytes) noexcept {
  dropped_records_.fetch_add(1, std::memory_order_relaxed);
  dropped_bytes_.fetch_add(bytes, std::memory_order_relaxed);
}

bool tap_queue::push_data(std::uint64_t session, direction dir, std::int64_t ts_us,
                          std::span<const std::uint8_t> bytes, std::uint64_t lost_before) noexcept {
  return push(record_kind::data, dir, session, ts_us, bytes, nullptr, lost_before);
}

bool tap_queue::push_event(const tap_record& r) noexcept {
  return push(r.kind, r.dir, r.session, r.ts_us, r.bytes, &r, 0);
}

bool tap_queue::push(record_kind kind, direction dir, std::uint64_t session, std::int64_t ts_us,
                     std::span<const std::uint8_t> bytes, const tap_record* ep,
                     std::uint64_t lost_before) noexcept {
  const std::size_t extra = ep ? endpoints_size : 0;
  const std::size_t need = align8(header_size + extra + bytes.size());
  if (need > capacity_ / 2) {
    drop(bytes.size());
    return false;
  }
  const std::uint64_t head = head_.load(std::memory_order_relaxed);  // only we write it
  std::size_t pos = std::size_t(head % capacity_);
  const std::size_t contiguous = capacity_ - pos;
  const std::size_t keep_free = ep ? 0 : event_reserve_;  // data leaves room for session records
  bool wrap = need > contiguous;
  // Past the early-wrap point, go back to the start (already touched) as soon as the consumer has
  // freed it: the queue then lives in its first pages, and the rest of the buffer is only touched
  // (faulted in, on the relay thread) when a backlog really needs it.
  // Only with little queued: until the consumer has passed the wrap marker, the room left is the
  // start of the buffer up to where the consumer is (at least early_wrap_ minus what was queued).
  if (!wrap && pos >= early_wrap_ && head >= next_wrap_try_) {
    tail_cache_ = tail_.load(std::memory_order_acquire);
    const std::uint64_t used = head - tail_cache_;
    if (used <= early_wrap_ / 4 && capacity_ - used >= contiguous + need + keep_free) wrap = true;
    else next_wrap_try_ = head + early_wrap_retry;  // a backlog: look again a little later
  }
  const std::size_t total = wrap ? contiguous + need : need;
  if (capacity_ - (head - tail_cache_) < total + keep_free) {
    tail_cache_ = tail_.load(std::memory_order_acquire);
    if (capacity_ - (head - tail_cache_) < total + keep_free) {
      drop(bytes.size());
      return false;
    }
  }
  if (wrap) {  // a record never wraps: mark the rest as skipped
    record_header m{};
    m.size = std::uint32_t(contiguous);
    m.kind = wrap_marker;
    std::memcpy(ring_ + pos, &m, 8);
    pos = 0;
  }
  record_header h{};
  h.size = std::uint32_t(need);
  h.kind = static_cast<std::uint8_t>(kind);
  h.dir = static_cast<std::uint8_t>(dir);
  h.len = std::uint32_t(bytes.size());
  h.session = session;
  h.ts_us = ts_us;
  h.lost_before = lost_before;
  std::uint8_t* p = ring_ + pos;
  if (ep) {
    h.flags = std::uint8_t((ep->client_tls ? 1 : 0) | (ep->upstream_tls ? 2 : 0));
    put_endpoint(p + header_size, ep->client);
    put_endpoint(p + header_size + endpoint_size, ep->proxy_client_side);
    put_endpoint(p + header_size + 2 * endpoint_size, ep->proxy_upstream_side);
    put_endpoint(p + header_size + 3 * endpoint_size, ep->upstream);
  }
  std::memcpy(p, &h, header_size);
  if (!bytes.empty()) std::memcpy(p + header_size + extra, bytes.data(), bytes.size());
  if (pos + need > touched_) {
    touched_ = pos + need;
    touched_pub_.store(touched_, std::memory_order_relaxed);
  }
  head_.store(head + total, std::memory_order_release);
  pushed_records_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool tap_queue::pop(tap_record& out) noexcept {
  std::uint64_t tail = tail_.load(std::memory_order_relaxed);  // only we write it
  for (;;) {
    if (tail == head_cache_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail == head_cache_) return false;
    }
    const std::uint8_t* p = ring_ + std::size_t(tail % capacity_);
    record_header h;
    std::memcpy(&h, p, 8);
    if (h.kind == wrap_marker) {
      tail += h.size;
      tail_.store(tail, std::memory_order_release);
      continue;
    }
    std::memcpy(&h, p, header_size);
    const auto kind = static_cast<record_kind>(h.kind);
    out.kind = kind;
    out.dir = static_cast<direction>(h.dir);
    out.session = h.session;
    out.ts_us = h.ts_us;
    out.lost_before = h.lost_before;
    std::size_t off = header_size;
    if (kind != record_kind::data) {
      get_endpoint(p + off, out.client);
      get_endpoint(p + off + endpoint_size, out.proxy_client_side);
      get_endpoint(p + off + 2 * endpoint_size, out.proxy_upstream_side);
      get_endpoint(p + off + 3 * endpoint_size, out.upstream);
      out.client_tls = (h.flags & 1) != 0;
      out.upstream_tls = (h.flags & 2) != 0;
      off += endpoints_size;
    } else {
      out.client = out.proxy_client_side = out.proxy_upstream_side = out.upstream = endpoint{};
      out.client_tls = out.upstream_tls = false;
    }
    out.bytes = std::span<const std::uint8_t>(p + off, h.len);
    pending_release_ = h.size;
    return true;
  }
}

void tap_queue::release() noexcept {
  const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
  tail_.store(tail + pending_release_, std::memory_order_release);
  pending_release_ = 0;
}

}  // namespace smppscope::analysis
