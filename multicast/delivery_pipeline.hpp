#pragma once
// DeliveryPipeline: what a learner node does with the gap-free decided streams of the
// ensembles it learns (Algorithms 4 and 5 of Bezerra's thesis, ch. 5):
//   decided batches --StreamMerger--> one sequence in (final timestamp, ensemble) order
//     --DuplicateFilter per ensemble--> each message once
//     --addressed to one of my groups?--> Delivery with the next position.
// The filter sees every merged message of its ensemble, addressed here or not, so its state is
// the same at every learner of that ensemble and so are its verdicts.
//
// Back-pressure: when one subscribed ensemble lags (its decisions are missing), the merger
// cannot release anything and its queues for the other ensembles fill up. Batches the merger
// refuses wait in a per-ensemble hold queue; when that queue reaches `hold_batches_max` the
// pipeline asks the owner to pause that ensemble's learner (which then keeps at most its own
// window and fetches the rest later), and to resume it once the queue has drained.
//
// Restarts: checkpoint() says where delivery stands (position, merge state, filters: see
// multicast/checkpoint.hpp for why that is exact), and a fresh pipeline continues from one with
// resume_from(); its owner then feeds each ensemble from the checkpoint's next instance on.
// Without a checkpoint a pipeline starts at position 1 and instance 0 of every ensemble.

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "multicast/checkpoint.hpp"
#include "multicast/duplicate_filter.hpp"
#include "multicast/stream_merger.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"

namespace eyrie::multicast {

class DeliveryPipeline {
 public:
  using DeliverFn = std::function<void(const Delivery&)>;
  using PauseFn = std::function<void(EnsembleId, bool paused)>;
  struct Options {
    std::size_t hold_batches_max = 1024;
    StreamMerger::Options merger{};
    DuplicateFilter::Limits filter{};
    // Fault injection for checker tests only: deliver each batch as it arrives, with its
    // senders' timestamps, instead of merging the ensembles' streams (a broken Algorithm 4).
    bool fault_ignore_merge_order = false;
  };

  // `groups`: the node's groups; `subscribed`: the ensembles it learns. Starts at position 1.
  DeliveryPipeline(std::vector<GroupId> groups, std::span<const EnsembleId> subscribed, Options options,
                   Metrics& metrics, DeliverFn deliver, PauseFn pause);

  // The next decided batch of `ensemble` (gap-free per ensemble, as EnsembleLearner emits).
  void decided(EnsembleId ensemble, Instance instance, const Batch& batch);

  std::uint64_t delivered() const { return position_; }
  // Whether `id`, ordered by `ensemble`, has left the merge already (delivered here if it was
  // addressed here); false for an ensemble this node does not learn.
  bool merged_already(EnsembleId ensemble, const MessageId& id) const;

  // Where delivery stands: valid between deliveries, e.g. from inside the deliver callback right
  // after position p, where it covers everything up to and including p. Precondition: not
  // fault_ignore_merge_order (that mode bypasses the merger, so there is no merge state).
  LearnerCheckpoint checkpoint() const;
  // Whether a pipeline that learns `subscribed` with `options` can resume from `checkpoint`
  // (same ensembles, filters within options.filter); the reason in *error when not.
  static bool can_resume(const LearnerCheckpoint& checkpoint, std::span<const EnsembleId> subscribed,
                         const Options& options, std::string* error);
  // Continues from `checkpoint`: positions go on at checkpoint.position + 1, the merge and the
  // filters as they stood. The owner feeds each ensemble from the checkpoint's next instance.
  // Preconditions: nothing decided yet, can_resume(). A checkpoint that turns out not to match an
  // ensemble's log (it skips more of an instance than the instance holds) stops that ensemble,
  // and so delivery, with an error logged and counted (ridge.learner.checkpoint_mismatches).
  void resume_from(const LearnerCheckpoint& checkpoint);

  void set_log(Logger* log) { log_ = log; }
  void check_invariants() const;

 private:
  struct Held {
    Instance instance;
    Batch batch;
  };
  void push_held(EnsembleId ensemble);
  void refuse_mismatched_resume(EnsembleId ensemble, Instance instance);
  void deliver_unmerged(EnsembleId ensemble, Instance instance, const Batch& batch);
  void deliver(EnsembleId ensemble, Instance instance, WallTime final_timestamp, const MulticastMessage& message);
  void release();
  bool addressed_here(const MulticastMessage& message) const;

  std::vector<GroupId> groups_;  // sorted
  Options options_;
  StreamMerger merger_;
  std::map<EnsembleId, DuplicateFilter> filters_;
  std::map<EnsembleId, std::deque<Held>> held_;
  std::map<EnsembleId, bool> paused_;
  std::uint64_t position_ = 0;
  DeliverFn deliver_;
  PauseFn pause_;
  Logger* log_ = nullptr;
  Counter& duplicates_;
  Counter& not_addressed_;
  Counter& checkpoint_mismatches_;
  std::set<EnsembleId> mismatched_;  // ensembles stopped by a checkpoint that does not match their log
};

}  // namespace eyrie::multicast
