#include "runtime/sim/sim_network.hpp"

#include "runtime/assert.hpp"

namespace eyrie::sim {

Duration LatencyModel::sample(Rng& rng) const {
  EYRIE_ASSERT(base >= Duration::zero() && jitter >= Duration::zero() && tail >= Duration::zero());
  Duration delay = base + rng.range(Duration::zero(), jitter);
  if (tail_ppm > 0 && rng.chance_ppm(tail_ppm)) delay += rng.range(Duration::zero(), tail);
  return delay;
}

void Network::set_latency(NodeId from, NodeId to, LatencyModel latency) { latency_[link(from, to)] = latency; }

void Network::set_loss(std::uint32_t drop_ppm, std::uint32_t duplicate_ppm) {
  EYRIE_ASSERT(drop_ppm <= 1'000'000 && duplicate_ppm <= 1'000'000);
  options_.drop_ppm = drop_ppm;
  options_.duplicate_ppm = duplicate_ppm;
}

void Network::block(NodeId from, NodeId to) {
  EYRIE_ASSERT(from != to, "a node is never partitioned from itself");
  blocked_.insert(link(from, to));
}

void Network::unblock(NodeId from, NodeId to) { blocked_.erase(link(from, to)); }

void Network::partition(std::span<const NodeId> a, std::span<const NodeId> b, PartitionKind kind) {
  for (NodeId x : a) {
    for (NodeId y : b) {
      if (x == y) continue;
      block(x, y);
      if (kind == PartitionKind::symmetric) block(y, x);
    }
  }
}

void Network::heal() { blocked_.clear(); }

bool Network::blocked(NodeId from, NodeId to) const { return blocked_.contains(link(from, to)); }

MessageFate Network::route(NodeId from, NodeId to) {
  MessageFate fate;
  // Loopback is not a network: it neither loses nor partitions (but still goes through the
  // event queue, so a send to self never re-enters the sender).
  if (from == to) {
    fate.copies = 1;
    return fate;
  }
  if (blocked(from, to)) {
    fate.outcome = MessageFate::Outcome::partitioned;
    return fate;
  }
  // Always draw the same random numbers in the same order, whatever the outcome, so a change
  // of one probability does not shift every later decision of the run.
  const bool drop = rng_.chance_ppm(options_.drop_ppm);
  const bool duplicate = rng_.chance_ppm(options_.duplicate_ppm);
  auto found = latency_.find(link(from, to));
  const LatencyModel& latency = found == latency_.end() ? options_.latency : found->second;
  fate.delays = {latency.sample(rng_), latency.sample(rng_)};
  if (drop) {
    fate.outcome = MessageFate::Outcome::dropped;
    return fate;
  }
  std::size_t& flying = in_flight_[link(from, to)];
  const std::uint8_t copies = duplicate ? 2 : 1;
  if (flying + copies > options_.in_flight_per_link_max) {
    fate.outcome = MessageFate::Outcome::link_full;
    return fate;
  }
  flying += copies;
  fate.copies = copies;
  return fate;
}

void Network::arrived(NodeId from, NodeId to) {
  if (from == to) return;
  auto it = in_flight_.find(link(from, to));
  EYRIE_ASSERT(it != in_flight_.end() && it->second > 0, "a message arrived that was never in flight");
  if (--it->second == 0) in_flight_.erase(it);
}

std::size_t Network::in_flight(NodeId from, NodeId to) const {
  auto it = in_flight_.find(link(from, to));
  return it == in_flight_.end() ? 0 : it->second;
}

}  // namespace eyrie::sim
