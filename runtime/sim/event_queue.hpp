#pragma once
// The simulator's one event queue. Every thing that happens in a simulation — a message
// arriving, a timer firing, a disk sync completing, a scripted fault — is an Event popped from
// here in (time, sequence) order. The sequence number is assigned at push time, so two events
// due at the same virtual time run in the order they were scheduled: ties never depend on heap
// internals, pointer values or the standard library, and a run is a pure function of its seed.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/payload.hpp"
#include "runtime/types.hpp"

namespace eyrie::sim {

enum class EventKind : std::uint8_t {
  deliver = 1,    // a message reaches `node` from `from`
  timer = 2,      // timer `id` of `node`, set during life `incarnation`
  sync_done = 3,  // sync `id` of `node`'s disk, requested during life `incarnation`
  action = 4,     // scripted action `id` (faults, phase changes): see Simulator::at
};

struct Event {
  Time at{};
  std::uint64_t sequence = 0;  // assigned by the queue
  EventKind kind = EventKind::action;
  NodeId node{};                 // where it happens; NodeId{0} for global actions
  NodeId from{};                 // deliver only
  std::uint64_t incarnation = 0;  // timer, sync_done: the life of `node` that asked
  std::uint64_t id = 0;           // timer id, sync id or action id
  MessageType type{};             // deliver only
  Payload payload{};              // deliver only
};

class EventQueue {
 public:
  explicit EventQueue(std::size_t capacity_max) : capacity_max_(capacity_max) {}

  // False (and nothing queued) when the queue already holds capacity_max events: the caller
  // decides what a full queue means (a lost message, or a bug worth an assertion).
  // Precondition: event.at is not earlier than the last popped event (no scheduling in the past).
  bool try_push(Event event);
  Event pop();  // Precondition: !empty()
  const Event& top() const { return heap_.front(); }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  Time last_popped() const { return last_popped_; }

 private:
  std::vector<Event> heap_;  // a min-heap on (at, sequence), see Later in the .cpp
  std::uint64_t next_sequence_ = 0;
  std::size_t capacity_max_;
  Time last_popped_{};
};

}  // namespace eyrie::sim
