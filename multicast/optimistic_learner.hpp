#pragma once
// OptimisticLearner: the optimistic half of a learner node (Bezerra, Scalable State Machine
// Replication, USI 2016, §5.1 and §5.3.4).
//
// Senders push each message to the learners of its destination groups (kOptPush). This class
// keeps the pushed messages that are not yet conservatively delivered here and:
// - opt-delivers them in (initial timestamp, ensemble, id) order, each once the wall clock has
//   passed its timestamp plus the current wait, or once it has waited `wait_max` since it
//   arrived (a sender whose clock runs ahead must not stall the stream). The wait estimates the
//   push delay: the `delay_quantile` of the (arrival - timestamp) observed over the last
//   `delay_window` (at most `delay_samples` of them), capped at `wait_max` (§5.3.4 (c)), so it
//   follows the load both ways within about a window. Coordinators hold proposals for a similar time so that
//   they propose in timestamp order (§5.3.4 (b)); then both orders agree.
// - keeps equivalence: right before the pipeline delivers a message conservatively,
//   before_conservative() opt-delivers it if that has not happened yet (its push was lost,
//   late, or refused), so every message is opt-delivered exactly once and before its
//   conservative delivery. A push of a message already delivered conservatively is ignored
//   (the pipeline's duplicate filter says so).
// - counts mistakes: the i-th optimistic delivery compared with the i-th conservative one.
// - re-proposes: an opt-delivered message not delivered conservatively after
//   `repropose_after` is proposed to its ensemble again, on behalf of a sender that may have
//   crashed after pushing it; again every `repropose_after` until it is decided. Learners'
//   duplicate filters drop the extra decisions this may cause.
// - completes lean values (EnsembleLearner::PayloadSource): decisions carry ids, payloads come
//   from the pushes held here.
//
// Bounds: at most `messages_max` pushed messages held; a push beyond it is dropped (counted) and
// its message arrives with its decision instead. Delay samples: `delay_samples`.
// Metrics: ridge.opt.{delivered, forced, compared, mistakes, reproposed, push_dropped,
// push_rejected, push_duplicates}, histograms ridge.opt_latency_us and ridge.opt.wait_us.

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "multicast/config.hpp"
#include "runtime/env.hpp"

namespace eyrie::multicast {

class OptimisticLearner {
 public:
  using OptDeliverFn = std::function<void(const OptDelivery&)>;
  using ReproposeFn = std::function<void(const MulticastMessage&)>;
  // Whether `id` of `ensemble` was delivered conservatively here already (DeliveryPipeline).
  using DeliveredFn = std::function<bool(EnsembleId, const MessageId&)>;

  struct Options {
    Duration wait_max = std::chrono::milliseconds(2);
    Duration repropose_after = std::chrono::seconds(1);
    std::size_t messages_max = 65536;
    std::size_t delay_samples = 1024;
    Duration delay_window = std::chrono::seconds(1);  // samples older than this are not used
    double delay_quantile = 0.95;
    static Options from(const RidgeConfig& config);
  };

  // Precondition: `config` outlives this object; `groups` are this node's groups.
  OptimisticLearner(Env& env, const RidgeConfig& config, std::vector<GroupId> groups, Options options,
                    OptDeliverFn deliver, ReproposeFn repropose, DeliveredFn delivered);
  OptimisticLearner(const OptimisticLearner&) = delete;
  OptimisticLearner& operator=(const OptimisticLearner&) = delete;

  void start();
  // A kOptPush message; malformed or misaddressed ones are dropped and counted.
  void on_push(const Message& message);
  // The pipeline is about to deliver `d` conservatively.
  void before_conservative(const Delivery& d);
  // EnsembleLearner::PayloadSource.
  bool complete(EnsembleId ensemble, MulticastMessage& message) const;

  Duration wait() const { return wait_; }
  std::size_t held() const { return entries_.size(); }
  std::uint64_t opt_delivered() const { return position_; }
  void check_invariants() const;

 private:
  struct Entry {
    MulticastMessage message;
    EnsembleId ensemble;
    Time arrived{};
    bool delivered = false;  // opt-delivered, waiting for its conservative delivery
    Time delivered_at{};
    Time proposed_at{};
  };
  using Key = std::tuple<WallTime, EnsembleId, MessageId>;
  static Key key_of(const Entry& e) { return {e.message.timestamp, e.ensemble, e.message.id}; }

  void pushed(MulticastMessage message);
  bool addressed_here(const std::vector<GroupId>& destinations) const;
  bool ready(const Entry& e) const;
  void drain();
  void arm_timer();
  void opt_deliver(const MessageId& id, const std::vector<GroupId>& destinations, WallTime timestamp,
                   EnsembleId ensemble, const Payload& payload);
  void record_delay(Duration delay);
  void repropose_tick();

  Env& env_;
  const RidgeConfig& config_;
  std::vector<GroupId> groups_;  // sorted
  Options options_;
  OptDeliverFn deliver_;
  ReproposeFn repropose_;
  DeliveredFn delivered_before_;
  Logger log_;
  LogLimiter reject_limiter_;

  std::map<MessageId, Entry> entries_;  // pushed, not yet conservatively delivered
  std::set<Key> waiting_;               // the entries not yet opt-delivered, in optimistic order
  std::deque<MessageId> unmatched_;     // opt-delivered, in order, not yet compared with a conservative delivery
  std::uint64_t position_ = 0;
  Duration wait_;
  std::deque<std::pair<Time, std::int64_t>> delays_ns_;  // recent push delays, by arrival
  std::size_t samples_since_estimate_ = 0;
  Time last_estimate_{};
  std::optional<TimerId> timer_;
  Time timer_due_{};

  Counter& delivered_;
  Counter& forced_;
  Counter& compared_;
  Counter& mistakes_;
  Counter& reproposed_;
  Counter& push_dropped_;
  Counter& push_rejected_;
  Counter& push_duplicates_;
  Histogram& latency_;
  Histogram& wait_us_;
};

}  // namespace eyrie::multicast
