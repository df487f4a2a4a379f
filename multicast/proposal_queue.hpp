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
// - Decided ids of a sender below the highest sender_acked_below it announced are dropped: the
//   sender has seen them acknowledged. A late, reordered retransmission of such an id is still
//   recognised as decided through that per-sender watermark (senders_max senders; beyond it
//   the lowest sender id is forgotten first).
// In-flight ids are bounded by the coordinator's in-flight instances times batch_messages_max.

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "multicast/config.hpp"
#include "multicast/types.hpp"

namespace eyrie::multicast {

class ProposalQueue {
 public:
  struct Options {
    std::size_t pending_messages_max = 65536;
    std::size_t decided_ids_max = 65536;
    std::size_t senders_max = 16384;
  };
  enum class Admit { queued, duplicate, already_decided, full };

  explicit ProposalQueue(Options options) : options_(options) {}

  Admit add(MulticastMessage message, Time now);

  bool empty() const { return pending_.empty(); }
  std::size_t pending() const { return pending_.size(); }
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
  void forget_acked(NodeId sender, std::uint64_t acked_below);

  Options options_;
  std::deque<Pending> pending_;
  std::size_t pending_bytes_ = 0;
  std::set<MessageId> pending_ids_;
  std::set<MessageId> in_flight_;
  std::set<MessageId> decided_;
  std::deque<MessageId> decided_order_;  // oldest first; may hold ids already dropped
  std::map<NodeId, std::uint64_t> acked_below_;  // per sender: every lower seq is decided
};

}  // namespace eyrie::multicast
