#include "tests/checkers/multicast_scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "multicast/checkpoint.hpp"
#include "multicast/ridge_node.hpp"
#include "runtime/assert.hpp"
#include "runtime/hash.hpp"
#include "runtime/sim/fault_plan.hpp"
#include "tests/checkers/multicast_checker.hpp"

namespace eyrie::check {

using multicast::EnsembleId;
using multicast::GroupId;

namespace {

// Who is who in one run. Roles get disjoint nodes, so "at most f acceptors of an ensemble down"
// is a statement about acceptor nodes only.
struct Topology {
  multicast::RidgeConfig config;
  std::vector<NodeId> all;
  std::vector<NodeId> learners;
  std::vector<NodeId> senders;  // the last one is the crashing sender
  std::map<EnsembleId, std::vector<NodeId>> acceptors;
  std::uint32_t drop_ppm = 0;
  std::uint32_t duplicate_ppm = 0;
};

Topology choose_topology(Rng& rng, const MulticastScenarioOptions& o) {
  Topology t;
  auto& c = t.config;
  const auto groups = static_cast<std::size_t>(rng.range(1, static_cast<std::int64_t>(o.groups_max)));
  std::uint64_t next_id = 1;
  const auto take = [&] {
    t.all.push_back(NodeId{next_id});
    return NodeId{next_id++};
  };
  const auto add_ensemble = [&](EnsembleId id, std::optional<GroupId> group) {
    multicast::EnsembleConfig e{.id = id, .group = group, .coordinators = {}, .acceptors = {}};
    for (int i = 0; i < 3; ++i) e.acceptors.push_back(take());  // 2f+1 with f = 1
    e.coordinators = e.acceptors;                                // candidates sit with the acceptors
    t.acceptors[id] = e.acceptors;
    c.ensembles.push_back(std::move(e));
  };
  for (std::size_t g = 1; g <= groups; ++g) {
    multicast::GroupConfig group{.id = GroupId{static_cast<std::uint32_t>(g)}, .learners = {}};
    for (std::size_t i = 0; i < o.learners_per_group; ++i) group.learners.push_back(take());
    t.learners.insert(t.learners.end(), group.learners.begin(), group.learners.end());
    c.groups.push_back(group);
    add_ensemble(EnsembleId{static_cast<std::uint32_t>(g)}, group.id);
  }
  if (groups > 1) add_ensemble(EnsembleId{100}, std::nullopt);
  for (std::size_t i = 0; i < o.senders; ++i) t.senders.push_back(take());
  c.null_interval = o.null_interval;
  c.learner_gap_timeout = std::chrono::milliseconds(100);
  const bool disk = rng.chance(1, 2);  // drawn even when fixed, so seeds keep their other choices
  c.acceptor_storage = o.acceptor_storage.value_or(disk ? multicast::AcceptorStorage::disk : multicast::AcceptorStorage::memory);
  t.drop_ppm = static_cast<std::uint32_t>(rng.range(0, o.drop_ppm_max));
  t.duplicate_ppm = static_cast<std::uint32_t>(rng.range(0, o.duplicate_ppm_max));
  const bool optimistic = rng.chance(1, 2);
  c.optimistic.enabled = o.optimistic.value_or(optimistic);
  const bool unique_timestamps = rng.chance(1, 2);
  c.unique_timestamps = o.unique_timestamps.value_or(unique_timestamps);
  return t;
}

// Everything the checker needs, filled by callbacks from the roles. It outlives every
// incarnation: roles hold a reference to it.
struct Recorder {
  std::vector<SentMulticast> sent;
  std::vector<LearnerLog> logs;                // one per learner incarnation
  std::map<NodeId, std::size_t> current_log;   // node -> index into logs
  std::map<NodeId, std::uint64_t> boots;
  std::size_t restarts_from_scratch = 0;      // learner boots after the first, without a checkpoint
  std::size_t restarts_from_checkpoint = 0;   // learner boots that resumed from one

  LearnerLog& new_incarnation(NodeId node, std::vector<GroupId> groups, std::uint64_t first_position = 1) {
    LearnerLog log;
    log.node = node;
    log.incarnation = ++boots[node];
    log.groups = std::move(groups);
    log.first_position = first_position;
    logs.push_back(std::move(log));
    current_log[node] = logs.size() - 1;
    return logs.back();
  }
};

// The scenario's stand-in for a learner's upper layer (an S-SMR replica, later) as far as
// restarts go: it keeps a LearnerCheckpoint durable in the node's storage, as a replica would
// beside its state snapshot (put, then sync: a crash keeps it once synced, and possibly a newer
// unsynced one), and at every boot either hands it back to Ridge or starts over from scratch,
// as the node's seeded Rng draws. It checkpoints from inside the deliver callback every
// `every_` deliveries (the state right after a delivery) and on a timer (the state between
// deliveries, after merged messages that were not delivered: duplicates, other groups' messages,
// nulls). Any checkpoint ever stored stays a valid resume point, since every incarnation of a
// node delivers the same sequence; so one that starts from scratch leaves it in place.
class CheckpointKeeper final : public Role {
 public:
  static constexpr std::string_view kKey = "upper/learner-checkpoint";

  explicit CheckpointKeeper(Env& env)
      : env_(env),
        every_(static_cast<std::uint64_t>(env.rng().range(1, 40))),
        interval_(env.rng().range(Duration(std::chrono::milliseconds(50)), Duration(std::chrono::milliseconds(500)))) {
    const std::optional<Payload> stored = env.storage().get(kKey);
    if (!stored || env.rng().chance(1, 2)) return;  // nothing kept yet, or the draw says from scratch
    std::string error;
    resume_ = multicast::decode_checkpoint(*stored, &error);
    EYRIE_ASSERT(resume_.has_value(), "a checkpoint this scenario stored must decode");
  }

  const std::optional<multicast::LearnerCheckpoint>& resume() const { return resume_; }
  void attach(const multicast::RidgeNode& node) { node_ = &node; }

  std::string_view name() const override { return "checkpoints"; }
  std::span<const MessageTypeRange> message_types() const override { return {}; }
  void start() override { env_.after(interval_, [this] { on_timer(); }); }
  void on_message(const Message&) override {}

  // Called from the deliver callback, right after the delivery.
  void delivered() {
    if (++since_stored_ >= every_) store();
  }

 private:
  void on_timer() {
    env_.after(interval_, [this] { on_timer(); });
    store();
  }

  void store() {
    since_stored_ = 0;
    multicast::LearnerCheckpoint checkpoint = node_->pipeline()->checkpoint();
    if (checkpoint == last_) return;
    env_.storage().put(kKey, multicast::encode_checkpoint(checkpoint));
    env_.storage().sync([] {});
    last_ = std::move(checkpoint);
  }

  Env& env_;
  const multicast::RidgeNode* node_ = nullptr;
  std::uint64_t every_;
  Duration interval_;
  std::uint64_t since_stored_ = 0;
  std::optional<multicast::LearnerCheckpoint> resume_;
  std::optional<multicast::LearnerCheckpoint> last_;
};

// A sender's workload: `count` multicasts at random times of the safety phase, each to 1..3
// random groups, retried later while the sender's window is full.
class WorkloadDriver final : public Role {
 public:
  WorkloadDriver(Env& env, multicast::Multicaster& sender, Recorder& recorder, std::vector<Time> when,
                 std::size_t groups, bool correct)
      : env_(env), sender_(sender), recorder_(recorder), when_(std::move(when)), groups_(groups), correct_(correct) {}
  std::string_view name() const override { return "workload"; }
  std::span<const MessageTypeRange> message_types() const override { return {}; }
  void start() override {
    // After a restart, only the sends still in the future remain (those of the crashed life
    // are lost with it, as a real client's would be).
    for (Time t : when_) {
      if (t >= env_.now()) env_.after(t - env_.now(), [this] { send_one(); });
    }
  }
  void on_message(const Message&) override {}

 private:
  void send_one() {
    std::vector<GroupId> dests;
    const auto count = static_cast<std::size_t>(env_.rng().range(1, static_cast<std::int64_t>(groups_)));
    while (dests.size() < count) {
      const GroupId g{static_cast<std::uint32_t>(env_.rng().range(1, static_cast<std::int64_t>(groups_)))};
      if (std::find(dests.begin(), dests.end(), g) == dests.end()) dests.push_back(g);
    }
    std::sort(dests.begin(), dests.end());
    std::byte* bytes = nullptr;
    Payload payload = Payload::allocate(static_cast<std::size_t>(env_.rng().range(8, 64)), bytes);
    for (std::size_t i = 0; i < payload.size(); ++i) bytes[i] = static_cast<std::byte>(env_.rng().next_u64());
    const auto id = sender_.multicast(dests, payload);
    if (!id) {  // window full or not ready: try again a little later
      env_.after(std::chrono::milliseconds(50), [this] { send_one(); });
      return;
    }
    recorder_.sent.push_back(SentMulticast{*id, dests, fnv1a64(payload.bytes()), correct_});
  }

  Env& env_;
  multicast::Multicaster& sender_;
  Recorder& recorder_;
  std::vector<Time> when_;
  std::size_t groups_;
  bool correct_;
};

void add_nodes(sim::Simulator& sim, Rng& rng, const Topology& t, const MulticastScenarioOptions& o, Recorder& rec) {
  const std::size_t groups = t.config.groups.size();
  std::map<NodeId, std::vector<Time>> sends;
  for (std::size_t i = 0; i < o.messages; ++i) {
    sends[t.senders[i % t.senders.size()]].push_back(Time{rng.range(Duration::zero(), o.phases.safety)});
  }
  for (auto& [node, times] : sends) std::sort(times.begin(), times.end());
  for (NodeId id : t.all) {
    const bool is_sender = std::find(t.senders.begin(), t.senders.end(), id) != t.senders.end();
    const bool correct_sender = is_sender && id != t.senders.back();
    const std::vector<Time> my_sends = is_sender ? sends[id] : std::vector<Time>{};
    multicast::RidgeNodeOptions options;
    options.pipeline.fault_ignore_merge_order = o.break_merge;
    if (o.break_phase2) {
      options.host.coordinator = multicast::CoordinatorOptions::from(t.config);
      options.host.coordinator->fault_chain_length = 1;
      options.host.acceptor = multicast::AcceptorOptions::from(t.config);
      options.host.acceptor->fault_accept_short_chains = true;
    }
    sim.add_node(sim::NodeSpec{
        .id = id,
        .make_roles = [&t, &rec, id, is_sender, correct_sender, my_sends, groups, options,
                       break_merge = o.break_merge](Env& env) {
          std::vector<std::unique_ptr<Role>> roles;
          const auto my_groups = t.config.groups_of(id);
          // A broken merge bypasses the merger, so there is nothing to checkpoint.
          auto keeper = my_groups.empty() || break_merge ? nullptr : std::make_unique<CheckpointKeeper>(env);
          multicast::RidgeNodeOptions node_options = options;
          if (keeper) node_options.resume = keeper->resume();
          if (!my_groups.empty() && rec.boots.count(id)) {
            ++(node_options.resume ? rec.restarts_from_checkpoint : rec.restarts_from_scratch);
          }
          LearnerLog* log = my_groups.empty() ? nullptr
                                              : &rec.new_incarnation(id, my_groups,
                                                                     node_options.resume ? node_options.resume->position + 1 : 1);
          const std::size_t log_index = log ? rec.current_log[id] : 0;
          if (log && t.config.optimistic.enabled) {
            log->optimistic.emplace();
            node_options.on_opt_deliver = [&rec, log_index](const multicast::OptDelivery& d) {
              rec.logs[log_index].optimistic->push_back(d.id);
            };
          }
          auto node = std::make_unique<multicast::RidgeNode>(
              env, t.config,
              [&rec, log_index, k = keeper.get()](const multicast::Delivery& d) {
                rec.logs[log_index].conservative.push_back(ConservativeDelivery{
                    d.id, d.destinations, fnv1a64(d.payload.bytes()), d.final_timestamp, d.ensemble, d.position});
                if (k) k->delivered();
              },
              std::move(node_options));
          if (keeper) {
            keeper->attach(*node);
            roles.push_back(std::move(keeper));
          }
          if (is_sender) {
            roles.push_back(std::make_unique<WorkloadDriver>(env, node->multicaster(), rec, my_sends, groups,
                                                             correct_sender));
          }
          roles.insert(roles.begin(), std::move(node));
          return roles;
        },
        .clock = sim::ClockModel::random(rng, o.clock_offset_max, o.clock_drift_ppm_max),
    });
  }
}

// Crashes within the fault model: at most one acceptor (f = 1) of each ensemble down at a time,
// and with in-memory acceptors at most one per ensemble for the whole run (it loses its votes,
// so it stays down); learners and the crashing sender go down and come back.
class CrashPlan {
 public:
  CrashPlan(sim::Simulator& sim, Rng& rng, const Topology& t, Duration safety)
      : sim_(sim), rng_(rng), t_(t), safety_(safety) {}

  void schedule() {
    for (Time at = Time{rng_.range(Duration(std::chrono::milliseconds(200)), Duration(std::chrono::seconds(2)))};
         at < Time{safety_}; at += rng_.range(Duration(std::chrono::milliseconds(200)), Duration(std::chrono::seconds(2)))) {
      const auto pick = rng_.uniform(4);
      if (pick <= 1) {
        crash_acceptor(at);
      } else if (pick == 2) {
        crash_and_restart(at, t_.learners[rng_.uniform(t_.learners.size())]);
      } else {
        crash_and_restart(at, t_.senders.back());
      }
    }
  }

  // Liveness phase: every node that may come back does.
  void restart_all_allowed() {
    for (NodeId id : sim_.nodes()) {
      if (!sim_.is_up(id) && !stays_down_.count(id)) sim_.boot(id);
    }
  }

  std::size_t crashes() const { return crashes_; }

 private:
  void crash_acceptor(Time at) {
    const auto& [ensemble, nodes] = *std::next(t_.acceptors.begin(), static_cast<long>(rng_.uniform(t_.acceptors.size())));
    const bool memory = t_.config.acceptor_storage == multicast::AcceptorStorage::memory;
    if (busy_until_[ensemble] > at || (memory && lost_[ensemble])) return;
    // The first candidate is the initial coordinator: crash it half of the time.
    const NodeId victim = rng_.chance(1, 2) ? nodes.front() : nodes[rng_.uniform(nodes.size())];
    const Time back = at + rng_.range(Duration(std::chrono::milliseconds(100)), Duration(std::chrono::seconds(4)));
    busy_until_[ensemble] = memory ? Time::max() : back;
    ++crashes_;
    sim_.at(at, fmt::format("crash acceptor {}", eyrie::to_string(victim)), [this, victim] { crash(victim); });
    if (memory) {
      lost_[ensemble] = true;
      stays_down_.insert(victim);
    } else if (back < Time{safety_}) {
      sim_.at(back, fmt::format("restart acceptor {}", eyrie::to_string(victim)), [this, victim] { boot(victim); });
    }
  }

  void crash_and_restart(Time at, NodeId victim) {
    if (busy_node_until_[victim] > at) return;
    const Time back = at + rng_.range(Duration(std::chrono::milliseconds(50)), Duration(std::chrono::seconds(3)));
    busy_node_until_[victim] = back;
    ++crashes_;
    sim_.at(at, fmt::format("crash {}", eyrie::to_string(victim)), [this, victim] { crash(victim); });
    if (back < Time{safety_}) {
      sim_.at(back, fmt::format("restart {}", eyrie::to_string(victim)), [this, victim] { boot(victim); });
    }
  }

  void crash(NodeId id) {
    if (sim_.is_up(id)) sim_.crash(id);
  }
  void boot(NodeId id) {
    if (!sim_.is_up(id)) sim_.boot(id);
  }

  sim::Simulator& sim_;
  Rng& rng_;
  const Topology& t_;
  Duration safety_;
  std::map<EnsembleId, Time> busy_until_;
  std::map<EnsembleId, bool> lost_;
  std::map<NodeId, Time> busy_node_until_;
  std::set<NodeId> stays_down_;
  std::size_t crashes_ = 0;
};

MulticastHistory finish_history(Recorder& rec, const sim::Simulator& sim, const multicast::RidgeConfig& config) {
  MulticastHistory h;
  h.sent = rec.sent;
  h.logs = rec.logs;
  if (config.unique_timestamps) h.timestamp_tags = config.timestamp_tags();
  for (LearnerLog& log : h.logs) {
    // Only a node's last incarnation can still be alive.
    log.correct = sim.is_up(log.node) && log.incarnation == rec.boots.at(log.node);
  }
  h.settled = true;
  return h;
}

}  // namespace

MulticastScenario::MulticastScenario(MulticastScenarioOptions options, std::string name)
    : options_(std::move(options)), name_(std::move(name)) {
  EYRIE_ASSERT(options_.groups_max >= 1 && options_.groups_max <= 3 && options_.senders >= 2);
}

std::string MulticastScenario::description() const {
  const auto& o = options_;
  const auto seconds = [](Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); };
  return fmt::format(
      "Ridge end to end: 1-{} groups (seed) of {} learners, one ensemble per group plus the shared one when "
      "there are several (3 acceptors each, f = 1, the acceptors are the coordinator candidates; acceptor storage "
      "{}; optimistic delivery {}; unique final timestamps {}), {} senders. Workload per seed: {} multicasts to 1-3 "
      "random groups during the safety phase, null messages every {}. Safety phase: {} s of faults (loss up to {}%, duplication up to {}%, "
      "reordering, symmetric and one-way partitions, crashes of coordinators and acceptors with at most f per "
      "ensemble down (in-memory acceptors stay down), of learners (each restart resumes from scratch or from a "
      "checkpoint its upper layer kept on disk, drawn per restart) and of one sender; clock skew up to {}, drift "
      "up to {} ppm). Liveness phase: {} s healed; then MulticastChecker: integrity, validity, uniform agreement, "
      "acyclic order, per-group prefix order, final timestamps (unique and carrying their ensemble's tag when "
      "unique), optimistic/conservative equivalence (and the mistake rate). {} simulated seconds per seed.",
      o.groups_max, o.learners_per_group,
      !o.acceptor_storage ? "memory or disk, by seed"
                          : (*o.acceptor_storage == multicast::AcceptorStorage::disk ? "on disk" : "in memory"),
      !o.optimistic ? "on or off, by seed" : (*o.optimistic ? "on" : "off"),
      !o.unique_timestamps ? "on or off, by seed" : (*o.unique_timestamps ? "on" : "off"), o.senders, o.messages,
      to_string(o.null_interval), seconds(o.phases.safety),
      o.drop_ppm_max / 10'000.0, o.duplicate_ppm_max / 10'000.0, to_string(o.clock_offset_max), o.clock_drift_ppm_max,
      seconds(o.phases.liveness), seconds(o.phases.safety + o.phases.liveness));
}

sim::ScenarioResult MulticastScenario::run(const sim::ScenarioRun& run) const {
  const MulticastScenarioOptions& o = options_;
  Rng rng(run.seed);
  const Topology topology = choose_topology(rng, o);
  sim::Simulator sim(sim::SimOptions{
      .seed = rng.next_u64(),
      .network = {.drop_ppm = topology.drop_ppm, .duplicate_ppm = topology.duplicate_ppm},
      .log_level = run.log_level,
      .log_output = run.log_output,
  });
  Recorder recorder;
  add_nodes(sim, rng, topology, o, recorder);
  for (NodeId id : topology.all) sim.boot(id);

  sim::schedule_faults(sim, sim::plan_faults(rng, topology.all, sim::network_faults_only(o.phases.safety)));
  CrashPlan crashes(sim, rng, topology, o.phases.safety);
  crashes.schedule();

  sim::run_then_heal(sim, o.phases, [&] { crashes.restart_all_allowed(); });

  const MulticastReport report = MulticastChecker::check(finish_history(recorder, sim, topology.config));
  sim::ScenarioResult result;
  result.passed = report.result.passed();
  result.reason = report.result.reason();
  result.trace = sim.trace_hex();
  result.stats = sim.stats();
  result.end = sim.now();
  result.summary.push_back(fmt::format("{} groups, {} ensembles, {} acceptors, optimistic {}, unique timestamps {}, loss {} ppm, "
                                       "duplication {} ppm, {} crashes",
                                       topology.config.groups.size(), topology.config.ensembles.size(),
                                       topology.config.acceptor_storage == multicast::AcceptorStorage::disk ? "disk" : "memory",
                                       topology.config.optimistic.enabled ? "on" : "off",
                                       topology.config.unique_timestamps ? "on" : "off",
                                       topology.drop_ppm, topology.duplicate_ppm, crashes.crashes()));
  for (std::string& line : sim::describe_stats(sim.stats())) result.summary.push_back(std::move(line));
  result.summary.push_back(fmt::format("multicast: {} sent, {} learner logs, {} deliveries, {} distinct delivered",
                                       report.messages_sent, report.logs, report.conservative_deliveries,
                                       report.messages_delivered));
  if (topology.config.optimistic.enabled) {
    result.summary.push_back(fmt::format("optimistic: {} deliveries, {} compared, {} mistakes (rate {:.4f})",
                                         report.optimistic_deliveries, report.optimistic_compared,
                                         report.optimistic_mistakes, report.mistake_rate()));
  }
  result.summary.push_back(fmt::format("learner restarts: {} from a checkpoint, {} from scratch; {} resumed logs not judged",
                                       recorder.restarts_from_checkpoint, recorder.restarts_from_scratch,
                                       report.logs_not_judged));
  return result;
}

void add_multicast_scenarios(sim::ScenarioRegistry& registry) {
  registry.add(std::make_unique<MulticastScenario>());
  // The same with on-disk acceptors only: crashed acceptors come back with their votes.
  registry.add(std::make_unique<MulticastScenario>(
      MulticastScenarioOptions{.acceptor_storage = multicast::AcceptorStorage::disk}, "multicast-disk"));
  // Optimistic delivery always on (`multicast` draws it per seed).
  registry.add(std::make_unique<MulticastScenario>(MulticastScenarioOptions{.optimistic = true}, "multicast-opt"));
}

}  // namespace eyrie::check
