#pragma once
// Vocabulary types shared by every module: strong ids, time points and durations.

#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace eyrie {

// A strong integer id: ids of different kinds cannot be mixed up or added by accident.
template <typename Tag, typename Rep = std::uint64_t>
struct StrongId {
  Rep value{};
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep v) : value(v) {}
  friend constexpr auto operator<=>(StrongId, StrongId) = default;
};

// Identifies an endpoint: a node of the cluster file (small ids, see kClusterNodeIdMax) or an
// external client or gateway (any other id, usually random, see NodeId::is_external).
struct NodeId : StrongId<struct NodeIdTag> {
  using StrongId::StrongId;
  // Cluster-file node ids are 1..kClusterNodeIdMax; everything above names an external endpoint.
  static constexpr std::uint64_t kClusterNodeIdMax = 65535;
  constexpr bool is_external() const { return value > kClusterNodeIdMax; }
};

// Message types are partitioned by module so that a node can route a message to the role that
// owns it without knowing any protocol (see MessageTypeRange).
struct MessageType : StrongId<struct MessageTypeTag, std::uint16_t> {
  using StrongId::StrongId;
};

struct MessageTypeRange {
  MessageType first;
  MessageType last;  // inclusive
  constexpr bool contains(MessageType t) const { return first <= t && t <= last; }
};

// Ranges owned by each module. Keep them disjoint; static_asserts below check it.
namespace message_types {
inline constexpr MessageTypeRange kRuntime{MessageType{1}, MessageType{99}};
inline constexpr MessageTypeRange kEcho{MessageType{100}, MessageType{199}};
inline constexpr MessageTypeRange kMulticast{MessageType{1000}, MessageType{1999}};
inline constexpr MessageTypeRange kPartition{MessageType{2000}, MessageType{2999}};
inline constexpr MessageTypeRange kOracle{MessageType{3000}, MessageType{3999}};
inline constexpr MessageTypeRange kApps{MessageType{4000}, MessageType{9999}};
static_assert(kRuntime.last < kEcho.first && kEcho.last < kMulticast.first);
static_assert(kMulticast.last < kPartition.first && kPartition.last < kOracle.first);
static_assert(kOracle.last < kApps.first);
}  // namespace message_types

struct TimerId : StrongId<struct TimerIdTag> {
  using StrongId::StrongId;
};

using Duration = std::chrono::nanoseconds;

// Monotonic time: for timers and timeouts only. Its epoch is arbitrary (process start for the
// real runtime, simulation start in the simulator), so it never leaves the node.
struct MonotonicClock {
  using duration = Duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<MonotonicClock, duration>;
  static constexpr bool is_steady = true;
};
using Time = MonotonicClock::time_point;

// Wall-clock time, nanoseconds since the Unix epoch: loosely synchronized between nodes and
// used only where a protocol wants real-time ordering hints (Ridge sender timestamps).
// A separate type from Time so that the two can never be compared or subtracted by mistake.
struct WallClock {
  using duration = Duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<WallClock, duration>;
  static constexpr bool is_steady = false;
};
using WallTime = WallClock::time_point;

inline constexpr std::int64_t to_ns(Duration d) { return d.count(); }
inline constexpr std::int64_t to_ns(Time t) { return t.time_since_epoch().count(); }
inline constexpr std::int64_t to_ns(WallTime t) { return t.time_since_epoch().count(); }

std::string to_string(NodeId id);
std::string to_string(Duration d);  // "1.5ms", "20s": for logs and status lines

}  // namespace eyrie

template <>
struct std::hash<eyrie::NodeId> {
  std::size_t operator()(eyrie::NodeId id) const noexcept { return std::hash<std::uint64_t>{}(id.value); }
};
