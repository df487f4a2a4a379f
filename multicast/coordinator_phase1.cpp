// Coordinator: Phase 1, run ahead for a window of instances (Bezerra, §5.2: the coordinator can
// execute Phase 1 before values arrive; Algorithm 3, Tasks 1 and 3).

#include <algorithm>

#include "multicast/coordinator.hpp"
#include "runtime/assert.hpp"

namespace eyrie::multicast {

void Coordinator::start_phase1(Instance first) {
  EYRIE_ASSERT(mode_ != Mode::follower && !phase1_);
  phase1_ = Phase1Progress{.first = first, .end = Instance{first.value + options_.phase1_window_instances}};
  send_phase1a(false);
}

// Sends Phase 1A for the current range (again, to acceptors that have not promised yet, while
// no majority has), every phase2_timeout until a majority answers or the round is lost.
void Coordinator::send_phase1a(bool only_missing) {
  EYRIE_ASSERT(phase1_.has_value());
  const Phase1A request{topology_.id, round_, phase1_->first, phase1_->end};
  for (NodeId acceptor : topology_.acceptors) {
    if (!only_missing || !phase1_->reported_end.contains(acceptor)) send(acceptor, request);
  }
  const Round round = round_;
  const Instance first = phase1_->first;
  phase1_->resend = env_.after(options_.phase2_timeout, [this, round, first] {
    if (phase1_ && round_ == round && phase1_->first == first) send_phase1a(true);
  });
}

void Coordinator::on_phase1b(NodeId from, const Phase1B& m) {
  if (!topology_.is_acceptor(from)) return;
  observe_round(m.promised_round);
  if (mode_ == Mode::follower || m.round != round_) return;
  if (!m.promised) {
    if (m.promised_round > round_) step_down(m.promised_round);
    return;
  }
  if (!redecisions_.empty()) redecision_read(from, m);
  if (!phase1_ || m.first != phase1_->first || phase1_->reported_end.contains(from)) return;
  Phase1Progress& p = *phase1_;
  p.reported_end[from] = std::min(m.reported_end, p.end);
  p.trimmed_below = std::max(p.trimmed_below, m.trimmed_below);
  for (const Vote& vote : m.votes) {
    if (vote.instance >= p.end) break;
    auto [it, inserted] = p.highest.try_emplace(vote.instance, vote);
    // Algorithm 2, lines 15-18: the value of the highest-round vote; a vote known decided wins
    // outright (it is that value anyway, and it tells us the instance needs no proposal).
    if (!inserted && (vote.round > it->second.round || vote.decided)) it->second = vote;
  }
  if (p.reported_end.size() >= topology_.quorum()) finish_phase1();
}

void Coordinator::finish_phase1() {
  Phase1Progress p = std::move(*phase1_);
  phase1_.reset();
  env_.cancel(p.resend);
  // Each acceptor's votes are complete below its reported end, so below the smallest one the
  // majority's votes are all known.
  Instance end = p.end;
  for (const auto& [acceptor, reported] : p.reported_end) end = std::min(end, reported);
  // Instances an acceptor trimmed were decided; learners have them, nobody proposes there.
  if (p.trimmed_below > decided_below_) advance_decided_below(p.trimmed_below);
  for (auto& [instance, vote] : p.highest) {
    if (instance >= end || instance < p.trimmed_below) continue;
    if (vote.decided) note_decided(instance);
    if (known_decided(instance)) {
      // Seen only to learn which messages are decided already; only below the decided
      // prefix, where nothing proposed later can come before them (see awaiting_prefix_).
      queue_.adopt(vote.value);
      if (instance < decided_below_) {
        queue_.decided(vote.value);
      } else {
        awaiting_prefix_.emplace(instance, std::move(vote.value));
      }
      continue;
    }
    if (instance < next_instance_) continue;  // proposed in this round already
    queue_.adopt(vote.value);
    forced_[instance] = std::move(vote.value);
    recovery_end_ = std::max(recovery_end_, instance.next());
  }
  prepared_end_ = std::max(prepared_end_, end);
  next_instance_ = std::max(next_instance_, decided_below_);
  if (mode_ == Mode::preparing) {
    mode_ = Mode::leading;
    log_.info("leading in round {} from instance {} ({} values to propose again)", round_.value,
              next_instance_.value, forced_.size());
  }
  pump();
}

// Keeps the prepared window ahead of the next proposal: a new Phase 1 range starts when less
// than half a window is left.
void Coordinator::extend_phase1() {
  if (mode_ != Mode::leading || phase1_) return;
  if (prepared_end_.value >= next_instance_.value + options_.phase1_window_instances / 2) return;
  start_phase1(std::max(prepared_end_, next_instance_));
}

}  // namespace eyrie::multicast
