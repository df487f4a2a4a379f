#pragma once
// ExchangeBook: what one replica received from, and sent to, other partitions about
// multi-partition commands (signals, object values, verdicts; Algorithm 1's rcvd_signals and
// rcvd_variables, plus the all-or-nothing verdicts of docs/ssmr.md).
//
// Received: messages can arrive before the command is delivered here, so they are kept by
// command key until the command finishes. Bound: inbox_max commands; beyond it the oldest
// entry is dropped (counted) — its senders are asked again (Pull) when it is needed.
// Messages about a recently finished command (the last inbox_max) are ignored.
// Sent: each command's outgoing messages merged into one Exchange, kept for the last
// outbox_max commands, so that a Pull from a replica that missed them is answered.

#include <deque>
#include <map>
#include <set>
#include <unordered_set>

#include "partition/wire.hpp"

namespace eyrie::partition {

class ExchangeBook {
 public:
  struct VerdictOf {
    Verdict verdict = Verdict::none;
    std::vector<PartitionId> missing;
    std::string error;
  };
  struct Received {
    std::set<PartitionId> signals;  // partitions that started the command (any message counts)
    std::map<ObjectId, ObjectValue> values;
    std::map<PartitionId, VerdictOf> verdicts;
  };

  ExchangeBook(std::size_t inbox_max, std::size_t outbox_max) : inbox_max_(inbox_max), outbox_max_(outbox_max) {}

  // Records an incoming message; false when it was ignored (command finished here already).
  bool receive(const Exchange& m);
  // The received entry of a command (created empty when absent).
  Received& received(const CommandKey& key);
  // The command finished here: forget what was received, remember the key.
  void finished(const CommandKey& key);

  // Merges an outgoing message into the command's record.
  void sent(const Exchange& m);
  // Everything sent so far about `key`, or null.
  const Exchange* sent_for(const CommandKey& key) const;

  std::uint64_t dropped() const { return dropped_; }
  std::size_t inbox_size() const { return inbox_.size(); }
  void check_invariants() const;

 private:
  Received& entry(const CommandKey& key);

  std::size_t inbox_max_;
  std::size_t outbox_max_;
  std::map<CommandKey, Received> inbox_;
  std::deque<CommandKey> inbox_order_;  // insertion order, may hold keys already erased
  std::set<CommandKey> finished_;
  std::deque<CommandKey> finished_order_;
  std::map<CommandKey, Exchange> outbox_;
  std::deque<CommandKey> outbox_order_;
  std::uint64_t dropped_ = 0;
};

}  // namespace eyrie::partition
