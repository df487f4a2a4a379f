#pragma once
// Multicaster: the sender side of Ridge (Algorithm 5's multicaster, with retransmission).
//
// multicast(groups, payload) stamps the message with the sender's wall clock (its initial
// timestamp, §5.3.2), picks the ensemble that orders it (RidgeConfig::ensemble_for) and sends it
// to that ensemble's coordinator. The message stays outstanding until the coordinator
// acknowledges its decision (ProposeAck); unacknowledged messages are sent again every
// `sender_retry`, to the next candidate when the current one keeps silent, or to the leader a
// candidate names in NotLeader. Learners drop the duplicates this can cause (DuplicateFilter).
//
// Sequence numbers never repeat for one sender id. External senders get a fresh id at every
// start, so they count from 1. Cluster nodes keep their id across restarts, so they reserve
// blocks of seqs in durable storage before using them (`durable_seqs`), and every restart
// begins a new life: seqs from SenderClaims::life_base(life), so that the acknowledgement
// watermark each message carries (sender_acked_below) covers only the current life.
//
// First sends are batched per turn: multicast() queues the message and a zero-delay timer sends
// the turn's messages as one Propose per ensemble (and one push per destination set).
//
// Optimistic delivery on (§5.3.4): the first send of a message also pushes it to every learner
// of its destination groups (kOptPush, the same Propose encoding), so that learners opt-deliver
// it and decisions need only carry its id. Retransmissions go to coordinators only: a learner
// that missed the push gets the message with its decision.
//
// Bound: at most `sender_window_max` messages outstanding; multicast() refuses more
// (back-pressure: the caller retries later).

#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "multicast/config.hpp"
#include "runtime/env.hpp"

namespace eyrie::multicast {

class Multicaster {
 public:
  struct Options {
    bool durable_seqs = false;  // reserve seq blocks in storage (cluster nodes)
  };
  Multicaster(Env& env, const RidgeConfig& config, Options options);

  // Call once; with durable_seqs, multicast() refuses until the first reservation is durable.
  void start();
  // The new message's id, or nullopt when the window is full, the destinations are invalid
  // (empty, unknown group) or the sender is not ready yet. `destinations` need not be sorted.
  // The message's timestamp is the wall clock, or `not_before` when that is later: a sender
  // that has seen a final timestamp can make its next message order after it (Volery keeps a
  // session's zxids increasing that way).
  std::optional<MessageId> multicast(std::vector<GroupId> destinations, Payload payload,
                                     WallTime not_before = WallTime{});
  // Proposes someone else's message to its ensemble, once, as it stands (a learner re-proposing
  // an opt-delivered message whose sender may have crashed). It goes to every coordinator
  // candidate (followers answer NotLeader): this node may know nothing of who leads. Not
  // tracked: the caller repeats it until it sees the message decided.
  void propose_again(const MulticastMessage& message);
  // ProposeAck and NotLeader; anything malformed is dropped and counted.
  void on_message(const Message& message);

  bool ready() const { return next_seq_ < reserved_below_; }
  std::size_t outstanding() const { return outstanding_.size(); }
  // Called once per message when its decision is acknowledged.
  void set_on_acknowledged(std::function<void(const MessageId&)> fn) { on_acknowledged_ = std::move(fn); }
  void check_invariants() const;

 private:
  struct Outstanding {
    MulticastMessage message;
    EnsembleId ensemble;
    Time last_sent{};
  };
  void send(const Outstanding& entry);
  void flush();
  const std::vector<NodeId>& push_targets(const std::vector<GroupId>& destinations);
  void retry_tick();
  void reserve_seqs();
  void on_ack(const Message& message);
  void on_not_leader(const Message& message);
  std::uint64_t acked_below() const;
  NodeId leader_of(EnsembleId id) const;

  Env& env_;
  const RidgeConfig& config_;
  Options options_;
  Logger log_;
  std::uint64_t next_seq_ = 1;
  std::uint64_t reserved_below_ = 0;   // seqs < this may be used
  bool reserving_ = false;
  std::map<std::uint64_t, Outstanding> outstanding_;  // by seq
  std::vector<std::uint64_t> unsent_;  // multicast this turn, sent by flush()
  bool flush_armed_ = false;
  std::map<EnsembleId, std::size_t> leader_index_;    // into the ensemble's candidate list
  std::map<EnsembleId, Time> last_redirect_;          // when a NotLeader last moved us
  std::function<void(const MessageId&)> on_acknowledged_;
  std::map<std::vector<GroupId>, std::vector<NodeId>> push_targets_;  // per destination set (bounded: 1024)
  Counter& rejected_;
  Counter& retransmissions_;
};

}  // namespace eyrie::multicast
