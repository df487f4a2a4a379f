#pragma once
// RidgeNode: the "ridge" role of a node: every part the Ridge configuration gives this node
// (acceptor, coordinator candidate and learner of some ensembles, via EnsembleHost), the
// delivery pipeline of a group member, and a sender (Multicaster) that any node can use.
//
// Upper layers (the S-SMR partition runtime, tests, the simulator's multicast scenario) get
// conservative deliveries through `on_deliver`, in the same relative order at every learner
// (atomic order), optimistic ones through RidgeNodeOptions::on_opt_deliver, and multicast
// through multicaster().
//
// Metrics of a learner node (wall clock at delivery minus the message's initial timestamp, so
// comparable across processes of one host): histograms `ridge.cons_latency_us` and
// `ridge.opt_latency_us`; counters `ridge.delivered`, `ridge.delivered_bytes`,
// `ridge.opt.delivered`, and `ridge.opt.compared` / `ridge.opt.mistakes` (the i-th optimistic
// delivery compared with the i-th conservative one, §5.1).
//
// Restarts: a learner node starts from the start of each ensemble's retained log (instance 0,
// position 1), or from RidgeNodeOptions::resume, a checkpoint its upper layer took with
// pipeline()->checkpoint() and kept durable: each learner then starts at the checkpoint's next
// instance and delivery goes on at its position + 1 (multicast/checkpoint.hpp).

#include <functional>
#include <memory>
#include <optional>

#include "multicast/checkpoint.hpp"
#include "multicast/delivery_pipeline.hpp"
#include "multicast/ensemble_host.hpp"
#include "multicast/multicaster.hpp"
#include "multicast/optimistic_learner.hpp"
#include "runtime/env.hpp"

namespace eyrie::multicast {

struct RidgeNodeOptions {
  // Optimistic deliveries, when the configuration enables them (RidgeConfig::optimistic).
  std::function<void(const OptDelivery&)> on_opt_deliver{};
  // Cluster nodes keep their id across restarts, so their sequence numbers must be durable.
  Multicaster::Options sender{.durable_seqs = true};
  DeliveryPipeline::Options pipeline{};
  EnsembleHostOptions host{};
  // Where conservative delivery resumes; nullopt: from scratch. Check it with can_resume() first
  // (the constructor asserts it); it sets host.learner_start, which must be left empty.
  std::optional<LearnerCheckpoint> resume{};
};

class RidgeNode final : public Role {
 public:
  using DeliverFn = DeliveryPipeline::DeliverFn;

  // Precondition: `config` outlives the role.
  RidgeNode(Env& env, const RidgeConfig& config, DeliverFn on_deliver, RidgeNodeOptions options = {});

  std::string_view name() const override { return "ridge"; }
  std::span<const MessageTypeRange> message_types() const override;
  void start() override;
  void on_message(const Message& message) override;
  void check_invariants() const override;

  // Whether node `self` of `config` can resume from `checkpoint` with `options`; the reason in
  // *error when not (a checkpoint of another node's ensembles, filters beyond the limits, ...).
  static bool can_resume(const RidgeConfig& config, NodeId self, const LearnerCheckpoint& checkpoint,
                         const RidgeNodeOptions& options, std::string* error);

  Multicaster& multicaster() { return multicaster_; }
  // The upper layer no longer needs instances below `below` of `ensemble` (it delivered them
  // and keeps what it needs elsewhere, e.g. in a checkpoint). The ensemble's acceptors drop
  // the instances that every learner has let go of. Only raises; re-sent every second, since
  // messages can be lost and acceptors keep it in memory only.
  void trim(EnsembleId ensemble, Instance below);
  EnsembleHost& host() { return *host_; }
  // Null for a node that is in no group (it learns nothing).
  const DeliveryPipeline* pipeline() const { return pipeline_.get(); }
  // Null unless optimistic delivery is on and this node learns.
  const OptimisticLearner* optimistic() const { return optimistic_.get(); }

 private:
  void resume_from(const LearnerCheckpoint& checkpoint, RidgeNodeOptions& options);

  Env& env_;
  Logger log_;
  std::unique_ptr<DeliveryPipeline> pipeline_;
  std::unique_ptr<EnsembleHost> host_;
  Multicaster multicaster_;
  std::unique_ptr<OptimisticLearner> optimistic_;  // after multicaster_: it re-proposes through it
  Counter& unexpected_push_;
  const RidgeConfig& config_;
  std::map<EnsembleId, Instance> trimmed_;  // what this node's upper layer let go of
  void send_trims();
};

}  // namespace eyrie::multicast
