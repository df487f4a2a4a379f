#include "multicast/ensemble_learner.hpp"

#include <algorithm>

#include "runtime/assert.hpp"

namespace eyrie::multicast {

LearnerOptions LearnerOptions::from(const RidgeConfig& config) {
  LearnerOptions options;
  options.gap_timeout = config.learner_gap_timeout;
  // Wide enough for everything a coordinator can have in flight plus a takeover's window.
  options.window_instances = std::max<std::size_t>(config.phase1_window_instances + 2 * config.inflight_instances_max, 16);
  options.fetch_count = static_cast<std::uint32_t>(std::min<std::size_t>(kFetchCountMax, 256));
  return options;
}

EnsembleLearner::EnsembleLearner(Env& env, const EnsembleTopology& topology, LearnerOptions options, Instance start,
                                 DecidedFn on_decided)
    : env_(env),
      topology_(topology),
      options_(options),
      on_decided_(std::move(on_decided)),
      log_(env.log().child("learner" + std::to_string(topology.id.value))),
      next_(start),
      dropped_ahead_(env.metrics().counter("ridge.learner.dropped_ahead")),
      fetches_(env.metrics().counter("ridge.learner.fetches")),
      digest_mismatches_(env.metrics().counter("ridge.learner.digest_mismatches")),
      behind_trim_(env.metrics().counter("ridge.learner.behind_trim")),
      redecide_requests_(env.metrics().counter("ridge.learner.redecide_requests")),
      lean_incomplete_(env.metrics().counter("ridge.learner.lean_incomplete")) {}

void EnsembleLearner::start() {
  last_progress_ = env_.now();
  env_.after(options_.gap_timeout, [this] { on_gap_timer(); });
}

EnsembleLearner::Slot* EnsembleLearner::slot(Instance instance) {
  if (instance < next_) return nullptr;
  if (instance.value - next_.value >= options_.window_instances) {
    dropped_ahead_.add();
    return nullptr;
  }
  return &slots_[instance];
}

void EnsembleLearner::on_decision(const Decision& m) {
  Slot* s = slot(m.instance);
  if (!s) return;
  if (s->decided_digest) {
    if (*s->decided_digest != m.digest) digest_mismatches_.add();  // Paxos decides one value
    return;
  }
  s->decided_digest = m.digest;
  if (!s->decided_value) {
    const auto it = std::find_if(s->candidates.begin(), s->candidates.end(),
                                 [&](const Candidate& c) { return c.digest == m.digest; });
    if (it != s->candidates.end()) s->decided_value = std::move(it->value);
  }
  if (s->decided_value) s->candidates.clear();
  emit_ready();
}

void EnsembleLearner::offer_vote(Instance instance, Round round, const Batch& value) {
  Slot* s = slot(instance);
  if (!s || s->decided_value) return;
  const std::uint64_t digest = batch_digest(value);
  if (s->decided_digest) {
    if (*s->decided_digest == digest) learn_value(instance, value);
    return;
  }
  if (std::any_of(s->candidates.begin(), s->candidates.end(), [&](const Candidate& c) { return c.digest == digest; })) return;
  if (s->candidates.size() >= kCandidatesPerInstance) s->candidates.pop_front();
  s->candidates.push_back(Candidate{digest, value});
}

void EnsembleLearner::learn_value(Instance instance, const Batch& value) {
  Slot* s = slot(instance);
  if (!s || s->decided_value) return;
  const std::uint64_t digest = batch_digest(value);
  if (s->decided_digest && *s->decided_digest != digest) {
    // Paxos decides one value per instance; two decided values mean a bug or corruption.
    digest_mismatches_.add();
    log_.error("instance {}: decided value digest {:x} differs from decision {:x}", instance.value, digest,
               *s->decided_digest);
    return;
  }
  s->decided_digest = digest;
  s->decided_value = value;
  s->candidates.clear();
  emit_ready();
}

void EnsembleLearner::on_value(const Value& m) {
  if (m.lean) return learn_lean(m.instance, m.value, m.digest);
  learn_value(m.instance, m.value);
}

void EnsembleLearner::learn_lean(Instance instance, const Batch& value, std::uint64_t digest) {
  Slot* s = slot(instance);
  if (!s || s->decided_value) return;
  if (s->decided_digest && *s->decided_digest != digest) {
    digest_mismatches_.add();
    log_.error("instance {}: lean value digest {:x} differs from decision {:x}", instance.value, digest,
               *s->decided_digest);
    return;
  }
  s->decided_digest = digest;
  // The acceptor on this node may hold the whole value already.
  const auto local = std::find_if(s->candidates.begin(), s->candidates.end(),
                                  [&](const Candidate& c) { return c.digest == digest; });
  if (local != s->candidates.end()) {
    s->decided_value = std::move(local->value);
  } else {
    Batch completed = value;
    for (MulticastMessage& m : completed.messages) {
      if (payload_source_ && payload_source_(topology_.id, m)) continue;
      lean_incomplete_.add();
      return fetch_missing(instance, *s);
    }
    s->decided_value = std::move(completed);
  }
  s->candidates.clear();
  emit_ready();
}

// A lean value this node cannot complete: its instance is decided, so the f+1 acceptors that
// voted in the deciding round have it, and any f+1 acceptors include one of them. One round of
// fetches; the gap timer covers lost replies.
void EnsembleLearner::fetch_missing(Instance instance, Slot& s) {
  if (s.fetched_missing || topology_.acceptors.empty()) return;
  s.fetched_missing = true;
  const Payload request = encode(Fetch{topology_.id, instance, 1});
  for (std::size_t i = 0; i < topology_.quorum(); ++i) {
    fetches_.add();
    env_.send(topology_.acceptors[fetch_rotation_++ % topology_.acceptors.size()], kFetch, request);
  }
}

// The last acceptor picked this learner to distribute (Algorithm 3, Task 5): forward to the
// learners outside the chain, which do not hold the value yet.
void EnsembleLearner::on_distribute(NodeId from, const Distribute& m) {
  if (!topology_.is_acceptor(from)) return;
  if (forwarded_.insert(m.instance).second) {
    const Payload value = encode(Value{topology_.id, m.instance, m.round, m.value, m.lean, m.digest});  // once for all
    for (NodeId learner : topology_.learners) {
      const bool in_chain = std::find(m.quorum.begin(), m.quorum.end(), learner) != m.quorum.end();
      if (learner != env_.self() && !in_chain) env_.send(learner, kValue, value);
    }
    while (forwarded_.size() > kForwardedRemembered) forwarded_.erase(forwarded_.begin());
  }
  if (m.lean) return learn_lean(m.instance, m.value, m.digest);
  learn_value(m.instance, m.value);
}

void EnsembleLearner::on_fetch_reply(NodeId from, const FetchReply& m) {
  if (!topology_.is_acceptor(from)) return;
  if (m.trimmed_below > next_) {
    // Everything below is gone at that acceptor; another may still have it. A learner behind
    // every acceptor's trim point needs a state transfer (DESIGN.md §7), not a fetch.
    behind_trim_.add();
    if (behind_limiter_.should_log()) {
      log_.warn("acceptor {} trimmed below {}; this learner needs {}", to_string(from), m.trimmed_below.value, next_.value);
    }
  }
  for (const Vote& vote : m.votes) learn_fetched_vote(from, vote);
}

void EnsembleLearner::learn_fetched_vote(NodeId acceptor, const Vote& vote) {
  if (vote.decided) return learn_value(vote.instance, vote.value);
  Slot* s = slot(vote.instance);
  if (!s || s->decided_value) return;
  const std::uint64_t digest = batch_digest(vote.value);
  s->reported[acceptor] = Reported{vote.round, digest};
  const auto same = std::count_if(s->reported.begin(), s->reported.end(), [&](const auto& entry) {
    return entry.second.round == vote.round && entry.second.digest == digest;
  });
  if (static_cast<std::size_t>(same) >= topology_.quorum()) return learn_value(vote.instance, vote.value);
  // Not known decided yet: keep the value, so that a Decision heard by another acceptor can
  // complete it (Acceptor::on_fetch also relays the decisions it heard).
  offer_vote(vote.instance, vote.round, vote.value);
}

void EnsembleLearner::set_paused(bool paused) {
  if (paused_ == paused) return;
  paused_ = paused;
  if (!paused_) {
    last_progress_ = env_.now();  // the pause was not a gap
    emit_ready();
  }
}

void EnsembleLearner::emit_ready() {
  if (emitting_) return;  // the outer loop picks up whatever became ready
  emitting_ = true;
  while (!paused_) {
    auto it = slots_.find(next_);
    if (it == slots_.end() || !it->second.decided_value) break;
    const Batch value = std::move(*it->second.decided_value);
    slots_.erase(it);
    const Instance instance = next_;
    next_ = next_.next();
    last_progress_ = env_.now();
    on_decided_(topology_.id, instance, value);
  }
  emitting_ = false;
  // Slots below next_ cannot exist: emitted ones were erased, and slot() refuses them.
}

void EnsembleLearner::on_gap_timer() {
  env_.after(options_.gap_timeout, [this] { on_gap_timer(); });
  if (paused_) last_progress_ = env_.now();
  if (env_.now() - last_progress_ < options_.gap_timeout || topology_.acceptors.empty()) return;
  const NodeId acceptor = topology_.acceptors[fetch_rotation_++ % topology_.acceptors.size()];
  fetches_.add();
  env_.send(acceptor, kFetch, encode(Fetch{topology_.id, next_, options_.fetch_count}));
  if (stuck_at_ != next_ || stuck_fetches_ == 0) {
    stuck_at_ = next_;
    stuck_fetches_ = 0;
  }
  // Fetches from every acceptor in turn have not completed this instance: maybe none can
  // (its Decision reached no live acceptor). The leading coordinator can decide it again.
  if (++stuck_fetches_ % kFetchesBeforeRedecide == 0) {
    redecide_requests_.add();
    log_.debug("stuck at instance {} after {} fetches; asking for a re-decision", next_.value, stuck_fetches_);
    const Payload request = encode(Redecide{topology_.id, next_});
    for (NodeId candidate : topology_.candidates) env_.send(candidate, kRedecide, request);
  }
}

void EnsembleLearner::check_invariants() const {
  EYRIE_ASSERT(slots_.empty() || slots_.begin()->first >= next_);
  EYRIE_ASSERT(slots_.empty() || slots_.rbegin()->first.value - next_.value < options_.window_instances);
  EYRIE_ASSERT(forwarded_.size() <= kForwardedRemembered);
  if (const auto it = slots_.find(next_); it != slots_.end() && !paused_ && !emitting_) {
    EYRIE_ASSERT(!it->second.decided_value, "a ready instance is emitted at once unless paused");
  }
}

}  // namespace eyrie::multicast
