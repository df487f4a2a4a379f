// PartitionReplica end to end in the simulator with a state machine of this file that can
// throw: a command that throws fails with the application's message and applies nothing —
// not its own writes, nor those of the other destinations when only one partition throws
// (all-or-nothing) — and the service goes on. Also: modify() of objects in two partitions,
// and an application that swallows the runtime's retry signal still gets the command retried.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "apps/kv/kv.hpp"
#include "tests/partition/ssmr_sim_cluster.hpp"

namespace eyrie::partition::simtest {
namespace {

using ::testing::ElementsAre;
using kv::StoredValue;

constexpr PartitionId kP1{1};
constexpr PartitionId kP2{2};

// Requests are words separated by spaces:
//   set K V [K V]...             overwrite each K with V               -> "ok"
//   get K                        read K                                -> "value:V" or "absent"
//   append K S [K S]...          modify each K, appending S            -> "ok"
//   throw MSG                    throw std::runtime_error(MSG)
//   throw-int                    throw 42
//   set-throw MSG K V [K V]...   overwrite, then throw MSG
//   set-throw-in P MSG K V...    overwrite, then throw MSG in partition P only
//   swallow K V                  overwrite K inside catch (...) {}     -> "ok"
struct Parsed {
  std::string op;
  std::vector<std::string> words;  // after the op
  std::size_t pairs_from = 0;      // where the K V pairs start (words.size(): none)
};

Parsed parse(std::span<const std::byte> bytes) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  Parsed p;
  in >> p.op;
  for (std::string w; in >> w;) p.words.push_back(w);
  if (p.op == "set" || p.op == "append" || p.op == "get" || p.op == "swallow") p.pairs_from = 0;
  else if (p.op == "set-throw") p.pairs_from = 1;
  else if (p.op == "set-throw-in") p.pairs_from = 2;
  else p.pairs_from = p.words.size();
  return p;
}

std::vector<std::string> keys_of(const Parsed& p) {
  std::vector<std::string> keys;
  for (std::size_t i = p.pairs_from; i < p.words.size(); i += 2) keys.push_back(p.words[i]);
  return keys;
}

class ThrowingMachine final : public StateMachine {
 public:
  Task<std::string> execute(CommandContext& ctx, std::span<const std::byte> request) override {
    const Parsed p = parse(request);
    if (p.op == "get") {
      const StoredValue* v = co_await ctx.read<StoredValue>(p.words.at(0));
      co_return v ? "value:" + v->value : "absent";
    }
    if (p.op == "append") {
      for (std::size_t i = 0; i + 1 < p.words.size(); i += 2) {
        StoredValue* v = co_await ctx.modify<StoredValue>(p.words[i]);
        if (v == nullptr) throw std::runtime_error("append to absent " + p.words[i]);
        v->value += p.words[i + 1];
      }
      co_return "ok";
    }
    if (p.op == "throw") throw std::runtime_error(p.words.at(0));
    if (p.op == "throw-int") throw 42;
    if (p.op == "swallow") {
      try {
        ctx.overwrite(p.words.at(0), StoredValue(p.words.at(1)));
      } catch (...) {
        // What the rules forbid: the runtime must still notice the missing partition.
      }
      co_return "ok";
    }
    for (std::size_t i = p.pairs_from; i + 1 < p.words.size(); i += 2) ctx.overwrite(p.words[i], StoredValue(p.words[i + 1]));
    if (p.op == "set-throw") throw std::runtime_error(p.words.at(0));
    if (p.op == "set-throw-in" && ctx.partition() == PartitionId{static_cast<std::uint32_t>(std::stoul(p.words.at(0)))}) {
      throw std::runtime_error(p.words.at(1));
    }
    co_return "ok";
  }
  std::unique_ptr<Object> decode_object(const ObjectId&, std::span<const std::byte> bytes) const override {
    return std::make_unique<StoredValue>(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
};

// The owners of the request's keys; everywhere when it names none.
class WordsOracle final : public oracle::PartitioningOracle {
 public:
  explicit WordsOracle(std::shared_ptr<const oracle::Placement> placement) : placement_(std::move(placement)) {}
  const oracle::Placement& placement() const override { return *placement_; }
  std::vector<PartitionId> destinations(std::span<const std::byte> request) const override {
    const std::vector<std::string> keys = keys_of(parse(request));
    if (keys.empty()) return placement_->partitions();
    std::vector<PartitionId> out;
    for (const std::string& k : keys) out.push_back(placement_->owner(k));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

 private:
  std::shared_ptr<const oracle::Placement> placement_;
};

class FailureSim : public ::testing::Test {
 protected:
  FailureSim()
      : cluster_(SimClusterOptions{
            .make_machine = [] { return std::make_unique<ThrowingMachine>(); },
            .make_oracle = [](std::shared_ptr<const oracle::Placement> p) { return std::make_unique<WordsOracle>(std::move(p)); },
            .seed = 11,
            .clients = 1,
            .tune_config = {}}) {}

  CommandResult run(std::string_view request, std::optional<std::vector<PartitionId>> destinations = std::nullopt) {
    return cluster_.run(Payload::copy_of(request), std::move(destinations));
  }
  // The body of a command that must succeed.
  std::string ok(std::string_view request) {
    const CommandResult r = run(request);
    EXPECT_EQ(r.status, CommandResult::Status::ok) << request << ": " << r.body.as_string_view();
    return std::string(r.body.as_string_view());
  }
  void expect_failed(std::string_view request, std::string_view message) {
    const CommandResult r = run(request);
    EXPECT_EQ(r.status, CommandResult::Status::failed) << request;
    EXPECT_EQ(r.body.as_string_view(), message) << request;
  }

  SimCluster cluster_;
};

TEST_F(FailureSim, aThrowingCommandFailsWithItsMessage) {
  expect_failed("throw boom", "boom");
  cluster_.settle();
  EXPECT_EQ(cluster_.replica_counter(kP1, "ssmr.failed_commands"), 2u);
  EXPECT_EQ(cluster_.replica_counter(kP2, "ssmr.failed_commands"), 2u);
}

TEST_F(FailureSim, aNonStandardExceptionFailsTheCommandToo) {
  expect_failed("throw-int", "the command threw a non-standard exception");
}

TEST_F(FailureSim, writesOfACommandThatThrowsDoNotApply) {
  EXPECT_EQ(ok("set apple 0"), "ok");
  expect_failed("set-throw nope apple 1 banana 1", "nope");
  EXPECT_EQ(ok("get apple"), "value:0");
  EXPECT_EQ(ok("get banana"), "absent");
  // The service goes on.
  EXPECT_EQ(ok("set apple 2"), "ok");
  EXPECT_EQ(ok("get apple"), "value:2");
}

TEST_F(FailureSim, aMultiPartitionCommandThatThrowsEverywhereAppliesNowhere) {
  const CommandResult r = run("set-throw bad apple 1 zebra 2");
  EXPECT_EQ(r.status, CommandResult::Status::failed);
  EXPECT_EQ(r.body.as_string_view(), "bad");
  EXPECT_THAT(r.destinations, ElementsAre(kP1, kP2));
  EXPECT_EQ(ok("get apple"), "absent");
  EXPECT_EQ(ok("get zebra"), "absent");
}

TEST_F(FailureSim, whenOnePartitionThrowsTheOthersWritesDoNotApplyEither) {
  EXPECT_EQ(ok("set apple a0 zebra z0"), "ok");
  // Partition 1 runs to the end, partition 2 throws: all or nothing, and the client hears the
  // failure from partition 1, which replies.
  expect_failed("set-throw-in 2 only-two apple a1 zebra z1", "only-two");
  expect_failed("set-throw-in 1 only-one apple a2 zebra z2", "only-one");
  EXPECT_EQ(ok("get apple"), "value:a0");
  EXPECT_EQ(ok("get zebra"), "value:z0");
  cluster_.settle();
  EXPECT_EQ(cluster_.replica(kP1, 0).serialize_state(), cluster_.replica(kP1, 1).serialize_state());
  EXPECT_EQ(cluster_.replica(kP2, 0).serialize_state(), cluster_.replica(kP2, 1).serialize_state());
}

TEST_F(FailureSim, modifyOfObjectsInTwoPartitionsAppliesInEach) {
  EXPECT_EQ(ok("set apple a zebra z"), "ok");
  EXPECT_EQ(ok("append apple 1 zebra 2"), "ok");
  EXPECT_EQ(ok("append zebra 3"), "ok");
  EXPECT_EQ(ok("get apple"), "value:a1");
  EXPECT_EQ(ok("get zebra"), "value:z23");
  // A failed append (absent key) leaves the other partition's object as it was.
  expect_failed("append apple 4 yak 5", "append to absent yak");
  EXPECT_EQ(ok("get apple"), "value:a1");
}

TEST_F(FailureSim, aSwallowedRetryStillRetriesWithTheMissingPartition) {
  const CommandResult r = run("swallow zebra v", std::vector<PartitionId>{kP1});
  EXPECT_EQ(r.status, CommandResult::Status::ok);
  EXPECT_EQ(r.body.as_string_view(), "ok");
  EXPECT_THAT(r.destinations, ElementsAre(kP1, kP2));
  EXPECT_EQ(ok("get zebra"), "value:v");
  cluster_.settle();
  EXPECT_EQ(cluster_.replica_counter(kP1, "ssmr.retry_answers"), 2u);
}

}  // namespace
}  // namespace eyrie::partition::simtest
