#pragma once
// StreamMerger: a learner's deterministic merge of the decision streams of the ensembles it
// subscribes to (Bezerra, Scalable State Machine Replication, USI 2016, §5.3.1-5.3.2,
// Algorithm 4). Pure: no Env, no clock, no I/O.
//
// Each ensemble's decided batches arrive in instance order without gaps. Every message gets a
// final timestamp: its sender timestamp if that exceeds the ensemble's last final timestamp,
// otherwise the last one plus 1ns. Equality adjusts too (the thesis' pseudo-code tests `<`,
// which would let two messages of one ensemble share a timestamp and make the merge order
// depend on something other than the instance order). A null batch advances the ensemble's
// last timestamp the same way, using its null_timestamp, and delivers nothing.
//
// Messages leave in (final timestamp, ensemble id) order, and only while every subscribed
// ensemble has at least one entry queued (a null counts): then no ensemble can still decide
// something that sorts earlier, because its later entries have larger final timestamps.
// Final timestamps of different ensembles may be equal; the ensemble id breaks the tie, so the
// order is the same at every learner that subscribes to both ensembles.
//
// Tagged mode (Options::timestamp_tags, [ridge] unique_timestamps): each ensemble owns one value
// of the low kTimestampTagBits bits, and every final timestamp of that ensemble is rounded up to
// the next value carrying them: the smallest v > last final with v >= the sender (or null)
// timestamp and v mod 2^kTimestampTagBits == tag. Final timestamps still strictly increase per
// ensemble, and now never repeat across ensembles, so the final timestamp alone identifies a
// message's place in the order (Volery's zxids, docs/volery.md). The rule depends only on the
// last final timestamp and the tag, so MergeState resumes a tagged merger exactly as well.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "multicast/types.hpp"

namespace eyrie::multicast {

// Where one ensemble's stream stands, counted in what has left the merger (not what was
// pushed): enough to resume after a restart from the point a checkpoint captured.
struct MergeStreamState {
  EnsembleId ensemble;
  // The first instance not entirely popped: resume pushing from here.
  Instance next_instance{};
  // Messages of next_instance already popped; a resumed merger skips them when that instance
  // is pushed again. Zero unless a checkpoint was taken in the middle of a batch.
  std::size_t popped_in_next_instance = 0;
  // The final timestamp of the last entry popped from this ensemble (a null's counts).
  WallTime last_final_timestamp{};
  friend bool operator==(const MergeStreamState&, const MergeStreamState&) = default;
};

struct MergeState {
  std::vector<MergeStreamState> streams;  // sorted by ensemble id, unique, non-empty
  friend bool operator==(const MergeState&, const MergeState&) = default;
};

// A message with its place in the merged order.
struct MergedMessage {
  EnsembleId ensemble;
  Instance instance;
  WallTime final_timestamp{};
  MulticastMessage message;
};

class StreamMerger {
 public:
  // Tagged mode: the low bits of a final timestamp that name its ensemble, hence at most
  // kTimestampTags ensembles (RidgeConfig refuses more when unique_timestamps is on).
  static constexpr int kTimestampTagBits = 10;
  static constexpr std::uint32_t kTimestampTags = 1u << kTimestampTagBits;
  // The tag bits of a final timestamp (of a negative one too: two's complement low bits).
  static std::uint32_t timestamp_tag(WallTime t) {
    return static_cast<std::uint32_t>(to_ns(t) & std::int64_t{kTimestampTags - 1});
  }

  struct Options {
    // Entries (messages and nulls) queued per ensemble before can_push() refuses more. The
    // caller applies back-pressure by leaving further decisions where they are (buffered or at
    // the acceptors). An empty queue takes any batch, so an ensemble that everybody waits for
    // is never refused and the merge cannot deadlock on this bound.
    std::size_t queued_entries_max_per_ensemble = 1 << 16;
    // Empty: final timestamps as in the thesis (last + 1ns). Otherwise tagged mode: a distinct
    // tag below kTimestampTags for every subscribed ensemble (more may be listed), the same at
    // every learner: RidgeConfig::timestamp_tags().
    std::map<EnsembleId, std::uint32_t> timestamp_tags{};
  };

  // A fresh merger: every stream starts at instance 0 with last final timestamp 0.
  StreamMerger(std::span<const EnsembleId> ensembles, Options options);
  // Resumes from state(): batches must be pushed again from each stream's next_instance.
  StreamMerger(const MergeState& state, Options options);

  // Whether push(ensemble, ...) of `batch` fits under the bound.
  bool can_push(EnsembleId ensemble, const Batch& batch) const;
  // False only for the first batch pushed after a resume from a MergeState that skips at least
  // as many messages of that instance as `batch` holds (or skips messages of a null): a state
  // that does not describe this ensemble's log. Callers resuming from state they did not build
  // themselves check this before push(), which asserts it.
  bool matches_resume(EnsembleId ensemble, const Batch& batch) const;
  // Precondition: `ensemble` is subscribed, instance == next_push_instance(ensemble) (no gap,
  // no repeat: the caller filters duplicates and holds early decisions), can_push(),
  // matches_resume().
  void push(EnsembleId ensemble, Instance instance, const Batch& batch);

  // The next message in merged order, when it is determined; nulls ahead of it are consumed.
  std::optional<MergedMessage> pop();
  // Pops up to `max` messages into `out`; returns how many.
  std::size_t drain(std::vector<MergedMessage>& out, std::size_t max);

  Instance next_push_instance(EnsembleId ensemble) const;
  std::size_t queued(EnsembleId ensemble) const;  // entries, nulls included
  bool subscribed(EnsembleId ensemble) const;
  std::span<const EnsembleId> ensembles() const { return ensembles_; }
  MergeState state() const;

  // Asserts the merger's invariants (queues ordered by final timestamp, bounds, positions).
  void check_invariants() const;

 private:
  struct Entry {
    Instance instance;
    std::size_t index = 0;  // position in the batch; 0 for a null
    bool last_in_instance = true;
    WallTime final_timestamp{};
    std::optional<MulticastMessage> message{};  // nullopt: a null batch
  };
  struct Stream {
    EnsembleId ensemble;
    Instance next_push{};
    std::size_t skip_in_next_push = 0;  // messages already popped before a restart
    WallTime last_pushed_final{};
    std::optional<std::uint32_t> tag{};  // tagged mode only
    MergeStreamState popped;  // what state() reports
    std::deque<Entry> queue{};
  };

  Stream& stream(EnsembleId ensemble);
  const Stream& stream(EnsembleId ensemble) const;
  void apply_tags();
  WallTime assign_final(Stream& s, WallTime timestamp) const;
  // The stream whose head sorts first, or nullptr while some stream is empty.
  Stream* determined_head();
  void mark_popped(Stream& s, const Entry& e);

  Options options_;
  std::vector<EnsembleId> ensembles_;  // sorted
  std::vector<Stream> streams_;        // same order as ensembles_
};

}  // namespace eyrie::multicast
