#pragma once
// Env: everything a protocol role may use of the outside world (DESIGN.md §3).
//
// Roles are sans-IO: they react to start(), to messages and to timers, and act only through
// their Env. The real runtime (runtime/net/) implements Env over ZeroMQ, steady_clock and a
// file; the simulator (runtime/sim/) implements it over virtual time and a simulated network
// and disk. The same role class runs in both.
//
// Rules every Env keeps, and that roles may rely on:
// - Single-threaded: start, on_message and timer callbacks of one node never run concurrently.
// - No re-entrance: send, after and sync never call back into the role synchronously, not even
//   for a message to self or a zero delay; callbacks run from the event loop.
// - Messages may be lost, duplicated, delayed and reordered; a node may crash at any point and
//   restart with empty memory and the durable part of its storage (see storage.hpp).

#include <functional>
#include <span>
#include <string_view>

#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/payload.hpp"
#include "runtime/rng.hpp"
#include "runtime/storage.hpp"
#include "runtime/types.hpp"

namespace eyrie {

// A message as a role sees it. `from` is authenticated by the transport (the sender's routing
// identity), not taken from the sender's word.
struct Message {
  NodeId from;
  MessageType type;
  Payload payload;
};

using TimerFn = std::function<void()>;

class Env {
 public:
  virtual ~Env() = default;

  virtual NodeId self() const = 0;
  virtual Time now() const = 0;
  virtual WallTime wall_clock() const = 0;
  // Queues a message; the loop sends it later (small messages to one peer share a frame).
  // Never fails and never blocks: a message that cannot be sent (unknown peer, full queue) is
  // dropped and counted, as if the network had lost it.
  virtual void send(NodeId to, MessageType type, Payload payload) = 0;
  // Calls `fn` once, `delay` from now (at the earliest), unless cancelled first.
  virtual TimerId after(Duration delay, TimerFn fn) = 0;
  // Cancels a pending timer; a no-op for a timer that already fired or was cancelled.
  virtual void cancel(TimerId id) = 0;
  virtual Rng& rng() = 0;
  virtual Storage& storage() = 0;
  virtual Logger& log() = 0;
  virtual Metrics& metrics() = 0;
};

// A protocol role hosted by a node. The host routes each incoming message to the role whose
// message_types() range contains its type.
class Role {
 public:
  virtual ~Role() = default;
  virtual std::string_view name() const = 0;
  virtual std::span<const MessageTypeRange> message_types() const = 0;
  // Called once, after the node's storage has been loaded.
  virtual void start() = 0;
  // Must reject (drop, count, log) a malformed payload without changing any state.
  virtual void on_message(const Message& message) = 0;
  // Asserts the role's invariants; the simulator calls it after every event.
  virtual void check_invariants() const {}
};

}  // namespace eyrie
