#include "multicast/optimistic_learner.hpp"

#include <algorithm>

#include "multicast/ensemble_wire.hpp"
#include "runtime/assert.hpp"

namespace eyrie::multicast {

namespace {
// The wait is re-estimated after this many new delay samples.
constexpr std::size_t kEstimateEvery = 64;

std::int64_t to_us(Duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }
}  // namespace

OptimisticLearner::Options OptimisticLearner::Options::from(const RidgeConfig& config) {
  Options options;
  options.wait_max = config.optimistic.learner_wait_max;
  options.repropose_after = config.optimistic.repropose_after;
  return options;
}

OptimisticLearner::OptimisticLearner(Env& env, const RidgeConfig& config, std::vector<GroupId> groups,
                                     Options options, OptDeliverFn deliver, ReproposeFn repropose,
                                     DeliveredFn delivered)
    : env_(env),
      config_(config),
      groups_(std::move(groups)),
      options_(options),
      deliver_(std::move(deliver)),
      repropose_(std::move(repropose)),
      delivered_before_(std::move(delivered)),
      log_(env.log().child("optimistic")),
      wait_(options.wait_max),  // no samples yet: the most careful wait
      delivered_(env.metrics().counter("ridge.opt.delivered")),
      forced_(env.metrics().counter("ridge.opt.forced")),
      compared_(env.metrics().counter("ridge.opt.compared")),
      mistakes_(env.metrics().counter("ridge.opt.mistakes")),
      reproposed_(env.metrics().counter("ridge.opt.reproposed")),
      push_dropped_(env.metrics().counter("ridge.opt.push_dropped")),
      push_rejected_(env.metrics().counter("ridge.opt.push_rejected")),
      push_duplicates_(env.metrics().counter("ridge.opt.push_duplicates")),
      latency_(env.metrics().histogram("ridge.opt_latency_us")),
      wait_us_(env.metrics().histogram("ridge.opt.wait_us")) {
  std::sort(groups_.begin(), groups_.end());
  EYRIE_ASSERT(options_.delay_samples > 0 && options_.messages_max > 0);
}

void OptimisticLearner::start() {
  env_.after(options_.repropose_after / 2, [this] { repropose_tick(); });
}

void OptimisticLearner::on_push(const Message& message) {
  std::string error;
  std::optional<Propose> push = decode_propose(message.payload, &error);
  if (push) {
    for (MulticastMessage& m : push->messages) {
      const bool known = std::all_of(m.destinations.begin(), m.destinations.end(), [&](GroupId g) {
        return std::any_of(config_.groups.begin(), config_.groups.end(), [g](const GroupConfig& c) { return c.id == g; });
      });
      if (!known) {
        error = "a message names an unknown group";
      } else if (!addressed_here(m.destinations)) {
        error = "a message is not addressed to this node's groups";
      } else {
        pushed(std::move(m));
        continue;
      }
      push_rejected_.add();
      if (reject_limiter_.should_log()) log_.warn("dropped a push from {}: {}", to_string(message.from), error);
    }
    drain();
    return;
  }
  push_rejected_.add();
  if (reject_limiter_.should_log()) log_.warn("dropped a push from {}: {}", to_string(message.from), error);
}

void OptimisticLearner::pushed(MulticastMessage message) {
  const EnsembleId ensemble = config_.ensemble_for(message.destinations);
  if (entries_.contains(message.id) || delivered_before_(ensemble, message.id)) {
    push_duplicates_.add();
    return;
  }
  if (entries_.size() >= options_.messages_max) {
    push_dropped_.add();  // it arrives with its decision instead
    return;
  }
  record_delay(env_.wall_clock() - message.timestamp);
  const MessageId id = message.id;
  Entry& e = entries_.emplace(id, Entry{.message = std::move(message), .ensemble = ensemble, .arrived = env_.now()})
                 .first->second;
  waiting_.insert(key_of(e));
}

void OptimisticLearner::record_delay(Duration delay) {
  const Time now = env_.now();
  const std::int64_t ns = std::max<std::int64_t>(delay.count(), 0);  // a clock ahead of ours counts as no delay
  delays_ns_.emplace_back(now, ns);
  while (delays_ns_.size() > options_.delay_samples || now - delays_ns_.front().first > options_.delay_window) {
    delays_ns_.pop_front();
  }
  const bool stale = now - last_estimate_ >= options_.delay_window / 4;
  if (++samples_since_estimate_ < kEstimateEvery && !stale) return;
  samples_since_estimate_ = 0;
  last_estimate_ = now;
  std::vector<std::int64_t> sorted;
  sorted.reserve(delays_ns_.size());
  for (const auto& [at, d] : delays_ns_) sorted.push_back(d);
  const auto rank = static_cast<std::size_t>(options_.delay_quantile * static_cast<double>(sorted.size() - 1));
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(rank), sorted.end());
  wait_ = std::min(Duration(sorted[rank]), options_.wait_max);
  wait_us_.record(to_us(wait_));
}

bool OptimisticLearner::addressed_here(const std::vector<GroupId>& destinations) const {
  return std::any_of(destinations.begin(), destinations.end(),
                     [&](GroupId g) { return std::binary_search(groups_.begin(), groups_.end(), g); });
}

bool OptimisticLearner::ready(const Entry& e) const {
  return env_.wall_clock() - e.message.timestamp >= wait_ || env_.now() - e.arrived >= options_.wait_max;
}

// Opt-delivers from the front of the optimistic order while the front's wait is over; a later
// message never overtakes an earlier one that still waits.
void OptimisticLearner::drain() {
  while (!waiting_.empty()) {
    Entry& e = entries_.at(std::get<MessageId>(*waiting_.begin()));
    if (!ready(e)) break;
    waiting_.erase(waiting_.begin());
    e.delivered = true;
    e.delivered_at = env_.now();
    opt_deliver(e.message.id, e.message.destinations, e.message.timestamp, e.ensemble, e.message.payload);
  }
  arm_timer();
}

void OptimisticLearner::arm_timer() {
  if (waiting_.empty()) return;
  const Entry& e = entries_.at(std::get<MessageId>(*waiting_.begin()));
  const Duration by_clock = wait_ - (env_.wall_clock() - e.message.timestamp);
  const Duration by_arrival = options_.wait_max - (env_.now() - e.arrived);
  const Time due = env_.now() + std::max(std::min(by_clock, by_arrival), Duration{0});
  if (timer_ && timer_due_ <= due) return;
  if (timer_) env_.cancel(*timer_);
  timer_due_ = due;
  timer_ = env_.after(due - env_.now(), [this] {
    timer_.reset();
    drain();
  });
}

void OptimisticLearner::opt_deliver(const MessageId& id, const std::vector<GroupId>& destinations, WallTime timestamp,
                                    EnsembleId ensemble, const Payload& payload) {
  OptDelivery d;
  d.id = id;
  d.destinations = destinations;
  d.timestamp = timestamp;
  d.ensemble = ensemble;
  d.position = ++position_;
  d.payload = payload;
  unmatched_.push_back(id);
  delivered_.add();
  latency_.record(to_us(env_.wall_clock() - timestamp));
  if (deliver_) deliver_(d);
}

void OptimisticLearner::before_conservative(const Delivery& d) {
  auto it = entries_.find(d.id);
  if (it == entries_.end() || !it->second.delivered) {
    // Never pushed here (lost, refused) or still waiting: opt-deliver it now, before its
    // conservative delivery, so that equivalence holds.
    if (it != entries_.end()) waiting_.erase(key_of(it->second));
    forced_.add();
    opt_deliver(d.id, d.destinations, d.timestamp, d.ensemble, d.payload);
  }
  if (it != entries_.end()) entries_.erase(it);
  EYRIE_ASSERT(!unmatched_.empty(), "every conservative delivery follows its optimistic one");
  compared_.add();
  if (unmatched_.front() != d.id) mistakes_.add();
  unmatched_.pop_front();
  arm_timer();
}

bool OptimisticLearner::complete(EnsembleId ensemble, MulticastMessage& message) const {
  if (!addressed_here(message.destinations)) return true;  // dropped here, payload or not
  if (auto it = entries_.find(message.id); it != entries_.end()) {
    message.payload = it->second.message.payload;
    return true;
  }
  return delivered_before_(ensemble, message.id);  // a duplicate decision: dropped here too
}

void OptimisticLearner::repropose_tick() {
  env_.after(options_.repropose_after / 2, [this] { repropose_tick(); });
  const Time now = env_.now();
  for (auto it = entries_.begin(); it != entries_.end();) {
    // The duplicate filter took it for delivered (past one of its bounds): it will never be
    // delivered conservatively here, so stop waiting for it.
    if (it->second.delivered && delivered_before_(it->second.ensemble, it->first)) {
      if (auto u = std::find(unmatched_.begin(), unmatched_.end(), it->first); u != unmatched_.end()) unmatched_.erase(u);
      it = entries_.erase(it);
      continue;
    }
    ++it;
  }
  for (auto& [id, e] : entries_) {
    if (!e.delivered || now - e.delivered_at < options_.repropose_after) continue;
    if (e.proposed_at != Time{} && now - e.proposed_at < options_.repropose_after) continue;
    e.proposed_at = now;
    reproposed_.add();
    log_.debug("{} opt-delivered {} ms ago and still undecided: proposing it again", multicast::to_string(id),
               std::chrono::duration_cast<std::chrono::milliseconds>(now - e.delivered_at).count());
    if (repropose_) repropose_(e.message);
  }
}

void OptimisticLearner::check_invariants() const {
  EYRIE_ASSERT(entries_.size() <= options_.messages_max);
  EYRIE_ASSERT(waiting_.size() <= entries_.size());
  EYRIE_ASSERT(delays_ns_.size() <= options_.delay_samples);
  EYRIE_ASSERT(wait_ <= options_.wait_max);
  // Each message is opt-delivered once and conservatively delivered at most once, after that;
  // pushed ones are held until then, forced ones are matched at once.
  EYRIE_ASSERT(unmatched_.size() == entries_.size() - waiting_.size());
}

}  // namespace eyrie::multicast
