// SsmrConfig::from: the partitions are Ridge's groups (their learners are the replicas), the
// [ssmr] knobs load within their bounds, placement is hash unless "range" with one bound fewer
// than partitions, and every mistake is a ConfigError naming the file, the section and the key.

#include "partition/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace eyrie::partition {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Nodes 1..8 (inline tables: the same [[nodes]] array).
constexpr std::string_view kNodes = R"(
nodes = [
  {id = 1, host = "127.0.0.1", port = 7001}, {id = 2, host = "127.0.0.1", port = 7002},
  {id = 3, host = "127.0.0.1", port = 7003}, {id = 4, host = "127.0.0.1", port = 7004},
  {id = 5, host = "127.0.0.1", port = 7005}, {id = 6, host = "127.0.0.1", port = 7006},
  {id = 7, host = "127.0.0.1", port = 7007}, {id = 8, host = "127.0.0.1", port = 7008},
]
)";

// Two groups (partitions): 1 with replicas 4, 5 and 2 with replicas 6, 7 (listed unsorted).
constexpr std::string_view kRidge = R"(
[ridge]
groups = [{id = 2, learners = [7, 6]}, {id = 1, learners = [5, 4]}]
ensembles = [
  {id = 1, group = 1, coordinators = [1], acceptors = [1, 2, 3]},
  {id = 2, group = 2, coordinators = [1], acceptors = [1, 2, 3]},
  {id = 10, coordinators = [1], acceptors = [1, 2, 3]},
]
)";

SsmrConfig load(std::string_view ssmr) {
  const ClusterConfig cluster = ClusterConfig::parse(std::string(kNodes) + std::string(kRidge) + std::string(ssmr), "c.toml", "/tmp");
  const multicast::RidgeConfig ridge = multicast::RidgeConfig::from(cluster);
  return SsmrConfig::from(cluster, ridge);
}

// The ConfigError message of loading `ssmr` (fails the test if none).
std::string error_of(std::string_view ssmr) {
  try {
    (void)load(ssmr);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError for:\n" << ssmr;
  return "";
}

TEST(SsmrConfig, from_derivesPartitionsFromRidgeGroups) {
  const SsmrConfig c = load("");
  ASSERT_EQ(c.partitions.size(), 2u);
  EXPECT_EQ(c.partitions[0].id, PartitionId{1});
  EXPECT_THAT(c.partitions[0].replicas, ElementsAre(NodeId{4}, NodeId{5}));
  EXPECT_EQ(c.partitions[1].id, PartitionId{2});
  EXPECT_THAT(c.partitions[1].replicas, ElementsAre(NodeId{6}, NodeId{7}));
  EXPECT_THAT(c.partition_ids(), ElementsAre(PartitionId{1}, PartitionId{2}));
  EXPECT_THAT(c.partition(PartitionId{2}).replicas, ElementsAre(NodeId{6}, NodeId{7}));
  EXPECT_EQ(c.partition_of(NodeId{5}), PartitionId{1});
  EXPECT_EQ(c.partition_of(NodeId{6}), PartitionId{2});
  EXPECT_EQ(c.partition_of(NodeId{1}), std::nullopt);  // an acceptor only
  EXPECT_EQ(c.partition_of(NodeId{8}), std::nullopt);  // in no group
}

TEST(SsmrConfig, from_withoutASectionGivesTheDefaultsAndHashPlacement) {
  const SsmrConfig c = load("");
  const SsmrConfig defaults;
  EXPECT_EQ(c.pull_interval, defaults.pull_interval);
  EXPECT_EQ(c.outbox_commands_max, defaults.outbox_commands_max);
  EXPECT_EQ(c.inbox_commands_max, defaults.inbox_commands_max);
  EXPECT_EQ(c.reply_clients_max, defaults.reply_clients_max);
  EXPECT_EQ(c.replies_per_client_max, defaults.replies_per_client_max);
  ASSERT_NE(c.placement, nullptr);
  EXPECT_NE(dynamic_cast<const oracle::HashPlacement*>(c.placement.get()), nullptr);
  EXPECT_THAT(c.placement->partitions(), ElementsAre(PartitionId{1}, PartitionId{2}));
}

TEST(SsmrConfig, from_loadsEveryKnob) {
  const SsmrConfig c = load(R"(
[ssmr]
pull_interval_ms = 250
outbox_commands_max = 100
inbox_commands_max = 200
reply_clients_max = 300
replies_per_client_max = 40
placement = "hash"
)");
  EXPECT_EQ(c.pull_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(c.outbox_commands_max, 100u);
  EXPECT_EQ(c.inbox_commands_max, 200u);
  EXPECT_EQ(c.reply_clients_max, 300u);
  EXPECT_EQ(c.replies_per_client_max, 40u);
  EXPECT_NE(dynamic_cast<const oracle::HashPlacement*>(c.placement.get()), nullptr);
}

TEST(SsmrConfig, from_acceptsTheBoundsOfEachKnob) {
  const SsmrConfig low = load(
      "[ssmr]\npull_interval_ms = 1\noutbox_commands_max = 16\ninbox_commands_max = 16\nreply_clients_max = 1\n"
      "replies_per_client_max = 1\n");
  EXPECT_EQ(low.pull_interval, std::chrono::milliseconds(1));
  EXPECT_EQ(low.outbox_commands_max, 16u);
  EXPECT_EQ(low.reply_clients_max, 1u);
  EXPECT_EQ(low.replies_per_client_max, 1u);
  const SsmrConfig high = load(
      "[ssmr]\npull_interval_ms = 60000\noutbox_commands_max = 16777216\ninbox_commands_max = 16777216\n"
      "reply_clients_max = 16777216\nreplies_per_client_max = 1048576\n");
  EXPECT_EQ(high.pull_interval, std::chrono::seconds(60));
  EXPECT_EQ(high.inbox_commands_max, 16777216u);
  EXPECT_EQ(high.replies_per_client_max, 1048576u);
}

TEST(SsmrConfig, from_rejectsKnobsOutOfBounds) {
  EXPECT_THAT(error_of("[ssmr]\npull_interval_ms = 0\n"),
              AllOf(HasSubstr("c.toml:"), HasSubstr("[ssmr] pull_interval_ms: expected an integer in 1..60000, got integer 0")));
  EXPECT_THAT(error_of("[ssmr]\npull_interval_ms = 60001\n"), HasSubstr("pull_interval_ms: expected an integer in 1..60000"));
  EXPECT_THAT(error_of("[ssmr]\noutbox_commands_max = 15\n"),
              HasSubstr("[ssmr] outbox_commands_max: expected an integer in 16..16777216, got integer 15"));
  EXPECT_THAT(error_of("[ssmr]\ninbox_commands_max = 16777217\n"),
              HasSubstr("[ssmr] inbox_commands_max: expected an integer in 16..16777216"));
  EXPECT_THAT(error_of("[ssmr]\nreply_clients_max = 0\n"),
              HasSubstr("[ssmr] reply_clients_max: expected an integer in 1..16777216, got integer 0"));
  EXPECT_THAT(error_of("[ssmr]\nreplies_per_client_max = 1048577\n"),
              HasSubstr("[ssmr] replies_per_client_max: expected an integer in 1..1048576"));
  EXPECT_THAT(error_of("[ssmr]\nreply_clients_max = \"many\"\n"),
              HasSubstr("reply_clients_max: expected an integer in 1..16777216, got string \"many\""));
}

TEST(SsmrConfig, from_rangePlacementUsesTheBounds) {
  const SsmrConfig c = load("[ssmr]\nplacement = \"range\"\nrange_bounds = [\"m\"]\n");
  ASSERT_NE(c.placement, nullptr);
  EXPECT_NE(dynamic_cast<const oracle::RangePlacement*>(c.placement.get()), nullptr);
  EXPECT_EQ(c.placement->owner("apple"), PartitionId{1});
  EXPECT_EQ(c.placement->owner("m"), PartitionId{2});
  EXPECT_EQ(c.placement->owner("zebra"), PartitionId{2});
  EXPECT_THAT(c.placement->partitions(), ElementsAre(PartitionId{1}, PartitionId{2}));
}

TEST(SsmrConfig, from_rangePlacementNeedsOneBoundFewerThanPartitions) {
  EXPECT_THAT(error_of("[ssmr]\nplacement = \"range\"\n"),
              AllOf(HasSubstr("c.toml:"), HasSubstr("[ssmr] range_bounds: missing"), HasSubstr("one bound fewer than partitions")));
  EXPECT_THAT(error_of("[ssmr]\nplacement = \"range\"\nrange_bounds = [\"g\", \"p\"]\n"),
              HasSubstr("[ssmr] range_bounds: range placement needs one bound fewer than partitions (1), got 2"));
  EXPECT_THAT(error_of("[ssmr]\nplacement = \"range\"\nrange_bounds = []\n"),
              HasSubstr("[ssmr] range_bounds: range placement needs one bound fewer than partitions (1), got 0"));
  EXPECT_THAT(error_of("[ssmr]\nplacement = \"range\"\nrange_bounds = [3]\n"),
              HasSubstr("[ssmr] range_bounds: expected an array of strings"));
}

TEST(SsmrConfig, from_rejectsRangeBoundsWithHashPlacement) {
  EXPECT_THAT(error_of("[ssmr]\nrange_bounds = [\"m\"]\n"),
              HasSubstr("[ssmr] range_bounds: only meaningful with placement = \"range\""));
  EXPECT_THAT(error_of("[ssmr]\nplacement = \"hash\"\nrange_bounds = [\"m\"]\n"),
              HasSubstr("[ssmr] range_bounds: only meaningful with placement = \"range\""));
}

TEST(SsmrConfig, from_rejectsAnUnknownPlacement) {
  EXPECT_THAT(error_of("[ssmr]\nplacement = \"round-robin\"\n"),
              AllOf(HasSubstr("[ssmr] placement: expected one of"), HasSubstr("\"hash\""), HasSubstr("\"range\""),
                    HasSubstr("got \"round-robin\"")));
}

TEST(SsmrConfig, from_rejectsUnknownKeys) {
  EXPECT_THAT(error_of("[ssmr]\npull_interval_ms = 50\npul_interval_ms = 50\n"),
              AllOf(HasSubstr("c.toml:"), HasSubstr("[ssmr] pul_interval_ms: unknown key")));
  EXPECT_THAT(error_of("[ssmr]\nreplicas = 3\n"), HasSubstr("[ssmr] replicas: unknown key"));
}

TEST(SsmrConfig, defaultsFor_matchesFromWithoutASection) {
  const ClusterConfig cluster = ClusterConfig::parse(std::string(kNodes) + std::string(kRidge), "c.toml", "/tmp");
  const multicast::RidgeConfig ridge = multicast::RidgeConfig::from(cluster);
  const SsmrConfig c = SsmrConfig::defaults_for(ridge);
  ASSERT_EQ(c.partitions.size(), 2u);
  EXPECT_THAT(c.partitions[1].replicas, ElementsAre(NodeId{6}, NodeId{7}));
  ASSERT_NE(c.placement, nullptr);
  const SsmrConfig loaded = SsmrConfig::from(cluster, ridge);
  for (const char* key : {"a", "b", "key-17", "zz"}) EXPECT_EQ(c.placement->owner(key), loaded.placement->owner(key)) << key;
}

}  // namespace
}  // namespace eyrie::partition
