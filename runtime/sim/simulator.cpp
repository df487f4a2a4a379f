#include "runtime/sim/simulator.hpp"

#include "runtime/assert.hpp"

namespace eyrie::sim {

namespace {

// Trace record tags for things that are not queue events but still shape the run.
enum class TraceTag : std::uint64_t { send = 16, boot = 17, crash = 18 };

LogLevel effective_level(const SimOptions& options) {
  // With no output, turn logging off at the source so silent runs do not format lines at all.
  return options.log_output == nullptr ? LogLevel::off : options.log_level;
}

}  // namespace

Simulator::Simulator(SimOptions options)
    : options_(options),
      rng_(options.seed),
      queue_(options.event_queue_max),
      sink_([this] { return now_; }, options.log_output),
      log_(sink_, "sim", effective_level(options)),
      network_(options.network, rng_.fork()) {
  trace_.add(options.seed);
}

Simulator::~Simulator() = default;

void Simulator::add_node(NodeSpec spec) {
  const NodeId id = spec.id;
  EYRIE_ASSERT(!nodes_.contains(id), "node ids must be unique");
  Logger node_log(sink_, to_string(id), effective_level(options_));
  SimHost& host = *this;  // the base is private: convert here, where it is accessible
  nodes_.emplace(id, std::make_unique<SimNode>(host, std::move(spec), rng_.fork(), options_.disk,
                                               options_.timers_per_node_max, std::move(node_log)));
}

std::vector<NodeId> Simulator::nodes() const {
  std::vector<NodeId> ids;
  ids.reserve(nodes_.size());
  for (const auto& [id, node] : nodes_) ids.push_back(id);
  return ids;
}

SimNode& Simulator::node(NodeId id) {
  auto it = nodes_.find(id);
  EYRIE_ASSERT(it != nodes_.end(), "no such simulated node");
  return *it->second;
}

const SimNode& Simulator::node(NodeId id) const {
  auto it = nodes_.find(id);
  EYRIE_ASSERT(it != nodes_.end(), "no such simulated node");
  return *it->second;
}

void Simulator::boot(NodeId id) {
  SimNode& target = node(id);
  trace_.add(static_cast<std::uint64_t>(TraceTag::boot));
  trace_.add(id.value);
  ++stats_.boots;
  target.boot();
  target.check_invariants();
}

void Simulator::crash(NodeId id, DiskFate disk) {
  EYRIE_ASSERT(disk == DiskFate::keep || options_.disk_loss_allowed,
               "disk loss is outside this simulation's fault model");
  trace_.add(static_cast<std::uint64_t>(TraceTag::crash));
  trace_.add(id.value);
  trace_.add(disk == DiskFate::lose ? 1 : 0);
  ++stats_.crashes;
  node(id).crash(disk == DiskFate::lose);
}

void Simulator::at(Time when, std::string label, std::function<void()> action) {
  EYRIE_ASSERT(when >= now_, "an action scheduled in the past");
  const std::uint64_t id = next_action_id_++;
  actions_.emplace(id, Action{std::move(label), std::move(action)});
  push(Event{.at = when, .kind = EventKind::action, .id = id});
}

void Simulator::push(Event event) {
  const bool queued = queue_.try_push(std::move(event));
  EYRIE_ASSERT(queued, "simulator event queue full: raise SimOptions::event_queue_max or find the leak");
}

void Simulator::send(NodeId from, NodeId to, MessageType type, Payload payload) {
  ++stats_.messages_sent;
  trace_.add(static_cast<std::uint64_t>(TraceTag::send));
  trace_.add(from.value);
  trace_.add(to.value);
  trace_.add(type.value);
  if (!nodes_.contains(to)) {
    ++stats_.messages_unknown;  // as a real transport drops messages to unknown peers
    log_.debug("{} -> {} type {}: no such node", to_string(from), to_string(to), type.value);
    return;
  }
  const MessageFate fate = network_.route(from, to);
  trace_.add(static_cast<std::uint64_t>(fate.outcome));
  switch (fate.outcome) {
    case MessageFate::Outcome::dropped: ++stats_.messages_dropped; return;
    case MessageFate::Outcome::partitioned: ++stats_.messages_partitioned; return;
    case MessageFate::Outcome::link_full: ++stats_.messages_overflowed; return;
    case MessageFate::Outcome::delivered: break;
  }
  if (fate.copies == 2) ++stats_.messages_duplicated;
  for (std::uint8_t copy = 0; copy < fate.copies; ++copy) {
    trace_.add_signed(to_ns(fate.delays[copy]));
    Event event{.at = now_ + fate.delays[copy], .kind = EventKind::deliver, .node = to, .from = from,
                .type = type, .payload = payload};
    if (!queue_.try_push(std::move(event))) {
      ++stats_.messages_overflowed;
      network_.arrived(from, to);
    }
  }
}

void Simulator::schedule_timer(NodeId node, std::uint64_t incarnation, TimerId id, Time at) {
  push(Event{.at = at, .kind = EventKind::timer, .node = node, .incarnation = incarnation, .id = id.value});
}

void Simulator::schedule_sync_done(NodeId node, std::uint64_t incarnation, std::uint64_t sync_id, Time at) {
  push(Event{.at = at, .kind = EventKind::sync_done, .node = node, .incarnation = incarnation, .id = sync_id});
}

bool Simulator::step() {
  if (queue_.empty()) return false;
  const Event event = queue_.pop();
  now_ = event.at;
  ++stats_.events;
  trace_event(event);
  handle(event);
  // Invariants are checked where the event happened; a global action may touch every node.
  if (event.kind == EventKind::action) {
    for (const auto& [id, target] : nodes_) target->check_invariants();
  } else {
    node(event.node).check_invariants();
  }
  return true;
}

void Simulator::run_until(Time end, const std::function<bool()>& stop) {
  EYRIE_ASSERT(end >= now_);
  while (!queue_.empty() && queue_.top().at <= end) {
    step();
    if (stop && stop()) return;
  }
  now_ = end;
}

void Simulator::trace_event(const Event& event) {
  trace_.add(static_cast<std::uint64_t>(event.kind));
  trace_.add_signed(to_ns(event.at));
  trace_.add(event.node.value);
  trace_.add(event.from.value);
  trace_.add(event.incarnation);
  trace_.add(event.id);
  trace_.add(event.type.value);
  if (event.kind == EventKind::deliver) trace_.add_bytes(event.payload.bytes());
}

void Simulator::handle(const Event& event) {
  switch (event.kind) {
    case EventKind::deliver: return handle_delivery(event);
    case EventKind::timer:
      if (node(event.node).fire_timer(event.incarnation, TimerId{event.id})) ++stats_.timers_fired;
      return;
    case EventKind::sync_done:
      if (node(event.node).complete_sync(event.incarnation, event.id)) ++stats_.syncs_completed;
      return;
    case EventKind::action: return handle_action(event);
  }
  EYRIE_ASSERT(false, "unknown event kind");
}

void Simulator::handle_delivery(const Event& event) {
  network_.arrived(event.from, event.node);
  // Partitions are checked again on arrival: a message in flight into a partition is lost.
  if (network_.blocked(event.from, event.node)) {
    ++stats_.messages_partitioned;
    log_.debug("{} -> {} type {}: lost in flight into a partition", to_string(event.from), to_string(event.node),
               event.type.value);
    return;
  }
  SimNode& target = node(event.node);
  if (!target.up()) {
    ++stats_.messages_to_down_nodes;
    log_.debug("{} -> {} type {}: receiver is down", to_string(event.from), to_string(event.node), event.type.value);
    return;
  }
  log_.trace("{} -> {} type {} ({} bytes)", to_string(event.from), to_string(event.node), event.type.value,
             event.payload.size());
  if (target.deliver(Message{.from = event.from, .type = event.type, .payload = event.payload})) {
    ++stats_.messages_delivered;
  } else {
    ++stats_.messages_unknown;
  }
}

void Simulator::handle_action(const Event& event) {
  auto it = actions_.find(event.id);
  EYRIE_ASSERT(it != actions_.end());
  Action action = std::move(it->second);
  actions_.erase(it);
  trace_.add_text(action.label);
  log_.info("{}", action.label);
  action.run();
}

}  // namespace eyrie::sim
