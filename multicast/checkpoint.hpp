#pragma once
// LearnerCheckpoint: where a learner's conservative delivery stands, in a form that its upper
// layer can keep durable beside its own state (an S-SMR replica's snapshot) and hand back at a
// restart (RidgeNodeOptions::resume). DeliveryPipeline::checkpoint() takes one; its bytes are a
// Cap'n Proto message (multicast/checkpoint.capnp).
//
// What it holds, per subscribed ensemble, and why that is exact: the merge position counted in
// what has LEFT the merger (next instance, messages of it already merged, last final
// timestamp: StreamMerger's MergeState) and the ensemble's duplicate filter. Batches that were
// held or queued in the merger but not merged are deliberately absent: a resumed learner fetches
// them again from the acceptors, from next_instance on, and the merger skips what was merged of
// that instance. Final timestamps continue from the last one merged, so every later message gets
// the final timestamp it gets everywhere, the merge releases the same sequence, and the filters
// (whose verdicts depend on every merged message, delivered or not) drop the same duplicates.
// The delivery position continues at position + 1.
//
// Size: one stream per subscribed ensemble (two for a group member), each bounded by its filter:
// at most senders_max x (seqs_per_sender_max + 2 x 8 + 3) integers (DuplicateFilter::Limits,
// and 8 lives of SenderClaims per sender); with correct senders about senders x
// sender_window_max seqs at worst, usually far fewer.
//
// A checkpoint stays usable as long as the acceptors retain every instance from its next
// instances on (RidgeConfig::retained_instances); docs/ridge.md says what happens otherwise.

#include <optional>
#include <string>
#include <vector>

#include "multicast/duplicate_filter.hpp"
#include "multicast/stream_merger.hpp"
#include "runtime/payload.hpp"

namespace eyrie::multicast {

struct LearnerCheckpoint {
  // Deliveries so far: the resumed pipeline's next delivery has position + 1.
  std::uint64_t position = 0;
  // Each subscribed ensemble's stream, sorted by ensemble id.
  MergeState merge;
  // filters[i] is the duplicate filter of merge.streams[i].ensemble.
  std::vector<DuplicateFilter::State> filters;
  friend bool operator==(const LearnerCheckpoint&, const LearnerCheckpoint&) = default;
};

// Whether `checkpoint` is one that a pipeline whose filters have `limits` can produce: streams
// non-empty and sorted by unique ensemble ids, one filter each, valid filters, and counters with
// room to go on. The first broken rule in *error when not.
bool valid(const LearnerCheckpoint& checkpoint, DuplicateFilter::Limits limits, std::string* error);

Payload encode_checkpoint(const LearnerCheckpoint& checkpoint);
// nullopt, with a one-line reason in *error, for bytes that are not a valid checkpoint
// (malformed, truncated, or breaking a rule of valid() under unbounded filter limits; the
// pipeline checks its own limits when it resumes).
std::optional<LearnerCheckpoint> decode_checkpoint(const Payload& bytes, std::string* error);

}  // namespace eyrie::multicast
