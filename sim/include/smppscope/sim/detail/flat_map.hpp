// Open-addressing hash map from a 64-bit key to a 64-bit value (Robin Hood linear probing,
// backward-shift erase). Key and value share one 16-octet slot, so a lookup usually touches one cache line.
// Grows at half load; in steady state insert, find and erase allocate nothing.
#pragma once

#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

namespace smppscope::sim::detail {

class flat_map {
 public:
  explicit flat_map(std::size_t initial = 1024) { reset(initial); }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  // Inserts or overwrites. The key ~0 is stored as ~0 - 1 (it marks empty slots).
  void insert(std::uint64_t key, std::uint64_t value) {
    key = fix(key);
    if (auto i = position(key)) {
      slots_[*i].value = value;
      return;
    }
    if ((size_ + 1) * 2 > mask_ + 1) rehash((mask_ + 1) * 2);
    // Robin Hood: an entry further from its home slot takes the place of one nearer to its own.
    slot cur{key, value};
    std::size_t dist = 0;
    for (std::size_t i = slot_of(key);; i = (i + 1) & mask_, ++dist) {
      if (slots_[i].key == empty_key) {
        slots_[i] = cur;
        ++size_;
        return;
      }
      const std::size_t d = distance(i);
      if (d < dist) {
        std::swap(cur, slots_[i]);
        dist = d;
      }
    }
  }

  std::optional<std::uint64_t> find(std::uint64_t key) const noexcept {
    if (auto i = position(fix(key))) return slots_[*i].value;
    return std::nullopt;
  }

  // Removes and returns the value.
  std::optional<std::uint64_t> take(std::uint64_t key) noexcept {
    const auto at = position(fix(key));
    if (!at) return std::nullopt;
    const std::uint64_t value = slots_[*at].value;
    // Backward shift until an empty slot or an entry already at its home slot.
    std::size_t hole = *at;
    for (std::size_t j = (hole + 1) & mask_; slots_[j].key != empty_key && distance(j) > 0; j = (j + 1) & mask_) {
      slots_[hole] = slots_[j];
      hole = j;
    }
    slots_[hole].key = empty_key;
    --size_;
    return value;
  }

  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i <= mask_; ++i)
      if (slots_[i].key != empty_key) f(slots_[i].key, slots_[i].value);
  }

  // Longest distance of an entry from its home slot (what the worst lookup probes); for tests.
  std::size_t longest_probe() const noexcept {
    std::size_t longest = 0;
    for (std::size_t i = 0; i <= mask_; ++i)
      if (slots_[i].key != empty_key && distance(i) > longest) longest = distance(i);
    return longest;
  }

  void clear() noexcept {
    for (std::size_t i = 0; i <= mask_; ++i) slots_[i].key = empty_key;
    size_ = 0;
  }

 private:
  struct slot {
    std::uint64_t key;
    std::uint64_t value;
  };
  static constexpr std::uint64_t empty_key = ~std::uint64_t{0};
  static std::uint64_t fix(std::uint64_t key) noexcept { return key == empty_key ? empty_key - 1 : key; }

  std::size_t distance(std::size_t i) const noexcept { return (i - slot_of(slots_[i].key)) & mask_; }
  // Slot of key; stops early where Robin Hood order says it cannot be further on.
  std::optional<std::size_t> position(std::uint64_t key) const noexcept {
    std::size_t dist = 0;
    for (std::size_t i = slot_of(key);; i = (i + 1) & mask_, ++dist) {
      if (slots_[i].key == empty_key || distance(i) < dist) return std::nullopt;
      if (slots_[i].key == key) return i;
    }
  }

  // Slot of key: Fibonacci hashing (the top bits of key times 2^64 / golden ratio). Keys that
  // count up, the load generator's pattern, spread almost perfectly evenly (three-distance
  // theorem), so probes stay near one; strided and random keys spread too. (An earlier version
  // kept the low bits as they were, for locality: runs of consecutive keys then occupied runs of
  // slots, and once the table outgrew a run, runs overlapped and probes grew to a run's length.)
  std::size_t slot_of(std::uint64_t key) const noexcept {
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ULL) >> shift_);
  }
  void reset(std::size_t cap) {
    std::size_t c = 16;
    while (c < cap) c *= 2;
    slots_ = std::make_unique<slot[]>(c);
    mask_ = c - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(c));
    size_ = 0;
    clear();
  }
  void rehash(std::size_t cap) {
    auto old = std::move(slots_);
    const std::size_t n = mask_ + 1;
    reset(cap);
    for (std::size_t i = 0; i < n; ++i)
      if (old[i].key != empty_key) insert(old[i].key, old[i].value);
  }
  std::unique_ptr<slot[]> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace smppscope::sim::detail
