#pragma once
// MulticastLoad: a Ridge sender that generates load, for `eyrie multicast load`, `eyrie bench
// multicast` and the multi-process tests. It runs a Multicaster on any endpoint (usually an
// external one: a fresh id, sequence numbers from 1) and issues messages either at a paced rate
// (open loop: the schedule does not wait for acknowledgements, though the sender's window still
// bounds what is outstanding) or as fast as the sender's window allows (closed loop, refilled on
// every acknowledgement).
//
// Message i (1-based) goes to every group of `groups` when i % 100 < global_percent (with two
// groups or more), else to groups[i % groups.size()]; its payload is make_load_payload(seq,
// size, phase), the phase set by set_phase().
//
// Bounds: the window (MulticastLoadOptions::outstanding_max, at most the sender's
// RidgeConfig::sender_window_max) and the pacing tick: a paced run that fell behind (window
// full) catches up by at most one window per tick.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "multicast/multicaster.hpp"
#include "runtime/env.hpp"

namespace eyrie::experiments {

struct MulticastLoadOptions {
  std::vector<multicast::GroupId> groups;  // non-empty, each a group of the configuration
  unsigned global_percent = 0;             // 0..100; used with two groups or more
  std::size_t size_bytes = 100;
  // Messages kept unacknowledged at most: 0 for the sender's own window
  // (RidgeConfig::sender_window_max), else the smaller of the two. A benchmark bounds the bytes
  // in flight this way, so that large messages measure throughput rather than queueing.
  std::size_t outstanding_max = 0;
  // Called for every message the sender accepted, in seq order (for the sent log).
  std::function<void(const multicast::MessageId&, const std::vector<multicast::GroupId>&, const Payload&)> on_sent{};
};

class MulticastLoad final : public Role {
 public:
  // Precondition: `config` outlives the role.
  MulticastLoad(Env& env, const multicast::RidgeConfig& config, MulticastLoadOptions options);

  std::string_view name() const override { return "multicast-load"; }
  std::span<const MessageTypeRange> message_types() const override;
  void start() override;
  void on_message(const Message& message) override { sender_.on_message(message); }
  void check_invariants() const override;

  // Issues `rate_per_s` messages per second from now on.
  void run_paced(double rate_per_s);
  // Keeps the sender's window full from now on.
  void run_max();
  // Issues nothing more; outstanding messages are still retransmitted until acknowledged.
  void pause();
  // The phase byte of the payloads issued from now on (see load_payload.hpp).
  void set_phase(std::uint8_t phase) { phase_ = phase; }

  std::uint64_t sent() const { return sent_; }
  std::uint64_t acknowledged() const { return acknowledged_; }
  // Messages sent so far that are addressed to `group` (a message to several groups counts in each).
  std::uint64_t sent_to(multicast::GroupId group) const;
  // Seqs sent and not acknowledged yet, in order.
  const std::set<std::uint64_t>& unacknowledged() const { return unacknowledged_; }
  NodeId sender_id() const { return env_.self(); }

 private:
  enum class Mode { paused, paced, max };
  void tick();
  void issue(std::uint64_t count);
  bool issue_one();
  std::vector<multicast::GroupId> destinations_of(std::uint64_t index) const;

  Env& env_;
  std::size_t window_;
  MulticastLoadOptions options_;
  multicast::Multicaster sender_;
  Mode mode_ = Mode::paused;
  double rate_per_s_ = 0;
  Time paced_since_{};
  std::uint64_t paced_sent_ = 0;  // messages issued since paced_since_
  std::uint8_t phase_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t acknowledged_ = 0;
  std::map<multicast::GroupId, std::uint64_t> sent_to_;
  std::set<std::uint64_t> unacknowledged_;
};

}  // namespace eyrie::experiments
