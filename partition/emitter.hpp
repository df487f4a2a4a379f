#pragma once
// Emitter and EmitFilter: messages that commands emit to clients or gateways
// (CommandContext::emit; docs/ssmr.md "Emitted messages"), sent at least once by one replica
// of the partition at a time, and received once.
//
// Every replica of the partition executes the command and holds its emitted messages, each
// with the same id (partition, delivery position, index). The partition's first replica sends
// at once; replica r waits r failover periods first. Every holder resends each period until the
// receiver acknowledges to all of them (EmitAck), so a crashed sender is covered by the next.
// Bounds: `pending_max` messages held (the oldest given up first, counted), each for at most
// `give_up_after`.
//
// The receiver's EmitFilter keeps, per partition, the ids seen above a watermark; at most
// `seen_max` per partition (the lowest forgotten first, raising the watermark: anything below
// it counts as seen).

#include <map>
#include <set>

#include "partition/config.hpp"
#include "partition/wire.hpp"
#include "runtime/env.hpp"

namespace eyrie::partition {

class Emitter {
 public:
  struct Options {
    Duration failover = std::chrono::seconds(1);
    Duration give_up_after = std::chrono::minutes(5);
    std::size_t pending_max = 65536;
  };
  Emitter(Env& env, const PartitionConfig& partition, Options options);

  void start();
  // A committed command emitted `body` to `to`.
  void add(NodeId to, const EmitId& id, Payload body);
  void on_ack(const EmitId& id);
  std::size_t pending() const { return pending_.size(); }
  void check_invariants() const;

 private:
  struct Pending {
    NodeId to;
    Payload encoded;
    Time created{};
    Time due{};
  };
  void tick();

  Env& env_;
  Options options_;
  std::size_t rank_;  // this replica's place in the partition's replica list
  std::map<EmitId, Pending> pending_;
  Counter& sent_;
  Counter& given_up_;
};

class EmitFilter {
 public:
  explicit EmitFilter(std::size_t seen_max = 65536) : seen_max_(seen_max) {}
  // True the first time `id` arrives.
  bool admit(const EmitId& id);

 private:
  struct PerPartition {
    std::pair<std::uint64_t, std::uint32_t> below{0, 0};  // (position, index) below: seen
    std::set<std::pair<std::uint64_t, std::uint32_t>> seen;
  };
  std::size_t seen_max_;
  std::map<PartitionId, PerPartition> partitions_;
};

}  // namespace eyrie::partition
