// Coordinator: leadership — heartbeats, suspicion, takeover and stepping down (Bezerra, §5.3.3
// "Coordinator failure"), and what the candidate knows decided.

#include "multicast/coordinator.hpp"

#include <algorithm>

#include "runtime/assert.hpp"

namespace eyrie::multicast {

namespace {

std::string counter_key(EnsembleId id) { return "ridge/coord/" + std::to_string(id.value) + "/counter"; }

Payload encode_u64(std::uint64_t v) {
  std::array<std::byte, 8> bytes{};
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
  return Payload::copy_of(bytes);
}

}  // namespace

CoordinatorOptions CoordinatorOptions::from(const RidgeConfig& config) {
  CoordinatorOptions options;
  options.null_interval = config.null_interval;
  options.heartbeat_interval = config.coordinator_heartbeat;
  options.coordinator_timeout = config.coordinator_timeout;
  options.phase2_timeout = config.phase2_timeout;
  options.suspicion_expiry = 10 * config.phase2_timeout;
  options.batching = config.batching;
  options.phase1_window_instances = std::max<std::size_t>(config.phase1_window_instances, 2);
  options.inflight_instances_max = std::max<std::size_t>(config.inflight_instances_max, 1);
  // Optimistic delivery: propose in initial-timestamp order (§5.3.4 (b)).
  if (config.optimistic.enabled) options.queue.hold = config.optimistic.coordinator_wait;
  return options;
}

Coordinator::Coordinator(Env& env, const EnsembleTopology& topology, CoordinatorOptions options)
    : env_(env),
      topology_(topology),
      options_(options),
      index_(topology.candidate_index(env.self()).value()),
      log_(env.log().child("coordinator" + std::to_string(topology.id.value))),
      queue_(options.queue),
      proposals_(env.metrics().counter("ridge.coordinator.proposals")),
      nulls_(env.metrics().counter("ridge.coordinator.null_batches")),
      classic_(env.metrics().counter("ridge.coordinator.classic_fallbacks")),
      takeovers_(env.metrics().counter("ridge.coordinator.takeovers")),
      refused_(env.metrics().counter("ridge.coordinator.refused_messages")),
      redecided_(env.metrics().counter("ridge.coordinator.redecided_instances")) {
  EYRIE_ASSERT(options_.phase1_window_instances >= 2 && options_.inflight_instances_max >= 1);
}

std::uint64_t Coordinator::stored_counter() const {
  const std::optional<Payload> stored = env_.storage().get(counter_key(topology_.id));
  if (!stored || stored->size() != 8) return 0;
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(stored->bytes()[i]) << (8 * i);
  return v;
}

void Coordinator::start() {
  last_leader_contact_ = env_.now();
  last_proposal_ = env_.now();
  // Only a first boot of the first candidate coordinates at once; after a restart a candidate
  // listens first, so that it does not depose a healthy coordinator that replaced it.
  if (index_ == 0 && stored_counter() == 0) take_over();
  env_.after(options_.heartbeat_interval, [this] { tick(); });
  env_.after(options_.null_interval, [this] { on_null_timer(); });
}

void Coordinator::suspect(NodeId acceptor) {
  if (!suspected_.insert(acceptor).second) return;
  const std::uint32_t in_a_row = std::min<std::uint32_t>(++suspicions_in_a_row_[acceptor], 7);
  suspected_until_[acceptor] = env_.now() + options_.suspicion_expiry * (std::int64_t{1} << (in_a_row - 1));
}

void Coordinator::answered(NodeId acceptor) {
  suspected_.erase(acceptor);
  suspected_until_.erase(acceptor);
  suspicions_in_a_row_.erase(acceptor);
}

void Coordinator::tick() {
  env_.after(options_.heartbeat_interval, [this] { tick(); });
  send_heartbeats();
  for (auto it = suspected_until_.begin(); it != suspected_until_.end();) {
    if (env_.now() >= it->second) {
      suspected_.erase(it->first);
      it = suspected_until_.erase(it);
    } else {
      ++it;
    }
  }
  if (mode_ == Mode::follower && coordinator_suspected()) take_over();
}

void Coordinator::send_heartbeats() {
  const bool coordinating = mode_ != Mode::follower;
  const Heartbeat heartbeat{topology_.id, coordinating ? round_ : highest_seen_, coordinating, decided_below_};
  for (NodeId candidate : topology_.candidates) {
    if (candidate != env_.self()) send(candidate, heartbeat);
  }
}

// Candidates after the suspected coordinator wait in turn (1, 2, ... timeouts), so that the
// next one normally takes over alone and the others hear its heartbeats before their turn.
bool Coordinator::coordinator_suspected() const {
  const std::size_t n = topology_.candidates.size();
  const std::size_t leader_index = leader_ ? topology_.candidate_index(*leader_).value_or(0) : 0;
  const std::size_t rank = (index_ + n - leader_index - 1) % n;
  return env_.now() - last_leader_contact_ >= options_.coordinator_timeout * static_cast<std::int64_t>(1 + rank);
}

void Coordinator::take_over() {
  const std::uint64_t counter = std::max(highest_seen_.counter(), stored_counter()) + 1;
  const Round round = Round::make(counter, static_cast<std::uint16_t>(index_));
  takeovers_.add();
  log_.info("taking over with round {} (counter {})", round.value, counter);
  // The counter is durable before the round is used: a restarted candidate must never propose
  // in a round it may already have used with another value.
  env_.storage().put(counter_key(topology_.id), encode_u64(counter));
  mode_ = Mode::preparing;
  round_ = round;
  observe_round(round);
  leader_ = env_.self();
  env_.storage().sync([this, round] {
    if (mode_ == Mode::preparing && round_ == round) become_preparing(round);
  });
}

void Coordinator::become_preparing(Round round) {
  EYRIE_ASSERT(round_ == round && mode_ == Mode::preparing);
  send_heartbeats();
  // Look back a little below the decided prefix: the votes found there tell which messages are
  // decided already, so that senders' retransmissions of them are acknowledged, not reordered.
  const std::uint64_t lookback = std::min<std::uint64_t>(decided_below_.value, options_.inflight_instances_max);
  const Instance first{decided_below_.value - lookback};
  // Nothing is prepared in a new round: a promise covers every instance, but only the votes of
  // the ranges that Phase 1 read are known, so proposals wait for each range's answers.
  prepared_end_ = first;
  next_instance_ = decided_below_;
  recovery_end_ = decided_below_;
  start_phase1(first);
}

void Coordinator::step_down(Round higher) {
  observe_round(higher);
  if (mode_ == Mode::follower) return;
  log_.info("stepping down from round {}: saw round {}", round_.value, higher.value);
  for (auto& [instance, flight] : in_flight_) env_.cancel(flight.timer);
  if (phase1_) env_.cancel(phase1_->resend);
  if (batch_timer_) env_.cancel(*batch_timer_);
  batch_timer_.reset();
  if (hold_timer_) env_.cancel(*hold_timer_);
  hold_timer_.reset();
  drop_redecisions();
  in_flight_.clear();
  awaiting_prefix_.clear();
  forced_.clear();
  phase1_.reset();
  queue_.clear();  // senders retransmit to the new coordinator (NotLeader tells them where)
  mode_ = Mode::follower;
  round_ = Round{};
  leader_ = topology_.candidate_of(higher);
  last_leader_contact_ = env_.now();
}

void Coordinator::observe_round(Round round) { highest_seen_ = std::max(highest_seen_, round); }

void Coordinator::on_heartbeat(NodeId from, const Heartbeat& m) {
  if (!topology_.is_candidate(from)) return;
  observe_round(m.round);
  advance_decided_below(m.decided_below);
  if (!m.coordinating || topology_.candidate_of(m.round) != from) return;
  if (mode_ != Mode::follower) {
    if (m.round > round_) step_down(m.round);
    return;  // a lower round's coordinator steps down when it hears us
  }
  // Follow the highest coordinating round heard; a stale coordinator's beats do not count.
  const bool current = !leader_ || *leader_ == from || m.round >= highest_seen_;
  if (current) {
    leader_ = from;
    last_leader_contact_ = env_.now();
  }
}

void Coordinator::on_nack(const Nack& m) {
  observe_round(m.promised);
  if (mode_ != Mode::follower && m.rejected == round_ && m.promised > round_) step_down(m.promised);
}

void Coordinator::on_decision(const Decision& m) {
  note_decided(m.instance);
  settle(m.instance, m.digest);
}

void Coordinator::note_decided(Instance instance) {
  if (instance < decided_below_) return;
  // Far above the prefix means a gap this candidate may never fill itself; heartbeats from
  // the coordinator advance the prefix instead.
  if (instance.value >= decided_below_.value + 4 * options_.phase1_window_instances) return;
  decided_above_.insert(instance);
  extend_decided_prefix();
}

void Coordinator::advance_decided_below(Instance below) {
  if (below <= decided_below_) return;
  decided_below_ = below;
  decided_above_.erase(decided_above_.begin(), decided_above_.lower_bound(below));
  extend_decided_prefix();
}

void Coordinator::extend_decided_prefix() {
  while (!decided_above_.empty() && *decided_above_.begin() == decided_below_) {
    decided_above_.erase(decided_above_.begin());
    decided_below_ = decided_below_.next();
  }
  flush_acknowledgements();
}

bool Coordinator::known_decided(Instance instance) const {
  return instance < decided_below_ || decided_above_.contains(instance);
}

void Coordinator::check_invariants() const {
  EYRIE_ASSERT(in_flight_.size() <= inflight_hard_max());
  EYRIE_ASSERT(decided_above_.empty() || *decided_above_.begin() > decided_below_);
  EYRIE_ASSERT(round_ <= highest_seen_);
  if (mode_ == Mode::follower) {
    EYRIE_ASSERT(in_flight_.empty() && forced_.empty() && !phase1_ && redecisions_.empty());
  } else {
    EYRIE_ASSERT(round_.candidate_index() == index_ && round_.value != 0);
  }
  for (const auto& [instance, flight] : in_flight_) {
    EYRIE_ASSERT(instance < prepared_end_ && instance < next_instance_, "proposals only in prepared instances");
    EYRIE_ASSERT(flight.round == round_);
  }
  EYRIE_ASSERT(redecisions_.size() <= kRedecisionsMax);
  for (const auto& [instance, r] : redecisions_) {
    EYRIE_ASSERT(mode_ == Mode::leading && known_decided(instance) && !in_flight_.contains(instance));
    EYRIE_ASSERT(!r.voting || r.highest.has_value(), "Phase 2 only with the highest vote of a majority");
  }
  queue_.check_invariants();
}

}  // namespace eyrie::multicast
