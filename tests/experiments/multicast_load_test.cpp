// MulticastLoad: pacing, the destination pattern, the window bound and the refill on
// acknowledgement, against a FakeEnv that records the Propose messages.

#include "experiments/multicast_load.hpp"

#include <gtest/gtest.h>

#include "experiments/load_payload.hpp"
#include "multicast/ensemble_wire.hpp"
#include "multicast/message_types.hpp"
#include "multicast/wire.hpp"
#include "runtime/capnp_codec.hpp"
#include "tests/multicast/ensemble_fake_env.hpp"

namespace eyrie::experiments {
namespace {

using namespace std::chrono_literals;
using multicast::GroupId;

constexpr NodeId kSender{80000};

multicast::RidgeConfig two_groups() {
  using namespace multicast;
  RidgeConfig c;
  c.groups = {GroupConfig{GroupId{1}, {NodeId{1}}}, GroupConfig{GroupId{2}, {NodeId{2}}}};
  c.ensembles = {EnsembleConfig{EnsembleId{1}, GroupId{1}, {NodeId{1}}, {NodeId{1}}},
                 EnsembleConfig{EnsembleId{2}, GroupId{2}, {NodeId{2}}, {NodeId{2}}},
                 EnsembleConfig{EnsembleId{3}, std::nullopt, {NodeId{1}}, {NodeId{1}}}};
  c.sender_window_max = 100;
  return c;
}

struct Fixture {
  explicit Fixture(MulticastLoadOptions options) : config(two_groups()), env(kSender), load(env, config, std::move(options)) {
    load.start();
  }
  Message ack(std::uint64_t first_seq, std::uint64_t count) {
    capnp::MallocMessageBuilder b;
    auto ack = b.initRoot<multicast::wire::ProposeAck>();
    ack.setEnsemble(1);
    auto ids = ack.initIds(static_cast<unsigned>(count));
    for (unsigned i = 0; i < count; ++i) multicast::write_id(ids[i], multicast::MessageId{kSender, first_seq + i});
    return Message{NodeId{1}, multicast::kProposeAck, encode_capnp(b)};
  }
  multicast::RidgeConfig config;
  multicast::testing::FakeEnv env;
  MulticastLoad load;
};

TEST(MulticastLoad, pacedRunIssuesTheRateAndSplitsGroupsAndGlobalMessages) {
  std::vector<std::vector<GroupId>> destinations;
  Fixture f(MulticastLoadOptions{.groups = {GroupId{1}, GroupId{2}},
                                 .global_percent = 10,
                                 .size_bytes = 20,
                                 .on_sent = [&](const multicast::MessageId& id, const std::vector<GroupId>& d,
                                                const Payload& p) {
                                   EXPECT_EQ(id.seq, destinations.size() + 1);
                                   EXPECT_EQ(p.size(), 20u);
                                   destinations.push_back(d);
                                 }});
  f.load.run_paced(1000);
  f.env.advance(100ms);
  EXPECT_EQ(f.load.sent(), 100u);  // the window (100) is exactly enough
  EXPECT_EQ(f.env.take_sent().size(), 100u);
  // Messages i with i % 100 < 10 (1..9 and 100) go to every group; message i of the others to
  // groups[i % 2]: odd ones to group 2, even ones to group 1.
  EXPECT_EQ(destinations[0], (std::vector<GroupId>{GroupId{1}, GroupId{2}}));
  EXPECT_EQ(destinations[99], (std::vector<GroupId>{GroupId{1}, GroupId{2}}));
  EXPECT_EQ(destinations[10], std::vector<GroupId>{GroupId{2}});  // message 11
  EXPECT_EQ(destinations[11], std::vector<GroupId>{GroupId{1}});  // message 12
  EXPECT_EQ(f.load.sent_to(GroupId{1}) + f.load.sent_to(GroupId{2}), 100u + 10u);
  f.load.pause();
  f.env.advance(100ms);
  EXPECT_EQ(f.load.sent(), 100u);
}

TEST(MulticastLoad, maxRunKeepsTheWindowFullAndRefillsOnAcknowledgement) {
  Fixture f(MulticastLoadOptions{.groups = {GroupId{1}}, .size_bytes = 16, .outstanding_max = 8});
  f.load.set_phase(3);
  f.load.run_max();
  EXPECT_EQ(f.load.sent(), 8u);
  f.env.advance(0ms);  // the multicaster sends a turn's messages together
  const std::vector<multicast::testing::Sent> proposals = f.env.take_sent();
  ASSERT_EQ(proposals.size(), 1u);
  EXPECT_EQ(proposals[0].type, multicast::kPropose);
  std::string error;
  const auto propose = multicast::decode_propose(proposals[0].payload, &error);
  ASSERT_TRUE(propose) << error;
  EXPECT_EQ(propose->messages.size(), 8u);
  f.env.advance(10ms);
  EXPECT_EQ(f.load.sent(), 8u) << "the window is full";
  f.load.on_message(f.ack(1, 3));
  EXPECT_EQ(f.load.acknowledged(), 3u);
  EXPECT_EQ(f.load.sent(), 11u) << "refilled at once";
  EXPECT_EQ(f.load.unacknowledged().size(), 8u);
  EXPECT_EQ(*f.load.unacknowledged().begin(), 4u);
  f.load.check_invariants();
}

}  // namespace
}  // namespace eyrie::experiments
