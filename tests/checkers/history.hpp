#pragma once
// History: an append-only, time-stamped record of what a checker observed, bounded in size.
// Checkers that judge a run as a whole (liveness after heal today; linearizability of client
// operations later) record events here during the run and analyse them at the end.
//
// A full history refuses new entries and remembers that it did: a checker must then report the
// overflow as a failure of the run rather than pass a verdict on a truncated history.

#include <cstddef>
#include <vector>

#include "runtime/assert.hpp"
#include "runtime/types.hpp"

namespace eyrie::check {

template <typename T>
class History {
 public:
  struct Entry {
    Time at;
    T event;
  };

  explicit History(std::size_t entries_max) : entries_max_(entries_max) { EYRIE_ASSERT(entries_max > 0); }

  // False, and nothing recorded, when the history is full. Entries must come in time order.
  bool record(Time at, T event) {
    EYRIE_ASSERT(entries_.empty() || entries_.back().at <= at, "history entries must be in time order");
    if (entries_.size() >= entries_max_) {
      overflowed_ = true;
      return false;
    }
    entries_.push_back(Entry{at, std::move(event)});
    return true;
  }

  const std::vector<Entry>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  bool overflowed() const { return overflowed_; }

 private:
  std::size_t entries_max_;
  std::vector<Entry> entries_;
  bool overflowed_ = false;
};

}  // namespace eyrie::check
