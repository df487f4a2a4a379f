// Histogram percentiles against a naive reference (sort everything, pick the rank), and the
// metrics registry.

#include "runtime/metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "runtime/rng.hpp"

namespace eyrie {
namespace {

std::int64_t naive_percentile(std::vector<std::int64_t> values, double q) {
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(q * static_cast<double>(values.size()));
  if (static_cast<double>(rank) < q * static_cast<double>(values.size())) ++rank;
  rank = std::max<std::size_t>(rank, 1);
  return values[rank - 1];
}

TEST(Histogram, percentile_isWithinThreePercentOfTheExactValue) {
  Rng rng(42);
  for (int trial = 0; trial < 20; ++trial) {
    Histogram h;
    std::vector<std::int64_t> values;
    const std::int64_t scale = std::int64_t{1} << rng.range(4, 40);
    for (int i = 0; i < 2000; ++i) {
      const std::int64_t v = rng.range(0, scale);
      values.push_back(v);
      h.record(v);
    }
    for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) {
      const std::int64_t exact = naive_percentile(values, q);
      const std::int64_t approx = h.percentile(q);
      EXPECT_GE(approx, exact) << "q=" << q;  // bucket upper bounds never under-report
      EXPECT_LE(static_cast<double>(approx), static_cast<double>(exact) * 1.0313 + 1) << "q=" << q;
    }
    EXPECT_EQ(h.count(), values.size());
    EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end()));
    EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
  }
}

TEST(Histogram, smallValuesAreExact_andNegativesCountAsZero) {
  Histogram h;
  for (int v = 0; v < 32; ++v) h.record(v);
  EXPECT_EQ(h.percentile(0.5), 15);
  h.record(-5);
  EXPECT_EQ(h.min(), 0);
}

TEST(Histogram, bucketBounds_coverEveryValueInOrder) {
  for (std::uint64_t v : {0ull, 31ull, 32ull, 33ull, 1000ull, 123456789ull, ~0ull >> 1, ~0ull}) {
    const int b = Histogram::bucket_of(v);
    ASSERT_LT(b, Histogram::kBuckets);
    EXPECT_GE(Histogram::bucket_upper(b), v);
    if (b > 0) {
      EXPECT_LT(Histogram::bucket_upper(b - 1), v);
    }
  }
}

TEST(Histogram, merge_equalsRecordingEverythingInOne) {
  Histogram a, b, all;
  for (int i = 0; i < 100; ++i) {
    a.record(i * 7);
    all.record(i * 7);
    b.record(i * 1000);
    all.record(i * 1000);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.percentile(0.9), all.percentile(0.9));
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(Histogram{}.percentile(0.5), 0);
}

TEST(Metrics, countersAndHistograms_appearInTheJson) {
  Metrics m;
  Counter& sent = m.counter("net.sent");
  sent.add(3);
  m.counter("net.sent").add();
  m.histogram("rtt_ns").record(1000);
  EXPECT_EQ(m.counter_value("net.sent"), 4u);
  EXPECT_EQ(m.counter_value("absent"), 0u);
  EXPECT_EQ(m.to_json(),
            "{\"counters\":{\"net.sent\":4},\"histograms\":{\"rtt_ns\":{\"count\":1,\"min\":1000,\"p50\":1000,"
            "\"p90\":1000,\"p99\":1000,\"max\":1000,\"mean\":1000.0}}}");
}

}  // namespace
}  // namespace eyrie
