// Placement and the oracle's defaults: hash placement is a pure function of the object's name
// over the sorted partitions and reaches all of them; range placement gives each bound to the
// partition above it; configurations that cannot describe a placement are refused with a
// message that says why; an oracle that only knows its placement sends every command
// everywhere and prefetches nothing.

#include "oracle/oracle.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

#include "runtime/hash.hpp"

namespace eyrie::oracle {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<PartitionId> ids(std::initializer_list<std::uint32_t> values) {
  std::vector<PartitionId> out;
  for (std::uint32_t v : values) out.push_back(PartitionId{v});
  return out;
}

std::string key(int i) { return "key-" + std::to_string(i); }

TEST(HashPlacement, partitions_areSortedAndUnique) {
  const HashPlacement p(ids({3, 1, 2, 3, 1}));
  EXPECT_THAT(p.partitions(), ElementsAre(PartitionId{1}, PartitionId{2}, PartitionId{3}));
}

TEST(HashPlacement, owner_isFnv1aModuloTheSortedPartitions) {
  const HashPlacement p(ids({7, 5, 9}));
  const std::vector<PartitionId> sorted = ids({5, 7, 9});
  for (int i = 0; i < 200; ++i) {
    const std::string k = key(i);
    const std::uint64_t h = fnv1a64(std::as_bytes(std::span(k.data(), k.size())));
    EXPECT_EQ(p.owner(k), sorted[h % sorted.size()]) << k;
  }
}

TEST(HashPlacement, owner_isDeterministicWhateverOrderThePartitionsCameIn) {
  const HashPlacement a(ids({1, 2, 3, 4}));
  const HashPlacement b(ids({4, 3, 2, 1}));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(a.owner(key(i)), b.owner(key(i))) << key(i);
    EXPECT_EQ(a.owner(key(i)), a.owner(key(i))) << key(i);
  }
}

TEST(HashPlacement, owner_coversEveryPartitionOverManyKeys) {
  const HashPlacement p(ids({1, 2, 3, 4, 5}));
  std::map<PartitionId, int> counts;
  for (int i = 0; i < 5000; ++i) ++counts[p.owner(key(i))];
  ASSERT_EQ(counts.size(), 5u);
  for (const auto& [partition, count] : counts) {
    EXPECT_TRUE(partition.value >= 1 && partition.value <= 5);
    // A fair share is 1000; a hash that favours one partition by far would fail here.
    EXPECT_GT(count, 700) << "partition " << partition.value;
  }
}

TEST(HashPlacement, owner_withOnePartitionIsAlwaysIt) {
  const HashPlacement p(ids({6}));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(p.owner(key(i)), PartitionId{6});
  EXPECT_EQ(p.owner(""), PartitionId{6});
}

TEST(RangePlacement, owner_followsTheBounds) {
  const RangePlacement p(ids({1, 2, 3}), {"g", "p"});
  EXPECT_EQ(p.owner(""), PartitionId{1});
  EXPECT_EQ(p.owner("a"), PartitionId{1});  // below the first bound
  EXPECT_EQ(p.owner("f\xff"), PartitionId{1});
  EXPECT_EQ(p.owner("g"), PartitionId{2});  // a bound belongs to the partition above it
  EXPECT_EQ(p.owner("g0"), PartitionId{2});
  EXPECT_EQ(p.owner("oz"), PartitionId{2});
  EXPECT_EQ(p.owner("p"), PartitionId{3});  // equal to the last bound
  EXPECT_EQ(p.owner("zzzz"), PartitionId{3});  // above the last
}

TEST(RangePlacement, owner_comparesBytewise) {
  // "B" (0x42) sorts before "a" (0x61), and a prefix before its extensions.
  const RangePlacement p(ids({1, 2}), {"a"});
  EXPECT_EQ(p.owner("B"), PartitionId{1});
  EXPECT_EQ(p.owner("a"), PartitionId{2});
  EXPECT_EQ(p.owner(std::string_view("\x00", 1)), PartitionId{1});
  EXPECT_EQ(p.owner("\xc3\xa9"), PartitionId{2});  // high bytes are above ASCII
}

TEST(RangePlacement, partitionsKeepRangeOrderForOwnersButListSorted) {
  const RangePlacement p(ids({3, 1, 2}), {"g", "p"});
  EXPECT_EQ(p.owner("a"), PartitionId{3});
  EXPECT_EQ(p.owner("h"), PartitionId{1});
  EXPECT_EQ(p.owner("q"), PartitionId{2});
  EXPECT_THAT(p.partitions(), ElementsAre(PartitionId{1}, PartitionId{2}, PartitionId{3}));
}

TEST(RangePlacement, onePartitionNeedsNoBound) {
  const RangePlacement p(ids({4}), {});
  EXPECT_EQ(p.owner(""), PartitionId{4});
  EXPECT_EQ(p.owner("anything"), PartitionId{4});
}

// The message of the std::invalid_argument the construction throws (fails the test if none).
std::string construction_error(std::vector<PartitionId> partitions, std::vector<std::string> bounds) {
  try {
    const RangePlacement p(std::move(partitions), std::move(bounds));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected std::invalid_argument";
  return "";
}

TEST(RangePlacement, rejectsNoPartitions) {
  EXPECT_EQ(construction_error({}, {}), "range placement needs at least one partition");
}

TEST(RangePlacement, rejectsAPartitionListedTwice) {
  EXPECT_EQ(construction_error(ids({1, 2, 1}), {"g", "p"}), "range placement lists a partition twice");
}

TEST(RangePlacement, rejectsAWrongNumberOfBounds) {
  EXPECT_EQ(construction_error(ids({1, 2, 3}), {"g"}),
            "range placement needs one bound fewer than partitions (2), got 1");
  EXPECT_EQ(construction_error(ids({1, 2}), {"g", "p"}),
            "range placement needs one bound fewer than partitions (1), got 2");
  EXPECT_THAT(construction_error(ids({1}), {"g"}), HasSubstr("(0), got 1"));
}

TEST(RangePlacement, rejectsBoundsThatDoNotStrictlyIncrease) {
  EXPECT_EQ(construction_error(ids({1, 2, 3}), {"p", "g"}), "range bounds must strictly increase");
  EXPECT_EQ(construction_error(ids({1, 2, 3}), {"g", "g"}), "range bounds must strictly increase");
  EXPECT_EQ(construction_error(ids({1, 2, 3, 4}), {"a", "c", "b"}), "range bounds must strictly increase");
}

// An oracle that knows only where objects live.
class PlacementOnly final : public PartitioningOracle {
 public:
  explicit PlacementOnly(std::vector<PartitionId> partitions) : placement_(std::move(partitions)) {}
  const Placement& placement() const override { return placement_; }

 private:
  HashPlacement placement_;
};

TEST(PartitioningOracle, defaults_everyPartitionAndNoLocalObjects) {
  const PlacementOnly oracle(ids({2, 1, 3}));
  const std::string request = "whatever the application sends";
  const auto bytes = std::as_bytes(std::span(request.data(), request.size()));
  EXPECT_THAT(oracle.destinations(bytes), ElementsAre(PartitionId{1}, PartitionId{2}, PartitionId{3}));
  EXPECT_THAT(oracle.destinations({}), ElementsAre(PartitionId{1}, PartitionId{2}, PartitionId{3}));
  EXPECT_TRUE(oracle.local_objects(bytes, PartitionId{1}).empty());
  EXPECT_TRUE(oracle.local_objects(bytes, PartitionId{3}).empty());
}

}  // namespace
}  // namespace eyrie::oracle
