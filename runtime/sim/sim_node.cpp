#include "runtime/sim/sim_node.hpp"

#include <algorithm>

#include "runtime/assert.hpp"

namespace eyrie::sim {

SimNode::SimNode(SimHost& host, NodeSpec spec, Rng rng, DiskOptions disk, std::size_t timers_max, Logger log)
    : host_(host),
      spec_(std::move(spec)),
      role_rng_(rng.fork()),
      fault_rng_(rng.fork()),
      disk_options_(disk),
      timers_max_(timers_max),
      log_(std::move(log)),
      disk_([this](std::uint64_t sync_id) { request_sync_completion(sync_id); }) {
  EYRIE_ASSERT(spec_.id.value != 0, "node id 0 is reserved for global simulator events");
  EYRIE_ASSERT(spec_.make_roles, "a node needs a role factory");
  EYRIE_ASSERT(disk_options_.sync_latency_min <= disk_options_.sync_latency_max);
}

SimNode::~SimNode() {
  // Roles may touch the Env in their destructors; tear them down while it is still whole.
  roles_.clear();
}

void SimNode::send(NodeId to, MessageType type, Payload payload) {
  EYRIE_ASSERT(up_, "a dead node cannot send");
  host_.send(spec_.id, to, type, std::move(payload));
}

TimerId SimNode::after(Duration delay, TimerFn fn) {
  EYRIE_ASSERT(up_, "a dead node cannot set timers");
  EYRIE_ASSERT(delay >= Duration::zero(), "a timer in the past");
  // A role that keeps adding timers without them firing has a leak; stop it loudly.
  EYRIE_ASSERT(timers_.size() < timers_max_, "too many pending timers on one node");
  const TimerId id{next_timer_id_++};
  timers_.emplace(id, std::move(fn));
  host_.schedule_timer(spec_.id, incarnation_, id, host_.now() + delay);
  return id;
}

void SimNode::request_sync_completion(std::uint64_t sync_id) {
  // Completions must arrive in request order; equal times keep order through the event
  // queue's sequence numbers.
  const Duration latency = fault_rng_.range(disk_options_.sync_latency_min, disk_options_.sync_latency_max);
  last_sync_done_ = std::max(last_sync_done_, host_.now() + latency);
  host_.schedule_sync_done(spec_.id, incarnation_, sync_id, last_sync_done_);
}

void SimNode::boot() {
  EYRIE_ASSERT(!up_ && roles_.empty() && timers_.empty());
  up_ = true;
  ++incarnation_;
  roles_ = spec_.make_roles(*this);
  for (const auto& role : roles_) dispatcher_.add(*role);
  log_.info("boot: life {} with {} roles", incarnation_, roles_.size());
  for (const auto& role : roles_) role->start();
}

void SimNode::crash(bool wipe_disk) {
  EYRIE_ASSERT(up_);
  up_ = false;
  dispatcher_ = Dispatcher{};
  roles_.clear();
  timers_.clear();
  if (wipe_disk) {
    disk_.wipe();
    log_.info("crash: life {} ends, disk lost", incarnation_);
    return;
  }
  const std::size_t unsynced = disk_.unsynced_writes();
  const std::size_t survived = disk_.crash(fault_rng_);
  log_.info("crash: life {} ends; {} of {} unsynced writes survive", incarnation_, survived, unsynced);
}

bool SimNode::fire_timer(std::uint64_t incarnation, TimerId id) {
  if (!up_ || incarnation != incarnation_) return false;
  auto it = timers_.find(id);
  if (it == timers_.end()) return false;  // cancelled
  TimerFn fn = std::move(it->second);
  timers_.erase(it);
  fn();
  return true;
}

bool SimNode::deliver(const Message& message) {
  EYRIE_ASSERT(up_);
  Role* role = dispatcher_.find(message.type);
  if (role == nullptr) {
    metrics_.counter("sim.unknown_type_dropped").add();
    log_.debug("dropped message of unknown type {} from {}", message.type.value, to_string(message.from));
    return false;
  }
  role->on_message(message);
  return true;
}

bool SimNode::complete_sync(std::uint64_t incarnation, std::uint64_t sync_id) {
  // A crash clears the disk's pending syncs, so completions of a dead life are simply stale.
  if (!up_ || incarnation != incarnation_) return false;
  disk_.complete(sync_id);
  return true;
}

void SimNode::check_invariants() const {
  if (!up_) return;
  for (const auto& role : roles_) role->check_invariants();
}

}  // namespace eyrie::sim
