// Relay buffers of one relay thread, lent to a direction only while its bytes are in flight
// (read, write, tap copy) and returned after, as haproxy and Envoy do: an idle plain-TCP session
// holds no buffer. A few returned buffers are kept for the next reader (no allocation in steady
// state); beyond `max_free` they are freed, so the pool holds at most the buffers in flight plus
// `max_free`. TLS streams keep one buffer per direction for the session's life (a TLS read cannot
// be split into "wait for readability" and "read now").
//
// Owned by one relay thread and touched only on it; in_use() and allocated() may be read from any
// thread (relaxed, for stats and tests).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace smppscope::proxy::detail {

class buffer_pool;

// A buffer on loan from a pool; goes back on destruction (also when a coroutine is destroyed
// mid-write). Empty when default-constructed or moved from.
class pooled_buffer {
 public:
  pooled_buffer() noexcept = default;
  pooled_buffer(buffer_pool* pool, std::unique_ptr<std::uint8_t[]> mem) noexcept
      : pool_(pool), mem_(std::move(mem)) {}
  pooled_buffer(pooled_buffer&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), mem_(std::move(o.mem_)) {}
  pooled_buffer& operator=(pooled_buffer&& o) noexcept {
    if (this != &o) {
      reset();
      pool_ = std::exchange(o.pool_, nullptr);
      mem_ = std::move(o.mem_);
    }
    return *this;
  }
  ~pooled_buffer() { reset(); }

  std::span<std::uint8_t> span() const noexcept;
  explicit operator bool() const noexcept { return mem_ != nullptr; }
  void reset() noexcept;  // back to the pool now

 private:
  buffer_pool* pool_ = nullptr;
  std::unique_ptr<std::uint8_t[]> mem_;
};

class buffer_pool {
 public:
  explicit buffer_pool(std::size_t buffer_size, std::size_t max_free = 16)
      : size_(buffer_size), max_free_(max_free) {
    free_.reserve(max_free);
  }
  buffer_pool(const buffer_pool&) = delete;
  buffer_pool& operator=(const buffer_pool&) = delete;

  pooled_buffer take() {
    std::unique_ptr<std::uint8_t[]> m;
    if (!free_.empty()) {
      m = std::move(free_.back());
      free_.pop_back();
    } else {
      m.reset(new std::uint8_t[size_]);  // uninitialised: only read into
      bump(allocated_, 1);
    }
    bump(in_use_, 1);
    return pooled_buffer(this, std::move(m));
  }

  std::size_t buffer_size() const noexcept { return size_; }
  std::size_t in_use() const noexcept { return in_use_.load(std::memory_order_relaxed); }
  std::size_t allocated() const noexcept { return allocated_.load(std::memory_order_relaxed); }

 private:
  friend class pooled_buffer;
  void give(std::unique_ptr<std::uint8_t[]> m) noexcept {
    bump(in_use_, -1);
    if (free_.size() < max_free_) {
      free_.push_back(std::move(m));  // capacity reserved: no allocation
    } else {
      bump(allocated_, -1);
    }
  }
  static void bump(std::atomic<std::size_t>& a, std::ptrdiff_t d) noexcept {  // single writer
    a.store(a.load(std::memory_order_relaxed) + static_cast<std::size_t>(d), std::memory_order_relaxed);
  }

  std::size_t size_;
  std::size_t max_free_;
  std::vector<std::unique_ptr<std::uint8_t[]>> free_;
  std::atomic<std::size_t> in_use_{0};
  std::atomic<std::size_t> allocated_{0};
};

inline std::span<std::uint8_t> pooled_buffer::span() const noexcept {
  return mem_ ? std::span<std::uint8_t>(mem_.get(), pool_->buffer_size()) : std::span<std::uint8_t>();
}

inline void pooled_buffer::reset() noexcept {
  if (mem_) pool_->give(std::move(mem_));
  pool_ = nullptr;
}

}  // namespace smppscope::proxy::detail
