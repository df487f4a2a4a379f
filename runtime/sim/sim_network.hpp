#pragma once
// The simulated network: per-link latency, loss, duplication and partitions. It only decides
// the fate of each message; the Simulator turns that fate into delivery events. Reordering is
// not a separate knob: it falls out of jitter and the long tail (a later message may draw a
// shorter delay) and of duplicates arriving at different times.
//
// Partitions block directed links, so one-way partitions (a hears b, b does not hear a) are as
// easy as symmetric ones. They are checked when a message is sent and again when it arrives:
// a message in flight into a partition is lost, as on a real network.

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <utility>

#include "runtime/rng.hpp"
#include "runtime/types.hpp"

namespace eyrie::sim {

// delay = base + uniform[0, jitter] + (with probability tail_ppm) uniform[0, tail].
// Integer-only, so identical on every standard library.
struct LatencyModel {
  Duration base = std::chrono::microseconds(500);
  Duration jitter = std::chrono::milliseconds(2);
  std::uint32_t tail_ppm = 0;
  Duration tail{};

  Duration sample(Rng& rng) const;
};

struct NetworkOptions {
  LatencyModel latency{};  // of every link not given its own
  std::uint32_t drop_ppm = 0;
  std::uint32_t duplicate_ppm = 0;
  // Messages in flight on one directed link; more are dropped, like a full socket buffer.
  std::size_t in_flight_per_link_max = 10'000;
};

enum class PartitionKind : std::uint8_t {
  symmetric,  // neither side hears the other
  one_way,    // side b does not hear side a; a still hears b
};

// What becomes of one sent message.
struct MessageFate {
  enum class Outcome : std::uint8_t { delivered, dropped, partitioned, link_full };
  Outcome outcome = Outcome::delivered;
  std::uint8_t copies = 0;  // 1, or 2 when duplicated; 0 unless delivered
  std::array<Duration, 2> delays{};
};

class Network {
 public:
  Network(NetworkOptions options, Rng rng) : options_(options), rng_(rng) {}

  void set_latency(NodeId from, NodeId to, LatencyModel latency);
  void set_loss(std::uint32_t drop_ppm, std::uint32_t duplicate_ppm);
  const NetworkOptions& options() const { return options_; }

  void block(NodeId from, NodeId to);
  void unblock(NodeId from, NodeId to);
  // Blocks every link from a to b, and from b to a unless one_way.
  void partition(std::span<const NodeId> a, std::span<const NodeId> b, PartitionKind kind);
  void heal();  // unblocks every link
  bool blocked(NodeId from, NodeId to) const;
  bool partitioned() const { return !blocked_.empty(); }

  // Decides the fate of a message sent now; counts it in flight when delivered.
  MessageFate route(NodeId from, NodeId to);
  // A copy left the wire (delivered or lost on arrival).
  void arrived(NodeId from, NodeId to);
  std::size_t in_flight(NodeId from, NodeId to) const;

 private:
  using Link = std::pair<std::uint64_t, std::uint64_t>;
  static Link link(NodeId from, NodeId to) { return {from.value, to.value}; }

  NetworkOptions options_;
  Rng rng_;
  std::map<Link, LatencyModel> latency_;  // overrides of options_.latency
  std::set<Link> blocked_;
  std::map<Link, std::size_t> in_flight_;
};

}  // namespace eyrie::sim
