#include "tests/checkers/kv_scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "apps/kv/kv.hpp"
#include "multicast/message_types.hpp"
#include "multicast/ridge_node.hpp"
#include "partition/client.hpp"
#include "partition/message_types.hpp"
#include "partition/replica.hpp"
#include "runtime/assert.hpp"
#include "runtime/sim/fault_plan.hpp"
#include "runtime/sim/simulator.hpp"
#include "tests/checkers/kv_model.hpp"
#include "tests/checkers/kv_service.hpp"
#include "tests/checkers/ssmr_crash_plan.hpp"

namespace eyrie::check {

namespace {

namespace app = ::eyrie::kv;  // the service; `kv::` below is the checker's model of it
using multicast::EnsembleId;
using multicast::GroupId;
using partition::PartitionId;

constexpr std::string_view kUnsafeFlag = "unsafe-skip-signals";
constexpr std::string_view kAtomicityFlag = "atomicity-workload";
constexpr std::array<sim::ScenarioFlag, 2> kFlags{
    sim::ScenarioFlag{kUnsafeFlag,
                      "replicas finish multi-partition commands without waiting for the other partitions (a broken "
                      "S-SMR), on the atomicity workload"},
    sim::ScenarioFlag{kAtomicityFlag,
                      "closed-loop gets and two-partition put_many on one cluster, the last partition hearing the "
                      "shared ensemble late, no faults: what execution atomicity protects"}};

// Who is who in one run; roles get disjoint nodes.
struct Topology {
  multicast::RidgeConfig ridge;
  partition::SsmrConfig ssmr;
  std::unique_ptr<app::KvOracle> oracle;
  std::vector<NodeId> all;
  std::map<PartitionId, std::vector<NodeId>> replicas;
  std::map<EnsembleId, std::vector<NodeId>> acceptors;
  std::vector<NodeId> clients;
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> clusters;  // each spans at least two partitions
  std::uint32_t drop_ppm = 0;
  std::uint32_t duplicate_ppm = 0;
};

std::unique_ptr<Topology> choose_topology(Rng& rng, const KvScenarioOptions& o) {
  auto t = std::make_unique<Topology>();
  const auto partitions = static_cast<std::size_t>(rng.range(2, static_cast<std::int64_t>(o.partitions_max)));
  std::uint64_t next_id = 1;
  const auto take = [&] {
    t->all.push_back(NodeId{next_id});
    return NodeId{next_id++};
  };
  const auto add_ensemble = [&](EnsembleId id, std::optional<GroupId> group) {
    multicast::EnsembleConfig e{.id = id, .group = group, .coordinators = {}, .acceptors = {}};
    for (int i = 0; i < 3; ++i) e.acceptors.push_back(take());
    e.coordinators = e.acceptors;
    t->acceptors[id] = e.acceptors;
    t->ridge.ensembles.push_back(std::move(e));
  };
  for (std::size_t p = 1; p <= partitions; ++p) {
    multicast::GroupConfig group{.id = GroupId{static_cast<std::uint32_t>(p)}, .learners = {}};
    for (std::size_t i = 0; i < o.replicas_per_partition; ++i) group.learners.push_back(take());
    t->replicas[PartitionId{group.id.value}] = group.learners;
    t->ridge.groups.push_back(group);
    add_ensemble(EnsembleId{static_cast<std::uint32_t>(p)}, group.id);
  }
  add_ensemble(EnsembleId{100}, std::nullopt);
  for (std::size_t i = 0; i < o.clients; ++i) t->clients.push_back(take());
  t->ridge.null_interval = std::chrono::milliseconds(20);
  t->ridge.learner_gap_timeout = std::chrono::milliseconds(100);
  t->ridge.acceptor_storage = multicast::AcceptorStorage::disk;  // crashed acceptors come back
  t->ssmr = partition::SsmrConfig::defaults_for(t->ridge);
  t->oracle = std::make_unique<app::KvOracle>(t->ssmr.placement);
  // Cluster c holds keys "c<c>.<i>": the first names whose owners span two partitions or more.
  for (std::size_t c = 0; c < o.clusters; ++c) {
    for (std::size_t attempt = 0;; ++attempt) {
      std::vector<std::string> cluster;
      std::set<PartitionId> owners;
      for (std::size_t i = 0; i < o.keys_per_cluster; ++i) {
        cluster.push_back(fmt::format("c{}.{}", c, attempt * o.keys_per_cluster + i));
        owners.insert(t->ssmr.placement->owner(cluster.back()));
      }
      if (owners.size() < 2) continue;
      t->keys.insert(t->keys.end(), cluster.begin(), cluster.end());
      t->clusters.push_back(std::move(cluster));
      break;
    }
  }
  t->drop_ppm = static_cast<std::uint32_t>(rng.range(0, o.drop_ppm_max));
  t->duplicate_ppm = static_cast<std::uint32_t>(rng.range(0, o.duplicate_ppm_max));
  return t;
}

// What the clients did, for the checker, and what the run counts.
struct Shared {
  explicit Shared(std::function<Time()> clock) : now(std::move(clock)) {}
  std::function<Time()> now;
  kv::KvRecorder recorder{100'000};
  std::size_t multi_partition = 0;
  std::size_t failed = 0;
  std::string first_failure;
  std::size_t final_unanswered = 0;  // reads of the liveness phase still unanswered at the end
};

constexpr std::array<MessageTypeRange, 2> kClientTypes{
    partition::kClientTypes, MessageTypeRange{multicast::kProposeAck, multicast::kNotLeader}};

// One client: commands at planned times of the safety phase (later while its window is full),
// then a read of every key once the faults have stopped (acknowledged writes must show).
class KvClientDriver final : public Role {
 public:
  KvClientDriver(Env& env, const Topology& t, Shared& shared, std::vector<Time> when, Time final_reads, bool atomicity)
      : env_(env),
        t_(t),
        shared_(shared),
        when_(std::move(when)),
        final_reads_(final_reads),
        atomicity_(atomicity),
        closed_loop_end_(final_reads - std::chrono::seconds(5)),
        client_(env, t.ridge, t.ssmr, *t.oracle,
                partition::ClientOptions{.window_max = 3, .retry_after = std::chrono::seconds(1),
                                         .timeout = std::chrono::seconds(8), .sender = {}}) {}
  std::string_view name() const override { return "kv-client"; }
  std::span<const MessageTypeRange> message_types() const override { return kClientTypes; }
  void start() override {
    client_.start();
    if (atomicity_) {
      // Closed loop, one command at a time, for the whole safety phase: reads right after
      // writes are what exposes a partition that finished a write alone.
      env_.after(std::chrono::milliseconds(100), [this] { issue(next_request()); });
    } else {
      for (Time at : when_) env_.after(at - env_.now(), [this] { issue(next_request()); });
    }
    env_.after(final_reads_ - env_.now(), [this] {
      for (const std::string& key : t_.keys) issue(app::Get{key}, true);
    });
  }
  void on_message(const Message& message) override { client_.on_message(message); }
  void check_invariants() const override { client_.check_invariants(); }

 private:
  app::Request next_request() {
    Rng& rng = env_.rng();
    // The atomicity workload stays on the first cluster: every command meets every other.
    const std::vector<std::string>& cluster = atomicity_ ? t_.clusters.front() : t_.clusters[rng.uniform(t_.clusters.size())];
    const auto key = [&] { return cluster[rng.uniform(cluster.size())]; };
    // A second key of the cluster, in another partition four times out of five.
    const auto other_key = [&](const std::string& first) {
      const PartitionId home = t_.ssmr.placement->owner(first);
      std::vector<std::string> candidates;
      const bool elsewhere = rng.chance(4, 5);
      for (const std::string& k : cluster) {
        if (k != first && (t_.ssmr.placement->owner(k) != home) == elsewhere) candidates.push_back(k);
      }
      if (candidates.empty()) {
        for (const std::string& k : cluster) {
          if (k != first) candidates.push_back(k);
        }
      }
      return candidates[rng.uniform(candidates.size())];
    };
    const auto number = [&] { return std::to_string(rng.range(0, 100)); };
    const auto pick = rng.uniform(100);
    if (atomicity_) {
      // Single-key reads and blind two-partition writes: what execution atomicity protects.
      if (pick < 60) return app::Get{key()};
      const std::string a = key();
      return app::PutMany{{{a, number()}, {other_key(a), number()}}};
    }
    if (pick < 30) return app::Get{key()};
    if (pick < 50) return app::Put{key(), number()};
    if (pick < 65) {
      const std::string k = key();
      const auto seen = last_read_.find(k);
      return app::Cas{k, seen == last_read_.end() ? std::nullopt : seen->second, number()};
    }
    if (pick < 85) {
      const std::string a = key();
      return app::Transfer{a, other_key(a), rng.range(1, 20)};
    }
    const std::string a = key();
    return app::PutMany{{{a, number()}, {other_key(a), number()}}};
  }

  void issue(app::Request request, bool final_read = false) {
    if (!client_.can_submit()) {
      env_.after(std::chrono::milliseconds(20), [this, request = std::move(request), final_read] { issue(request, final_read); });
      return;
    }
    const auto handle = shared_.recorder.invoked(env_.self(), shared_.now().time_since_epoch().count(), kv::model_input(request));
    if (!handle) return;  // the recorder is full: the history says so
    Payload bytes = app::encode(request);
    if (t_.oracle->destinations(bytes.bytes()).size() > 1) ++shared_.multi_partition;
    if (final_read) ++shared_.final_unanswered;
    const auto* get = std::get_if<app::Get>(&request);
    const std::string read_key = get ? get->key : std::string();
    client_.submit(std::move(bytes), [this, h = *handle, final_read, read_key](const partition::CommandResult& r) {
      if (atomicity_ && !final_read && env_.now() < closed_loop_end_) issue(next_request());
      if (r.status == partition::CommandResult::Status::timeout) return;  // unknown: may or may not apply
      if (final_read) --shared_.final_unanswered;
      std::string error;
      const auto response = r.status == partition::CommandResult::Status::ok
                                ? app::decode_response(r.body.bytes(), &error)
                                : std::nullopt;
      if (!response) {
        ++shared_.failed;
        if (shared_.first_failure.empty()) {
          shared_.first_failure = r.status == partition::CommandResult::Status::failed
                                      ? "command failed: " + std::string(reinterpret_cast<const char*>(r.body.data()), r.body.size())
                                      : "undecodable response: " + error;
        }
        return;
      }
      if (const auto* v = std::get_if<app::Value>(&*response)) last_read_[read_key] = v->value;
      shared_.recorder.responded(h, shared_.now().time_since_epoch().count(), kv::model_output(*response));
    });
  }

  Env& env_;
  const Topology& t_;
  Shared& shared_;
  std::vector<Time> when_;
  Time final_reads_;
  bool atomicity_;  // the closed-loop workload of --atomicity-workload
  Time closed_loop_end_;  // the end of the safety phase
  partition::Client client_;
  std::map<std::string, std::optional<std::string>> last_read_;
};

void add_nodes(sim::Simulator& sim, Rng& rng, const Topology& t, const KvScenarioOptions& o, Shared& shared,
               bool atomicity, bool skip_signals) {
  std::map<NodeId, std::vector<Time>> sends;
  for (std::size_t i = 0; i < o.operations; ++i) {
    sends[t.clients[i % t.clients.size()]].push_back(Time{rng.range(Duration(std::chrono::milliseconds(100)), o.phases.safety)});
  }
  const Time final_reads = Time{o.phases.safety + std::chrono::seconds(5)};
  std::set<NodeId> replicas;
  for (const auto& [p, nodes] : t.replicas) replicas.insert(nodes.begin(), nodes.end());
  for (NodeId id : t.all) {
    const bool is_client = std::find(t.clients.begin(), t.clients.end(), id) != t.clients.end();
    std::vector<Time> when = is_client ? sends[id] : std::vector<Time>{};
    std::sort(when.begin(), when.end());
    sim.add_node(sim::NodeSpec{
        .id = id,
        .make_roles = [&t, &shared, id, is_client, when, final_reads, atomicity, skip_signals,
                       replica = replicas.contains(id)](Env& env) {
          std::vector<std::unique_ptr<Role>> roles;
          if (is_client) {
            roles.push_back(std::make_unique<KvClientDriver>(env, t, shared, when, final_reads, atomicity));
          } else if (replica) {
            roles.push_back(std::make_unique<partition::PartitionReplica>(
                env, t.ridge, t.ssmr, *t.oracle, std::make_unique<app::KvMachine>(),
                partition::ReplicaOptions{.unsafe_skip_signals = skip_signals, .ridge = {}}));
          } else {
            // An acceptor of the ensembles: a RidgeNode that learns nothing.
            roles.push_back(std::make_unique<multicast::RidgeNode>(env, t.ridge, [](const multicast::Delivery&) {}));
          }
          return roles;
        },
        .clock = sim::ClockModel::random(rng, o.clock_offset_max, o.clock_drift_ppm_max),
    });
  }
}

// Uneven delays for the atomicity workload: the last partition hears the shared ensemble (and
// the other partitions' replicas, which distribute its values) late.
void slow_down_last_partition(sim::Simulator& sim, const Topology& t) {
  const std::vector<NodeId>& slow = t.replicas.rbegin()->second;
  const std::vector<NodeId>& own = t.acceptors.at(EnsembleId{t.replicas.rbegin()->first.value});
  for (NodeId from : t.all) {
    if (std::find(own.begin(), own.end(), from) != own.end()) continue;
    for (NodeId to : slow) {
      if (from != to) sim.network().set_latency(from, to, sim::LatencyModel{.base = std::chrono::milliseconds(40)});
    }
  }
}

}  // namespace

std::span<const sim::ScenarioFlag> KvScenario::flags() const { return kFlags; }

std::string KvScenario::description() const {
  const auto& o = options_;
  const auto seconds = [](Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); };
  return fmt::format(
      "The kv service on S-SMR: 2-{} partitions (seed) of {} replicas, Ridge ensembles of 3 on-disk acceptors per "
      "partition plus the shared one, hash placement of {} keys in {} clusters (two-key commands stay in a cluster), {} clients with 3 commands outstanding each. "
      "Workload per seed: {} commands during the safety phase (get 30%, put 20%, cas 15%, transfer 20%, put_many "
      "15%; two-key commands span two partitions 4 times in 5), then a get of every key after healing. Safety "
      "phase: {} s of faults (loss up to {}%, duplication up to {}%, reordering, partitions, one replica crash per "
      "partition at most (it stays down), acceptor crashes and restarts, clock skew up to {}, drift up to {} ppm). "
      "Liveness phase: {} s healed. Then the linearizability checker (KvModel) over the client history; commands "
      "that timed out may have taken effect or not. With --{}: closed-loop clients, 60% gets and 40% two-partition "
      "put_many on one cluster, the last partition hearing the shared ensemble 40 ms late, no faults; --{} adds "
      "replicas that do not wait for other partitions, and the checker must find violations.",
      o.partitions_max, o.replicas_per_partition, o.clusters * o.keys_per_cluster, o.clusters, o.clients, o.operations, seconds(o.phases.safety),
      o.drop_ppm_max / 10'000.0, o.duplicate_ppm_max / 10'000.0, eyrie::to_string(o.clock_offset_max), o.clock_drift_ppm_max,
      seconds(o.phases.liveness), kAtomicityFlag, kUnsafeFlag);
}

sim::ScenarioResult KvScenario::run(const sim::ScenarioRun& run) const {
  const KvScenarioOptions& o = options_;
  const auto flag = [&](std::string_view f) { return std::find(run.flags.begin(), run.flags.end(), f) != run.flags.end(); };
  const bool skip_signals = flag(kUnsafeFlag);
  const bool atomicity = skip_signals || flag(kAtomicityFlag);
  Rng rng(run.seed);
  const std::unique_ptr<Topology> topology = choose_topology(rng, o);
  sim::Simulator sim(sim::SimOptions{
      .seed = rng.next_u64(),
      .network = {.drop_ppm = topology->drop_ppm, .duplicate_ppm = topology->duplicate_ppm},
      .log_level = run.log_level,
      .log_output = run.log_output,
  });
  Shared shared([&sim] { return sim.now(); });
  add_nodes(sim, rng, *topology, o, shared, atomicity, skip_signals);
  if (atomicity) slow_down_last_partition(sim, *topology);
  for (NodeId id : topology->all) sim.boot(id);

  SsmrCrashPlan crashes(sim, rng, topology->replicas, topology->acceptors, o.phases.safety);
  if (!atomicity) {
    sim::schedule_faults(sim, sim::plan_faults(rng, topology->all, sim::network_faults_only(o.phases.safety)));
    crashes.schedule();
  }

  sim::run_then_heal(sim, o.phases, [&] { crashes.restart_all_allowed(); });

  const kv::KvModel model;
  const LinearizabilityReport report = check_linearizable(model, shared.recorder.operations());
  sim::ScenarioResult result;
  result.passed = report.verdict == Verdict::kLinearizable && shared.failed == 0 && shared.final_unanswered == 0 &&
                  !shared.recorder.overflowed();
  if (report.verdict != Verdict::kLinearizable) {
    result.reason = report.result().reason();
  } else if (shared.failed > 0) {
    result.reason = fmt::format("{} commands failed; first: {}", shared.failed, shared.first_failure);
  } else if (shared.final_unanswered > 0) {
    result.reason = fmt::format("{} reads issued after healing were never answered (liveness)", shared.final_unanswered);
  } else if (shared.recorder.overflowed()) {
    result.reason = "the history recorder overflowed";
  }
  result.trace = sim.trace_hex();
  result.stats = sim.stats();
  result.end = sim.now();
  const auto& ops = shared.recorder.operations();
  const std::size_t answered = static_cast<std::size_t>(std::count_if(ops.begin(), ops.end(), [](const auto& op) { return op.answered(); }));
  result.summary.push_back(fmt::format("{} partitions, loss {} ppm, duplication {} ppm, {} crashes{}",
                                       topology->replicas.size(), topology->drop_ppm, topology->duplicate_ppm,
                                       crashes.crashes(),
                                       skip_signals ? ", UNSAFE: signals skipped" : (atomicity ? ", atomicity workload" : "")));
  for (std::string& line : sim::describe_stats(sim.stats())) result.summary.push_back(std::move(line));
  result.summary.push_back(fmt::format("kv: {} commands ({} multi-partition, {:.0f}%), {} answered, {} timed out",
                                       ops.size(), shared.multi_partition,
                                       ops.empty() ? 0.0 : 100.0 * static_cast<double>(shared.multi_partition) / static_cast<double>(ops.size()),
                                       answered, ops.size() - answered));
  std::uint64_t values_sent = 0, values_current = 0, cache_hits = 0;
  for (const auto& [p, nodes] : topology->replicas) {
    for (NodeId id : nodes) {
      const Metrics& m = sim.node(id).metrics();
      values_sent += m.counter_value("ssmr.values_sent");
      values_current += m.counter_value("ssmr.values_current");
      cache_hits += m.counter_value("ssmr.cache_hits");
    }
  }
  result.summary.push_back(fmt::format("remote objects: {} values sent, {} times \"your cached copy is current\", {} cache hits",
                                       values_sent, values_current, cache_hits));
  result.summary.push_back(fmt::format("linearizability: {} ({} parts, largest {} operations, {} steps)",
                                       to_string(report.verdict), report.parts, report.largest_part_operations,
                                       report.steps));
  return result;
}

void add_kv_scenarios(sim::ScenarioRegistry& registry) { registry.add(std::make_unique<KvScenario>()); }

}  // namespace eyrie::check
