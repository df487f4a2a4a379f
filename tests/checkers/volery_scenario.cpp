#include "tests/checkers/volery_scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

#include "runtime/sim/fault_plan.hpp"
#include "tests/checkers/ssmr_crash_plan.hpp"
#include "tests/checkers/volery_cluster.hpp"
#include "tests/checkers/volery_model.hpp"
#include "tests/checkers/volery_watch_checker.hpp"

namespace eyrie::check {

namespace {

namespace zk = ::eyrie::volery;
using volery::VoleryRecorder;

constexpr std::size_t kWindow = 3;  // requests outstanding per session

constexpr std::string_view kSkipFifoFlag = "unsafe-skip-fifo-check";
constexpr std::string_view kIgnoreMarksFlag = "unsafe-ignore-marks";
constexpr std::array<sim::ScenarioFlag, 2> kFlags{
    sim::ScenarioFlag{kSkipFifoFlag, "replicas run a request even when its predecessor has not run (breaks FIFO)"},
    sim::ScenarioFlag{kIgnoreMarksFlag,
                      "gateways hand out replies without waiting for the watch events they name (breaks "
                      "events-before-replies)"}};

// What the sessions did, for the checkers, and what the run counts.
struct Shared {
  Shared(std::function<Time()> clock, const volery_sim::Topology& t)
      : now(std::move(clock)),
        watches([&t](const std::string& path) { return t.oracle->placement().owner_of_path(path); },
                [&t](const zk::Op& op) { return t.oracle->destinations(op); }) {}
  std::int64_t now_ns() const { return now().time_since_epoch().count(); }

  std::function<Time()> now;
  VoleryRecorder recorder{100'000};
  volery::WatchChecker watches;
  std::size_t final_unanswered = 0;
  std::size_t expired = 0;
  std::size_t closed = 0;
  std::size_t session_failures = 0;  // sessions that could not be opened
};

// The plan of one session, drawn by the scenario.
struct SessionPlan {
  std::int32_t timeout_ms = 20'000;
  std::vector<Time> when;         // requests, during the safety phase
  std::optional<Time> abandon;    // stops renewing and sending: it must expire
  std::optional<Time> close;      // closes itself
  bool creates_subtrees = false;  // the first session creates /t0, /t1, ...
};

// One gateway: the client library, with sessions that send planned requests, then, once the
// faults have stopped, read every subtree (acknowledged writes must show).
class GatewayDriver final : public Role {
 public:
  GatewayDriver(Env& env, const volery_sim::Topology& t, const VoleryScenarioOptions& o, Shared& shared,
                std::vector<SessionPlan> plans, Time final_reads, bool ignore_marks)
      : env_(env),
        o_(o),
        shared_(shared),
        plans_(std::move(plans)),
        final_reads_(final_reads),
        client_(env, t.ridge, t.ssmr, *t.oracle,
                zk::VoleryClientOptions{.window_max = 64,
                                        .tick_interval = std::chrono::seconds(1),
                                        .unsafe_ignore_marks = ignore_marks}) {
    client_.set_on_event([this](const zk::WatchEvent& e) { shared_.watches.event(e); });
    client_.set_tick_observer([this](const zk::Tick& tick) -> zk::VoleryClient::ReplyCallback {
      const auto handle = shared_.recorder.invoked(env_.self(), shared_.now_ns(), volery::Input{0, {}, zk::Op{tick}});
      return [this, handle](const zk::Reply& reply) {
        if (handle) shared_.recorder.responded(*handle, shared_.now_ns(), reply);
        for (zk::SessionId s : reply.result.expired) {
          shared_.watches.ended(s, reply.zxid);
          ++shared_.expired;
        }
      };
    });
  }
  std::string_view name() const override { return "volery-gateway"; }
  std::span<const MessageTypeRange> message_types() const override { return volery_sim::gateway_message_types(); }
  void start() override {
    client_.start();
    for (std::size_t i = 0; i < plans_.size(); ++i) open(i);
  }
  void on_message(const Message& message) override { client_.on_message(message); }
  void check_invariants() const override { client_.check_invariants(); }

 private:
  struct Live {
    zk::SessionId id = 0;
    std::size_t plan = 0;
    std::size_t outstanding = 0;
    std::size_t backlog = 0;  // planned requests that found the window full
    bool stopped = false;     // abandoned or closed: sends nothing more
  };

  void open(std::size_t plan) {
    const SessionPlan& p = plans_[plan];
    const zk::CreateSession create{.timeout_ms = p.timeout_ms, .password = fmt::format("password-{:08x}", plan)};
    const auto handle = shared_.recorder.invoked(env_.self(), shared_.now_ns(), volery::Input{0, {}, zk::Op{create}});
    client_.open_session(create.timeout_ms, create.password, [this, plan, handle](const zk::Reply& reply) {
      if (reply.result.code != zk::Code::ok) {
        ++shared_.session_failures;  // the window was full: cannot happen with 64
        return;
      }
      if (handle) shared_.recorder.responded(*handle, shared_.now_ns(), reply);
      Live& s = live_[reply.result.session];
      s.id = reply.result.session;
      s.plan = plan;
      schedule(s);
    });
  }

  void schedule(Live& s) {
    const SessionPlan& p = plans_[s.plan];
    const zk::SessionId id = s.id;
    if (p.creates_subtrees) {
      for (std::size_t k = 0; k < o_.subtrees; ++k) send(s, zk::Create{fmt::format("/t{}", k), "", zk::open_acl()});
    }
    for (Time at : p.when) {
      if (at <= env_.now()) continue;
      env_.after(at - env_.now(), [this, id] {
        Live* s = find(id);
        if (s == nullptr || s->stopped) return;
        if (s->outstanding >= kWindow) {
          ++s->backlog;
        } else {
          send(*s, next_op());
        }
      });
    }
    if (p.abandon) {
      env_.after(*p.abandon - env_.now(), [this, id] {
        if (Live* s = find(id)) {
          s->stopped = true;
          client_.set_renewing(id, false);
        }
      });
    }
    if (p.close) {
      env_.after(*p.close - env_.now(), [this, id] {
        Live* s = find(id);
        if (s == nullptr || s->stopped) return;
        send(*s, zk::CloseSession{});
        s->stopped = true;
      });
    }
    env_.after(final_reads_ - env_.now(), [this, id] {
      Live* s = find(id);
      if (s == nullptr || s->stopped) return;
      for (std::size_t k = 0; k < o_.subtrees; ++k) {
        send(*s, zk::GetChildren{fmt::format("/t{}", k)}, true);
        send(*s, zk::GetData{fmt::format("/t{}/a", k)}, true);
      }
    });
  }

  Live* find(zk::SessionId id) {
    const auto it = live_.find(id);
    return it == live_.end() ? nullptr : &it->second;
  }

  void send(Live& s, zk::Op op, bool final_read = false) {
    const zk::SessionId id = s.id;
    const bool closes = std::holds_alternative<zk::CloseSession>(op);
    const auto handle = shared_.recorder.invoked(env_.self(), shared_.now_ns(), volery::Input{id, {}, op});
    const std::uint64_t number = shared_.watches.submitted(id, op);
    ++s.outstanding;
    if (final_read) ++shared_.final_unanswered;
    client_.submit(id, std::move(op), [this, id, handle, number, closes, final_read](const zk::Reply& reply) {
      shared_.watches.replied(id, number, reply);
      // zxid 0: the library answered for a session it knows has ended; the service never saw it.
      const bool from_service = reply.zxid != 0 && reply.result.code != zk::Code::connection_loss;
      if (handle && from_service) shared_.recorder.responded(*handle, shared_.now_ns(), reply);
      if (final_read) --shared_.final_unanswered;
      if (closes && reply.result.code == zk::Code::ok) {
        shared_.watches.ended(id, reply.zxid);
        ++shared_.closed;
      }
      Live* s = find(id);
      if (s == nullptr) return;
      --s->outstanding;
      if (s->backlog > 0 && !s->stopped) {
        --s->backlog;
        send(*s, next_op());
      }
    });
  }

  // A random operation within one subtree.
  zk::Op next_op() {
    Rng& rng = env_.rng();
    const std::string base = fmt::format("/t{}", rng.uniform(o_.subtrees));
    const auto pick = [&](std::initializer_list<const char*> names) {
      return base + "/" + *std::next(names.begin(), static_cast<long>(rng.uniform(names.size())));
    };
    const auto version = [&](std::int32_t max) {
      return rng.chance(3, 4) ? zk::kAnyVersion : static_cast<std::int32_t>(rng.uniform(static_cast<std::uint64_t>(max) + 1));
    };
    const auto data = [&] { return fmt::format("v{}", rng.uniform(100)); };
    const auto write = [&]() -> zk::MultiOp {
      switch (rng.uniform(4)) {
        case 0: return zk::Create{pick({"a", "b", "a/x", "k/x"}), data(), zk::open_acl()};
        case 1: return zk::Delete{pick({"a", "b", "a/x", "k/x"}), version(2)};
        case 2: return zk::SetData{pick({"a", "b", "a/x"}), data(), version(3)};
        default: return zk::Check{pick({"a", "b", "k"}), version(3)};
      }
    };
    const std::uint64_t r = rng.uniform(100);
    if (r < 12) return zk::Create{pick({"a", "b", "a/x", "k/x"}), data(), zk::open_acl()};
    if (r < 18) return zk::Create{pick({"e", "a/e"}), data(), zk::open_acl(), zk::CreateMode::ephemeral};
    if (r < 24) {
      return zk::Create{base + "/q-", data(), zk::open_acl(),
                        rng.chance(1, 2) ? zk::CreateMode::persistent_sequential : zk::CreateMode::ephemeral_sequential};
    }
    if (r < 28) return zk::Create{base + "/k", "", zk::open_acl(), zk::CreateMode::container};
    if (r < 40) {
      if (rng.chance(1, 4)) return zk::Delete{fmt::format("{}/q-{:010d}", base, rng.uniform(6)), version(1)};
      return zk::Delete{pick({"a", "b", "a/x", "e", "a/e", "k/x", "k"}), version(2)};
    }
    if (r < 52) return zk::SetData{pick({"a", "b", "a/x", "k"}), data(), version(3)};
    if (r < 62) return zk::GetData{pick({"a", "b", "a/x", "k"}), rng.chance(1, 2)};
    if (r < 72) return zk::Exists{pick({"a", "b", "e", "a/x", "k", "k/x"}), rng.chance(1, 2)};
    if (r < 82) {
      const std::string path = rng.chance(1, 3) ? base : pick({"a", "k"});
      return zk::GetChildren{path, rng.chance(1, 2)};
    }
    if (r < 95) {
      zk::Multi m;
      const std::uint64_t n = 2 + rng.uniform(2);
      for (std::uint64_t i = 0; i < n; ++i) m.ops.push_back(write());
      return m;
    }
    if (r < 98) return zk::GetAcl{pick({"a", "b"})};
    return zk::Sync{base};
  }

  Env& env_;
  const VoleryScenarioOptions& o_;
  Shared& shared_;
  std::vector<SessionPlan> plans_;
  Time final_reads_;
  zk::VoleryClient client_;
  std::map<zk::SessionId, Live> live_;
};

struct Plan {
  std::map<NodeId, std::vector<SessionPlan>> sessions;
  std::size_t abandoned = 0;
  std::size_t closing = 0;
};

Plan plan_sessions(Rng& rng, const volery_sim::Topology& t, const VoleryScenarioOptions& o) {
  Plan plan;
  for (NodeId g : t.gateways) plan.sessions[g].resize(o.sessions_per_gateway);
  // One more session on the last gateway is abandoned in the middle (short timeout: it must
  // expire); the second session closes itself towards the end of the safety phase.
  SessionPlan doomed;
  doomed.timeout_ms = 3'000;
  doomed.abandon = Time{rng.range(Duration(std::chrono::seconds(3)), o.phases.safety - std::chrono::seconds(4))};
  plan.sessions[t.gateways.back()].push_back(doomed);
  ++plan.abandoned;
  std::vector<SessionPlan*> all;
  for (auto& [g, mine] : plan.sessions) {
    for (SessionPlan& p : mine) all.push_back(&p);
  }
  all.front()->creates_subtrees = true;
  all[1]->close = Time{o.phases.safety - std::chrono::seconds(1)};
  ++plan.closing;
  for (std::size_t i = 0; i < o.operations; ++i) {
    all[rng.uniform(all.size())]->when.push_back(
        Time{rng.range(Duration(std::chrono::milliseconds(500)), o.phases.safety)});
  }
  for (SessionPlan* p : all) std::sort(p->when.begin(), p->when.end());
  return plan;
}

}  // namespace

std::span<const sim::ScenarioFlag> VoleryScenario::flags() const { return kFlags; }

std::string VoleryScenario::description() const {
  const auto& o = options_;
  const auto seconds = [](Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); };
  return fmt::format(
      "Volery (ZooKeeper's data model on S-SMR): 2-{} partitions (seed) of {} replicas, Ridge ensembles of 3 "
      "on-disk acceptors per partition plus the shared one, unique timestamps (zxids), hash placement of paths. "
      "{} gateways with {} sessions each (timeout 20 s, up to {} requests in flight per session), plus one session "
      "that stops renewing mid-run (timeout 3 s: it must expire) and one that closes itself. Workload per seed: {} "
      "requests over {} subtrees /tK (creates: persistent, ephemeral, sequential, container; deletes and setData "
      "with versions, getData/exists/getChildren with watches half the time, multis of 2-3 writes and checks, "
      "getACL, sync), then reads of every subtree after healing. Safety phase: {} s of faults (loss up to {}%, "
      "duplication up to {}%, reordering, partitions, one replica crash per partition at most (for good), acceptor "
      "crashes and restarts, clock skew up to {}, drift up to {} ppm). Liveness phase: {} s healed. Checks: "
      "linearizability against the znode-tree model (sessions, ephemerals, sequential names, cversion, zxids in "
      "stats), FIFO per session, watch events exactly once, one-shot, before the replies that reflect their change, "
      "and not lost.",
      o.partitions_max, o.replicas_per_partition, o.gateways, o.sessions_per_gateway, kWindow, o.operations,
      o.subtrees, seconds(o.phases.safety), o.drop_ppm_max / 10'000.0, o.duplicate_ppm_max / 10'000.0,
      eyrie::to_string(o.clock_offset_max), o.clock_drift_ppm_max, seconds(o.phases.liveness));
}

sim::ScenarioResult VoleryScenario::run(const sim::ScenarioRun& run) const {
  const VoleryScenarioOptions& o = options_;
  const auto flag = [&](std::string_view f) { return std::find(run.flags.begin(), run.flags.end(), f) != run.flags.end(); };
  const bool ignore_marks = flag(kIgnoreMarksFlag);
  Rng rng(run.seed);
  const std::size_t partitions = static_cast<std::size_t>(rng.range(2, static_cast<std::int64_t>(o.partitions_max)));
  const std::unique_ptr<volery_sim::Topology> t = volery_sim::make_topology(
      {.partitions = partitions,
       .replicas_per_partition = o.replicas_per_partition,
       .gateways = o.gateways,
       .machine = {.unsafe_skip_fifo_check = flag(kSkipFifoFlag)}});
  const auto drop_ppm = static_cast<std::uint32_t>(rng.range(0, o.drop_ppm_max));
  const auto duplicate_ppm = static_cast<std::uint32_t>(rng.range(0, o.duplicate_ppm_max));
  sim::Simulator sim(sim::SimOptions{
      .seed = rng.next_u64(),
      .network = {.drop_ppm = drop_ppm, .duplicate_ppm = duplicate_ppm},
      .log_level = run.log_level,
      .log_output = run.log_output,
  });
  Shared shared([&sim] { return sim.now(); }, *t);
  volery_sim::add_servers(sim, *t, [&] { return sim::ClockModel::random(rng, o.clock_offset_max, o.clock_drift_ppm_max); });
  const Plan plan = plan_sessions(rng, *t, o);
  const Time final_reads = Time{o.phases.safety + std::chrono::seconds(5)};
  for (NodeId g : t->gateways) {
    sim.add_node(sim::NodeSpec{
        .id = g,
        .make_roles = [&, g](Env& env) {
          std::vector<std::unique_ptr<Role>> roles;
          roles.push_back(std::make_unique<GatewayDriver>(env, *t, o, shared, plan.sessions.at(g), final_reads, ignore_marks));
          return roles;
        },
        .clock = sim::ClockModel::random(rng, o.clock_offset_max, o.clock_drift_ppm_max),
    });
  }
  for (NodeId id : t->all) sim.boot(id);

  SsmrCrashPlan crashes(sim, rng, t->replicas, t->acceptors, o.phases.safety);
  std::vector<NodeId> faulty = t->all;
  sim::schedule_faults(sim, sim::plan_faults(rng, faulty, sim::network_faults_only(o.phases.safety)));
  crashes.schedule();
  sim::run_then_heal(sim, o.phases, [&] { crashes.restart_all_allowed(); });

  const volery::VoleryModel model;
  const LinearizabilityReport report = check_linearizable(model, shared.recorder.operations());
  const CheckResult watches = shared.watches.check();
  sim::ScenarioResult result;
  result.passed = report.verdict == Verdict::kLinearizable && watches.passed() && shared.final_unanswered == 0 &&
                  shared.session_failures == 0 && !shared.recorder.overflowed() && shared.expired >= plan.abandoned;
  if (report.verdict != Verdict::kLinearizable) {
    result.reason = report.result().reason();
  } else if (!watches.passed()) {
    result.reason = watches.reason();
  } else if (shared.final_unanswered > 0) {
    result.reason = fmt::format("{} reads issued after healing were never answered (liveness)", shared.final_unanswered);
  } else if (shared.session_failures > 0) {
    result.reason = fmt::format("{} sessions could not be opened", shared.session_failures);
  } else if (shared.recorder.overflowed()) {
    result.reason = "the history recorder overflowed";
  } else if (shared.expired < plan.abandoned) {
    result.reason = fmt::format("{} sessions expired, but {} were abandoned and should have", shared.expired,
                                plan.abandoned);
  }
  result.trace = sim.trace_hex();
  result.stats = sim.stats();
  result.end = sim.now();
  const auto& ops = shared.recorder.operations();
  const auto answered = static_cast<std::size_t>(std::count_if(ops.begin(), ops.end(), [](const auto& op) { return op.answered(); }));
  std::size_t multi_partition = 0;
  for (const auto& op : ops) {
    if (op.input.session != 0 && t->oracle->destinations(op.input.op).size() > 1) ++multi_partition;
  }
  result.summary.push_back(fmt::format("{} partitions, loss {} ppm, duplication {} ppm, {} crashes", partitions, drop_ppm,
                                       duplicate_ppm, crashes.crashes()));
  for (std::string& line : sim::describe_stats(sim.stats())) result.summary.push_back(std::move(line));
  std::uint64_t out_of_order = 0;
  for (NodeId g : t->gateways) out_of_order += sim.node(g).metrics().counter_value("volery.client.out_of_order");
  result.summary.push_back(fmt::format(
      "volery: {} operations ({} multi-partition), {} answered; {} sessions expired, {} closed; {} watches set, {} "
      "events; {} requests answered out_of_order and sent again",
      ops.size(), multi_partition, answered, shared.expired, shared.closed, shared.watches.watches_set(),
      shared.watches.events(), out_of_order));
  result.summary.push_back(fmt::format("linearizability: {} ({} parts, largest {} operations, {} steps)",
                                       to_string(report.verdict), report.parts, report.largest_part_operations,
                                       report.steps));
  return result;
}

void add_volery_scenarios(sim::ScenarioRegistry& registry) { registry.add(std::make_unique<VoleryScenario>()); }

}  // namespace eyrie::check
