// KvWorkload: commands stay within a cluster of keys, clusters span two partitions, and the
// share of multi-partition commands is the one asked for.

#include "experiments/kv_workload.hpp"

#include <gtest/gtest.h>

#include <set>

namespace eyrie::experiments {
namespace {

using oracle::PartitionId;

std::string cluster_of(const std::string& key) { return key.substr(0, key.find('.')); }

struct Drawn {
  std::size_t multi = 0;
  std::size_t two_key = 0;
  std::size_t commands = 0;
};

Drawn draw(const KvWorkload& w, const oracle::Placement& placement, std::size_t n) {
  Rng rng(7);
  Drawn d;
  const std::map<std::string, std::optional<std::string>> seen;
  for (std::size_t i = 0; i < n; ++i) {
    const kv::Request r = w.next(rng, seen);
    const std::vector<std::string> keys = kv::keys_of(r);
    std::set<std::string> clusters;
    std::set<PartitionId> partitions;
    for (const std::string& k : keys) {
      clusters.insert(cluster_of(k));
      partitions.insert(placement.owner(k));
    }
    EXPECT_EQ(clusters.size(), 1u) << "a command left its cluster";
    d.multi += partitions.size() > 1;
    d.two_key += keys.size() > 1;
    ++d.commands;
  }
  return d;
}

TEST(KvWorkload, clustersSpanTwoPartitions_commandsStayInACluster_multiShareAsAsked) {
  const oracle::HashPlacement placement({PartitionId{1}, PartitionId{2}, PartitionId{3}});
  const KvWorkload w(placement, {.keys = 400, .multi_percent = 20, .value_bytes = 100});
  EXPECT_EQ(w.keys().size(), 400u);
  for (std::size_t c = 0; c < w.keys().size(); c += KvWorkload::kClusterKeys) {
    std::set<PartitionId> owners;
    for (std::size_t i = 0; i < KvWorkload::kClusterKeys; ++i) owners.insert(placement.owner(w.keys()[c + i]));
    EXPECT_GE(owners.size(), 2u) << w.keys()[c];
  }
  const Drawn d = draw(w, placement, 20'000);
  EXPECT_NEAR(static_cast<double>(d.multi) / static_cast<double>(d.commands), 0.20, 0.02);
}

TEST(KvWorkload, onePartition_noMultiPartitionCommand_valuesPaddedToSize) {
  const oracle::HashPlacement placement({PartitionId{1}});
  const KvWorkload w(placement, {.keys = 10, .multi_percent = 50, .value_bytes = 32});
  EXPECT_EQ(w.keys().size(), 12u) << "rounded up to whole clusters";
  const Drawn d = draw(w, placement, 2'000);
  EXPECT_EQ(d.multi, 0u);
  EXPECT_GT(d.two_key, 0u) << "two-key commands within the partition";
  Rng rng(3);
  for (int i = 0; i < 200; ++i) {
    const kv::Request r = w.next(rng, {});
    if (const auto* put = std::get_if<kv::Put>(&r)) {
      EXPECT_EQ(put->value.size(), 32u);
      EXPECT_EQ(put->value.find_first_not_of("0123456789"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace eyrie::experiments
