// Coordinator: re-deciding an instance that is decided but that learners can no longer learn.
//
// Why it is needed. With in-memory acceptors a crashed acceptor never returns. An instance can
// be decided by the chain [A, B]; B's Decision is then lost at A and at the learners, and B
// crashes. A still holds an undecided-looking vote, C holds none: no live acceptor heard the
// Decision, f+1 equal votes can never be reported again, and the coordinator, which knows the
// instance decided, never proposes it again. A learner that missed it stays stuck forever.
//
// What the leading coordinator does, when a learner stuck at instance k asks (Redecide):
// Phase 1 for [k, k+1) in its current round r (an acceptor promised r already answers a
// Phase 1A in r again and reports its votes: it changes no promise), takes the highest-round
// vote among a majority, runs classic Phase 2 with that value in round r, and announces
// Decision + Value as a classic decision does. The acceptors then hold a vote flagged decided,
// so later fetches find it too.
//
// Why this is safe although k is already chosen, say with value V in round c:
// - The majority read succeeded in r, so r >= c: every acceptor of the choosing quorum
//   promised at least c, and the majority read includes one of them (it would have refused a
//   Phase 1A in r < c, and this coordinator would have stepped down).
// - Paxos' invariant: every proposal in a round >= c carries V, hence every vote in a round
//   >= c is for V. The majority includes a member of the choosing quorum, whose vote is of a
//   round >= c, so the highest vote read is V.
// - Proposing V in r keeps "one value per round": if r > c, any earlier proposal in r
//   carried V by the invariant; if r == c, this coordinator proposed k in r itself, and its
//   own value V is what the acceptors of that round hold.
// If no acceptor of the majority reports a vote for k, the instance was not chosen in any
// round the read covers, contrary to what this coordinator knows; proposing anything then
// could conflict with an earlier proposal of this coordinator in r, so it gives up (logged).
//
// It is separate from the pipeline on purpose: k is below (or beside) the decided prefix, so
// nothing is acknowledged or counted again and decided_below_ does not move.

#include <algorithm>

#include "multicast/coordinator.hpp"
#include "runtime/assert.hpp"

namespace eyrie::multicast {

void Coordinator::on_redecide(NodeId from, const Redecide& m) {
  if (!topology_.is_learner(from) || mode_ != Mode::leading) return;
  const Instance instance = m.instance;
  // An instance not known decided is still this coordinator's business (in flight, forced or
  // about to be proposed); one in flight is finished by the classic fallback.
  if (!known_decided(instance) || in_flight_.contains(instance)) return;
  if (redecisions_.contains(instance) || redecisions_.size() >= kRedecisionsMax) return;
  log_.info("re-deciding instance {} in round {} (asked by {})", instance.value, round_.value, to_string(from));
  redecisions_.emplace(instance, Redecision{});
  start_redecision_attempt(instance);
}

void Coordinator::start_redecision_attempt(Instance instance) {
  Redecision& r = redecisions_.at(instance);
  r = Redecision{.attempts = r.attempts + 1};
  const Phase1A request{topology_.id, round_, instance, instance.next()};
  for (NodeId acceptor : topology_.acceptors) send(acceptor, request);
  // Phase 1 and Phase 2 are two round trips; an attempt gets twice what one Phase 2 gets.
  const Round round = round_;
  const std::size_t attempt = r.attempts;
  r.timer = env_.after(2 * options_.phase2_timeout,
                       [this, instance, round, attempt] { on_redecision_timeout(instance, round, attempt); });
}

// Any promised Phase1B of round_ whose complete range covers an instance being re-decided
// reports that acceptor's vote there (or that it has none), whichever request it answers.
void Coordinator::redecision_read(NodeId from, const Phase1B& m) {
  EYRIE_ASSERT(m.promised && m.round == round_);
  for (auto& [instance, r] : redecisions_) {
    if (r.voting || instance < m.first || instance >= m.reported_end) continue;
    // An acceptor that trimmed the instance cannot tell its vote; it does not count.
    if (instance < m.trimmed_below || !r.read.insert(from).second) continue;
    const auto vote = std::find_if(m.votes.begin(), m.votes.end(), [&](const Vote& v) { return v.instance == instance; });
    if (vote != m.votes.end() && (!r.highest || vote->round > r.highest->round)) r.highest = *vote;
    if (r.read.size() >= topology_.quorum()) start_redecision_phase2(instance, r);
  }
  // A majority read without any vote gives up (start_redecision_phase2 says why).
  std::erase_if(redecisions_, [this](const auto& entry) {
    const Redecision& r = entry.second;
    if (r.voting || r.highest || r.read.size() < topology_.quorum()) return false;
    env_.cancel(r.timer);
    return true;
  });
}

void Coordinator::start_redecision_phase2(Instance instance, Redecision& r) {
  if (!r.highest) {
    log_.warn("instance {} known decided but no vote among a majority; not re-deciding it", instance.value);
    return;  // erased by redecision_read
  }
  r.voting = true;
  r.digest = batch_digest(r.highest->value);
  const Phase2Classic request{topology_.id, round_, instance, r.highest->value};
  for (NodeId a : topology_.acceptors) send(a, request);
}

// Counts a Phase2B for an instance being re-decided. Every vote in round_ for that instance is
// for the same value (see the safety argument above), so a Phase2B left over from an earlier
// attempt, or from the instance's first proposal in this round, counts as well.
bool Coordinator::redecision_phase2b(NodeId from, const Phase2B& m) {
  const auto it = redecisions_.find(m.instance);
  if (it == redecisions_.end()) return false;
  Redecision& r = it->second;
  if (!r.voting) return true;
  r.phase2b.insert(from);
  if (r.phase2b.size() < topology_.quorum()) return true;
  announce_decided(m.instance, round_, r.highest->value, r.digest);
  redecided_.add();
  log_.info("re-decided instance {} in round {}", m.instance.value, round_.value);
  env_.cancel(r.timer);
  redecisions_.erase(it);
  return true;
}

// Lost messages or a slow majority: start over (a fresh read is as safe as the first), up to
// kRedecisionAttemptsMax attempts; learners still stuck ask again later.
void Coordinator::on_redecision_timeout(Instance instance, Round round, std::size_t attempt) {
  const auto it = redecisions_.find(instance);
  if (it == redecisions_.end() || mode_ != Mode::leading || round_ != round || it->second.attempts != attempt) return;
  if (attempt >= kRedecisionAttemptsMax) {
    redecisions_.erase(it);
    return;
  }
  start_redecision_attempt(instance);
}

void Coordinator::drop_redecisions() {
  for (const auto& [instance, r] : redecisions_) env_.cancel(r.timer);
  redecisions_.clear();
}

}  // namespace eyrie::multicast
