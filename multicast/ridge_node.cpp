#include "multicast/ridge_node.hpp"

#include <array>

#include "multicast/message_types.hpp"
#include "runtime/assert.hpp"

namespace eyrie::multicast {

namespace {
constexpr std::array<MessageTypeRange, 1> kTypes{kRidgeTypes};
}  // namespace

RidgeNode::RidgeNode(Env& env, const RidgeConfig& config, DeliverFn on_deliver, RidgeNodeOptions options)
    : env_(env),
      log_(env.log().child("ridge")),
      multicaster_(env, config, options.sender),
      unexpected_push_(env.metrics().counter("ridge.opt.push_unexpected")),
      config_(config) {
  const NodeId self = env.self();
  const std::vector<EnsembleId> learned = config.ensembles_learned_by(self);
  EYRIE_ASSERT(!options.resume || !learned.empty(), "only a learner resumes from a checkpoint");
  EnsembleHost::DecidedFn on_decided;
  if (!learned.empty()) {
    Counter& delivered = env.metrics().counter("ridge.delivered");
    Counter& delivered_bytes = env.metrics().counter("ridge.delivered_bytes");
    Histogram& latency = env.metrics().histogram("ridge.cons_latency_us");
    auto deliver = [this, &delivered, &delivered_bytes, &latency, fn = std::move(on_deliver)](const Delivery& d) {
      if (optimistic_) optimistic_->before_conservative(d);
      delivered.add();
      delivered_bytes.add(d.payload.size());
      latency.record(std::chrono::duration_cast<std::chrono::microseconds>(env_.wall_clock() - d.timestamp).count());
      if (fn) fn(d);
    };
    // Tags for all of the cluster's ensembles, not only the learned ones: a final timestamp
    // must be the same at every learner of its ensemble, whatever else each one learns.
    if (config.unique_timestamps) options.pipeline.merger.timestamp_tags = config.timestamp_tags();
    pipeline_ = std::make_unique<DeliveryPipeline>(
        config.groups_of(self), learned, options.pipeline, env.metrics(), std::move(deliver),
        [this](EnsembleId ensemble, bool paused) {
          if (EnsembleLearner* learner = host_->learner(ensemble)) learner->set_paused(paused);
        });
    pipeline_->set_log(&log_);
    if (options.resume) resume_from(*options.resume, options);
    on_decided = [this](EnsembleId e, Instance k, const Batch& b) { pipeline_->decided(e, k, b); };
    if (config.optimistic.enabled) {
      optimistic_ = std::make_unique<OptimisticLearner>(
          env, config, config.groups_of(self), OptimisticLearner::Options::from(config), std::move(options.on_opt_deliver),
          [this](const MulticastMessage& m) { multicaster_.propose_again(m); },
          [this](EnsembleId e, const MessageId& id) { return pipeline_->merged_already(e, id); });
    }
  }
  host_ = std::make_unique<EnsembleHost>(env, config, self, std::move(on_decided), options.host);
  if (optimistic_) {
    for (EnsembleId e : learned) {
      host_->learner(e)->set_payload_source(
          [this](EnsembleId ensemble, MulticastMessage& m) { return optimistic_->complete(ensemble, m); });
    }
  }
}

bool RidgeNode::can_resume(const RidgeConfig& config, NodeId self, const LearnerCheckpoint& checkpoint,
                           const RidgeNodeOptions& options, std::string* error) {
  return DeliveryPipeline::can_resume(checkpoint, config.ensembles_learned_by(self), options.pipeline, error);
}

// Before the host exists: its learners start where the checkpoint's merge state says.
void RidgeNode::resume_from(const LearnerCheckpoint& checkpoint, RidgeNodeOptions& options) {
  EYRIE_ASSERT(options.host.learner_start.empty(), "a resumed node's learners start where its checkpoint says");
  for (const MergeStreamState& s : checkpoint.merge.streams) options.host.learner_start[s.ensemble] = s.next_instance;
  pipeline_->resume_from(checkpoint);
  log_.info("resuming delivery at position {} from a checkpoint", checkpoint.position + 1);
}

std::span<const MessageTypeRange> RidgeNode::message_types() const { return kTypes; }

void RidgeNode::start() {
  host_->start();
  if (optimistic_) optimistic_->start();
  env_.after(std::chrono::seconds(1), [this] { send_trims(); });
  multicaster_.start();
}

void RidgeNode::on_message(const Message& message) {
  if (EnsembleHost::handles(message.type)) return host_->on_message(message);
  if (message.type == kOptPush) {
    if (optimistic_) return optimistic_->on_push(message);
    return unexpected_push_.add();  // optimistic delivery is off, or this node learns nothing
  }
  // ProposeAck, NotLeader, and anything else in Ridge's range: the sender rejects what it does
  // not know (counted).
  multicaster_.on_message(message);
}

void RidgeNode::trim(EnsembleId ensemble, Instance below) {
  Instance& current = trimmed_[ensemble];
  if (below <= current) return;
  current = below;
  const Payload request = encode(Trim{ensemble, below});
  for (NodeId acceptor : config_.ensemble(ensemble).acceptors) env_.send(acceptor, kTrim, request);
}

void RidgeNode::send_trims() {
  env_.after(std::chrono::seconds(1), [this] { send_trims(); });
  for (const auto& [ensemble, below] : trimmed_) {
    const Payload request = encode(Trim{ensemble, below});
    for (NodeId acceptor : config_.ensemble(ensemble).acceptors) env_.send(acceptor, kTrim, request);
  }
}

void RidgeNode::check_invariants() const {
  host_->check_invariants();
  if (pipeline_) pipeline_->check_invariants();
  if (optimistic_) optimistic_->check_invariants();
  multicaster_.check_invariants();
}

}  // namespace eyrie::multicast
