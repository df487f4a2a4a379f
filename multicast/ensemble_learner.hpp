#pragma once
// EnsembleLearner: learns the decided values of one ensemble and hands them on gap-free, in
// instance order (Bezerra, Scalable State Machine Replication, USI 2016, §5.3.2 Algorithm 3
// Task 5 and Algorithm 4 Task 4: the merge above needs each stream without gaps).
//
// A value is emitted once the learner knows that its instance is decided and holds the value:
// - Decision (ids only) + a value it already holds with that digest (a vote of the acceptor on
//   this node: learners in the chain already have the value, §5.3.2);
// - Value or Distribute: both are sent only for decided values, so they are enough alone. A
//   learner that receives Distribute forwards Value to the learners outside the chain.
// - FetchReply: acceptors answer with their votes (§5.3.3 "Learner failure"); a vote flagged
//   decided is enough, and so are f+1 acceptors reporting the same round and value (that is
//   what "chosen" means in Paxos), so lost Decision messages cannot strand a learner.
// When the next instance stays missing for learner_gap_timeout (a lost decision, a crashed
// distributor, or an ensemble silent for longer than Δ allows), it fetches from one acceptor,
// rotating among them on every attempt. After kFetchesBeforeRedecide fetches without
// progress on the same instance it also asks the coordinator candidates to decide it again
// (Redecide; at most once per kFetchesBeforeRedecide gap timeouts): a decided vote can outlive
// every acceptor that heard its Decision, and then no fetch can ever complete it.
//
// Optimistic delivery on: Distribute and Value arrive lean (payloads left out, the digest
// given). The learner completes each message through its PayloadSource (the pushes senders
// made to this node); a message this node will not deliver needs no payload. When a payload is
// missing the learner knows the instance decided and fetches its value from an acceptor at once.
//
// Bounds: it buffers instances in [next, next + window) only; anything later is dropped
// (counted) and fetched again once the gap closes. At most kCandidatesPerInstance undecided
// values per instance (a newer round's value replaces the oldest). Distribute duplicates are
// recognised over the last kForwardedRemembered instances.

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "multicast/ensemble_topology.hpp"
#include "multicast/ensemble_wire.hpp"
#include "runtime/env.hpp"

namespace eyrie::multicast {

struct LearnerOptions {
  Duration gap_timeout = std::chrono::milliseconds(100);
  std::size_t window_instances = 4096;
  std::uint32_t fetch_count = 256;

  static LearnerOptions from(const RidgeConfig& config);
};

class EnsembleLearner {
 public:
  using DecidedFn = std::function<void(EnsembleId, Instance, const Batch&)>;
  // Completes one message of a lean value: fills its payload and returns true; returns true
  // leaving it empty when this node will not deliver it (not addressed here, or delivered
  // already); false when the payload is missing.
  using PayloadSource = std::function<bool(EnsembleId, MulticastMessage&)>;
  static constexpr std::size_t kCandidatesPerInstance = 3;
  static constexpr std::size_t kForwardedRemembered = 1024;
  static constexpr std::uint32_t kFetchesBeforeRedecide = 3;

  // Emits from `start` on (a restarted node resumes where its upper layer stands).
  EnsembleLearner(Env& env, const EnsembleTopology& topology, LearnerOptions options, Instance start,
                  DecidedFn on_decided);
  EnsembleLearner(const EnsembleLearner&) = delete;
  EnsembleLearner& operator=(const EnsembleLearner&) = delete;

  void start();
  void set_payload_source(PayloadSource source) { payload_source_ = std::move(source); }
  void on_decision(const Decision& m);
  void on_distribute(NodeId from, const Distribute& m);
  void on_value(const Value& m);
  void on_fetch_reply(NodeId from, const FetchReply& m);
  // The acceptor on this node voted: the value may be decided later by a Decision.
  void offer_vote(Instance instance, Round round, const Batch& value);

  // Back-pressure from the upper layer: a paused learner emits nothing and fetches nothing; it
  // keeps buffering within its window, and emits what is ready on resume. May be called from
  // inside the DecidedFn.
  void set_paused(bool paused);
  bool paused() const { return paused_; }

  Instance next() const { return next_; }
  std::size_t buffered() const { return slots_.size(); }
  void check_invariants() const;

 private:
  struct Candidate {
    std::uint64_t digest;
    Batch value;
  };
  struct Reported {
    Round round;
    std::uint64_t digest;
  };
  struct Slot {
    std::optional<std::uint64_t> decided_digest;
    std::optional<Batch> decided_value;
    std::deque<Candidate> candidates;        // oldest first
    std::map<NodeId, Reported> reported{};  // fetched votes, one per acceptor (bounded by 2f+1)
    bool fetched_missing = false;            // a lean value lacked payloads: fetched once already
  };

  // The slot of `instance`, or null when it lies outside [next, next + window).
  Slot* slot(Instance instance);
  void learn_value(Instance instance, const Batch& value);
  void learn_lean(Instance instance, const Batch& value, std::uint64_t digest);
  void fetch_missing(Instance instance, Slot& s);
  void learn_fetched_vote(NodeId acceptor, const Vote& vote);
  void emit_ready();
  void on_gap_timer();

  Env& env_;
  const EnsembleTopology& topology_;
  LearnerOptions options_;
  DecidedFn on_decided_;
  PayloadSource payload_source_;
  Logger log_;
  LogLimiter behind_limiter_;
  Instance next_;
  std::map<Instance, Slot> slots_;
  std::set<Instance> forwarded_;
  Time last_progress_{};
  std::size_t fetch_rotation_ = 0;
  Instance stuck_at_;                // the instance the last fetch asked for
  std::uint32_t stuck_fetches_ = 0;  // fetches in a row for stuck_at_
  bool paused_ = false;
  bool emitting_ = false;  // guards emit_ready against re-entry through DecidedFn
  Counter& dropped_ahead_;
  Counter& fetches_;
  Counter& digest_mismatches_;
  Counter& behind_trim_;
  Counter& redecide_requests_;
  Counter& lean_incomplete_;
};

}  // namespace eyrie::multicast
