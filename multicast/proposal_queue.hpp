#pragma once
// ProposalQueue: the coordinator's view of the messages senders asked it to order — waiting
// to be batched (pending), proposed and undecided (in flight), or recently decided — so that a
// retransmitted message is neither proposed twice nor left unacknowledged. Pure: no Env.
//
// Bounds and behaviour when reached:
// - pending_messages_max: a message beyond it is refused (Admit::full); its sender retransmits.
// - decided_ids_max: the oldest decided ids are forgotten first. A retransmission of a
//   forgotten id would be ordered again; learners' duplicate filters (sender_acked_below,
//   Algorithm 5's delivered set) are the safety net, this is only the cheap first line.
// - Decided ids a sender's sender_acked_below covers are dropped: the sender has seen them
//   acknowledged. A late, reordered retransmission of such an id is still recognised as
//   decided through those claims (SenderClaims; senders_max senders, beyond it the lowest
//   sender id is forgotten first).
// In-flight ids are bounded by the coordinator's in-flight instances times batch_messages_max.
//
// Holding (optimistic delivery, §5.3.4 (b)): with `hold` > 0 a new message is held first and
// released to the pending queue in initial-timestamp order, once the wall clock passes its
// timestamp plus `hold`, or once it has been held for `hold` (a sender whose clock runs ahead
// must not stall it longer). Held messages count as pending for the bounds and duplicates.

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "multicast/config.hpp"
#include "multicast/sender_claims.hpp"
#include "multicast/types.hpp"

namespace eyrie::multicast {

class ProposalQueue {
 public:
  struct Options {
    std::size_t pending_messages_max = 65536;
    std::size_t decided_ids_max = 65536;
    std::size_t senders_max = 16384;
    Duration hold{0};
  };
  enum class Admit { queued, duplicate, already_decided, full };

  explicit ProposalQueue(Options options) : options_(options) {}

  // `wall`: the coordinator's wall clock, against which held messages' timestamps are judged.
  Admit add(MulticastMessage message, Time now, WallTime wall = {});
  // Moves held messages whose wait is over to the pending queue, in timestamp order.
  void release(Time now, WallTime wall);
  // How long until the first held message can be released; nullopt when none is held.
  std::optional<Duration> next_release(Time now, WallTime wall) const;

  bool empty() const { return pending_.empty(); }
  std::size_t pending() const { return pending_.size(); }
  std::size_t held() const { return held_.size(); }
  std::size_t in_flight() const { return in_flight_.size(); }
  // When the oldest pending message arrived; nullopt when none is pending.
  std::optional<Time> oldest_arrival() const;
  // A batch would reach the size or count threshold.
  bool batch_full(const BatchingOptions& batching) const;

  // Takes up to the thresholds (at least one message) and marks them in flight.
  // Precondition: !empty().
  Batch take_batch(const BatchingOptions& batching);
  // A value this coordinator proposes without having queued it (a vote re-proposed after a
  // takeover): its ids count as in flight, so retransmissions of them are not proposed again.
  void adopt(const Batch& batch);
  // The instance of `batch` was decided with another value: its messages wait again, first.
  void requeue(const Batch& batch, Time now);
  // `batch` was decided: its ids move to the decided set; returns them (to acknowledge).
  std::vector<MessageId> decided(const Batch& batch);
  // Forgets everything (the coordinator stepped down; senders retransmit to the next one).
  void clear();

  void check_invariants() const;

 private:
  struct Pending {
    MulticastMessage message;
    Time arrived;
  };
  void remember_decided(const MessageId& id);
  void drop_pending(const MessageId& id);
  void forget_acked(const MessageId& id, std::uint64_t acked_below);

  Options options_;
  std::deque<Pending> pending_;
  std::map<std::pair<WallTime, MessageId>, Pending> held_;  // by (timestamp, id)
  std::size_t pending_bytes_ = 0;
  std::set<MessageId> pending_ids_;
  std::set<MessageId> in_flight_;
  std::set<MessageId> decided_;
  std::deque<MessageId> decided_order_;  // oldest first; may hold ids already dropped
  std::map<NodeId, SenderClaims> claims_;  // per sender: what it declared decided
};

}  // namespace eyrie::multicast
