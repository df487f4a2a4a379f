#include "tests/checkers/echo_checker.hpp"

#include <fmt/format.h>

namespace eyrie::check {

namespace {

std::string describe(const echo::EchoEvent& e) {
  return fmt::format("{}->{} seq {} ping incarnation {} responder incarnation {}", to_string(e.from),
                     to_string(e.to), e.seq, e.ping_incarnation, e.responder_incarnation);
}

}  // namespace

EchoChecker::EchoChecker(std::function<Time()> now, std::size_t pings_max)
    : now_(std::move(now)), pings_max_(pings_max), round_trips_(pings_max) {}

bool EchoChecker::is_current(NodeId node, std::uint64_t incarnation) const {
  auto it = incarnation_.find(node);
  return it != incarnation_.end() && it->second == incarnation;
}

void EchoChecker::booted(NodeId self, std::uint64_t incarnation) {
  ++boots_;
  auto [it, first_boot] = incarnation_.try_emplace(self, incarnation);
  if (first_boot) return;
  if (incarnation <= it->second) {
    violation(fmt::format("{} booted with incarnation {} after incarnation {}: incarnations must strictly "
                          "increase (a durable write was lost)",
                          to_string(self), incarnation, it->second));
  }
  it->second = incarnation;
}

void EchoChecker::ping_sent(const echo::EchoEvent& ping) {
  if (!is_current(ping.from, ping.ping_incarnation)) {
    return violation("ping sent by a node not in that incarnation: " + describe(ping));
  }
  if (pings_.size() >= pings_max_) return violation("too many pings to remember; raise pings_max");
  const PingKey key{ping.from, ping.ping_incarnation, ping.seq};
  const auto [it, fresh] = pings_.try_emplace(key, PingRecord{ping.to, ping.body_hash, now_()});
  if (!fresh) violation("ping id reused (same sender, incarnation and seq): " + describe(ping));
}

void EchoChecker::ping_answered(const echo::EchoEvent& pong) {
  // In a pong event `from` is the responder and `to` the node that sent the ping.
  const PingKey ping_key{pong.to, pong.ping_incarnation, pong.seq};
  auto ping = pings_.find(ping_key);
  if (ping == pings_.end() || ping->second.to != pong.from) {
    return violation("answered a ping that was never sent to the responder: " + describe(pong));
  }
  if (ping->second.body_hash != pong.body_hash) return violation("answer altered the ping's body: " + describe(pong));
  if (!is_current(pong.from, pong.responder_incarnation)) {
    return violation("answer claims a responder incarnation that is not its current life: " + describe(pong));
  }
  answers_.try_emplace(AnswerKey{pong.from, pong.responder_incarnation, ping_key}, pong.body_hash);
}

void EchoChecker::pong_received(const echo::EchoEvent& pong) {
  ++pongs_;
  const PingKey ping_key{pong.to, pong.ping_incarnation, pong.seq};
  auto answer = answers_.find(AnswerKey{pong.from, pong.responder_incarnation, ping_key});
  if (answer == answers_.end()) {
    return violation("pong received that its responder never gave (invented or altered): " + describe(pong));
  }
  if (answer->second != pong.body_hash) return violation("pong body differs from the answer given: " + describe(pong));
  if (!is_current(pong.to, pong.ping_incarnation)) {
    return violation("pong accepted by a life other than the ping's sender: " + describe(pong));
  }
  const Time sent_at = pings_.at(ping_key).sent_at;
  if (!round_trips_.record(now_(), RoundTrip{pong.to, pong.from, sent_at})) {
    violation("round-trip history full; raise pings_max");
  }
}

CheckResult EchoChecker::liveness(std::span<const NodeId> live, Time healed_at, Duration bound) const {
  if (violations_.any()) return violations_.result();
  // Earliest completion, per ordered pair, of a round trip that started after healing.
  std::map<std::pair<NodeId, NodeId>, Time> first_done;
  for (const auto& entry : round_trips_.entries()) {
    if (entry.event.ping_sent_at < healed_at) continue;
    first_done.try_emplace({entry.event.pinger, entry.event.responder}, entry.at);
  }
  const Time deadline = healed_at + bound;
  for (NodeId a : live) {
    for (NodeId b : live) {
      if (a == b) continue;
      auto done = first_done.find({a, b});
      if (done == first_done.end() || done->second > deadline) {
        return CheckResult::failed(fmt::format(
            "liveness: {} completed no ping/pong with {} within {} after healing at {}{}", to_string(a), to_string(b),
            to_string(bound), to_string(healed_at.time_since_epoch()),
            done == first_done.end() ? " (none at all)"
                                     : " (first at " + to_string(done->second.time_since_epoch()) + ")"));
      }
    }
  }
  return CheckResult::ok();
}

}  // namespace eyrie::check
