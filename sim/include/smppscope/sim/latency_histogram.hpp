// Fixed-size log-linear latency histogram (16 sub-buckets per power of two, ~6 % resolution):
// recording is a few arithmetic operations, no allocation.
#pragma once

#include <array>
#include <cstdint>

namespace smppscope::sim {

class latency_histogram {
 public:
  void record(std::uint64_t ns) noexcept;
  void merge(const latency_histogram& o) noexcept;
  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t max() const noexcept { return max_; }
  std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  // Value at quantile q in [0,1]: the upper edge of the bucket holding it, capped at max().
  std::uint64_t percentile(double q) const noexcept;

 private:
  static constexpr unsigned sub_bits = 4;
  static constexpr unsigned buckets = (64 - sub_bits + 1) << sub_bits;
  static unsigned index_of(std::uint64_t v) noexcept;
  static std::uint64_t upper_edge(unsigned index) noexcept;
  std::array<std::uint64_t, buckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = UINT64_MAX;
};

}  // namespace smppscope::sim
