#include "runtime/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "runtime/assert.hpp"

namespace eyrie {

int Histogram::bucket_of(std::uint64_t value) {
  if (value < kSubBuckets) return static_cast<int>(value);
  const int magnitude = 63 - std::countl_zero(value);  // >= kSubBucketBits
  const int shift = magnitude - kSubBucketBits;
  const auto sub = static_cast<int>((value >> shift) & (kSubBuckets - 1));
  return (shift + 1) * kSubBuckets + sub;
}

std::uint64_t Histogram::bucket_upper(int bucket) {
  if (bucket < kSubBuckets) return static_cast<std::uint64_t>(bucket);
  const int shift = bucket / kSubBuckets - 1;
  const auto sub = static_cast<std::uint64_t>(bucket % kSubBuckets);
  const std::uint64_t low = (static_cast<std::uint64_t>(kSubBuckets) + sub) << shift;
  return low + ((std::uint64_t{1} << shift) - 1);
}

void Histogram::record(std::int64_t value) {
  if (value < 0) value = 0;
  const int bucket = bucket_of(static_cast<std::uint64_t>(value));
  EYRIE_ASSERT(bucket >= 0 && bucket < kBuckets);
  ++buckets_[static_cast<std::size_t>(bucket)];
  if (count_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  ++count_;
  sum_ += value;
}

std::int64_t Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Rank of the wanted sample, 1-based: ceil(q * count), at least 1.
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_));
  if (static_cast<double>(rank) < q * static_cast<double>(count_)) ++rank;
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[static_cast<std::size_t>(b)];
    if (seen >= rank) {
      return std::min<std::int64_t>(static_cast<std::int64_t>(bucket_upper(b)), max_);
    }
  }
  return max_;
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t b = 0; b < buckets_.size(); ++b) buckets_[b] += other.buckets_[b];
  min_ = count_ ? std::min(min_, other.min_) : other.min_;
  max_ = count_ ? std::max(max_, other.max_) : other.max_;
  count_ += other.count_;
  sum_ += other.sum_;
}

Counter& Metrics::counter(std::string_view name) {
  auto it = counters_.find(name);
  if (it == counters_.end()) it = counters_.emplace(std::string(name), Counter{}).first;
  return it->second;
}

Histogram& Metrics::histogram(std::string_view name) {
  auto it = histograms_.find(name);
  if (it == histograms_.end()) it = histograms_.emplace(std::string(name), Histogram{}).first;
  return it->second;
}

std::uint64_t Metrics::counter_value(std::string_view name) const {
  auto it = counters_.find(name);
  return it == counters_.end() ? 0 : it->second.value();
}

const Histogram* Metrics::find_histogram(std::string_view name) const {
  auto it = histograms_.find(name);
  return it == histograms_.end() ? nullptr : &it->second;
}

std::string Metrics::to_json() const {
  // Metric names are chosen by the code (letters, digits, '.', '_', '-'), never by peers, so
  // they need no JSON escaping.
  std::string out = "{\"counters\":{";
  bool first = true;
  for (const auto& [name, c] : counters_) {
    out += fmt::format("{}\"{}\":{}", first ? "" : ",", name, c.value());
    first = false;
  }
  out += "},\"histograms\":{";
  first = true;
  for (const auto& [name, h] : histograms_) {
    out += fmt::format("{}\"{}\":{{\"count\":{},\"min\":{},\"p50\":{},\"p90\":{},\"p99\":{},\"max\":{},\"mean\":{:.1f}}}",
                       first ? "" : ",", name, h.count(), h.min(), h.percentile(0.5), h.percentile(0.9),
                       h.percentile(0.99), h.max(), h.mean());
    first = false;
  }
  out += "}}";
  return out;
}

}  // namespace eyrie
