#include "multicast/ensemble_host.hpp"

#include <type_traits>
#include <variant>

#include "runtime/assert.hpp"

namespace eyrie::multicast {

EnsembleHost::EnsembleHost(Env& env, const RidgeConfig& config, NodeId self, DecidedFn on_decided,
                           EnsembleHostOptions options)
    : env_(env),
      log_(env.log().child("ensembles")),
      malformed_(env.metrics().counter("ridge.ensemble.malformed")),
      unroutable_(env.metrics().counter("ridge.ensemble.unroutable")) {
  EYRIE_ASSERT(self == env.self());
  for (const EnsembleConfig& ensemble : config.ensembles) {
    auto p = std::make_unique<Parts>(Parts{.topology = EnsembleTopology::from(config, ensemble)});
    const EnsembleTopology& topology = p->topology;
    if (topology.is_learner(self)) {
      const auto start = options.learner_start.find(ensemble.id);
      p->learner = std::make_unique<EnsembleLearner>(
          env, topology, options.learner.value_or(LearnerOptions::from(config)),
          start == options.learner_start.end() ? Instance{0} : start->second, on_decided);
    }
    if (topology.is_acceptor(self)) {
      EnsembleLearner* local = p->learner.get();
      Acceptor::VoteFn on_vote;
      if (local) on_vote = [local](Instance i, Round r, const Batch& v) { local->offer_vote(i, r, v); };
      p->acceptor = std::make_unique<Acceptor>(env, topology, options.acceptor.value_or(AcceptorOptions::from(config)),
                                               std::move(on_vote));
    }
    if (topology.is_candidate(self)) {
      p->coordinator = std::make_unique<Coordinator>(env, topology,
                                                     options.coordinator.value_or(CoordinatorOptions::from(config)));
    }
    ensembles_.emplace(ensemble.id, std::move(p));
  }
}

void EnsembleHost::start() {
  for (auto& [id, p] : ensembles_) {
    if (p->acceptor) p->acceptor->load();
  }
  for (auto& [id, p] : ensembles_) {
    if (p->learner) p->learner->start();
    if (p->coordinator) p->coordinator->start();
  }
}

EnsembleHost::Parts* EnsembleHost::parts(EnsembleId ensemble) {
  const auto it = ensembles_.find(ensemble);
  return it == ensembles_.end() ? nullptr : it->second.get();
}

Acceptor* EnsembleHost::acceptor(EnsembleId e) { return parts(e) ? parts(e)->acceptor.get() : nullptr; }
Coordinator* EnsembleHost::coordinator(EnsembleId e) { return parts(e) ? parts(e)->coordinator.get() : nullptr; }
EnsembleLearner* EnsembleHost::learner(EnsembleId e) { return parts(e) ? parts(e)->learner.get() : nullptr; }

void EnsembleHost::on_message(const Message& message) {
  EYRIE_ASSERT(handles(message.type));
  if (message.type == kPropose) return on_propose(message);
  std::string error;
  std::optional<EnsembleMessage> decoded = decode_ensemble_message(message.type, message.payload, &error);
  if (!decoded) return reject(message, error);
  route(message.from, message.type, std::move(*decoded));
}

void EnsembleHost::on_propose(const Message& message) {
  std::string error;
  std::optional<Propose> propose = decode_propose(message.payload, &error);
  if (!propose) return reject(message, error);
  Parts* p = parts(propose->ensemble);
  if (!p || !p->coordinator) return unroutable(message.type);
  p->coordinator->on_propose(message.from, std::move(*propose));
}

// Which part handles what: acceptors take Phase 1A/2 and fetches, coordinators take the
// answers, heartbeats and stuck learners' Redecide requests, learners take values; a Decision
// interests all three.
void EnsembleHost::route(NodeId from, MessageType type, EnsembleMessage message) {
  Parts* p = parts(ensemble_of(message));
  if (!p) return unroutable(type);
  Acceptor* a = p->acceptor.get();
  Coordinator* c = p->coordinator.get();
  EnsembleLearner* l = p->learner.get();
  bool handled = false;
  const auto to = [&handled](auto* part, auto&& fn) {
    if (part) {
      fn(*part);
      handled = true;
    }
  };
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, Phase1A>) to(a, [&](Acceptor& x) { x.on_phase1a(from, m); });
        if constexpr (std::is_same_v<M, Phase2>) to(a, [&](Acceptor& x) { x.on_phase2(from, m); });
        if constexpr (std::is_same_v<M, Phase2Classic>) to(a, [&](Acceptor& x) { x.on_phase2_classic(from, m); });
        if constexpr (std::is_same_v<M, Fetch>) to(a, [&](Acceptor& x) { x.on_fetch(from, m); });
        if constexpr (std::is_same_v<M, Trim>) to(a, [&](Acceptor& x) { x.on_trim(from, m); });
        if constexpr (std::is_same_v<M, Phase1B>) to(c, [&](Coordinator& x) { x.on_phase1b(from, m); });
        if constexpr (std::is_same_v<M, Phase2B>) to(c, [&](Coordinator& x) { x.on_phase2b(from, m); });
        if constexpr (std::is_same_v<M, Heartbeat>) to(c, [&](Coordinator& x) { x.on_heartbeat(from, m); });
        if constexpr (std::is_same_v<M, Nack>) to(c, [&](Coordinator& x) { x.on_nack(m); });
        if constexpr (std::is_same_v<M, Redecide>) to(c, [&](Coordinator& x) { x.on_redecide(from, m); });
        if constexpr (std::is_same_v<M, Distribute>) to(l, [&](EnsembleLearner& x) { x.on_distribute(from, m); });
        if constexpr (std::is_same_v<M, Value>) to(l, [&](EnsembleLearner& x) { x.on_value(m); });
        if constexpr (std::is_same_v<M, FetchReply>) to(l, [&](EnsembleLearner& x) { x.on_fetch_reply(from, m); });
        if constexpr (std::is_same_v<M, Decision>) {
          to(a, [&](Acceptor& x) { x.on_decision(m); });
          to(c, [&](Coordinator& x) { x.on_decision(m); });
          to(l, [&](EnsembleLearner& x) { x.on_decision(m); });
        }
      },
      message);
  if (!handled) unroutable(type);
}

void EnsembleHost::reject(const Message& message, std::string_view why) {
  malformed_.add();
  if (reject_limiter_.should_log()) {
    log_.warn("dropped message type {} from {}: {} ({} so far)", message.type.value, to_string(message.from), why,
              reject_limiter_.seen());
  }
}

// A well-formed message for a part this node does not play (a stale or misconfigured peer).
void EnsembleHost::unroutable(MessageType type) {
  unroutable_.add();
  log_.debug("no part of this node handles message type {} for that ensemble", type.value);
}

void EnsembleHost::check_invariants() const {
  for (const auto& [id, p] : ensembles_) {
    EYRIE_ASSERT(p->topology.id == id);
    if (p->acceptor) p->acceptor->check_invariants();
    if (p->coordinator) p->coordinator->check_invariants();
    if (p->learner) p->learner->check_invariants();
  }
}

}  // namespace eyrie::multicast
