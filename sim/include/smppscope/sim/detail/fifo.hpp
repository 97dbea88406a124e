// FIFO queue on a power-of-two ring that grows but never shrinks: no allocation in steady state.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace smppscope::sim::detail {

template <class T>
class fifo {
 public:
  explicit fifo(std::size_t initial = 64) {
    std::size_t cap = 1;
    while (cap < initial) cap *= 2;
    data_ = std::make_unique<T[]>(cap);
    mask_ = cap - 1;
  }
  bool empty() const noexcept { return head_ == tail_; }
  std::size_t size() const noexcept { return tail_ - head_; }
  T& front() noexcept { return data_[head_ & mask_]; }
  const T& front() const noexcept { return data_[head_ & mask_]; }
  void pop() noexcept { ++head_; }
  void clear() noexcept { head_ = tail_ = 0; }
  void push(const T& v) { emplace_slot() = v; }
  T& emplace_slot() {
    if (size() == mask_ + 1) grow();
    return data_[tail_++ & mask_];
  }

 private:
  void grow() {
    const std::size_t cap = (mask_ + 1) * 2;
    auto d = std::make_unique<T[]>(cap);
    const std::size_t n = size();
    for (std::size_t i = 0; i < n; ++i) d[i] = std::move(data_[(head_ + i) & mask_]);
    data_ = std::move(d);
    head_ = 0;
    tail_ = n;
    mask_ = cap - 1;
  }
  std::unique_ptr<T[]> data_;
  std::size_t mask_ = 0;
  std::size_t head_ = 0, tail_ = 0;
};

}  // namespace smppscope::sim::detail
