#include "runtime/sim/event_queue.hpp"

#include <algorithm>

#include "runtime/assert.hpp"

namespace eyrie::sim {

namespace {

// std::push_heap builds a max-heap; "later" as the ordering puts the earliest event on top.
struct Later {
  bool operator()(const Event& a, const Event& b) const {
    if (a.at != b.at) return a.at > b.at;
    return a.sequence > b.sequence;
  }
};

}  // namespace

bool EventQueue::try_push(Event event) {
  EYRIE_ASSERT(event.at >= last_popped_, "an event scheduled in the past");
  if (heap_.size() >= capacity_max_) return false;
  event.sequence = next_sequence_++;
  heap_.push_back(std::move(event));
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  return true;
}

Event EventQueue::pop() {
  EYRIE_ASSERT(!heap_.empty());
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  Event event = std::move(heap_.back());
  heap_.pop_back();
  EYRIE_ASSERT(event.at >= last_popped_, "virtual time went backwards");
  last_popped_ = event.at;
  return event;
}

}  // namespace eyrie::sim
