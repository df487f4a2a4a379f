#pragma once
// PartitionReplica: one replica of one partition (Bezerra, Scalable State Machine
// Replication, USI 2016, ch. 4, Algorithm 1; docs/ssmr.md). The `replica` role of a node.
//
// It learns its partition's Ridge group (a RidgeNode, which also plays whatever acceptor and
// coordinator parts the configuration gives this node) and executes the delivered commands
// one at a time, in delivery order, through the application's StateMachine:
// - start: the reply cache drops a command that already ran (its reply is sent again); a
//   multi-partition command sends signal(C) to the replicas of the other destinations, with
//   the values of the objects the oracle says C will read here (prefetch);
// - run: the coroutine reaches objects through the context; the owner of an object sends its
//   value to the other destinations at its first access, a non-owner waits for that value;
//   writes are staged;
// - end: a multi-partition command sends its verdict (ok, retry with the missing partitions,
//   failed) to the others and finishes only when it holds every other destination's verdict
//   (which implies its signal: execution atomicity); the staged writes to objects of this
//   partition apply only if every verdict is ok. Replicas of the lowest destination partition
//   reply to the client.
// A replica waiting for another partition longer than pull_interval asks that partition's
// replicas (Pull) to send again what they sent about the command (messages can be lost).
// Messages a committed command emitted go out through the Emitter (at least once, one replica
// at a time, acknowledged by the receiver).
//
// A crashed replica stays down until recovery by state transfer exists (DESIGN.md §7): it
// would need the exchanges of every command since the beginning. f+1 replicas per partition
// tolerate f crashes.

#include <deque>
#include <map>
#include <memory>
#include <optional>

#include "multicast/ridge_node.hpp"
#include "partition/config.hpp"
#include "partition/emitter.hpp"
#include "partition/exchange_book.hpp"
#include "partition/object_cache.hpp"
#include "partition/reply_cache.hpp"
#include "partition/state_machine.hpp"
#include "partition/wire.hpp"
#include "runtime/env.hpp"

namespace eyrie::partition {

struct ReplicaOptions {
  // Fault injection for checker tests only (`eyrie sim kv --unsafe-skip-signals`): a
  // multi-partition command finishes as soon as it ran here, without waiting for the other
  // partitions' signals and verdicts. Breaks execution atomicity.
  bool unsafe_skip_signals = false;
  multicast::RidgeNodeOptions ridge{};
};

class PartitionReplica final : public Role {
 public:
  // Preconditions: the configurations and the oracle outlive the replica; this node is a
  // replica of exactly one partition.
  PartitionReplica(Env& env, const multicast::RidgeConfig& ridge, const SsmrConfig& config,
                   const oracle::PartitioningOracle& oracle, std::unique_ptr<StateMachine> machine,
                   ReplicaOptions options = {});
  ~PartitionReplica() override;

  std::string_view name() const override { return "replica"; }
  std::span<const MessageTypeRange> message_types() const override;
  void start() override;
  void on_message(const Message& message) override;
  void check_invariants() const override;

  PartitionId partition() const { return partition_; }
  std::uint64_t executed() const { return executed_; }
  std::size_t queued() const { return queue_.size(); }
  multicast::RidgeNode& ridge() { return *ridge_; }

  // The ids of the committed objects of this partition (for tests and tools).
  std::vector<ObjectId> object_ids() const;

  // The whole state of the partition (every committed object), and its inverse. Restoring
  // replaces everything; it throws std::invalid_argument on bytes it cannot read.
  Payload serialize_state() const;
  void restore_state(const Payload& state);

  class Execution;  // one command's run (replica_execution.cpp)

 private:
  struct Delivered {
    CommandKey key;
    Command command;
    std::vector<PartitionId> destinations;
    WallTime timestamp{};
    std::uint64_t position = 0;
    Time delivered_at{};
  };

  void on_deliver(const multicast::Delivery& d);
  void drive();
  void start_next();
  void finish();
  void on_exchange(const Message& message);
  void on_pull(const Message& message);
  void on_emit_ack(const Message& message);
  void pull_tick();
  void send_to_others(const Execution& e, const Exchange& m);
  // Sends values (and the signal) to the other destinations: to a partition whose cached copy
  // of an object is current, "current" instead of the value. Pulls get the full values.
  void send_values(const Execution& e, std::vector<ObjectValue> values, bool signal);
  void send_reply(const Delivered& d, const Reply& reply);

  Env& env_;
  const SsmrConfig& config_;
  const oracle::PartitioningOracle& oracle_;
  std::unique_ptr<StateMachine> machine_;
  ReplicaOptions options_;
  PartitionId partition_;
  Logger log_;
  LogLimiter reject_limiter_;

  std::map<ObjectId, std::unique_ptr<Object>> objects_;  // committed objects of this partition
  ObjectCache cache_;                                     // other partitions' objects (§4.3.1)
  CacheValidity validity_;                                // whose copies of our objects are current
  ReplyCache replies_;
  ExchangeBook book_;
  Emitter emitter_;
  std::deque<Delivered> queue_;
  std::unique_ptr<Execution> current_;
  bool driving_ = false;
  std::uint64_t executed_ = 0;
  Time started_at_{};  // of the current command

  Counter& commands_;
  Counter& multi_partition_;
  Counter& skipped_;
  Counter& duplicates_dropped_;  // runs abandoned because another partition had run the command
  Counter& retries_;
  Counter& failures_;
  Counter& pulls_;
  Counter& values_sent_;
  Counter& values_current_;  // "your cached copy is current" instead of a value
  Counter& values_diff_;     // a diff for the receiver's cached copy instead of a value
  Counter& cache_hits_;
  Counter& rejected_;
  Histogram& wait_us_;
  Histogram& queue_us_;      // delivery to start: behind earlier commands
  Histogram& execution_us_;  // start to finish, the wait for other partitions included
  std::unique_ptr<multicast::RidgeNode> ridge_;  // last: it delivers into the members above
};

}  // namespace eyrie::partition
