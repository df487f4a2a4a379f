#pragma once
// EchoChecker: the properties of the echo protocol (apps/echo), checked from the hooks of
// EchoObserver while a simulation runs, plus a liveness check at the end.
//
// Safety, checked at every hook:
// - Boot: the incarnations of a node strictly increase across boots. Echo writes and syncs its
//   boot counter before using it, so a repeat means the disk lost a synced write (or the role
//   used a number before it was durable).
// - Ping: sent by the current incarnation of its sender; (sender, incarnation, seq) is never
//   reused — a reused incarnation shows up here, since seq restarts at 1 in every life.
// - Answer: the responder answers a ping that was really sent to it, with the same seq,
//   incarnation and body, and in its current life.
// - Pong: every pong a node accepts matches an answer that its responder really gave (same
//   ping, same responder incarnation, same body): nothing is invented or altered in transit.
//
// Liveness, checked after the run: every ordered pair of live nodes completed a round trip
// (a ping sent after healing, and its pong received) within the bound.

#include <cstdint>
#include <functional>
#include <map>
#include <span>

#include "apps/echo/echo_role.hpp"
#include "tests/checkers/check_result.hpp"
#include "tests/checkers/history.hpp"

namespace eyrie::check {

class EchoChecker final : public echo::EchoObserver {
 public:
  // `now` reads the simulation's virtual time. `pings_max` bounds the pings remembered (and the
  // round trips recorded); running past it is reported as a violation.
  explicit EchoChecker(std::function<Time()> now, std::size_t pings_max = std::size_t{1} << 20);

  void booted(NodeId self, std::uint64_t incarnation) override;
  void ping_sent(const echo::EchoEvent& ping) override;
  void ping_answered(const echo::EchoEvent& pong) override;
  void pong_received(const echo::EchoEvent& pong) override;

  bool violated() const { return violations_.any(); }
  CheckResult safety() const { return violations_.result(); }
  CheckResult liveness(std::span<const NodeId> live, Time healed_at, Duration bound) const;

  std::uint64_t pings() const { return pings_.size(); }
  std::uint64_t answers() const { return answers_.size(); }
  std::uint64_t pongs() const { return pongs_; }
  std::uint64_t boots() const { return boots_; }

  // A round trip completed: `pinger` received the pong of a ping it sent at `ping_sent_at`.
  struct RoundTrip {
    NodeId pinger;
    NodeId responder;
    Time ping_sent_at;
  };
  const History<RoundTrip>& round_trips() const { return round_trips_; }

 private:
  struct PingKey {
    NodeId from;
    std::uint64_t incarnation = 0;
    std::uint64_t seq = 0;
    friend auto operator<=>(const PingKey&, const PingKey&) = default;
  };
  struct PingRecord {
    NodeId to;
    std::uint64_t body_hash = 0;
    Time sent_at{};
  };
  struct AnswerKey {
    NodeId responder;
    std::uint64_t responder_incarnation = 0;
    PingKey ping;
    friend auto operator<=>(const AnswerKey&, const AnswerKey&) = default;
  };

  void violation(std::string what) { violations_.record(now_(), std::move(what)); }
  bool is_current(NodeId node, std::uint64_t incarnation) const;

  std::function<Time()> now_;
  std::size_t pings_max_;
  std::map<NodeId, std::uint64_t> incarnation_;  // latest booted, per node
  std::map<PingKey, PingRecord> pings_;
  std::map<AnswerKey, std::uint64_t> answers_;  // -> body hash echoed
  History<RoundTrip> round_trips_;
  std::uint64_t pongs_ = 0;
  std::uint64_t boots_ = 0;
  ViolationRecorder violations_;
};

}  // namespace eyrie::check
