#include "multicast/stream_merger.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include "runtime/assert.hpp"

namespace eyrie::multicast {

namespace {

bool sorted_unique(std::span<const EnsembleId> ids) {
  return std::adjacent_find(ids.begin(), ids.end(), [](EnsembleId a, EnsembleId b) { return a >= b; }) == ids.end();
}

bool tags_valid(const std::map<EnsembleId, std::uint32_t>& tags) {
  std::set<std::uint32_t> seen;
  for (const auto& [ensemble, tag] : tags) {
    if (tag >= StreamMerger::kTimestampTags || !seen.insert(tag).second) return false;
  }
  return true;
}

// The smallest value >= `least` whose tag bits are `tag`: at most kTimestampTags - 1 above it.
WallTime round_up_to_tag(WallTime least, std::uint32_t tag) {
  constexpr std::int64_t mask = StreamMerger::kTimestampTags - 1;
  const std::int64_t ns = to_ns(least);
  const std::int64_t up = (static_cast<std::int64_t>(tag) - (ns & mask)) & mask;
  EYRIE_ASSERT(ns <= std::numeric_limits<std::int64_t>::max() - up, "final timestamps exhausted");
  return WallTime(Duration(ns + up));
}

}  // namespace

StreamMerger::StreamMerger(std::span<const EnsembleId> ensembles, Options options)
    : options_(options), ensembles_(ensembles.begin(), ensembles.end()) {
  std::sort(ensembles_.begin(), ensembles_.end());
  EYRIE_ASSERT(!ensembles_.empty(), "a learner subscribes to at least one ensemble");
  EYRIE_ASSERT(sorted_unique(ensembles_), "subscribed ensembles must be unique");
  EYRIE_ASSERT(options_.queued_entries_max_per_ensemble > 0);
  for (const EnsembleId e : ensembles_) {
    streams_.push_back(Stream{.ensemble = e, .popped = MergeStreamState{.ensemble = e}});
  }
  apply_tags();
}

StreamMerger::StreamMerger(const MergeState& state, Options options) : options_(options) {
  EYRIE_ASSERT(!state.streams.empty(), "a learner subscribes to at least one ensemble");
  EYRIE_ASSERT(options_.queued_entries_max_per_ensemble > 0);
  for (const MergeStreamState& s : state.streams) {
    ensembles_.push_back(s.ensemble);
    // Pushing resumes at the first instance not entirely popped, skipping what was popped of
    // it, and continues the final timestamps from the last entry popped: exactly the values the
    // merger had when that entry left, so the rest of the stream gets the same timestamps.
    streams_.push_back(Stream{.ensemble = s.ensemble,
                              .next_push = s.next_instance,
                              .skip_in_next_push = s.popped_in_next_instance,
                              .last_pushed_final = s.last_final_timestamp,
                              .popped = s});
  }
  EYRIE_ASSERT(sorted_unique(ensembles_), "merge state streams must be sorted by ensemble and unique");
  apply_tags();
}

// A resumed stream needs nothing more than its last final timestamp: the next one is the next
// tagged value above it, whatever the bits of the last one (a checkpoint taken untagged
// included, or the initial 0).
void StreamMerger::apply_tags() {
  if (options_.timestamp_tags.empty()) return;
  EYRIE_ASSERT(tags_valid(options_.timestamp_tags), "timestamp tags must be distinct and below kTimestampTags");
  for (Stream& s : streams_) {
    const auto it = options_.timestamp_tags.find(s.ensemble);
    EYRIE_ASSERT(it != options_.timestamp_tags.end(), "tagged mode needs a tag for every subscribed ensemble");
    s.tag = it->second;
  }
}

StreamMerger::Stream& StreamMerger::stream(EnsembleId ensemble) {
  return const_cast<Stream&>(static_cast<const StreamMerger&>(*this).stream(ensemble));
}

const StreamMerger::Stream& StreamMerger::stream(EnsembleId ensemble) const {
  const auto it = std::lower_bound(ensembles_.begin(), ensembles_.end(), ensemble);
  EYRIE_ASSERT(it != ensembles_.end() && *it == ensemble, "ensemble not subscribed by this merger");
  return streams_[static_cast<std::size_t>(it - ensembles_.begin())];
}

bool StreamMerger::subscribed(EnsembleId ensemble) const {
  return std::binary_search(ensembles_.begin(), ensembles_.end(), ensemble);
}

Instance StreamMerger::next_push_instance(EnsembleId ensemble) const { return stream(ensemble).next_push; }

std::size_t StreamMerger::queued(EnsembleId ensemble) const { return stream(ensemble).queue.size(); }

bool StreamMerger::can_push(EnsembleId ensemble, const Batch& batch) const {
  const Stream& s = stream(ensemble);
  if (s.queue.empty()) return true;
  const std::size_t entries = batch.is_null() ? 1 : batch.messages.size();
  return s.queue.size() + entries <= options_.queued_entries_max_per_ensemble;
}

bool StreamMerger::matches_resume(EnsembleId ensemble, const Batch& batch) const {
  const std::size_t skip = stream(ensemble).skip_in_next_push;
  return skip == 0 || skip < batch.messages.size();
}

// Algorithm 4, lines 31-33, with `<=`: a timestamp equal to the last one is adjusted as well.
// Tagged mode then rounds up to the ensemble's tag: still above the last, still >= the sender's.
WallTime StreamMerger::assign_final(Stream& s, WallTime timestamp) const {
  EYRIE_ASSERT(s.last_pushed_final < WallTime::max(), "final timestamps exhausted");
  const WallTime least = timestamp > s.last_pushed_final ? timestamp : s.last_pushed_final + Duration(1);
  s.last_pushed_final = s.tag ? round_up_to_tag(least, *s.tag) : least;
  return s.last_pushed_final;
}

void StreamMerger::push(EnsembleId ensemble, Instance instance, const Batch& batch) {
  Stream& s = stream(ensemble);
  EYRIE_ASSERT(instance == s.next_push, "decisions must be pushed in instance order without gaps or repeats");
  EYRIE_ASSERT(can_push(ensemble, batch), "queue full: the caller must check can_push() first");
  if (batch.is_null()) {
    EYRIE_ASSERT(s.skip_in_next_push == 0, "a restart state skips messages of an instance that is now null");
    s.queue.push_back(Entry{.instance = instance, .final_timestamp = assign_final(s, batch.null_timestamp)});
  } else {
    const std::size_t n = batch.messages.size();
    EYRIE_ASSERT(s.skip_in_next_push < n, "a restart state skips more messages than the instance holds");
    for (std::size_t i = s.skip_in_next_push; i < n; ++i) {
      const MulticastMessage& m = batch.messages[i];
      s.queue.push_back(Entry{.instance = instance,
                              .index = i,
                              .last_in_instance = i + 1 == n,
                              .final_timestamp = assign_final(s, m.timestamp),
                              .message = m});
    }
  }
  s.skip_in_next_push = 0;
  s.next_push = instance.next();
}

StreamMerger::Stream* StreamMerger::determined_head() {
  Stream* best = nullptr;
  for (Stream& s : streams_) {
    if (s.queue.empty()) return nullptr;
    // Streams are in ensemble order, so a strict `<` leaves ties with the lower ensemble id.
    if (best == nullptr || s.queue.front().final_timestamp < best->queue.front().final_timestamp) best = &s;
  }
  return best;
}

void StreamMerger::mark_popped(Stream& s, const Entry& e) {
  s.popped.last_final_timestamp = e.final_timestamp;
  if (e.last_in_instance) {
    s.popped.next_instance = e.instance.next();
    s.popped.popped_in_next_instance = 0;
  } else {
    s.popped.next_instance = e.instance;
    s.popped.popped_in_next_instance = e.index + 1;
  }
}

std::optional<MergedMessage> StreamMerger::pop() {
  // Bounded: each turn removes one queued entry.
  while (Stream* s = determined_head()) {
    Entry& head = s->queue.front();
    mark_popped(*s, head);
    std::optional<MergedMessage> out;
    if (head.message) {
      out = MergedMessage{.ensemble = s->ensemble,
                          .instance = head.instance,
                          .final_timestamp = head.final_timestamp,
                          .message = std::move(*head.message)};
    }
    s->queue.pop_front();
    if (out) return out;
  }
  return std::nullopt;
}

std::size_t StreamMerger::drain(std::vector<MergedMessage>& out, std::size_t max) {
  std::size_t n = 0;
  while (n < max) {
    std::optional<MergedMessage> m = pop();
    if (!m) break;
    out.push_back(std::move(*m));
    ++n;
  }
  return n;
}

MergeState StreamMerger::state() const {
  MergeState state;
  for (const Stream& s : streams_) state.streams.push_back(s.popped);
  return state;
}

void StreamMerger::check_invariants() const {
  EYRIE_ASSERT(ensembles_.size() == streams_.size() && sorted_unique(ensembles_));
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    const Stream& s = streams_[i];
    EYRIE_ASSERT(s.ensemble == ensembles_[i] && s.popped.ensemble == s.ensemble);
    if (s.queue.empty()) {
      // Nothing queued: everything pushed has been popped, and both views agree.
      EYRIE_ASSERT(s.popped.next_instance == s.next_push);
      EYRIE_ASSERT(s.popped.last_final_timestamp == s.last_pushed_final);
      continue;
    }
    // The head is exactly the entry after the last one popped.
    const Entry& head = s.queue.front();
    EYRIE_ASSERT(head.instance == s.popped.next_instance && head.index == s.popped.popped_in_next_instance);
    EYRIE_ASSERT(head.final_timestamp > s.popped.last_final_timestamp);
    EYRIE_ASSERT(s.queue.back().final_timestamp == s.last_pushed_final);
    EYRIE_ASSERT(s.queue.back().instance.next() == s.next_push && s.queue.back().last_in_instance);
    for (std::size_t j = 0; j < s.queue.size(); ++j) {
      EYRIE_ASSERT(j == 0 || s.queue[j - 1].final_timestamp < s.queue[j].final_timestamp,
                   "final timestamps must increase with instance order");
      EYRIE_ASSERT(!s.tag || timestamp_tag(s.queue[j].final_timestamp) == *s.tag,
                   "a tagged final timestamp must carry its ensemble's tag");
    }
  }
}

}  // namespace eyrie::multicast
