// Fixed-bucket histograms (Prometheus `le` semantics: a value goes in the first bucket whose upper
// bound is >= the value; the last bucket is +Inf). No allocation: the buckets are an array.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>

namespace smppscope::analysis::diag {

// Response latency, microseconds: 1 ms .. 60 s.
inline constexpr std::array<std::int64_t, 15> latency_bounds_us = {
    1'000,   2'500,   5'000,     10'000,    25'000,    50'000,     100'000,    250'000,
    500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000, 30'000'000, 60'000'000};
// Time from submit_sm to its delivery receipt, microseconds: 1 s .. 2 h.
inline constexpr std::array<std::int64_t, 11> receipt_bounds_us = {
    1'000'000,   5'000'000,   10'000'000,    30'000'000,    60'000'000,   120'000'000,
    300'000'000, 600'000'000, 1'800'000'000, 3'600'000'000, 7'200'000'000};

template <std::size_t N>
constexpr std::size_t bucket_of(const std::array<std::int64_t, N>& bounds, std::int64_t v) noexcept {
  return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
}

// Single-thread histogram with count, sum, min and max.
template <const auto& Bounds>
class histogram {
 public:
  static constexpr std::size_t buckets = std::tuple_size_v<std::remove_cvref_t<decltype(Bounds)>> + 1;

  void add(std::int64_t v) noexcept {
    if (v < 0) v = 0;
    ++counts_[bucket_of(Bounds, v)];
    if (count_ == 0 || v < min_) min_ = v;
    if (v > max_) max_ = v;
    ++count_;
    sum_ += v;
  }
  void reset() noexcept { *this = histogram(); }

  std::uint64_t count() const noexcept { return count_; }
  std::int64_t sum() const noexcept { return sum_; }
  std::int64_t min() const noexcept { return count_ ? min_ : 0; }
  std::int64_t max() const noexcept { return max_; }
  const std::array<std::uint64_t, buckets>& counts() const noexcept { return counts_; }

  // Estimate of quantile q (0..1): linear inside the bucket that holds the rank, clamped to the
  // observed min and max. 0 when empty.
  std::int64_t quantile(double q) const noexcept {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    const double rank = q * static_cast<double>(count_);
    std::uint64_t below = 0;
    for (std::size_t i = 0; i < buckets; ++i) {
      if (counts_[i] == 0) continue;
      if (static_cast<double>(below + counts_[i]) >= rank) {
        const std::int64_t lo = std::max(i == 0 ? std::int64_t(0) : Bounds[i - 1], min_);
        const std::int64_t hi = std::min(i + 1 == buckets ? max_ : Bounds[i], max_);
        if (hi <= lo) return lo;
        const double frac = (rank - static_cast<double>(below)) / static_cast<double>(counts_[i]);
        return lo + static_cast<std::int64_t>(frac * static_cast<double>(hi - lo));
      }
      below += counts_[i];
    }
    return max_;
  }

 private:
  std::array<std::uint64_t, buckets> counts_{};
  std::uint64_t count_ = 0;
  std::int64_t sum_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
};

// One writer (the analysis thread), any number of readers (/metrics). Relaxed atomics: a reader
// may see a sample in a bucket before it sees it in the sum; exposition derives the count from
// the buckets so the two it prints always agree.
template <const auto& Bounds>
class shared_histogram {
 public:
  static constexpr std::size_t buckets = histogram<Bounds>::buckets;

  void add(std::int64_t v) noexcept {
    if (v < 0) v = 0;
    auto& c = counts_[bucket_of(Bounds, v)];
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    sum_.store(sum_.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
  }
  std::array<std::uint64_t, buckets> counts() const noexcept {
    std::array<std::uint64_t, buckets> out{};
    for (std::size_t i = 0; i < buckets; ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
    return out;
  }
  std::int64_t sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::uint64_t>, buckets> counts_{};
  std::atomic<std::int64_t> sum_{0};
};

}  // namespace smppscope::analysis::diag
