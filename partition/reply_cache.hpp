#pragma once
// ReplyCache: exactly-once execution with pipelined clients (docs/ssmr.md). Every command
// carries (client id, seq, acked_below): the client holds the replies of every seq below
// acked_below. A replica keeps, per client, the replies of seqs from acked_below on, so a
// retransmitted command that was executed gets its original reply and does not run twice.
//
// Deterministic: it changes only with the partition's delivery sequence, so every replica of a
// partition gives the same verdicts, and so do the partitions of one multi-partition command
// (each stores the reply of every command it executes; retry answers are never stored).
//
// Bounds: replies_per_client_max per client (the lowest seqs forgotten first; a correct
// client's window is smaller), clients_max clients (the one inactive for the most deliveries
// forgotten first). Each partition applies them alone, so partitions can disagree about an old
// retransmission: a multi-partition one then runs where it was forgotten, but a partition that
// remembers it answers `duplicate` and the run is dropped everywhere (PartitionReplica). A
// single-partition retransmission older than either bound would run again.

#include <cstdint>
#include <map>
#include <optional>

#include "partition/wire.hpp"

namespace eyrie::partition {

class ReplyCache {
 public:
  ReplyCache(std::size_t clients_max, std::size_t replies_per_client_max)
      : clients_max_(clients_max), replies_max_(replies_per_client_max) {}

  enum class Seen { fresh, answered, acknowledged };
  struct Lookup {
    Seen seen = Seen::fresh;
    const Reply* reply = nullptr;  // with answered
  };

  // Called once per delivered command, in delivery order: records acked_below and says
  // whether the command already ran (answered: here is its reply; acknowledged: the client
  // has its reply and needs nothing).
  Lookup admit(const Command& command, std::uint64_t position);
  // The command ran to a result to keep (not a retry).
  void store(const Command& command, Reply reply);

  std::size_t clients() const { return clients_.size(); }
  void check_invariants() const;

 private:
  struct Client {
    std::uint64_t acked_below = 0;
    std::map<std::uint64_t, Reply> replies;  // seq >= acked_below
    std::uint64_t last_position = 0;
  };

  std::size_t clients_max_;
  std::size_t replies_max_;
  std::map<std::uint64_t, Client> clients_;
};

}  // namespace eyrie::partition
