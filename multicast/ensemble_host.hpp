#pragma once
// EnsembleHost: every part this node plays in every ensemble of the Ridge configuration —
// acceptor, coordinator candidate, learner — behind one message entry point. It decodes each
// payload once, rejects malformed ones (counted, rate-limited log, no state touched), and
// routes by the ensemble id that every ensemble message carries first. The RidgeNode role owns
// one host, beside the stream merger (which consumes on_decided) and the sender.
//
// Types handled: kPropose (1000) and the ensemble messages 1020..1079 (ensemble_wire.hpp).
// kProposeAck and kNotLeader go to senders, not here.

#include <functional>
#include <map>
#include <memory>

#include "multicast/acceptor.hpp"
#include "multicast/coordinator.hpp"
#include "multicast/ensemble_learner.hpp"
#include "runtime/env.hpp"

namespace eyrie::multicast {

struct EnsembleHostOptions {
  // Where each learner starts emitting; ensembles not listed start at instance 0.
  std::map<EnsembleId, Instance> learner_start;
  // Overrides for tests and tuning; derived from the RidgeConfig when unset.
  std::optional<LearnerOptions> learner;
  std::optional<CoordinatorOptions> coordinator;
  std::optional<AcceptorOptions> acceptor;
};

class EnsembleHost {
 public:
  using DecidedFn = EnsembleLearner::DecidedFn;

  // Precondition: `config` outlives the host and self == env.self().
  EnsembleHost(Env& env, const RidgeConfig& config, NodeId self, DecidedFn on_decided, EnsembleHostOptions options = {});
  EnsembleHost(const EnsembleHost&) = delete;
  EnsembleHost& operator=(const EnsembleHost&) = delete;

  // Reloads acceptors' durable state, then starts timers (coordinators, learners).
  void start();
  // Precondition: handles(message.type).
  void on_message(const Message& message);
  void check_invariants() const;

  static bool handles(MessageType type) {
    return type == kPropose || (kEnsembleFirst <= type && type <= kEnsembleLast);
  }

  // The parts this node plays in `ensemble`; null when it plays none (or no such ensemble).
  Acceptor* acceptor(EnsembleId ensemble);
  Coordinator* coordinator(EnsembleId ensemble);
  EnsembleLearner* learner(EnsembleId ensemble);

 private:
  struct Parts {
    EnsembleTopology topology;
    std::unique_ptr<Acceptor> acceptor{};
    std::unique_ptr<Coordinator> coordinator{};
    std::unique_ptr<EnsembleLearner> learner{};
  };

  Parts* parts(EnsembleId ensemble);
  void route(NodeId from, MessageType type, EnsembleMessage message);
  void on_propose(const Message& message);
  void reject(const Message& message, std::string_view why);
  void unroutable(MessageType type);

  Env& env_;
  Logger log_;
  LogLimiter reject_limiter_;
  Counter& malformed_;
  Counter& unroutable_;
  // unique_ptr: the roles keep references to their topology, which must not move.
  std::map<EnsembleId, std::unique_ptr<Parts>> ensembles_;
};

}  // namespace eyrie::multicast
