// A bounded map from a 64-bit key to a value that also remembers insertion order (oldest first):
// the outstanding requests of a direction (key = sequence_number) and the submits awaiting a
// delivery receipt (key = hash of the message_id).
//
// Nodes live in a slab (vector, free list) chained in insertion order; an open-addressing index
// (linear probing, backward-shift deletion) maps keys to slab positions. The slab doubles up to
// max_size and then stays: no allocation per operation in steady state. Positions are stable
// until erased; references are not (growth reallocates the slab).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace smppscope::analysis::diag::detail {

inline std::uint64_t mix64(std::uint64_t x) noexcept {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

template <class V>
class ordered_table {
 public:
  static constexpr std::uint32_t npos = UINT32_MAX;
  struct node {
    std::uint64_t key = 0;
    V value{};
    std::uint32_t prev = npos;
    std::uint32_t next = npos;
  };

  // Nothing is allocated until the first push_back (most tables of an idle session stay empty);
  // the slab then starts at `initial` nodes.
  explicit ordered_table(std::uint32_t max_size, std::uint32_t initial = 16)
      : initial_(std::min(std::max<std::uint32_t>(initial, 1), std::max<std::uint32_t>(max_size, 1))),
        max_size_(std::max<std::uint32_t>(max_size, 1)) {}

  std::uint32_t find(std::uint64_t key) const noexcept {
    if (index_.empty()) return npos;
    for (std::size_t s = home(key);; s = (s + 1) & mask_) {
      const std::uint32_t i = index_[s];
      if (i == npos) return npos;
      if (nodes_[i].key == key) return i;
    }
  }

  // Appends (newest). The key must not be present. npos when max_size entries are held.
  std::uint32_t push_back(std::uint64_t key, const V& v) {
    if (free_ == npos) {
      if (nodes_.size() >= max_size_) return npos;
      resize(nodes_.empty() ? initial_
                            : static_cast<std::uint32_t>(std::min<std::size_t>(nodes_.size() * 2, max_size_)));
    }
    const std::uint32_t i = free_;
    node& n = nodes_[i];
    free_ = n.next;
    n.key = key;
    n.value = v;
    n.prev = tail_;
    n.next = npos;
    if (tail_ != npos) nodes_[tail_].next = i;
    else head_ = i;
    tail_ = i;
    ++size_;
    insert_index(i);
    return i;
  }

  void erase(std::uint32_t i) noexcept {
    node& n = nodes_[i];
    erase_index(i);
    if (n.prev != npos) nodes_[n.prev].next = n.next;
    else head_ = n.next;
    if (n.next != npos) nodes_[n.next].prev = n.prev;
    else tail_ = n.prev;
    n.prev = npos;
    n.next = free_;
    free_ = i;
    --size_;
  }

  void clear() noexcept {
    while (head_ != npos) erase(head_);
  }

  std::uint32_t front() const noexcept { return head_; }  // oldest, npos when empty
  std::uint32_t back() const noexcept { return tail_; }
  std::uint32_t next(std::uint32_t i) const noexcept { return nodes_[i].next; }
  node& operator[](std::uint32_t i) noexcept { return nodes_[i]; }
  const node& operator[](std::uint32_t i) const noexcept { return nodes_[i]; }
  std::uint32_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::uint32_t max_size() const noexcept { return max_size_; }
  std::size_t allocated() const noexcept { return nodes_.size(); }

 private:
  std::size_t home(std::uint64_t key) const noexcept { return mix64(key) & mask_; }

  void insert_index(std::uint32_t i) noexcept {
    std::size_t s = home(nodes_[i].key);
    while (index_[s] != npos) s = (s + 1) & mask_;
    index_[s] = i;
  }

  void erase_index(std::uint32_t i) noexcept {
    std::size_t s = home(nodes_[i].key);
    while (index_[s] != i) s = (s + 1) & mask_;
    // Backward shift: pull later entries of the probe run into the hole when their home allows.
    for (std::size_t j = (s + 1) & mask_; index_[j] != npos; j = (j + 1) & mask_) {
      const std::size_t k = home(nodes_[index_[j]].key);
      const bool stays = s < j ? (k > s && k <= j) : (k > s || k <= j);
      if (stays) continue;
      index_[s] = index_[j];
      s = j;
    }
    index_[s] = npos;
  }

  void resize(std::uint32_t n) {
    const auto old = static_cast<std::uint32_t>(nodes_.size());
    nodes_.resize(n);
    for (std::uint32_t i = n; i-- > old;) {  // new nodes onto the free list, lowest first
      nodes_[i].next = free_;
      free_ = i;
    }
    index_.assign(std::bit_ceil(std::size_t(n) * 2), npos);
    mask_ = index_.size() - 1;
    for (std::uint32_t i = head_; i != npos; i = nodes_[i].next) insert_index(i);
  }

  std::vector<node> nodes_;
  std::vector<std::uint32_t> index_;
  std::size_t mask_ = 0;
  std::uint32_t head_ = npos, tail_ = npos, free_ = npos;
  std::uint32_t size_ = 0;
  std::uint32_t initial_;
  std::uint32_t max_size_;
};

}  // namespace smppscope::analysis::diag::detail
