#pragma once
// Acceptor: one Paxos acceptor of one ensemble on this node (Bezerra, Scalable State Machine
// Replication, USI 2016, §5.2 Algorithm 2 Task 2 and §5.3.2 Algorithm 3 Task 4).
//
// It keeps one promised round for every instance (a promise for round r covers them all,
// which is only more conservative than a promise per instance) and one vote per instance.
// Phase 2 travels along a chain of f+1 acceptors: each votes and forwards with one more vote;
// the last one has seen a majority vote and announces the decision (ids only) to everyone, and
// hands the value to one distributing learner picked by a load balancer.
//
// Durability (acceptor_storage = disk): a promise or vote leaves this node only after it is
// durable (Storage::sync's on_durable), and a restarted acceptor reloads them, so it never
// breaks a promise. In memory mode everything is sent at once, and a crash loses the acceptor's
// state: such an acceptor must not come back under the same id (DESIGN.md §3 fault model).
//
// Bounds: at most `votes_max` instances are held; decided instances beyond
// `retained_instances` are dropped from the bottom (catch-up needs only recent ones); when the
// table is full of undecided votes, a vote for a new instance is refused (counted), which
// stalls that instance until decisions free room — never a safety risk.

#include <functional>
#include <map>

#include "multicast/acceptor_store.hpp"
#include "multicast/distributor_balancer.hpp"
#include "multicast/ensemble_topology.hpp"
#include "multicast/ensemble_wire.hpp"
#include "runtime/env.hpp"

namespace eyrie::multicast {

struct AcceptorOptions {
  bool durable = false;                // acceptor_storage == disk
  std::size_t retained_instances = 100'000;
  std::size_t votes_max = 200'000;     // > retained_instances: room for undecided instances
  std::size_t reply_bytes_max = 4 << 20;  // payload bytes per Phase1B or FetchReply
  // Optimistic delivery is on: senders pushed the payloads to the learners, so the decided
  // value goes to the distributing learner without them (a lean Distribute).
  bool lean_values = false;
  // Fault injection for checker tests only: accept chains shorter than a majority, so that the
  // last of them declares a decision without a quorum (a broken Phase 2).
  bool fault_accept_short_chains = false;

  static AcceptorOptions from(const RidgeConfig& config);
};

class Acceptor {
 public:
  // Called whenever this acceptor votes, so that a learner on the same node holds the value
  // without receiving it again (§5.3.2: learners in the quorum already have it).
  using VoteFn = std::function<void(Instance, Round, const Batch&)>;

  Acceptor(Env& env, const EnsembleTopology& topology, AcceptorOptions options, VoteFn on_vote);

  // Reloads promise and votes from storage (disk mode). Call once, before any message.
  void load();

  void on_phase1a(NodeId from, const Phase1A& m);
  void on_phase2(NodeId from, const Phase2& m);
  void on_phase2_classic(NodeId from, const Phase2Classic& m);
  void on_decision(const Decision& m);
  void on_fetch(NodeId from, const Fetch& m);
  // A learner lets go of instances below m.below; everything below what every learner of the
  // ensemble let go of is dropped (the retained_instances bound applies besides).
  void on_trim(NodeId from, const Trim& m);

  // Forgets every instance below `below`. Precondition (the caller's): they are decided and no
  // learner will need them from this acceptor again (e.g. every replica checkpointed past them).
  void trim_below(Instance below);

  void check_invariants() const;

  struct AcceptedVote {
    Round round;
    Batch value;
    std::uint64_t digest = 0;
    bool decided = false;
  };
  Round promised() const { return promised_; }
  Instance trimmed_below() const { return trimmed_below_; }
  const AcceptedVote* vote(Instance instance) const;
  std::size_t votes_held() const { return votes_.size(); }

 private:
  bool sender_owns_round(NodeId from, Round round) const;
  // Records a vote if `round` is not below the promise; false (after a Nack) otherwise.
  bool vote_for(Round round, Instance instance, const Batch& value);
  void continue_chain(const Phase2& m);
  void announce_decision(const Phase2& m);
  void learn_decided(Instance instance, Round round, std::uint64_t digest);
  void trim_retained();
  void nack(Round rejected);
  // Runs `then` once every write so far is durable (disk), or at once (memory).
  void after_durable(std::function<void()> then);
  template <typename M>
  void send(NodeId to, const M& m) {
    env_.send(to, M::kType, encode(m));
  }

  Env& env_;
  const EnsembleTopology& topology_;
  AcceptorOptions options_;
  VoteFn on_vote_;
  AcceptorStore store_;
  Logger log_;
  DistributorBalancer balancer_;
  Round promised_;
  Instance trimmed_below_;
  std::map<NodeId, Instance> released_;  // per learner: what it let go of (in memory: re-sent by learners)
  std::map<Instance, AcceptedVote> votes_;
  // Every Decision this acceptor heard, whether or not it holds the decided value: learners
  // that fetch get these too, so that a value voted by a live acceptor that missed its
  // Decision, with the other voter crashed for good, can still be recognised as decided (the
  // f+1 rule of EnsembleLearner cannot apply then). Bounded: the lowest are forgotten first.
  struct HeardDecision {
    Round round;
    std::uint64_t digest;
  };
  std::map<Instance, HeardDecision> decisions_heard_;
  static constexpr std::size_t kDecisionsHeardMax = 1 << 16;
  Counter& refused_full_;
  Counter& rejected_;
};

}  // namespace eyrie::multicast
