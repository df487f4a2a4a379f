// Reading a node's metrics JSON (Metrics::to_json) back: counters and histogram summaries, found
// by exact name.

#include <gtest/gtest.h>

#include "runtime/metrics.hpp"
#include "runtime/net/stats_roles.hpp"

namespace eyrie::net {
namespace {

TEST(StatsJson, histogramSummaryIsReadByExactName) {
  Metrics m;
  for (int v = 1; v <= 100; ++v) m.histogram("ridge.cons_latency_us").record(v);
  m.histogram("x.ridge.cons_latency_us").record(5000);  // a longer name ending the same way
  m.histogram("empty");
  m.counter("ridge.delivered").add(7);
  const std::string json = m.to_json();

  const auto h = json_histogram(json, "ridge.cons_latency_us");
  ASSERT_TRUE(h.has_value()) << json;
  EXPECT_EQ(h->count, 100u);
  EXPECT_EQ(h->min, 1);
  EXPECT_EQ(h->max, 100);
  EXPECT_NEAR(static_cast<double>(h->p50), 50, 2);
  EXPECT_NEAR(static_cast<double>(h->p99), 99, 3);
  EXPECT_EQ(json_histogram(json, "x.ridge.cons_latency_us")->max, 5000);
  EXPECT_EQ(json_histogram(json, "empty")->count, 0u);
  EXPECT_FALSE(json_histogram(json, "cons_latency_us").has_value());
  EXPECT_FALSE(json_histogram(json, "ridge.delivered").has_value()) << "a counter is not a histogram";
  EXPECT_EQ(json_counter(json, "ridge.delivered"), 7u);
  EXPECT_FALSE(json_histogram("{}", "empty").has_value());
}

}  // namespace
}  // namespace eyrie::net
