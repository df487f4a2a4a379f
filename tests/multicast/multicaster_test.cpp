// Multicaster: the sender's rules, against scripted coordinators in the simulator.

#include "multicast/multicaster.hpp"

#include <gtest/gtest.h>

#include "multicast/message_types.hpp"
#include "multicast/wire.hpp"
#include "runtime/capnp_codec.hpp"
#include "runtime/sim/simulator.hpp"

namespace eyrie::multicast {
namespace {

using namespace std::chrono_literals;

constexpr NodeId kSender{10};
constexpr NodeId kFirst{1};
constexpr NodeId kSecond{2};
constexpr std::array<MessageTypeRange, 1> kTypes{kRidgeTypes};

RidgeConfig one_group_config() {
  RidgeConfig c;
  c.groups = {GroupConfig{GroupId{1}, {kSender}}};
  c.ensembles = {EnsembleConfig{EnsembleId{1}, GroupId{1}, {kFirst, kSecond}, {kFirst}}};
  c.sender_retry = 100ms;
  c.sender_window_max = 3;
  return c;
}

class SenderRole final : public Role {
 public:
  SenderRole(Env& env, const RidgeConfig& config, Multicaster::Options options, Multicaster*& out)
      : multicaster_(env, config, options) {
    out = &multicaster_;
  }
  std::string_view name() const override { return "sender"; }
  std::span<const MessageTypeRange> message_types() const override { return kTypes; }
  void start() override { multicaster_.start(); }
  void on_message(const Message& m) override { multicaster_.on_message(m); }
  void check_invariants() const override { multicaster_.check_invariants(); }

 private:
  Multicaster multicaster_;
};

enum class Reply { ack, silent, not_leader_second };

// A coordinator that records proposals and answers as told.
class ScriptedCoordinator final : public Role {
 public:
  ScriptedCoordinator(Env& env, Reply reply, std::vector<MessageId>& log) : env_(env), reply_(reply), log_(log) {}
  std::string_view name() const override { return "coordinator"; }
  std::span<const MessageTypeRange> message_types() const override { return kTypes; }
  void start() override {}
  void on_message(const Message& m) override {
    ASSERT_EQ(m.type, kPropose);
    std::vector<MessageId> ids;
    ASSERT_TRUE(read_capnp<wire::Propose>(m.payload, [&](wire::Propose::Reader p) {
      for (auto msg : p.getMessages()) ids.push_back(read_message(msg).id);
    }, nullptr));
    log_.insert(log_.end(), ids.begin(), ids.end());
    capnp::MallocMessageBuilder b;
    if (reply_ == Reply::ack) {
      auto ack = b.initRoot<wire::ProposeAck>();
      ack.setEnsemble(1);
      auto out = ack.initIds(static_cast<unsigned>(ids.size()));
      for (unsigned i = 0; i < ids.size(); ++i) write_id(out[i], ids[i]);
      env_.send(m.from, kProposeAck, encode_capnp(b));
    } else if (reply_ == Reply::not_leader_second) {
      auto nl = b.initRoot<wire::NotLeader>();
      nl.setEnsemble(1);
      nl.setLeader(kSecond.value);
      env_.send(m.from, kNotLeader, encode_capnp(b));
    }
  }

 private:
  Env& env_;
  Reply reply_;
  std::vector<MessageId>& log_;
};

struct Fixture {
  explicit Fixture(Reply first, Reply second, bool durable = false) : sim(options()) {
    add_coordinator(kFirst, first, at_first);
    add_coordinator(kSecond, second, at_second);
    sim.add_node({.id = kSender, .make_roles = [this, durable](Env& env) {
      std::vector<std::unique_ptr<Role>> roles;
      roles.push_back(std::make_unique<SenderRole>(env, config, Multicaster::Options{.durable_seqs = durable}, sender));
      return roles;
    }});
    for (NodeId id : {kFirst, kSecond, kSender}) sim.boot(id);
  }
  static sim::SimOptions options() {
    sim::SimOptions o;
    o.seed = 5;
    o.network.latency = sim::LatencyModel{.base = 1ms, .jitter = Duration::zero()};
    o.disk.sync_latency_min = o.disk.sync_latency_max = 1ms;
    return o;
  }
  void add_coordinator(NodeId id, Reply reply, std::vector<MessageId>& log) {
    sim.add_node({.id = id, .make_roles = [this, reply, &log](Env& env) {
      std::vector<std::unique_ptr<Role>> roles;
      roles.push_back(std::make_unique<ScriptedCoordinator>(env, reply, log));
      return roles;
    }});
  }
  void run_for(Duration d) { sim.run_until(sim.now() + d); }
  std::optional<MessageId> send(std::vector<GroupId> groups = {GroupId{1}}) {
    return sender->multicast(std::move(groups), Payload::copy_of("x"));
  }

  RidgeConfig config = one_group_config();
  sim::Simulator sim;
  Multicaster* sender = nullptr;
  std::vector<MessageId> at_first, at_second;
};

TEST(Multicaster, acknowledgedMessageIsSentOnceAndLeavesTheWindow) {
  Fixture f(Reply::ack, Reply::ack);
  f.run_for(1ms);
  int acked = 0;
  f.sender->set_on_acknowledged([&](const MessageId&) { ++acked; });
  const auto id = f.send();
  ASSERT_TRUE(id);
  EXPECT_EQ(id->sender, kSender);
  f.run_for(1s);
  EXPECT_EQ(f.at_first, std::vector<MessageId>{*id});
  EXPECT_TRUE(f.at_second.empty());
  EXPECT_EQ(f.sender->outstanding(), 0u);
  EXPECT_EQ(acked, 1);
}

TEST(Multicaster, silentCandidateMakesTheSenderTryTheNextOne) {
  Fixture f(Reply::silent, Reply::ack);
  f.run_for(1ms);
  const auto id = f.send();
  f.run_for(1s);
  EXPECT_FALSE(f.at_first.empty());
  EXPECT_EQ(f.at_second.front(), *id);
  EXPECT_EQ(f.sender->outstanding(), 0u);
}

TEST(Multicaster, notLeaderHintRedirectsBeforeAnyTimeout) {
  Fixture f(Reply::not_leader_second, Reply::ack);
  f.run_for(1ms);
  const auto id = f.send();
  f.run_for(10ms);  // well below sender_retry (100 ms)
  EXPECT_EQ(f.at_second, std::vector<MessageId>{*id});
  EXPECT_EQ(f.sender->outstanding(), 0u);
}

TEST(Multicaster, windowAndDestinationsAreChecked) {
  Fixture f(Reply::silent, Reply::silent);
  f.run_for(1ms);
  EXPECT_FALSE(f.send({}));              // no destination
  EXPECT_FALSE(f.send({GroupId{9}}));    // unknown group
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(f.send({GroupId{1}, GroupId{1}}));  // duplicates collapse
  EXPECT_FALSE(f.send());                // window of 3 is full
  EXPECT_EQ(f.sender->outstanding(), 3u);
}

TEST(Multicaster, durableSeqsNeverRepeatAcrossRestarts) {
  Fixture f(Reply::silent, Reply::silent, /*durable=*/true);
  EXPECT_FALSE(f.send());  // the first reservation is not durable yet
  f.run_for(10ms);
  std::uint64_t highest = 0;
  for (int i = 0; i < 3; ++i) highest = f.send()->seq;
  f.sim.crash(kSender);
  f.sim.boot(kSender);
  f.run_for(10ms);
  const auto after = f.send();
  ASSERT_TRUE(after);
  EXPECT_GT(after->seq, highest);
}

}  // namespace
}  // namespace eyrie::multicast
