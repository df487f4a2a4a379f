#pragma once
// Metrics of one node: named counters and latency histograms, read by `eyrie cluster status`
// (through the runtime's stats request), by benchmarks and by tests. Single-threaded: a node's
// metrics belong to its event loop.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "runtime/types.hpp"

namespace eyrie {

class Counter {
 public:
  void add(std::uint64_t n = 1) { value_ += n; }
  std::uint64_t value() const { return value_; }

 private:
  std::uint64_t value_ = 0;
};

// A log-linear histogram of non-negative integers (nanoseconds for latencies): 32 sub-buckets
// per power of two, so any reported percentile is within about 3% of the true value, with a
// fixed 16 KiB footprint and O(1) recording.
class Histogram {
 public:
  static constexpr int kSubBucketBits = 5;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  static constexpr int kBuckets = (64 - kSubBucketBits + 1) * kSubBuckets;

  void record(std::int64_t value);
  void record(Duration d) { record(d.count()); }
  std::uint64_t count() const { return count_; }
  std::int64_t min() const { return count_ ? min_ : 0; }
  std::int64_t max() const { return count_ ? max_ : 0; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // The value at quantile q in [0, 1] (0.5 = median); 0 when empty. Returns the upper bound of
  // the bucket holding that rank, clamped to the largest recorded value.
  std::int64_t percentile(double q) const;
  void merge(const Histogram& other);
  void reset() { *this = Histogram{}; }

  static int bucket_of(std::uint64_t value);
  static std::uint64_t bucket_upper(int bucket);

 private:
  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
  __int128 sum_ = 0;
};

class Metrics {
 public:
  // References stay valid for the lifetime of the Metrics object (std::map nodes do not move).
  Counter& counter(std::string_view name);
  Histogram& histogram(std::string_view name);
  std::uint64_t counter_value(std::string_view name) const;  // 0 when absent
  const Histogram* find_histogram(std::string_view name) const;

  // One JSON object: {"counters":{...},"histograms":{"name":{"count":..,"p50":..,...}}}.
  std::string to_json() const;

  const std::map<std::string, Counter, std::less<>>& counters() const { return counters_; }
  const std::map<std::string, Histogram, std::less<>>& histograms() const { return histograms_; }

 private:
  std::map<std::string, Counter, std::less<>> counters_;
  std::map<std::string, Histogram, std::less<>> histograms_;
};

}  // namespace eyrie
