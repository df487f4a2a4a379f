// PartitionReplica and Client end to end in the simulator, without faults, on the kv service:
// single- and multi-partition commands take effect where their keys live, a command sent to
// too few partitions is answered retry and runs once on the larger set, and a replica's state
// can be serialized and restored.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apps/kv/kv.hpp"
#include "tests/partition/ssmr_sim_cluster.hpp"

namespace eyrie::partition::simtest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace kv = ::eyrie::kv;

constexpr PartitionId kP1{1};
constexpr PartitionId kP2{2};

class KvSim : public ::testing::Test {
 protected:
  KvSim()
      : cluster_(SimClusterOptions{
            .make_machine = [] { return std::make_unique<kv::KvMachine>(); },
            .make_oracle = [](std::shared_ptr<const oracle::Placement> p) { return std::make_unique<kv::KvOracle>(std::move(p)); },
            .seed = 7,
            .clients = 1,
            .tune_config = {}}) {}

  // Runs a request; its decoded response (a failed or timed-out command fails the test).
  kv::Response run(const kv::Request& request, std::optional<std::vector<PartitionId>> destinations = std::nullopt) {
    last_ = cluster_.run(kv::encode(request), std::move(destinations));
    EXPECT_EQ(last_.status, CommandResult::Status::ok) << last_.body.as_string_view();
    std::string error;
    const auto response = kv::decode_response(last_.body.bytes(), &error);
    EXPECT_TRUE(response) << error;
    return response.value_or(kv::Response{});
  }
  std::optional<std::string> get(const std::string& key) {
    const kv::Response r = run(kv::Get{key});
    EXPECT_TRUE(std::holds_alternative<kv::Value>(r));
    return std::holds_alternative<kv::Value>(r) ? std::get<kv::Value>(r).value : std::nullopt;
  }
  void put(const std::string& key, const std::string& value) {
    EXPECT_TRUE(std::holds_alternative<kv::Ok>(run(kv::Put{key, value}))) << key;
  }
  std::uint64_t executed(PartitionId p) { return cluster_.replica(p, 0).executed() + cluster_.replica(p, 1).executed(); }

  SimCluster cluster_;
  CommandResult last_;
};

TEST_F(KvSim, placementOfTheTestKeys) {
  EXPECT_EQ(cluster_.placement().owner("apple"), kP1);
  EXPECT_EQ(cluster_.placement().owner("banana"), kP1);
  EXPECT_EQ(cluster_.placement().owner("zebra"), kP2);
  EXPECT_EQ(cluster_.placement().owner("yak"), kP2);
}

TEST_F(KvSim, putThenGetReturnsTheValue) {
  EXPECT_EQ(get("apple"), std::nullopt);
  put("apple", "red");
  EXPECT_EQ(get("apple"), std::optional<std::string>("red"));
  EXPECT_THAT(last_.destinations, ElementsAre(kP1));
  put("zebra", "stripes");
  EXPECT_EQ(get("zebra"), std::optional<std::string>("stripes"));
  EXPECT_THAT(last_.destinations, ElementsAre(kP2));
  EXPECT_EQ(get("apple"), std::optional<std::string>("red"));
  cluster_.settle();
  // Every replica of a partition ran the same commands, and only its partition's commands.
  EXPECT_EQ(cluster_.replica(kP1, 0).executed(), 4u);
  EXPECT_EQ(cluster_.replica(kP1, 1).executed(), 4u);
  EXPECT_EQ(cluster_.replica(kP2, 0).executed(), 2u);
  EXPECT_EQ(cluster_.replica(kP2, 1).executed(), 2u);
}

TEST_F(KvSim, casAppliesOnlyOnAMatch) {
  put("banana", "1");
  const kv::Response mismatch = run(kv::Cas{"banana", std::string("0"), "2"});
  ASSERT_TRUE(std::holds_alternative<kv::CasMismatch>(mismatch));
  EXPECT_EQ(std::get<kv::CasMismatch>(mismatch).current, std::optional<std::string>("1"));
  EXPECT_TRUE(std::holds_alternative<kv::Ok>(run(kv::Cas{"banana", std::string("1"), "2"})));
  EXPECT_EQ(get("banana"), std::optional<std::string>("2"));
}

TEST_F(KvSim, transferAcrossPartitionsMovesTheAmount) {
  put("apple", "100");
  put("zebra", "5");
  EXPECT_TRUE(std::holds_alternative<kv::Ok>(run(kv::Transfer{"apple", "zebra", 30})));
  EXPECT_THAT(last_.destinations, ElementsAre(kP1, kP2));
  EXPECT_EQ(get("apple"), std::optional<std::string>("70"));
  EXPECT_EQ(get("zebra"), std::optional<std::string>("35"));
  // And back, from partition 2's key.
  EXPECT_TRUE(std::holds_alternative<kv::Ok>(run(kv::Transfer{"zebra", "apple", 35})));
  EXPECT_EQ(get("apple"), std::optional<std::string>("105"));
  EXPECT_EQ(get("zebra"), std::optional<std::string>("0"));
  cluster_.settle();
  EXPECT_EQ(cluster_.replica_counter(kP1, "ssmr.multi_partition"), 4u);  // two commands, two replicas
  EXPECT_EQ(cluster_.replica_counter(kP2, "ssmr.multi_partition"), 4u);
}

TEST_F(KvSim, insufficientTransferAcrossPartitionsChangesNothing) {
  put("apple", "10");
  const kv::Response r = run(kv::Transfer{"apple", "zebra", 11});
  ASSERT_TRUE(std::holds_alternative<kv::Insufficient>(r));
  EXPECT_EQ(std::get<kv::Insufficient>(r).balance, 10);
  EXPECT_EQ(get("apple"), std::optional<std::string>("10"));
  EXPECT_EQ(get("zebra"), std::nullopt);
}

TEST_F(KvSim, putManyAcrossPartitionsIsVisibleOnBoth) {
  EXPECT_TRUE(std::holds_alternative<kv::Ok>(run(kv::PutMany{{{"apple", "a1"}, {"zebra", "z1"}, {"banana", "b1"}}})));
  EXPECT_THAT(last_.destinations, ElementsAre(kP1, kP2));
  EXPECT_EQ(get("apple"), std::optional<std::string>("a1"));
  EXPECT_EQ(get("banana"), std::optional<std::string>("b1"));
  EXPECT_EQ(get("zebra"), std::optional<std::string>("z1"));
}

TEST_F(KvSim, tooFewDestinationsAreRetriedWithTheLargerSetAndApplyOnce) {
  put("apple", "100");
  put("zebra", "5");
  cluster_.settle();
  const std::uint64_t p1_before = executed(kP1);
  const std::uint64_t p2_before = executed(kP2);
  // Sent to partition 1 alone: reading "zebra" needs partition 2.
  EXPECT_TRUE(std::holds_alternative<kv::Ok>(run(kv::Transfer{"apple", "zebra", 10}, std::vector<PartitionId>{kP1})));
  EXPECT_THAT(last_.destinations, ElementsAre(kP1, kP2));
  EXPECT_EQ(cluster_.sim().node(cluster_.client_node()).metrics().counter_value("ssmr.client.retry_answers"), 1u);
  cluster_.settle();
  // Partition 1 ran it twice (the retry answer, then the command), partition 2 once.
  EXPECT_EQ(executed(kP1) - p1_before, 4u);
  EXPECT_EQ(executed(kP2) - p2_before, 2u);
  EXPECT_EQ(cluster_.replica_counter(kP1, "ssmr.retry_answers"), 2u);
  EXPECT_EQ(get("apple"), std::optional<std::string>("90"));
  EXPECT_EQ(get("zebra"), std::optional<std::string>("15"));
}

TEST_F(KvSim, tooFewDestinationsForABlindWriteAreRetriedToo) {
  // Sent to partition 2 alone: the overwrite of "apple" needs partition 1.
  EXPECT_TRUE(std::holds_alternative<kv::Ok>(
      run(kv::PutMany{{{"zebra", "z"}, {"apple", "a"}}}, std::vector<PartitionId>{kP2})));
  EXPECT_THAT(last_.destinations, ElementsAre(kP1, kP2));
  EXPECT_EQ(get("apple"), std::optional<std::string>("a"));
  EXPECT_EQ(get("zebra"), std::optional<std::string>("z"));
  // A read sent to the wrong partition only.
  const kv::Response read = run(kv::Get{"zebra"}, std::vector<PartitionId>{kP1});
  ASSERT_TRUE(std::holds_alternative<kv::Value>(read));
  EXPECT_EQ(std::get<kv::Value>(read).value, std::optional<std::string>("z"));
  EXPECT_THAT(last_.destinations, ElementsAre(kP1, kP2));
}

TEST_F(KvSim, aMalformedRequestFailsWithTheReason) {
  const CommandResult r = cluster_.run(kv::encode(kv::Get{""}));
  EXPECT_EQ(r.status, CommandResult::Status::failed);
  EXPECT_THAT(std::string(r.body.as_string_view()), HasSubstr("malformed kv request"));
  EXPECT_THAT(r.destinations, ElementsAre(kP1, kP2));  // the oracle could not tell: everywhere
}

TEST_F(KvSim, serializeStateThenRestoreStateRoundTrip) {
  put("apple", "1");
  put("banana", "2");
  put("zebra", "3");
  cluster_.settle();
  const Payload state = cluster_.replica(kP1, 0).serialize_state();
  EXPECT_EQ(cluster_.replica(kP1, 1).serialize_state(), state);  // replicas agree
  std::string error;
  const auto objects = decode_state(state, &error);
  ASSERT_TRUE(objects) << error;
  ASSERT_EQ(objects->size(), 2u);  // partition 1's objects only
  EXPECT_EQ((*objects)[0].id, "apple");
  EXPECT_EQ((*objects)[0].bytes.as_string_view(), "1");
  EXPECT_EQ((*objects)[1].id, "banana");
  EXPECT_EQ((*objects)[1].bytes.as_string_view(), "2");

  put("apple", "changed");
  put("cherry", "new");
  cluster_.settle();
  EXPECT_NE(cluster_.replica(kP1, 0).serialize_state(), state);
  cluster_.replica(kP1, 0).restore_state(state);
  cluster_.replica(kP1, 1).restore_state(state);
  EXPECT_EQ(cluster_.replica(kP1, 0).serialize_state(), state);
  EXPECT_EQ(get("apple"), std::optional<std::string>("1"));
  EXPECT_EQ(get("cherry"), std::nullopt);
  EXPECT_EQ(get("zebra"), std::optional<std::string>("3"));  // partition 2 untouched
}

TEST_F(KvSim, restoreStateRejectsMalformedBytesAndForeignObjects) {
  put("apple", "1");
  put("zebra", "3");
  cluster_.settle();
  PartitionReplica& r1 = cluster_.replica(kP1, 0);
  PartitionReplica& r2 = cluster_.replica(kP2, 0);
  const Payload before = r2.serialize_state();
  try {
    r2.restore_state(Payload::copy_of(std::string_view("this is not a state, honestly!!!")));
    ADD_FAILURE() << "garbage restored";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith("state: "));
  }
  try {
    r2.restore_state(r1.serialize_state());  // holds "apple", which partition 2 does not own
    ADD_FAILURE() << "foreign objects restored";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "state holds object apple of another partition");
  }
  const Payload truncated = before.slice(0, before.size() - 8);
  EXPECT_THROW(r2.restore_state(truncated), std::invalid_argument);
  EXPECT_EQ(r2.serialize_state(), before);  // a refused restore changes nothing
  EXPECT_EQ(get("zebra"), std::optional<std::string>("3"));
}

}  // namespace
}  // namespace eyrie::partition::simtest
