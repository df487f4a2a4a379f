// RidgeConfig::from: valid [ridge] sections load with the group <-> ensemble mapping of
// Algorithm 5 (every group member learns the shared ensemble), and each kind of mistake is
// reported with the file, the line, the key and what was expected.

#include "multicast/config.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace eyrie::multicast {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

std::string nodes(int count) {
  std::string out;
  for (int i = 1; i <= count; ++i) {
    out += "[[nodes]]\nid = " + std::to_string(i) + "\nhost = \"127.0.0.1\"\nport = " + std::to_string(7000 + i) +
           "\n";
  }
  return out;
}

// Two groups of three learners each (4,5,6 and 7,8,9), one ensemble per group and the shared one.
constexpr std::string_view kTwoGroups = R"(
[ridge]
null_interval_ms = 5
phase1_window_instances = 512
inflight_instances_max = 32
batch_bytes_max = 131072
batch_messages_max = 100
batch_delay_max_us = 250
coordinator_heartbeat_ms = 40
coordinator_timeout_ms = 400
phase2_timeout_ms = 150
learner_gap_timeout_ms = 90
sender_retry_ms = 250
sender_window_max = 1000
retained_instances = 5000
acceptor_storage = "disk"

[[ridge.groups]]
id = 2
learners = [9, 8, 7]

[[ridge.groups]]
id = 1
learners = [4, 5, 6]

[[ridge.ensembles]]
id = 10
coordinators = [3, 2]
acceptors = [1, 2, 3]

[[ridge.ensembles]]
id = 1
group = 1
coordinators = [1]
acceptors = [1, 2, 3]

[[ridge.ensembles]]
id = 2
group = 2
coordinators = [2, 1]
acceptors = [3, 2, 1, 4, 5]
)";

constexpr std::string_view kOneGroup = R"(
[ridge]
[[ridge.groups]]
id = 1
learners = [1, 2, 3]
[[ridge.ensembles]]
id = 1
group = 1
coordinators = [1, 2, 3]
acceptors = [1, 2, 3]
)";

RidgeConfig load(std::string_view ridge, int node_count = 9) {
  const std::string text = nodes(node_count) + std::string(ridge);
  return RidgeConfig::from(ClusterConfig::parse(text, "c.toml", "/tmp"));
}

// The ConfigError message of loading `ridge` (fails the test if none).
std::string error_of(std::string_view ridge, int node_count = 9) {
  try {
    (void)load(ridge, node_count);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError for:\n" << ridge;
  return "";
}

// kTwoGroups with the first occurrence of `from` replaced by `to`.
std::string two_groups_with(std::string_view from, std::string_view to) {
  std::string text(kTwoGroups);
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(RidgeConfig, from_loadsKnobsGroupsAndEnsembles) {
  const RidgeConfig r = load(kTwoGroups);
  EXPECT_EQ(r.null_interval, std::chrono::milliseconds(5));
  EXPECT_EQ(r.phase1_window_instances, 512u);
  EXPECT_EQ(r.inflight_instances_max, 32u);
  EXPECT_EQ(r.batching.batch_bytes_max, 131072u);
  EXPECT_EQ(r.batching.batch_messages_max, 100u);
  EXPECT_EQ(r.batching.batch_delay_max, std::chrono::microseconds(250));
  EXPECT_EQ(r.coordinator_heartbeat, std::chrono::milliseconds(40));
  EXPECT_EQ(r.coordinator_timeout, std::chrono::milliseconds(400));
  EXPECT_EQ(r.phase2_timeout, std::chrono::milliseconds(150));
  EXPECT_EQ(r.learner_gap_timeout, std::chrono::milliseconds(90));
  EXPECT_EQ(r.sender_retry, std::chrono::milliseconds(250));
  EXPECT_EQ(r.sender_window_max, 1000u);
  EXPECT_EQ(r.retained_instances, 5000u);
  EXPECT_EQ(r.acceptor_storage, AcceptorStorage::disk);
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_EQ(r.groups[0].id, GroupId{1});  // sorted by id
  EXPECT_THAT(r.groups[1].learners, ElementsAre(NodeId{7}, NodeId{8}, NodeId{9}));  // sorted
  ASSERT_EQ(r.ensembles.size(), 3u);
  EXPECT_EQ(r.ensembles[2].id, EnsembleId{10});
  EXPECT_EQ(r.ensembles[2].group, std::nullopt);
  EXPECT_THAT(r.ensembles[2].coordinators, ElementsAre(NodeId{3}, NodeId{2}));  // preference order kept
  EXPECT_THAT(r.ensembles[1].acceptors, ElementsAre(NodeId{3}, NodeId{2}, NodeId{1}, NodeId{4}, NodeId{5}));
  EXPECT_EQ(r.ensembles[1].f(), 2u);
}

TEST(RidgeConfig, from_appliesDefaultsForOmittedKnobs) {
  const RidgeConfig r = load(kOneGroup);
  const RidgeConfig defaults;
  EXPECT_EQ(r.null_interval, defaults.null_interval);
  EXPECT_EQ(r.batching.batch_delay_max, defaults.batching.batch_delay_max);
  EXPECT_EQ(r.retained_instances, defaults.retained_instances);
  EXPECT_EQ(r.acceptor_storage, AcceptorStorage::memory);
  EXPECT_EQ(r.shared_ensemble(), std::nullopt);
}

TEST(RidgeConfig, mapping_oneGroupUsesItsOwnEnsembleForEverything) {
  const RidgeConfig r = load(kOneGroup);
  const GroupId g1[] = {GroupId{1}};
  EXPECT_EQ(r.ensemble_for(g1), EnsembleId{1});
  EXPECT_THAT(r.ensembles_learned_by(NodeId{2}), ElementsAre(EnsembleId{1}));
  EXPECT_THAT(r.learners_of(EnsembleId{1}), ElementsAre(NodeId{1}, NodeId{2}, NodeId{3}));
}

TEST(RidgeConfig, mapping_severalGroupsGoThroughTheSharedEnsemble) {
  const RidgeConfig r = load(kTwoGroups);
  const GroupId g2[] = {GroupId{2}};
  const GroupId both[] = {GroupId{1}, GroupId{2}};
  EXPECT_EQ(r.ensemble_for(g2), EnsembleId{2});
  EXPECT_EQ(r.ensemble_for(both), EnsembleId{10});
  EXPECT_EQ(r.shared_ensemble(), EnsembleId{10});
  EXPECT_EQ(r.ensemble(EnsembleId{2}).group, GroupId{2});
  EXPECT_THAT(r.group(GroupId{1}).learners, ElementsAre(NodeId{4}, NodeId{5}, NodeId{6}));
  EXPECT_THROW((void)r.ensemble(EnsembleId{3}), std::invalid_argument);
  const GroupId unknown[] = {GroupId{7}};
  EXPECT_THROW((void)r.ensemble_for(unknown), std::invalid_argument);
}

TEST(RidgeConfig, mapping_everyGroupMemberLearnsTheSharedEnsemble) {
  // A member of a single group still learns the shared ensemble: multi-group messages
  // addressed to its group are ordered there (the pitfall of the thesis' Algorithm 5).
  const RidgeConfig r = load(kTwoGroups);
  EXPECT_THAT(r.groups_of(NodeId{4}), ElementsAre(GroupId{1}));
  EXPECT_THAT(r.ensembles_learned_by(NodeId{4}), ElementsAre(EnsembleId{1}, EnsembleId{10}));
  EXPECT_THAT(r.ensembles_learned_by(NodeId{8}), ElementsAre(EnsembleId{2}, EnsembleId{10}));
  EXPECT_TRUE(r.ensembles_learned_by(NodeId{1}).empty());  // an acceptor only, no group
  EXPECT_THAT(r.learners_of(EnsembleId{10}),
              ElementsAre(NodeId{4}, NodeId{5}, NodeId{6}, NodeId{7}, NodeId{8}, NodeId{9}));
}

TEST(RidgeConfig, mapping_aNodeInTwoGroupsLearnsBothAndTheShared) {
  const RidgeConfig r = load(two_groups_with("learners = [9, 8, 7]", "learners = [9, 8, 4]"));
  EXPECT_THAT(r.groups_of(NodeId{4}), ElementsAre(GroupId{1}, GroupId{2}));
  EXPECT_THAT(r.ensembles_learned_by(NodeId{4}), ElementsAre(EnsembleId{1}, EnsembleId{2}, EnsembleId{10}));
  EXPECT_THAT(r.learners_of(EnsembleId{10}), ElementsAre(NodeId{4}, NodeId{5}, NodeId{6}, NodeId{8}, NodeId{9}));
}

// `groups` groups with one ensemble each (ids 1..groups, acceptor node 1), plus the shared
// ensemble (id 0) when there are several: groups + 1 ensembles in all.
std::string many_ensembles(int groups, bool unique_timestamps) {
  std::string text = unique_timestamps ? "[ridge]\nunique_timestamps = true\n" : "[ridge]\n";
  for (int g = 1; g <= groups; ++g) {
    text += fmt::format("[[ridge.groups]]\nid = {0}\nlearners = [1]\n[[ridge.ensembles]]\nid = {0}\ngroup = {0}\n"
                        "coordinators = [1]\nacceptors = [1]\n",
                        g);
  }
  if (groups > 1) text += "[[ridge.ensembles]]\nid = 0\ncoordinators = [1]\nacceptors = [1]\n";
  return text;
}

TEST(RidgeConfig, uniqueTimestamps_offByDefaultAndParsed) {
  EXPECT_FALSE(load(kOneGroup).unique_timestamps);
  EXPECT_FALSE(load(two_groups_with("acceptor_storage", "unique_timestamps = false\nacceptor_storage")).unique_timestamps);
  EXPECT_TRUE(load(two_groups_with("acceptor_storage", "unique_timestamps = true\nacceptor_storage")).unique_timestamps);
}

TEST(RidgeConfig, timestampTags_numberAllEnsemblesInIdOrder) {
  // The same at every node, whichever ensembles it learns: ids 1, 2, 10 get 0, 1, 2.
  const RidgeConfig r = load(kTwoGroups);
  EXPECT_THAT(r.timestamp_tags(), ElementsAre(Pair(EnsembleId{1}, 0u), Pair(EnsembleId{2}, 1u), Pair(EnsembleId{10}, 2u)));
}

TEST(RidgeConfig, uniqueTimestamps_allowAtMost1024Ensembles) {
  const RidgeConfig r = load(many_ensembles(1023, true), 1);  // 1024 ensembles: one tag each
  EXPECT_EQ(r.ensembles.size(), 1024u);
  EXPECT_EQ(r.timestamp_tags().at(EnsembleId{1023}), 1023u);
  EXPECT_EQ(load(many_ensembles(1024, false), 1).ensembles.size(), 1025u);  // no limit when off
  EXPECT_THAT(error_of(many_ensembles(1024, true), 1),
              AllOf(HasSubstr("c.toml:"), HasSubstr("[ridge] unique_timestamps: expected at most 1024 ensembles when on"),
                    HasSubstr("got 1025")));
}

// --- mistakes ---

TEST(RidgeConfig, from_rejectsAMissingSectionOrMissingTables) {
  EXPECT_THAT(error_of(""), AllOf(HasSubstr("c.toml: ridge: missing"), HasSubstr("[ridge]")));
  EXPECT_THAT(error_of("[ridge]\nnull_interval_ms = 5\n"), HasSubstr("[ridge] groups: missing"));
  EXPECT_THAT(error_of("[ridge]\n[[ridge.groups]]\nid = 1\nlearners = [1]\n"), HasSubstr("[ridge] ensembles: missing"));
}

TEST(RidgeConfig, from_rejectsUnknownKeysEverywhere) {
  EXPECT_THAT(error_of(two_groups_with("null_interval_ms", "null_intervl_ms")),
              AllOf(HasSubstr("c.toml:"), HasSubstr("[ridge] null_intervl_ms: unknown key")));
  EXPECT_THAT(error_of(two_groups_with("learners = [4, 5, 6]", "learners = [4, 5, 6]\nweight = 2")),
              HasSubstr("weight: unknown key"));
  EXPECT_THAT(error_of(two_groups_with("acceptors = [1, 2, 3]", "acceptors = [1, 2, 3]\nleader = 1")),
              HasSubstr("leader: unknown key"));
}

TEST(RidgeConfig, from_rejectsOutOfRangeAndMistypedKnobs) {
  EXPECT_THAT(error_of(two_groups_with("acceptor_storage", "unique_timestamps = 1\nacceptor_storage")),
              HasSubstr("[ridge] unique_timestamps: expected true or false, got integer 1"));
  EXPECT_THAT(error_of(two_groups_with("null_interval_ms = 5", "null_interval_ms = 0")),
              AllOf(HasSubstr("c.toml:"), HasSubstr(": [ridge] null_interval_ms: expected an integer in 1..60000, got integer 0")));
  EXPECT_THAT(error_of(two_groups_with("acceptor_storage = \"disk\"", "acceptor_storage = \"tape\"")),
              HasSubstr("acceptor_storage: expected one of \"memory\", \"disk\", got \"tape\""));
  EXPECT_THAT(error_of(two_groups_with("batch_delay_max_us = 250", "batch_delay_max_us = \"soon\"")),
              HasSubstr("batch_delay_max_us: expected an integer in 0..1000000"));
}

TEST(RidgeConfig, from_rejectsInconsistentKnobs) {
  EXPECT_THAT(error_of(two_groups_with("coordinator_timeout_ms = 400", "coordinator_timeout_ms = 40")),
              HasSubstr("coordinator_timeout_ms: expected more than coordinator_heartbeat_ms"));
  EXPECT_THAT(error_of(two_groups_with("inflight_instances_max = 32", "inflight_instances_max = 513")),
              HasSubstr("inflight_instances_max: expected at most phase1_window_instances (512), got 513"));
  EXPECT_THAT(error_of(two_groups_with("learner_gap_timeout_ms = 90", "learner_gap_timeout_ms = 5")),
              HasSubstr("learner_gap_timeout_ms: expected more than null_interval_ms"));
  EXPECT_THAT(error_of(two_groups_with("sender_retry_ms = 250", "sender_retry_ms = 150")),
              HasSubstr("sender_retry_ms: expected more than phase2_timeout_ms"));
  EXPECT_THAT(error_of(two_groups_with("retained_instances = 5000", "retained_instances = 31")),
              HasSubstr("retained_instances: expected at least inflight_instances_max (32), got 31"));
  EXPECT_THAT(error_of(two_groups_with("batch_bytes_max = 131072", "batch_bytes_max = 1073741824")),
              HasSubstr("batch_bytes_max: expected at most half of [transport] frame_bytes_max"));
}

TEST(RidgeConfig, from_rejectsUnknownDuplicateOrMissingNodes) {
  EXPECT_THAT(error_of(kTwoGroups, 8), AllOf(HasSubstr("c.toml:"), HasSubstr("learners: node 9 is not declared in [[nodes]]")));
  EXPECT_THAT(error_of(two_groups_with("learners = [4, 5, 6]", "learners = [4, 5, 4]")),
              HasSubstr("learners: expected unique node ids, 4 appears twice"));
  EXPECT_THAT(error_of(two_groups_with("learners = [4, 5, 6]", "learners = []")),
              HasSubstr("learners: expected a list of 1..65535 node ids, got 0"));
  EXPECT_THAT(error_of(two_groups_with("coordinators = [1]", "coordinators = []")),
              HasSubstr("coordinators: expected a list of 1..255 node ids, got 0"));
  EXPECT_THAT(error_of(two_groups_with("coordinators = [3, 2]", "")), HasSubstr("coordinators: missing"));
  EXPECT_THAT(error_of(two_groups_with("acceptors = [1, 2, 3]", "acceptors = [1, 2, 2]")),
              HasSubstr("acceptors: expected unique node ids, 2 appears twice"));
}

TEST(RidgeConfig, from_rejectsAnEvenNumberOfAcceptors) {
  EXPECT_THAT(error_of(two_groups_with("acceptors = [3, 2, 1, 4, 5]", "acceptors = [3, 2, 1, 4]")),
              AllOf(HasSubstr("c.toml:"), HasSubstr("acceptors: expected an odd number of acceptors (2f+1), got 4")));
}

TEST(RidgeConfig, from_rejectsDuplicateIds) {
  EXPECT_THAT(error_of(two_groups_with("id = 2\nlearners", "id = 1\nlearners")),
              HasSubstr("id: expected a unique group id, 1 is used twice"));
  EXPECT_THAT(error_of(two_groups_with("id = 10\n", "id = 2\n")),
              HasSubstr("id: expected a unique ensemble id, 2 is used twice"));
}

TEST(RidgeConfig, from_rejectsABrokenGroupToEnsembleMapping) {
  EXPECT_THAT(error_of(two_groups_with("group = 2", "group = 3")),
              HasSubstr("group: group 3 is not declared in [[ridge.groups]]"));
  EXPECT_THAT(error_of(two_groups_with("group = 2", "group = 1")),
              HasSubstr("group: expected exactly one ensemble per group; group 1 already has ensemble 1"));
  EXPECT_THAT(error_of(two_groups_with("group = 2\n", "\n")),
              HasSubstr("ensemble 2 has no group, but ensemble 10 is already the shared ensemble"));
  // No shared ensemble with two groups: multi-group messages would have nowhere to go.
  EXPECT_THAT(error_of(two_groups_with("[[ridge.ensembles]]\nid = 10\ncoordinators = [3, 2]\nacceptors = [1, 2, 3]\n", "")),
              HasSubstr("[ridge] ensembles: expected a shared ensemble (one without group)"));
  // A group without an ensemble.
  EXPECT_THAT(error_of(two_groups_with("[[ridge.ensembles]]\nid = 2\ngroup = 2\ncoordinators = [2, 1]\nacceptors = [3, 2, 1, 4, 5]\n", "")),
              HasSubstr("[ridge] ensembles: group 2 has no ensemble"));
  // A shared ensemble in a deployment with a single group.
  const std::string one_group_and_shared = std::string(kOneGroup) + "[[ridge.ensembles]]\nid = 9\ncoordinators = [1]\nacceptors = [1]\n";
  EXPECT_THAT(error_of(one_group_and_shared),
              AllOf(HasSubstr("id: ensemble 9 has no group (a shared ensemble), but a deployment with one group has none")));
}

}  // namespace
}  // namespace eyrie::multicast
