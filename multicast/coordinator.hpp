#pragma once
// Coordinator: one coordinator candidate of one ensemble on this node (Bezerra, Scalable State
// Machine Replication, USI 2016, §5.3.2 Algorithms 3-4, §5.3.3 failures).
//
// Exactly one candidate should coordinate at a time; the protocol stays safe when several do,
// because every proposal runs in a round that a majority of acceptors promised (Paxos).
//
// - Leadership (coordinator.cpp): the first candidate starts coordinating with round
//   Round::make(1, 0). Candidates exchange Heartbeats; a follower that has not heard the
//   coordinator for coordinator_timeout times (1 + its rank after the coordinator) takes over
//   with a higher round, and a coordinator that sees a higher round (Nack, Phase1B, heartbeat)
//   steps down. The round counter is durable before use, so a restarted candidate never reuses
//   a round in which it may have proposed another value.
// - Phase 1 (coordinator_phase1.cpp) runs ahead for a window of instances. After a takeover it
//   starts at the lowest instance not known decided; every value voted in that window is
//   proposed again (highest-round vote wins), and holes below the highest vote are filled with
//   null batches so that learners never wait on an instance nobody will propose.
// - Phase 2 (coordinator_phase2.cpp) chains each instance through f+1 unsuspected acceptors,
//   batches senders' messages adaptively, proposes a null batch when idle for Δ, acknowledges
//   decided messages, and falls back to classic Paxos for an instance undecided after
//   phase2_timeout.
// - Re-decision (coordinator_redecide.cpp): a learner stuck on an instance this coordinator
//   knows decided asks for it again; the coordinator reads a majority's votes for that
//   instance in its own round and decides the highest vote again with classic Phase 2.
//
// Bounds: in-flight instances ≤ 2 × inflight_instances_max (fresh batches beyond the first
// inflight_instances_max wait for a full batch or batch_delay_max; re-proposals may use the
// rest); decided instances remembered above the decided prefix ≤ 4 × phase1 window (later
// ones are ignored, the prefix then advances through heartbeats); suspected acceptors ≤ 2f+1,
// each forgiven after suspicion_expiry, doubled per suspicion in a row without an answer; senders' messages: see ProposalQueue; re-decisions ≤
// kRedecisionsMax at a time, each given up after kRedecisionAttemptsMax attempts.

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "multicast/ensemble_topology.hpp"
#include "multicast/ensemble_wire.hpp"
#include "multicast/proposal_queue.hpp"
#include "runtime/env.hpp"

namespace eyrie::multicast {

struct CoordinatorOptions {
  Duration null_interval = std::chrono::milliseconds(5);
  Duration heartbeat_interval = std::chrono::milliseconds(50);
  Duration coordinator_timeout = std::chrono::milliseconds(500);
  Duration phase2_timeout = std::chrono::milliseconds(200);
  Duration suspicion_expiry = std::chrono::seconds(2);
  BatchingOptions batching{};
  std::size_t phase1_window_instances = 1024;
  std::size_t inflight_instances_max = 64;
  ProposalQueue::Options queue{};
  // Fault injection for checker tests only: chains of this many acceptors instead of a
  // majority (0: a majority, as Paxos requires).
  std::size_t fault_chain_length = 0;

  static CoordinatorOptions from(const RidgeConfig& config);
};

class Coordinator {
 public:
  enum class Mode { follower, preparing, leading };

  Coordinator(Env& env, const EnsembleTopology& topology, CoordinatorOptions options);
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  void start();
  void on_propose(NodeId from, Propose m);
  void on_phase1b(NodeId from, const Phase1B& m);
  void on_phase2b(NodeId from, const Phase2B& m);
  void on_decision(const Decision& m);
  void on_heartbeat(NodeId from, const Heartbeat& m);
  void on_nack(const Nack& m);
  void on_redecide(NodeId from, const Redecide& m);

  void check_invariants() const;

  Mode mode() const { return mode_; }
  Round round() const { return round_; }
  std::optional<NodeId> leader() const { return leader_; }
  Instance decided_below() const { return decided_below_; }
  std::size_t in_flight() const { return in_flight_.size(); }
  const std::set<NodeId>& suspected() const { return suspected_; }
  std::size_t redecisions() const { return redecisions_.size(); }

  static constexpr std::size_t kRedecisionsMax = 4;
  static constexpr std::size_t kRedecisionAttemptsMax = 5;

 private:
  struct InFlight {
    Round round;
    Batch value{};
    std::uint64_t digest = 0;
    std::vector<NodeId> chain{};
    bool classic = false;
    std::set<NodeId> phase2b{};  // acceptors that voted in the classic fallback
    TimerId timer{};
  };
  struct Phase1Progress {
    Instance first;
    Instance end;
    std::map<NodeId, Instance> reported_end{};  // promises received, per acceptor
    std::map<Instance, Vote> highest{};         // highest-round vote per instance so far
    Instance trimmed_below{};
    TimerId resend{};
  };
  // One re-decision of an instance known decided (coordinator_redecide.cpp): first a majority's
  // votes for it (Phase 1 in round_), then classic Phase 2 of the highest one in round_.
  struct Redecision {
    std::set<NodeId> read{};        // acceptors whose vote (or its absence) is known
    std::optional<Vote> highest{};  // highest-round vote among them
    bool voting = false;            // Phase 2 sent with highest->value
    std::uint64_t digest = 0;
    std::set<NodeId> phase2b{};
    std::size_t attempts = 0;
    TimerId timer{};
  };

  // Leadership (coordinator.cpp).
  void tick();
  void send_heartbeats();
  bool coordinator_suspected() const;
  void take_over();
  void become_preparing(Round round);
  void step_down(Round higher);
  void observe_round(Round round);
  void note_decided(Instance instance);
  void advance_decided_below(Instance below);
  void extend_decided_prefix();
  bool known_decided(Instance instance) const;
  std::uint64_t stored_counter() const;

  // Phase 1 (coordinator_phase1.cpp).
  void start_phase1(Instance first);
  void send_phase1a(bool only_missing);
  void finish_phase1();
  void extend_phase1();

  // Phase 2 (coordinator_phase2.cpp).
  void pump();
  bool propose_next();
  void propose(Instance instance, Batch value);
  void on_phase2_timeout(Instance instance, Round round);
  void decided_by_classic(Instance instance);
  void announce_decided(Instance instance, Round round, const Batch& value, std::uint64_t digest);
  void settle(Instance instance, std::uint64_t decided_digest);
  void acknowledge(const std::vector<MessageId>& ids);
  void flush_acknowledgements();
  std::vector<NodeId> choose_chain();
  void on_null_timer();
  void arm_batch_timer();
  void arm_hold_timer();
  std::size_t inflight_hard_max() const { return 2 * options_.inflight_instances_max; }

  // Re-decision (coordinator_redecide.cpp).
  void start_redecision_attempt(Instance instance);
  void redecision_read(NodeId from, const Phase1B& m);
  void start_redecision_phase2(Instance instance, Redecision& r);
  bool redecision_phase2b(NodeId from, const Phase2B& m);
  void on_redecision_timeout(Instance instance, Round round, std::size_t attempt);
  void drop_redecisions();

  template <typename M>
  void send(NodeId to, const M& m) {
    env_.send(to, M::kType, encode(m));
  }

  Env& env_;
  const EnsembleTopology& topology_;
  CoordinatorOptions options_;
  std::size_t index_;  // this node's position in the candidate list
  Logger log_;
  ProposalQueue queue_;

  Mode mode_ = Mode::follower;
  Round round_;         // the round this candidate prepares or leads (zero as a follower)
  Round highest_seen_;  // the highest round seen anywhere
  std::optional<NodeId> leader_;
  Time last_leader_contact_{};

  Instance decided_below_;             // every instance below is known decided
  std::set<Instance> decided_above_;   // known decided instances above the prefix
  // Batches this coordinator saw decided above the decided prefix, acknowledged only once the
  // prefix covers them. Pipelined instances decide out of order, and an acknowledged message
  // must precede, in the ensemble's stream, everything its sender sends afterwards (learners'
  // duplicate filters rely on it): a hole below could otherwise still take a later message.
  // Bounded by the instances this coordinator has in flight.
  std::map<Instance, Batch> awaiting_prefix_;
  std::optional<Phase1Progress> phase1_;
  Instance prepared_end_;              // instances below were prepared in round_
  std::map<Instance, Batch> forced_;   // votes that must be proposed again at their instance
  Instance recovery_end_;              // holes below this are filled with null batches
  Instance next_instance_;
  std::map<Instance, InFlight> in_flight_;
  Time last_proposal_{};
  std::map<NodeId, Time> suspected_until_;
  // Suspicions of an acceptor since it last answered: each one lasts twice the previous (up
  // to 64 x suspicion_expiry), so that an acceptor that stays down is not put back into every
  // chain, at the cost of a Phase 2 timeout, each suspicion_expiry.
  std::map<NodeId, std::uint32_t> suspicions_in_a_row_;
  void suspect(NodeId acceptor);
  void answered(NodeId acceptor);
  std::set<NodeId> suspected_;
  std::optional<TimerId> batch_timer_;
  std::optional<TimerId> hold_timer_;
  std::map<Instance, Redecision> redecisions_;  // ≤ kRedecisionsMax, only while leading

  Counter& proposals_;
  Counter& nulls_;
  Counter& classic_;
  Counter& takeovers_;
  Counter& refused_;
  Counter& redecided_;
};

}  // namespace eyrie::multicast
