#include "multicast/acceptor.hpp"

#include <algorithm>
#include <set>

#include "multicast/wire.hpp"
#include "runtime/assert.hpp"

namespace eyrie::multicast {

AcceptorOptions AcceptorOptions::from(const RidgeConfig& config) {
  AcceptorOptions options;
  options.durable = config.acceptor_storage == AcceptorStorage::disk;
  options.lean_values = config.optimistic.enabled;
  options.retained_instances = std::max<std::size_t>(config.retained_instances, 1);
  // Undecided votes can only lie within the coordinators' Phase 1 windows; twice that is slack
  // for a new coordinator preparing past an old one's window.
  options.votes_max = options.retained_instances + 2 * config.phase1_window_instances + config.inflight_instances_max;
  return options;
}

Acceptor::Acceptor(Env& env, const EnsembleTopology& topology, AcceptorOptions options, VoteFn on_vote)
    : env_(env),
      topology_(topology),
      options_(options),
      on_vote_(std::move(on_vote)),
      store_(env.storage(), topology.id),
      log_(env.log().child("acceptor" + std::to_string(topology.id.value))),
      refused_full_(env.metrics().counter("ridge.acceptor.refused_full")),
      rejected_(env.metrics().counter("ridge.acceptor.rejected")) {
  EYRIE_ASSERT(options_.votes_max > options_.retained_instances);
}

void Acceptor::load() {
  if (!options_.durable) return;
  StoredAcceptorState state = store_.load();
  promised_ = state.promised;
  trimmed_below_ = state.trimmed_below;
  for (auto& [instance, stored] : state.votes) {
    // A vote is also a promise: rnd >= v-rnd always (§5.2).
    promised_ = std::max(promised_, stored.round);
    const std::uint64_t digest = batch_digest(stored.value);
    votes_[instance] = AcceptedVote{stored.round, std::move(stored.value), digest, stored.decided};
  }
  if (!votes_.empty()) log_.info("reloaded promise {} and {} votes", promised_.value, votes_.size());
}

const Acceptor::AcceptedVote* Acceptor::vote(Instance instance) const {
  const auto it = votes_.find(instance);
  return it == votes_.end() ? nullptr : &it->second;
}

bool Acceptor::sender_owns_round(NodeId from, Round round) const {
  const std::optional<NodeId> owner = topology_.candidate_of(round);
  if (owner && *owner == from) return true;
  rejected_.add();
  return false;
}

void Acceptor::after_durable(std::function<void()> then) {
  if (options_.durable) {
    env_.storage().sync(std::move(then));
  } else {
    then();
  }
}

void Acceptor::nack(Round rejected) {
  if (const std::optional<NodeId> owner = topology_.candidate_of(rejected)) {
    send(*owner, Nack{topology_.id, rejected, promised_});
  }
}

void Acceptor::on_phase1a(NodeId from, const Phase1A& m) {
  if (!sender_owns_round(from, m.round)) return;
  Phase1B reply{.ensemble = topology_.id, .round = m.round, .promised_round = std::max(promised_, m.round),
                .first = m.first, .reported_end = m.first, .trimmed_below = trimmed_below_};
  if (m.round < promised_) {  // Algorithm 2, Task 2: only a higher (or the same, resent) round
    send(from, reply);
    return;
  }
  if (m.round > promised_) {
    promised_ = m.round;
    if (options_.durable) store_.save_promise(promised_);
  }
  reply.promised = true;
  // Report votes in order; stop early (but after at least one) when the reply grows too big.
  std::size_t bytes = 0;
  reply.reported_end = m.end;
  for (auto it = votes_.lower_bound(m.first); it != votes_.end() && it->first < m.end; ++it) {
    if (reply.votes.size() >= kVotesPerMessageMax || (!reply.votes.empty() && bytes >= options_.reply_bytes_max)) {
      reply.reported_end = it->first;
      break;
    }
    bytes += payload_bytes(it->second.value);
    reply.votes.push_back(Vote{it->first, it->second.round, it->second.value, it->second.decided});
  }
  // The promise must be durable before the coordinator can count on it.
  after_durable([this, from, reply = std::move(reply)] { send(from, reply); });
}

bool Acceptor::vote_for(Round round, Instance instance, const Batch& value) {
  if (round < promised_) {  // Algorithm 3, Task 4: c-rnd >= rnd
    nack(round);
    return false;
  }
  if (instance < trimmed_below_) return false;  // decided long ago and forgotten
  auto it = votes_.find(instance);
  if (it == votes_.end() && votes_.size() >= options_.votes_max) {
    refused_full_.add();
    return false;
  }
  promised_ = round;
  const std::uint64_t digest = batch_digest(value);
  if (it == votes_.end()) it = votes_.emplace(instance, AcceptedVote{}).first;
  AcceptedVote& v = it->second;
  const bool same = v.round == round && v.digest == digest;
  // A decision stays known across rounds: any later round proposes the decided value (Paxos).
  const bool decided = v.decided && v.digest == digest;
  v = AcceptedVote{round, value, digest, decided};
  if (options_.durable && !same) store_.save_vote(instance, round, value);
  if (on_vote_) on_vote_(instance, round, value);
  return true;
}

void Acceptor::on_phase2(NodeId from, const Phase2& m) {
  const bool length_ok = m.chain.size() == topology_.quorum() ||
                         (options_.fault_accept_short_chains && !m.chain.empty() && m.chain.size() < topology_.quorum());
  const bool chain_ok = length_ok && m.votes < m.chain.size() && m.chain[m.votes] == env_.self() &&
                        std::all_of(m.chain.begin(), m.chain.end(), [&](NodeId a) { return topology_.is_acceptor(a); }) &&
                        std::set<NodeId>(m.chain.begin(), m.chain.end()).size() == m.chain.size();
  const bool from_ok = m.votes == 0 ? sender_owns_round(from, m.round) : from == m.chain[m.votes - 1];
  if (!chain_ok || !from_ok) {
    rejected_.add();
    return;
  }
  if (!vote_for(m.round, m.instance, m.value)) return;
  after_durable([this, m] { continue_chain(m); });
}

void Acceptor::continue_chain(const Phase2& m) {
  const std::uint32_t votes = m.votes + 1;
  if (votes < m.chain.size()) {
    Phase2 next = m;
    next.votes = votes;
    send(m.chain[votes], next);
    return;
  }
  announce_decision(m);
}

// The last acceptor of the chain completed a majority (Algorithm 3, lines 29-32).
void Acceptor::announce_decision(const Phase2& m) {
  const std::uint64_t digest = batch_digest(m.value);
  learn_decided(m.instance, m.round, digest);
  const Decision decision{topology_.id, m.instance, m.round, digest};
  std::set<NodeId> targets(topology_.learners.begin(), topology_.learners.end());
  targets.insert(topology_.candidates.begin(), topology_.candidates.end());
  targets.insert(topology_.acceptors.begin(), topology_.acceptors.end());
  if (!topology_.is_learner(env_.self()) && !topology_.is_candidate(env_.self())) targets.erase(env_.self());
  const Payload encoded = encode(decision);  // once for every target
  for (NodeId to : targets) env_.send(to, kDecision, encoded);
  if (options_.lean_values) {
    Batch ids_only = m.value;
    for (MulticastMessage& message : ids_only.messages) message.payload = Payload{};
    // Balance by the full value's size: the work a distributor causes grows with it.
    if (const auto distributor = balancer_.choose(topology_.learners, m.chain, payload_bytes(m.value))) {
      send(*distributor, Distribute{topology_.id, m.instance, m.round, std::move(ids_only), m.chain, true, digest});
    }
  } else if (const auto distributor = balancer_.choose(topology_.learners, m.chain, payload_bytes(m.value))) {
    send(*distributor, Distribute{topology_.id, m.instance, m.round, m.value, m.chain});
  }
}

void Acceptor::on_phase2_classic(NodeId from, const Phase2Classic& m) {
  if (!sender_owns_round(from, m.round)) return;
  if (!vote_for(m.round, m.instance, m.value)) return;
  after_durable([this, from, reply = Phase2B{topology_.id, m.round, m.instance}] { send(from, reply); });
}

void Acceptor::on_decision(const Decision& m) {
  if (m.instance >= trimmed_below_) {
    decisions_heard_.insert_or_assign(m.instance, HeardDecision{m.round, m.digest});
    while (decisions_heard_.size() > kDecisionsHeardMax) decisions_heard_.erase(decisions_heard_.begin());
  }
  learn_decided(m.instance, m.round, m.digest);
}

void Acceptor::learn_decided(Instance instance, Round round, std::uint64_t digest) {
  auto it = votes_.find(instance);
  // Without our own copy of the decided value there is nothing to serve to learners.
  if (it == votes_.end() || it->second.digest != digest || it->second.decided) return;
  it->second.decided = true;
  if (options_.durable) store_.save_decided(instance, it->second.round);
  trim_retained();
}

// Keeps at least retained_instances; drops decided instances from the bottom beyond that.
void Acceptor::trim_retained() {
  while (votes_.size() > options_.retained_instances && votes_.begin()->second.decided) {
    trim_below(votes_.begin()->first.next());
  }
}

void Acceptor::trim_below(Instance below) {
  if (below <= trimmed_below_) return;
  decisions_heard_.erase(decisions_heard_.begin(), decisions_heard_.lower_bound(below));
  while (!votes_.empty() && votes_.begin()->first < below) {
    if (options_.durable) store_.erase_instance(votes_.begin()->first);
    votes_.erase(votes_.begin());
  }
  trimmed_below_ = below;
  if (options_.durable) store_.save_trimmed(below);
}

void Acceptor::on_trim(NodeId from, const Trim& m) {
  if (!topology_.is_learner(from)) {
    rejected_.add();
    return;
  }
  Instance& released = released_[from];
  released = std::max(released, m.below);
  Instance common = m.below;
  for (NodeId learner : topology_.learners) {
    const auto it = released_.find(learner);
    if (it == released_.end()) return;  // someone may still need everything
    common = std::min(common, it->second);
  }
  // Delivered by every learner, so decided, even where this acceptor never heard the decision.
  trim_below(common);
}

void Acceptor::on_fetch(NodeId from, const Fetch& m) {
  FetchReply reply{.ensemble = topology_.id, .trimmed_below = trimmed_below_};
  std::size_t bytes = 0;
  for (auto it = votes_.lower_bound(m.first); it != votes_.end(); ++it) {
    if (reply.votes.size() >= m.count_max || (!reply.votes.empty() && bytes >= options_.reply_bytes_max)) break;
    bytes += payload_bytes(it->second.value);
    reply.votes.push_back(Vote{it->first, it->second.round, it->second.value, it->second.decided});
  }
  send(from, reply);
  // The decisions heard for the same range, where no decided vote above already tells.
  std::uint32_t sent = 0;
  for (auto it = decisions_heard_.lower_bound(m.first); it != decisions_heard_.end() && sent < m.count_max; ++it) {
    if (it->first.value >= m.first.value + m.count_max) break;
    const auto vote = votes_.find(it->first);
    if (vote != votes_.end() && vote->second.decided) continue;
    send(from, Decision{topology_.id, it->first, it->second.round, it->second.digest});
    ++sent;
  }
}

void Acceptor::check_invariants() const {
  EYRIE_ASSERT(votes_.size() <= options_.votes_max);
  if (!votes_.empty()) EYRIE_ASSERT(votes_.begin()->first >= trimmed_below_);
  // Checked on the newest votes only: this runs after every simulated event.
  std::size_t checked = 0;
  for (auto it = votes_.rbegin(); it != votes_.rend() && checked < 64; ++it, ++checked) {
    EYRIE_ASSERT(it->second.round <= promised_, "a vote is also a promise");
    EYRIE_ASSERT(it->second.round.value != 0);
  }
}

}  // namespace eyrie::multicast
