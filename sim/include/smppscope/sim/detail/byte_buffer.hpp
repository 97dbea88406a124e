// Growable output buffer that never shrinks: after warm-up, appending allocates nothing.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <utility>

#include "smppscope/decoder/wire.hpp"

namespace smppscope::sim::detail {

class byte_buffer {
 public:
  explicit byte_buffer(std::size_t initial = 64 * 1024) : data_(new std::uint8_t[initial]), cap_(initial) {}

  // Room for `n` more octets at the end; commit(k) then keeps the first k of them.
  std::span<std::uint8_t> prepare(std::size_t n) {
    if (cap_ - size_ < n) grow(size_ + n);
    return {data_.get() + size_, n};
  }
  void commit(std::size_t n) noexcept { size_ += n; }
  void append(std::span<const std::uint8_t> bytes) {
    auto dst = prepare(bytes.size());
    if (!bytes.empty()) std::memcpy(dst.data(), bytes.data(), bytes.size());
    size_ += bytes.size();
  }
  // Appends and returns a pointer to the copy, for patching.
  std::uint8_t* append_patchable(std::span<const std::uint8_t> bytes) {
    std::uint8_t* at = prepare(bytes.size()).data();
    append(bytes);
    return at;
  }

  std::uint8_t* data() noexcept { return data_.get(); }
  const std::uint8_t* data() const noexcept { return data_.get(); }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  void clear() noexcept { size_ = 0; }
  std::span<const std::uint8_t> bytes() const noexcept { return {data_.get(), size_}; }
  // Drops the first n octets (rare path: partial consumption).
  void consume(std::size_t n) noexcept {
    if (n >= size_) {
      size_ = 0;
      return;
    }
    std::memmove(data_.get(), data_.get() + n, size_ - n);
    size_ -= n;
  }
  void swap(byte_buffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(cap_, o.cap_);
  }

 private:
  void grow(std::size_t need) {
    std::size_t cap = cap_ ? cap_ : 1024;
    while (cap < need) cap *= 2;
    std::unique_ptr<std::uint8_t[]> d(new std::uint8_t[cap]);
    if (size_) std::memcpy(d.get(), data_.get(), size_);
    data_ = std::move(d);
    cap_ = cap;
  }
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_ = 0;
  std::size_t cap_ = 0;
};

// Network byte order is spelled out once, in the decoder.
constexpr auto put_be32 = decoder::wire::put32;
constexpr auto get_be32 = decoder::wire::get32;

}  // namespace smppscope::sim::detail
