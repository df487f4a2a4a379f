#pragma once
// EchoRole: the smallest protocol that exercises the whole stack. Each node pings a set of
// peers every `interval`; every node answers pings with pongs that echo the ping's body. It
// keeps a durable boot counter (its incarnation), written and synced before its first ping, so
// it also exercises storage and the "persist, then send" rule across crashes.
//
// The same class runs between real processes (`eyrie node` with role "echo", the external
// client of `eyrie cluster status`) and in the simulator (`eyrie sim echo`).

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "runtime/config.hpp"
#include "runtime/env.hpp"

namespace eyrie::echo {

inline constexpr MessageType kPing{100};
inline constexpr MessageType kPong{101};

struct EchoOptions {
  std::vector<NodeId> peers;  // nodes to ping
  Duration interval = std::chrono::milliseconds(100);
  std::size_t body_bytes = 32;
  bool send_pings = true;
  bool answer_pings = true;

  // From the [echo] section (interval_ms, body_bytes); peers default to every other node.
  static EchoOptions from_config(const ClusterConfig& config, NodeId self);
};

// What a ping or pong carried, as seen by an observer (the simulator's checker).
struct EchoEvent {
  NodeId from;
  NodeId to;
  std::uint64_t seq = 0;
  std::uint64_t ping_incarnation = 0;
  std::uint64_t responder_incarnation = 0;  // pongs only
  std::uint64_t body_hash = 0;
};

// Hooks for checkers; production nodes pass none.
class EchoObserver {
 public:
  virtual ~EchoObserver() = default;
  virtual void booted(NodeId self, std::uint64_t incarnation) = 0;
  virtual void ping_sent(const EchoEvent& ping) = 0;
  virtual void ping_answered(const EchoEvent& pong) = 0;
  virtual void pong_received(const EchoEvent& pong) = 0;
};

class EchoRole final : public Role {
 public:
  EchoRole(Env& env, EchoOptions options, EchoObserver* observer = nullptr);

  std::string_view name() const override { return "echo"; }
  std::span<const MessageTypeRange> message_types() const override;
  void start() override;
  void on_message(const Message& message) override;
  void check_invariants() const override;

  struct PeerStats {
    std::uint64_t pings_sent = 0;
    std::uint64_t pongs_received = 0;
    std::optional<Time> last_pong;
    std::uint64_t last_responder_incarnation = 0;
    Counter* pongs_metric = nullptr;  // "echo.pongs_from.<peer>", read by `eyrie cluster status`
  };
  std::optional<std::uint64_t> incarnation() const { return incarnation_; }
  const std::map<NodeId, PeerStats>& peers() const { return peers_; }
  std::uint64_t pings_answered() const { return pings_answered_; }

  static std::uint64_t hash_body(std::span<const std::byte> body);

 private:
  void booted(std::uint64_t incarnation);
  void ping_round();
  void on_ping(const Message& message);
  void on_pong(const Message& message);
  void reject(const Message& message, std::string_view why);

  Env& env_;
  EchoOptions options_;
  EchoObserver* observer_;
  Logger log_;
  std::optional<std::uint64_t> incarnation_;  // set once the boot counter is durable
  std::uint64_t next_seq_ = 1;
  std::uint64_t pings_answered_ = 0;
  std::map<NodeId, PeerStats> peers_;
  Counter& rejected_;
  Histogram& rtt_;
};

}  // namespace eyrie::echo
