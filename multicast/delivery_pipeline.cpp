#include "multicast/delivery_pipeline.hpp"

#include <algorithm>

#include "runtime/assert.hpp"

namespace eyrie::multicast {

DeliveryPipeline::DeliveryPipeline(std::vector<GroupId> groups, std::span<const EnsembleId> subscribed, Options options,
                                   Metrics& metrics, DeliverFn deliver, PauseFn pause)
    : groups_(std::move(groups)),
      options_(options),
      merger_(subscribed, options.merger),
      deliver_(std::move(deliver)),
      pause_(std::move(pause)),
      duplicates_(metrics.counter("ridge.learner.duplicates_dropped")),
      not_addressed_(metrics.counter("ridge.learner.not_addressed")),
      checkpoint_mismatches_(metrics.counter("ridge.learner.checkpoint_mismatches")) {
  std::sort(groups_.begin(), groups_.end());
  for (EnsembleId e : subscribed) filters_.emplace(e, DuplicateFilter(options.filter));
}

void DeliveryPipeline::decided(EnsembleId ensemble, Instance instance, const Batch& batch) {
  EYRIE_ASSERT(merger_.subscribed(ensemble));
  if (log_ && log_->enabled(LogLevel::trace)) {
    std::string ids;
    for (const MulticastMessage& m : batch.messages) ids += " " + to_string(m.id);
    log_->trace("decided ensemble {} instance {}:{}", ensemble.value, instance.value, batch.is_null() ? " null" : ids);
  }
  if (options_.fault_ignore_merge_order) return deliver_unmerged(ensemble, instance, batch);
  auto& held = held_[ensemble];
  held.push_back(Held{instance, batch});
  push_held(ensemble);
  release();
  if (held.size() >= options_.hold_batches_max && !paused_[ensemble]) {
    paused_[ensemble] = true;
    if (pause_) pause_(ensemble, true);
  }
}

void DeliveryPipeline::push_held(EnsembleId ensemble) {
  auto& held = held_[ensemble];
  while (!held.empty() && merger_.can_push(ensemble, held.front().batch)) {
    if (!merger_.matches_resume(ensemble, held.front().batch)) return refuse_mismatched_resume(ensemble, held.front().instance);
    merger_.push(ensemble, held.front().instance, held.front().batch);
    held.pop_front();
  }
}

// The checkpoint this pipeline resumed from skips messages that this ensemble's first instance
// does not hold: it describes another log (say, of a cluster whose acceptors started over).
// Nothing of this ensemble can be merged correctly, so it stays held and delivery stops; an
// assertion would be wrong, since the checkpoint is input (decoded from the owner's storage).
void DeliveryPipeline::refuse_mismatched_resume(EnsembleId ensemble, Instance instance) {
  if (!mismatched_.insert(ensemble).second) return;
  checkpoint_mismatches_.add();
  if (log_) {
    log_->error("the checkpoint does not match ensemble {}: it skips more of instance {} than that instance holds; "
                "this learner delivers nothing more",
                ensemble.value, instance.value);
  }
}

void DeliveryPipeline::release() {
  for (;;) {
    while (auto merged = merger_.pop()) {
      deliver(merged->ensemble, merged->instance, merged->final_timestamp, merged->message);
    }
    // Popping made room: move held batches in, and go on while that made progress.
    bool moved = false;
    for (auto& [ensemble, held] : held_) {
      const std::size_t before = held.size();
      push_held(ensemble);
      moved = moved || held.size() != before;
      if (held.size() < options_.hold_batches_max / 2 && paused_[ensemble]) {
        paused_[ensemble] = false;
        if (pause_) pause_(ensemble, false);
      }
    }
    if (!moved) return;
  }
}

void DeliveryPipeline::deliver(EnsembleId ensemble, Instance instance, WallTime final_timestamp,
                               const MulticastMessage& message) {
  if (!filters_.at(ensemble).admit(message)) {
    duplicates_.add();
    if (log_) log_->trace("dropped duplicate {} (instance {} of ensemble {})", to_string(message.id), instance.value, ensemble.value);
    return;
  }
  if (!addressed_here(message)) {
    not_addressed_.add();
    return;
  }
  Delivery d;
  d.id = message.id;
  d.destinations = message.destinations;
  d.timestamp = message.timestamp;
  d.final_timestamp = final_timestamp;
  d.ensemble = ensemble;
  d.instance = instance;
  d.position = ++position_;
  d.payload = message.payload;
  deliver_(d);
}

void DeliveryPipeline::deliver_unmerged(EnsembleId ensemble, Instance instance, const Batch& batch) {
  for (const MulticastMessage& m : batch.messages) deliver(ensemble, instance, m.timestamp, m);
}

LearnerCheckpoint DeliveryPipeline::checkpoint() const {
  EYRIE_ASSERT(!options_.fault_ignore_merge_order, "an unmerged pipeline has no merge state to checkpoint");
  // Between deliveries everything popped from the merger has been judged by its filter, so the
  // merge state (what left the merger) and the filters describe the same prefix of each stream.
  LearnerCheckpoint c{.position = position_, .merge = merger_.state(), .filters = {}};
  for (const MergeStreamState& s : c.merge.streams) c.filters.push_back(filters_.at(s.ensemble).state());
  return c;
}

bool DeliveryPipeline::can_resume(const LearnerCheckpoint& checkpoint, std::span<const EnsembleId> subscribed,
                                  const Options& options, std::string* error) {
  if (!valid(checkpoint, options.filter, error)) return false;
  std::vector<EnsembleId> learned(subscribed.begin(), subscribed.end());
  std::sort(learned.begin(), learned.end());
  std::vector<EnsembleId> in_checkpoint;
  for (const MergeStreamState& s : checkpoint.merge.streams) in_checkpoint.push_back(s.ensemble);
  if (learned != in_checkpoint) {
    if (error) *error = "the checkpoint covers other ensembles than this learner learns";
    return false;
  }
  return true;
}

void DeliveryPipeline::resume_from(const LearnerCheckpoint& checkpoint) {
  EYRIE_ASSERT(can_resume(checkpoint, merger_.ensembles(), options_, nullptr), "check can_resume() first");
  // decided() creates the ensemble's hold queue first thing: no queue, nothing decided.
  EYRIE_ASSERT(position_ == 0 && held_.empty(), "a pipeline resumes before anything was decided");
  merger_ = StreamMerger(checkpoint.merge, options_.merger);
  for (std::size_t i = 0; i < checkpoint.filters.size(); ++i) {
    filters_.insert_or_assign(checkpoint.merge.streams[i].ensemble, DuplicateFilter(checkpoint.filters[i], options_.filter));
  }
  position_ = checkpoint.position;
}

bool DeliveryPipeline::merged_already(EnsembleId ensemble, const MessageId& id) const {
  const auto it = filters_.find(ensemble);
  return it != filters_.end() && it->second.seen(id);
}

bool DeliveryPipeline::addressed_here(const MulticastMessage& message) const {
  // Both lists are sorted: a linear intersection test.
  auto a = groups_.begin();
  auto b = message.destinations.begin();
  while (a != groups_.end() && b != message.destinations.end()) {
    if (*a == *b) return true;
    if (*a < *b) {
      ++a;
    } else {
      ++b;
    }
  }
  return false;
}

void DeliveryPipeline::check_invariants() const {
  merger_.check_invariants();
  for (const auto& [ensemble, filter] : filters_) filter.check_invariants();
  for (const auto& [ensemble, held] : held_) {
    // Paused learners stop emitting, so a hold queue overshoots its cap by at most what was
    // already in flight when the pause was asked for (one batch per decided() call).
    EYRIE_ASSERT(held.size() <= options_.hold_batches_max + 1 || paused_.at(ensemble));
  }
}

}  // namespace eyrie::multicast
