#include "smppscope/sim/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace smppscope::sim {

// Values below 2^sub_bits get a bucket each; above, bucket = (exponent, top sub_bits mantissa bits).
unsigned latency_histogram::index_of(std::uint64_t v) noexcept {
  if (v < (1u << sub_bits)) return static_cast<unsigned>(v);
  const unsigned exp = 63u - static_cast<unsigned>(std::countl_zero(v));  // >= sub_bits
  const unsigned sub = static_cast<unsigned>(v >> (exp - sub_bits)) & ((1u << sub_bits) - 1);
  return ((exp - sub_bits + 1) << sub_bits) + sub;
}

std::uint64_t latency_histogram::upper_edge(unsigned index) noexcept {
  if (index < (1u << sub_bits)) return index;
  const unsigned exp = (index >> sub_bits) + sub_bits - 1;
  const std::uint64_t sub = index & ((1u << sub_bits) - 1);
  const std::uint64_t base = (std::uint64_t{1} << sub_bits | sub) << (exp - sub_bits);
  const std::uint64_t width = std::uint64_t{1} << (exp - sub_bits);
  return base + (width - 1);
}

void latency_histogram::record(std::uint64_t ns) noexcept {
  ++counts_[index_of(ns)];
  ++count_;
  max_ = std::max(max_, ns);
  min_ = std::min(min_, ns);
}

void latency_histogram::merge(const latency_histogram& o) noexcept {
  for (unsigned i = 0; i < buckets; ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  max_ = std::max(max_, o.max_);
  min_ = std::min(min_, o.min_);
}

std::uint64_t latency_histogram::percentile(double q) const noexcept {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (unsigned i = 0; i < buckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(upper_edge(i), min_, max_);
  }
  return max_;
}

}  // namespace smppscope::sim
