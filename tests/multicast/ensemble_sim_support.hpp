#pragma once
// Simulator harness for the ensemble layer: a role that owns one EnsembleHost, a sender role
// that multicasts as Ridge's sender would (retransmitting until acknowledged, following
// NotLeader hints), and a journal of what every learner emitted, which outlives crashes.

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "multicast/ensemble_host.hpp"
#include "runtime/sim/simulator.hpp"

namespace eyrie::multicast::testing {

inline constexpr EnsembleId kEnsemble{1};
inline constexpr GroupId kGroup{1};
inline constexpr NodeId kSender{90};

struct Emitted {
  Instance instance;
  std::uint64_t digest = 0;
  std::vector<MessageId> ids;
  WallTime null_timestamp{};
  std::vector<std::uint64_t> sender_acked_below;  // per message, parallel to ids
};

struct EnsembleJournal {
  std::map<NodeId, std::vector<Emitted>> emitted;  // per learner node, in emission order
  std::set<MessageId> sent;
  std::set<MessageId> acked;
  std::uint64_t not_leader_replies = 0;
  bool crash_on_malformed_vote = false;
};

struct Topology {
  std::vector<NodeId> candidates;
  std::vector<NodeId> acceptors;
  std::vector<NodeId> learners;
};

// Timeouts scaled down so that a test covers many protocol rounds in little simulated time.
inline RidgeConfig test_config(const Topology& t, AcceptorStorage storage = AcceptorStorage::memory) {
  RidgeConfig config;
  config.groups.push_back(GroupConfig{kGroup, t.learners});
  config.ensembles.push_back(EnsembleConfig{kEnsemble, kGroup, t.candidates, t.acceptors});
  config.null_interval = std::chrono::milliseconds(5);
  config.batching.batch_delay_max = std::chrono::milliseconds(2);
  config.phase1_window_instances = 64;
  config.inflight_instances_max = 8;
  config.coordinator_heartbeat = std::chrono::milliseconds(10);
  config.coordinator_timeout = std::chrono::milliseconds(50);
  config.phase2_timeout = std::chrono::milliseconds(20);
  config.learner_gap_timeout = std::chrono::milliseconds(20);
  config.retained_instances = 1000;
  config.acceptor_storage = storage;
  return config;
}

// One node's ensemble parts. A restarted learner resumes after what it emitted in earlier
// lives, as a node whose upper layer persisted its position would.
class EnsembleTestRole final : public Role {
 public:
  EnsembleTestRole(Env& env, const RidgeConfig& config, EnsembleJournal& journal)
      : host_(env, config, env.self(),
              [this, &journal](EnsembleId, Instance instance, const Batch& batch) { record(journal, instance, batch); },
              options_for(env.self(), journal)),
        self_(env.self()) {}

  std::string_view name() const override { return "ensemble-test"; }
  std::span<const MessageTypeRange> message_types() const override { return types_; }
  void start() override { host_.start(); }
  void on_message(const Message& message) override {
    if (EnsembleHost::handles(message.type)) host_.on_message(message);
  }
  void check_invariants() const override { host_.check_invariants(); }
  EnsembleHost& host() { return host_; }

 private:
  static EnsembleHostOptions options_for(NodeId self, const EnsembleJournal& journal) {
    EnsembleHostOptions options;
    const auto it = journal.emitted.find(self);
    if (it != journal.emitted.end()) options.learner_start[kEnsemble] = Instance{it->second.size()};
    return options;
  }
  void record(EnsembleJournal& journal, Instance instance, const Batch& batch) {
    Emitted e{instance, batch_digest(batch), {}, batch.null_timestamp, {}};
    for (const MulticastMessage& m : batch.messages) {
      e.ids.push_back(m.id);
      e.sender_acked_below.push_back(m.sender_acked_below);
    }
    journal.emitted[self_].push_back(std::move(e));
  }

  std::array<MessageTypeRange, 1> types_{kRidgeTypes};
  EnsembleHost host_;
  NodeId self_;
};

// A sender: multicasts through the candidate it believes coordinates, retransmits every
// `retry` until acknowledged, follows NotLeader hints and rotates candidates on silence.
class TestSender final : public Role {
 public:
  TestSender(Env& env, std::vector<NodeId> candidates, EnsembleJournal& journal, Duration retry)
      : env_(env), candidates_(std::move(candidates)), journal_(journal), retry_(retry) {}

  std::string_view name() const override { return "test-sender"; }
  std::span<const MessageTypeRange> message_types() const override { return types_; }
  void start() override { env_.after(retry_, [this] { on_retry(); }); }
  void on_message(const Message& message) override;
  void multicast(std::string_view body);
  std::size_t outstanding() const { return outstanding_.size(); }

 private:
  void send_outstanding();
  void on_retry();

  Env& env_;
  std::vector<NodeId> candidates_;
  EnsembleJournal& journal_;
  Duration retry_;
  std::array<MessageTypeRange, 1> types_{kRidgeTypes};
  std::size_t target_ = 0;
  std::uint64_t next_seq_ = 1;
  std::map<std::uint64_t, MulticastMessage> outstanding_;
  bool acked_since_retry_ = false;
};

// A simulated cluster: every node of the topology runs an EnsembleTestRole; kSender runs a
// TestSender.
struct Cluster {
  Cluster(sim::SimOptions options, Topology topology, RidgeConfig cfg);
  void boot_all();
  EnsembleHost& host(NodeId node);
  TestSender& sender();
  std::vector<NodeId> ensemble_nodes() const;
  // Schedules a multicast of `body` at `when`.
  void multicast_at(Time when, std::string body);

  Topology topology;
  RidgeConfig config;
  EnsembleJournal journal;
  sim::Simulator sim;
};

// Checks every learner emitted instances 0, 1, 2, ... with identical values at equal
// instances, and returns how often each message id was decided (in the longest sequence).
std::map<MessageId, int> check_learners_agree(const EnsembleJournal& journal);

inline Time at_ms(std::int64_t ms) { return Time{std::chrono::milliseconds(ms)}; }

}  // namespace eyrie::multicast::testing
