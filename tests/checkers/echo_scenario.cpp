#include "tests/checkers/echo_scenario.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "runtime/assert.hpp"
#include "tests/checkers/echo_checker.hpp"

namespace eyrie::check {

namespace {

// What the seed chose, beyond the fault plan: kept for the summary of the run.
struct Topology {
  std::vector<NodeId> nodes;
  std::uint32_t drop_ppm = 0;
  std::uint32_t duplicate_ppm = 0;
};

Topology choose_topology(Rng& rng, const EchoScenarioOptions& o) {
  Topology t;
  const auto count = static_cast<std::size_t>(
      rng.range(static_cast<std::int64_t>(o.nodes_min), static_cast<std::int64_t>(o.nodes_max)));
  for (std::size_t i = 1; i <= count; ++i) t.nodes.push_back(NodeId{i});
  t.drop_ppm = static_cast<std::uint32_t>(rng.range(0, o.drop_ppm_max));
  t.duplicate_ppm = static_cast<std::uint32_t>(rng.range(0, o.duplicate_ppm_max));
  return t;
}

// Links differ: a base between 0.1 and 5 ms, jitter up to 10 ms (which reorders messages), and
// a long tail of up to 1 s on up to 2 % of the messages.
sim::LatencyModel random_link(Rng& rng) {
  using namespace std::chrono;
  return sim::LatencyModel{.base = rng.range(Duration{microseconds(100)}, Duration{milliseconds(5)}),
                           .jitter = rng.range(Duration::zero(), Duration{milliseconds(10)}),
                           .tail_ppm = static_cast<std::uint32_t>(rng.range(0, 20'000)),
                           .tail = rng.range(Duration::zero(), Duration{seconds(1)})};
}

std::vector<std::unique_ptr<Role>> make_echo_roles(Env& env, echo::EchoObserver& observer,
                                                   echo::EchoOptions options) {
  std::vector<std::unique_ptr<Role>> roles;
  roles.push_back(std::make_unique<echo::EchoRole>(env, std::move(options), &observer));
  return roles;
}

// Links with their own latency, and one node per id with its clock and its roles.
void add_nodes(sim::Simulator& sim, Rng& rng, const Topology& topology, const EchoScenarioOptions& o,
               echo::EchoObserver& observer) {
  for (NodeId from : topology.nodes) {
    for (NodeId to : topology.nodes) {
      if (from != to) sim.network().set_latency(from, to, random_link(rng));
    }
  }
  const auto make = o.make_roles ? o.make_roles : EchoScenarioOptions::MakeRoles(make_echo_roles);
  for (NodeId id : topology.nodes) {
    echo::EchoOptions echo_options;
    echo_options.interval = o.ping_interval;
    echo_options.body_bytes = o.body_bytes;
    for (NodeId peer : topology.nodes) {
      if (peer != id) echo_options.peers.push_back(peer);
    }
    sim.add_node(sim::NodeSpec{
        .id = id,
        .make_roles = [make, echo_options, &observer](Env& env) { return make(env, observer, echo_options); },
        .clock = sim::ClockModel::random(rng, o.clock_offset_max, o.clock_drift_ppm_max),
    });
  }
}

std::vector<std::string> summarize(const Topology& topology, std::size_t faults, const sim::Simulator& sim,
                                   const EchoChecker& checker) {
  std::vector<std::string> lines{fmt::format("{} nodes, loss {} ppm, duplication {} ppm, {} faults planned",
                                             topology.nodes.size(), topology.drop_ppm, topology.duplicate_ppm,
                                             faults)};
  for (std::string& line : sim::describe_stats(sim.stats())) lines.push_back(std::move(line));
  lines.push_back(fmt::format("echo: {} boots, {} pings, {} answered, {} pongs accepted", checker.boots(),
                              checker.pings(), checker.answers(), checker.pongs()));
  return lines;
}

}  // namespace

EchoScenario::EchoScenario(EchoScenarioOptions options, std::string name)
    : options_(std::move(options)), name_(std::move(name)) {
  EYRIE_ASSERT(options_.nodes_min >= 2 && options_.nodes_min <= options_.nodes_max);
  EYRIE_ASSERT(options_.liveness_bound <= options_.phases.liveness);
}

std::string EchoScenario::description() const {
  const auto& o = options_;
  const auto seconds = [](Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); };
  return fmt::format(
      "{} nodes (chosen by the seed), each running EchoRole and pinging every other node every {} with "
      "{}-byte bodies. Safety phase: {} s of faults (loss up to {}%, duplication up to {}%, per-link latency "
      "with jitter and a long tail that reorder messages, one partition at a time, symmetric or one-way, "
      "crashes and restarts of a minority of the nodes at once (disk kept), clock skew up to {} and drift up "
      "to {} ppm). "
      "Liveness phase: {} s healed (loss {}%), every pair of nodes must complete a ping/pong within {}. "
      "Workload per seed: {} simulated seconds, about {}-{} pings.",
      o.nodes_min == o.nodes_max ? fmt::format("{}", o.nodes_min) : fmt::format("{}-{}", o.nodes_min, o.nodes_max),
      to_string(o.ping_interval), o.body_bytes, seconds(o.phases.safety), o.drop_ppm_max / 10'000.0,
      o.duplicate_ppm_max / 10'000.0, to_string(o.clock_offset_max), o.clock_drift_ppm_max,
      seconds(o.phases.liveness), o.liveness_drop_ppm / 10'000.0, to_string(o.liveness_bound),
      seconds(o.phases.safety + o.phases.liveness),
      o.nodes_min * (o.nodes_min - 1) * ((o.phases.safety + o.phases.liveness) / o.ping_interval),
      o.nodes_max * (o.nodes_max - 1) * ((o.phases.safety + o.phases.liveness) / o.ping_interval));
}

sim::ScenarioResult EchoScenario::run(const sim::ScenarioRun& run) const {
  const EchoScenarioOptions& o = options_;
  Rng rng(run.seed);  // every choice of this run flows from here, in a fixed order
  const Topology topology = choose_topology(rng, o);
  sim::Simulator sim(sim::SimOptions{
      .seed = rng.next_u64(),
      .network = {.drop_ppm = topology.drop_ppm, .duplicate_ppm = topology.duplicate_ppm},
      .disk_loss_allowed = o.disk_loss,
      .log_level = run.log_level,
      .log_output = run.log_output,
  });
  // Declared after `sim`, so destroyed before it: roles never call the observer when destroyed.
  EchoChecker checker([&sim] { return sim.now(); });

  add_nodes(sim, rng, topology, o, checker);
  for (NodeId id : topology.nodes) sim.boot(id);

  sim::FaultPlanOptions fault_options = o.faults;
  fault_options.duration = o.phases.safety;
  // Echo needs no quorum, but keeping a majority up keeps most pairs observable at any time.
  fault_options.down_max = std::max<std::size_t>(1, (topology.nodes.size() - 1) / 2);
  if (o.disk_loss && fault_options.disk_loss_ppm == 0) fault_options.disk_loss_ppm = 500'000;
  const std::vector<sim::Fault> faults = sim::plan_faults(rng, topology.nodes, fault_options);
  sim::schedule_faults(sim, faults);

  const Time healed_at = sim.now() + o.phases.safety;
  const sim::PhaseOutcome outcome = sim::run_phases(
      sim, o.phases, [&] { sim::heal_all(sim, o.liveness_drop_ppm, o.liveness_duplicate_ppm); },
      [&] { return checker.violated(); });

  sim::ScenarioResult result;
  CheckResult verdict = checker.safety();
  if (verdict.passed() && outcome == sim::PhaseOutcome::completed) {
    verdict = checker.liveness(topology.nodes, healed_at, o.liveness_bound);
  }
  result.passed = verdict.passed();
  result.reason = verdict.reason();
  result.trace = sim.trace_hex();
  result.stats = sim.stats();
  result.end = sim.now();
  result.summary = summarize(topology, faults.size(), sim, checker);
  return result;
}

void add_echo_scenarios(sim::ScenarioRegistry& registry) { registry.add(std::make_unique<EchoScenario>()); }

}  // namespace eyrie::check
