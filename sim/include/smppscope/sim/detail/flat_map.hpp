// Open-addressing hash map from a 64-bit key to a 64-bit value (linear probing, backward-shift
// erase). Grows at half load; in steady state insert, find and erase allocate nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

namespace smppscope::sim::detail {

class flat_map {
 public:
  explicit flat_map(std::size_t initial = 1024) { reset(initial); }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  // Inserts or overwrites.
  void insert(std::uint64_t key, std::uint64_t value) {
    if ((size_ + 1) * 2 > mask_ + 1) rehash((mask_ + 1) * 2);
    std::size_t i = slot_of(key);
    while (used_[i]) {
      if (keys_[i] == key) {
        values_[i] = value;
        return;
      }
      i = (i + 1) & mask_;
    }
    used_[i] = 1;
    keys_[i] = key;
    values_[i] = value;
    ++size_;
  }

  std::optional<std::uint64_t> find(std::uint64_t key) const noexcept {
    for (std::size_t i = slot_of(key); used_[i]; i = (i + 1) & mask_)
      if (keys_[i] == key) return values_[i];
    return std::nullopt;
  }

  // Removes and returns the value.
  std::optional<std::uint64_t> take(std::uint64_t key) noexcept {
    std::size_t i = slot_of(key);
    while (used_[i] && keys_[i] != key) i = (i + 1) & mask_;
    if (!used_[i]) return std::nullopt;
    const std::uint64_t value = values_[i];
    // Backward-shift: move later entries of the probe run into the hole.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; used_[j]; j = (j + 1) & mask_) {
      const std::size_t home = slot_of(keys_[j]);
      if (((j - home) & mask_) >= ((j - hole) & mask_)) {
        keys_[hole] = keys_[j];
        values_[hole] = values_[j];
        hole = j;
      }
    }
    used_[hole] = 0;
    --size_;
    return value;
  }

  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i <= mask_; ++i)
      if (used_[i]) f(keys_[i], values_[i]);
  }

  void clear() noexcept {
    for (std::size_t i = 0; i <= mask_; ++i) used_[i] = 0;
    size_ = 0;
  }

 private:
  std::size_t slot_of(std::uint64_t key) const noexcept {
    key ^= key >> 33;  // murmur3 finaliser
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return static_cast<std::size_t>(key) & mask_;
  }
  void reset(std::size_t cap) {
    std::size_t c = 16;
    while (c < cap) c *= 2;
    keys_ = std::make_unique<std::uint64_t[]>(c);
    values_ = std::make_unique<std::uint64_t[]>(c);
    used_ = std::make_unique<std::uint8_t[]>(c);
    mask_ = c - 1;
    size_ = 0;
  }
  void rehash(std::size_t cap) {
    auto keys = std::move(keys_);
    auto values = std::move(values_);
    auto used = std::move(used_);
    const std::size_t old = mask_ + 1;
    reset(cap);
    for (std::size_t i = 0; i < old; ++i)
      if (used[i]) insert(keys[i], values[i]);
  }
  std::unique_ptr<std::uint64_t[]> keys_, values_;
  std::unique_ptr<std::uint8_t[]> used_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace smppscope::sim::detail
