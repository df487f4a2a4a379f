#pragma once
// Ridge's vocabulary (Bezerra, Scalable State Machine Replication, USI 2016, ch. 5): groups,
// ensembles, Paxos instances and rounds, multicast messages and what learners deliver.

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/payload.hpp"
#include "runtime/types.hpp"

namespace eyrie::multicast {

// A multicast group: the set of learners that a message addressed to it must reach.
struct GroupId : StrongId<struct GroupIdTag, std::uint32_t> {
  using StrongId::StrongId;
};

// A Paxos ensemble: a coordinator (one of several candidates) and 2f+1 acceptors deciding a
// sequence of instances. One per group, plus one shared ensemble for multi-group messages.
struct EnsembleId : StrongId<struct EnsembleIdTag, std::uint32_t> {
  using StrongId::StrongId;
};

// A consensus instance of one ensemble; instances are decided values 0, 1, 2, ...
struct Instance : StrongId<struct InstanceTag, std::uint64_t> {
  using StrongId::StrongId;
  Instance next() const { return Instance{value + 1}; }
};

// A Paxos round (ballot). Rounds of different coordinator candidates never collide: the low
// 16 bits hold the candidate's index in the ensemble's candidate list, the rest a counter.
struct Round : StrongId<struct RoundTag, std::uint64_t> {
  using StrongId::StrongId;
  static Round make(std::uint64_t counter, std::uint16_t candidate_index) {
    return Round{(counter << 16) | candidate_index};
  }
  std::uint64_t counter() const { return value >> 16; }
  std::uint16_t candidate_index() const { return static_cast<std::uint16_t>(value & 0xffff); }
};

// Unique per message: the sender's endpoint id and a sequence number the sender never reuses
// (senders are external ids fresh at every start, or nodes whose sequence survives restarts).
struct MessageId {
  NodeId sender;
  std::uint64_t seq = 0;
  friend auto operator<=>(const MessageId&, const MessageId&) = default;
};

// A message as its sender multicasts it.
struct MulticastMessage {
  MessageId id;
  std::vector<GroupId> destinations;  // sorted, unique, non-empty
  WallTime timestamp{};               // initial timestamp: the sender's wall clock
  Payload payload;
  // All seqs of this sender below this one are decided (the sender saw them acknowledged), so
  // learners may forget them in their duplicate filters.
  std::uint64_t sender_acked_below = 0;
};

// The value of one consensus instance: a batch of messages in the order the coordinator
// proposed them. An empty batch is a null message (§5.3.1): it carries only the
// coordinator's timestamp so that learners can advance the merge past an idle ensemble.
struct Batch {
  std::vector<MulticastMessage> messages;
  WallTime null_timestamp{};  // used only when messages is empty
  bool is_null() const { return messages.empty(); }
};

// What a learner hands its upper layer conservatively: the decided, merged order.
struct Delivery {
  MessageId id;
  std::vector<GroupId> destinations;
  WallTime timestamp{};        // initial timestamp (the sender's wall clock)
  WallTime final_timestamp{};  // (final_timestamp, ensemble) strictly increases along a learner's deliveries
  EnsembleId ensemble;         // the ensemble that ordered it (ties on timestamp break by it)
  Instance instance;           // the consensus instance that decided it
  std::uint64_t position = 0;  // 1-based index in this learner's conservative delivery sequence
  Payload payload;
};

// What a learner hands its upper layer optimistically (§5.3.4): a message the sender pushed to
// it, in initial-timestamp order once the learner's wait for earlier ones ran out. Not final:
// the conservative order may differ (a mistake, §5.1). Every message is opt-delivered exactly
// once and conservatively delivered exactly once at a learner, opt first.
struct OptDelivery {
  MessageId id;
  std::vector<GroupId> destinations;
  WallTime timestamp{};        // initial timestamp: the optimistic order is (timestamp, ensemble, id)
  EnsembleId ensemble;         // the ensemble that orders it
  std::uint64_t position = 0;  // 1-based index in this learner's optimistic delivery sequence
  Payload payload;
};

std::string to_string(const MessageId& id);

}  // namespace eyrie::multicast
