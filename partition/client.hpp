#pragma once
// Client: the S-SMR client library (Bezerra, Scalable State Machine Replication, USI 2016,
// Algorithm 1 lines 4-7; docs/ssmr.md), sans-IO.
//
// submit() asks the oracle for the command's destinations (or takes them), multicasts it with
// Ridge to those partitions' groups, and calls back once with the first reply. Up to
// `window_max` commands are outstanding at once (pipelining); more are refused until one
// completes. Exactly-once: each command carries (client id, seq, acked_below) — the client id
// is fresh at every start, seqs count from 1, acked_below is the lowest outstanding seq — so a
// command sent again (no reply after `retry_after`) runs at most once and gets its original
// reply. A `retry` answer (the destinations were too small) re-multicasts the same command to
// the larger set at once; sets only grow. After `timeout` the callback gets Status::timeout:
// the command may still take effect later, or never.
//
// Ridge's sender messages (ProposeAck, NotLeader) and replies come in through on_message().

#include <functional>
#include <map>
#include <optional>

#include "multicast/multicaster.hpp"
#include "partition/config.hpp"
#include "partition/emitter.hpp"
#include "partition/wire.hpp"
#include "runtime/env.hpp"

namespace eyrie::partition {

struct ClientOptions {
  std::size_t window_max = 25;
  Duration retry_after = std::chrono::seconds(1);
  Duration timeout = std::chrono::seconds(10);
  multicast::Multicaster::Options sender{};
};

struct CommandResult {
  enum class Status { ok, failed, timeout };
  Status status = Status::ok;
  Payload body;  // the reply (ok), the application's error message (failed), empty (timeout)
  std::uint64_t seq = 0;
  std::vector<PartitionId> destinations;  // where it was last multicast
};

class Client {
 public:
  using Callback = std::function<void(const CommandResult&)>;

  // Preconditions: the configurations and the oracle outlive the client.
  Client(Env& env, const multicast::RidgeConfig& ridge, const SsmrConfig& config,
         const oracle::PartitioningOracle& oracle, ClientOptions options = {});

  void start();
  bool can_submit() const { return outstanding_.size() < options_.window_max; }
  // The command's seq, or nullopt when the window is full. `done` runs exactly once.
  std::optional<std::uint64_t> submit(Payload request, Callback done);
  // `not_before`: every multicast of the command is timestamped at least this (see
  // Multicaster::multicast), so it is delivered after anything the caller saw ordered before.
  std::optional<std::uint64_t> submit(Payload request, std::vector<PartitionId> destinations, Callback done,
                                      WallTime not_before = WallTime{});
  // Replies and Ridge's sender messages; anything else is counted and dropped.
  void on_message(const Message& message);
  static bool handles(MessageType type);

  // Messages that commands emitted to this endpoint, each once (duplicates are dropped and
  // every copy is acknowledged).
  void set_on_emitted(std::function<void(const Emitted&)> fn) { on_emitted_ = std::move(fn); }
  std::uint64_t client_id() const { return client_id_; }
  std::size_t outstanding() const { return outstanding_.size(); }
  void check_invariants() const;

 private:
  struct Outstanding {
    Payload request;
    std::vector<PartitionId> destinations;
    Callback done;
    Time submitted{};
    Time last_sent{};
    WallTime not_before{};
    bool sent = false;  // the multicaster took the latest attempt
  };
  void send(std::uint64_t seq, Outstanding& o);
  void complete(std::uint64_t seq, CommandResult result);
  void tick();
  std::uint64_t acked_below() const;

  void on_emitted(const Message& message);

  Env& env_;
  const SsmrConfig& config_;
  const oracle::PartitioningOracle& oracle_;
  ClientOptions options_;
  multicast::Multicaster sender_;
  Logger log_;
  std::uint64_t client_id_;
  std::uint64_t next_seq_ = 1;
  std::map<std::uint64_t, Outstanding> outstanding_;
  EmitFilter emitted_filter_;
  std::function<void(const Emitted&)> on_emitted_;
  Counter& retransmissions_;
  Counter& retries_;
  Counter& timeouts_;
  Counter& rejected_;
  Histogram& latency_us_;
};

}  // namespace eyrie::partition
