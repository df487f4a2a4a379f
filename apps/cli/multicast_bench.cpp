#include "apps/cli/multicast_bench.hpp"

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

#include "apps/cli/bench_cluster.hpp"
#include "apps/cli/bench_support.hpp"
#include "apps/cli/roles.hpp"
#include "experiments/load_endpoint.hpp"
#include "experiments/load_payload.hpp"
#include "runtime/net/local_host.hpp"
#include "runtime/net/node_host.hpp"

namespace eyrie::cli {

namespace {

using namespace std::chrono_literals;
using multicast::AcceptorStorage;
using multicast::GroupId;

constexpr std::uint8_t kPhaseUnmeasured = 0;
constexpr std::uint8_t kPhaseLoad = 1;
constexpr std::uint8_t kPhaseLowLoad = 2;
constexpr auto kReadyDeadline = 60s;
constexpr auto kDrainDeadline = 60s;
constexpr auto kProbeDeadline = 30s;

Duration seconds_of(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }

}  // namespace

std::string_view storage_name(AcceptorStorage s) { return s == AcceptorStorage::disk ? "disk" : "memory"; }

std::string bench_cluster_toml(const BenchConfig& c, const MulticastBenchOptions& o, const std::filesystem::path& data_dir) {
  BenchClusterShape shape{.groups = c.groups, .learners = o.learners, .acceptor_role = "ridge", .learner_role = "ridge",
                          .ridge_lines = {fmt::format("acceptor_storage = \"{}\"", storage_name(c.storage)),
                                          fmt::format("optimistic = {}", c.optimistic)},
                          .extra = {}};
  shape.ridge_lines.insert(shape.ridge_lines.end(), o.ridge_settings.begin(), o.ridge_settings.end());
  return cli::bench_cluster_toml(shape, data_dir);
}


namespace {

// A learner's observer: the latency of each delivery of a measured phase.
RidgeObserver phase_latency_observer(Env& env) {
  struct Histograms {
    Histogram* cons[3]{};
    Histogram* opt[3]{};
  } h;
  for (auto [phase, name] : {std::pair{kPhaseLoad, "load"}, std::pair{kPhaseLowLoad, "low_load"}}) {
    h.cons[phase] = &env.metrics().histogram(fmt::format("bench.{}.cons_latency_us", name));
    h.opt[phase] = &env.metrics().histogram(fmt::format("bench.{}.opt_latency_us", name));
  }
  const auto record = [&env](Histogram* const* histograms, const Payload& payload, WallTime sent) {
    const auto phase = experiments::load_payload_phase(payload);
    if (!phase || (*phase != kPhaseLoad && *phase != kPhaseLowLoad)) return;
    histograms[*phase]->record(std::chrono::duration_cast<std::chrono::microseconds>(env.wall_clock() - sent).count());
  };
  return RidgeObserver{
      .on_deliver = [h, record](const multicast::Delivery& d) { record(h.cons, d.payload, d.timestamp); },
      .on_opt_deliver = [h, record](const multicast::OptDelivery& d) { record(h.opt, d.payload, d.timestamp); },
  };
}


// Counters of one learner at one probe.
struct LearnerSample {
  Duration uptime{};
  std::uint64_t delivered = 0;
  std::uint64_t delivered_bytes = 0;
  std::uint64_t opt_compared = 0;
  std::uint64_t opt_mistakes = 0;
};

// Drives one configuration from this process: the sender and the stats probe.
class ConfigRun {
 public:
  ConfigRun(const BenchConfig& c, const MulticastBenchOptions& o, const ClusterConfig& config,
            const multicast::RidgeConfig& ridge)
      : o_(o), ridge_(ridge) {
    for (const auto& g : ridge.groups) {
      for (NodeId id : g.learners) {
        learners_.emplace_back(id, g.id);
        learner_ids_.push_back(id);
      }
    }
    for (const NodeConfig& node : config.nodes) nodes_.push_back(node.id);
    experiments::MulticastLoadOptions load_options;
    for (const auto& g : ridge.groups) load_options.groups.push_back(g.id);
    load_options.global_percent = o.global_percent;
    load_options.size_bytes = c.size;
    load_options.outstanding_max = std::max<std::size_t>(o.window_bytes / c.size, 16);
    experiments::LoadEndpoint endpoint = experiments::start_load_endpoint(
        config, ridge, std::move(load_options),
        {.id = net::random_external_id(), .log_level = LogLevel::error, .stats_probe_interval = 200ms});
    host_ = std::move(endpoint.host);
    load_ = endpoint.load;
  }

  // Runs the phases; throws std::runtime_error when one does not complete in time.
  ConfigFigures run() {
    load_->run_paced(100);
    require(host_->run_until([&] { return load_->acknowledged() > 0 && every_learner_delivered(); }, kReadyDeadline),
            "the cluster did not deliver a first message");
    load_->run_max();
    host_->run_until([] { return false; }, seconds_of(o_.warmup_seconds));
    ConfigFigures f;
    f.load = measure_window(kPhaseLoad, [&] { load_->run_max(); }, o_.seconds);
    // Unmeasured time at the low rate first: estimates that follow the load (the learners'
    // optimistic wait, the coordinators' batching) settle after the saturated window.
    load_->set_phase(kPhaseUnmeasured);
    load_->run_paced(o_.low_rate);
    host_->run_until([] { return false; }, seconds_of(o_.warmup_seconds + 1));
    f.low_load = measure_window(kPhaseLowLoad, [&] { load_->run_paced(o_.low_rate); }, o_.low_seconds);
    const std::map<NodeId, net::NodeStats> final_stats = probe(nodes_);
    f.diagnostics = diagnostics(final_stats);
    f.cons = latency_across(final_stats, "bench.load.cons_latency_us");
    f.opt = latency_across(final_stats, "bench.load.opt_latency_us");
    f.cons_low_load = latency_across(final_stats, "bench.low_load.cons_latency_us");
    f.opt_low_load = latency_across(final_stats, "bench.low_load.opt_latency_us");
    f.messages_sent = load_->sent();
    return f;
  }

 private:
  static void require(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(what);
  }

  // Messages of `phase` issued by `start` for `seconds`, measured between two probes, then drained.
  WindowFigures measure_window(std::uint8_t phase, const std::function<void()>& start, double seconds) {
    load_->set_phase(phase);
    start();
    const std::map<NodeId, net::NodeStats> before = probe(learner_ids_);
    host_->run_until([] { return false; }, seconds_of(seconds));
    const std::map<NodeId, net::NodeStats> after = probe(learner_ids_);
    load_->pause();
    require(host_->run_until([&] { return load_->unacknowledged().empty() && every_learner_delivered(); }, kDrainDeadline),
            "the learners did not deliver every message in time");
    return window_figures(before, after);
  }

  // True when every learner delivered everything sent to its group (as of the latest probe).
  bool every_learner_delivered() const {
    for (const auto& [id, group] : learners_) {
      const net::NodeStats* s = host_->stats_probe()->find(id);
      const std::uint64_t owed = std::max<std::uint64_t>(load_->sent_to(group), 1);
      if (s == nullptr || s->counter("ridge.delivered").value_or(0) < owed) return false;
    }
    return true;
  }

  std::map<NodeId, net::NodeStats> probe(const std::vector<NodeId>& nodes) { return probe_stats(*host_, nodes, kProbeDeadline); }

  // Counters that explain a figure (losses, retries, catch-up), summed over the whole run: the
  // sender's own, and every node's.
  std::vector<std::pair<std::string, std::uint64_t>> diagnostics(const std::map<NodeId, net::NodeStats>& stats) const {
    const Metrics& sender = host_->metrics();
    std::vector<std::pair<std::string, std::uint64_t>> out{
        {"sender_retransmissions", sender.counter_value("ridge.sender.retransmissions")},
        {"sender_transport_drops", sender.counter_value("transport.hwm_drops") + sender.counter_value("transport.outbox_full_drops")},
    };
    const auto sum = [&stats](std::initializer_list<std::string_view> names) {
      std::uint64_t total = 0;
      for (const auto& [id, s] : stats) {
        for (std::string_view name : names) total += s.counter(name).value_or(0);
      }
      return total;
    };
    out.emplace_back("node_transport_drops", sum({"transport.hwm_drops", "transport.outbox_full_drops"}));
    out.emplace_back("coordinator_refused_messages", sum({"ridge.coordinator.refused_messages"}));
    out.emplace_back("classic_fallbacks", sum({"ridge.coordinator.classic_fallbacks"}));
    out.emplace_back("learner_fetches", sum({"ridge.learner.fetches"}));
    out.emplace_back("learner_dropped_ahead", sum({"ridge.learner.dropped_ahead"}));
    out.emplace_back("duplicates_dropped", sum({"ridge.learner.duplicates_dropped"}));
    return out;
  }

  static LearnerSample sample(const net::NodeStats& s) {
    return LearnerSample{s.uptime, s.counter("ridge.delivered").value_or(0), s.counter("ridge.delivered_bytes").value_or(0),
                         s.counter("ridge.opt.compared").value_or(0), s.counter("ridge.opt.mistakes").value_or(0)};
  }

  WindowFigures window_figures(const std::map<NodeId, net::NodeStats>& before,
                               const std::map<NodeId, net::NodeStats>& after) const {
    double rates = 0;
    double bytes_rates = 0;
    std::uint64_t compared = 0;
    std::uint64_t mistakes = 0;
    for (const auto& [id, group] : learners_) {
      const LearnerSample b = sample(before.at(id));
      const LearnerSample a = sample(after.at(id));
      const double seconds = std::chrono::duration<double>(a.uptime - b.uptime).count();
      rates += static_cast<double>(a.delivered - b.delivered) / seconds;
      bytes_rates += static_cast<double>(a.delivered_bytes - b.delivered_bytes) / seconds;
      compared += a.opt_compared - b.opt_compared;
      mistakes += a.opt_mistakes - b.opt_mistakes;
    }
    // Each group's learners deliver at the group's rate; a message to every group counts in each
    // group, so the distinct rate X satisfies sum over groups = X (1 + (groups - 1) p).
    const double groups = static_cast<double>(ridge_.groups.size());
    const double global = groups > 1 ? o_.global_percent / 100.0 : 0.0;
    const double per_group_sum = rates / static_cast<double>(o_.learners);
    WindowFigures f;
    f.msgs_per_s = per_group_sum / (1 + (groups - 1) * global);
    f.mb_per_s_per_learner = bytes_rates / static_cast<double>(learners_.size()) / 1e6;
    if (compared > 0) f.mistake_rate = static_cast<double>(mistakes) / static_cast<double>(compared);
    return f;
  }

  const MulticastBenchOptions& o_;
  const multicast::RidgeConfig& ridge_;
  std::vector<std::pair<NodeId, GroupId>> learners_;
  std::vector<NodeId> learner_ids_;
  std::vector<NodeId> nodes_;  // every node of the cluster
  std::unique_ptr<net::NodeHost> host_;
  experiments::MulticastLoad* load_ = nullptr;
};


}  // namespace

ConfigFigures measure_configuration(const BenchConfig& c, const MulticastBenchOptions& o, const std::filesystem::path& dir) {
  std::ofstream(dir / "cluster.toml") << bench_cluster_toml(c, o, dir / "data");
  const ClusterConfig config = ClusterConfig::load(dir / "cluster.toml");
  validate_modules(config);
  const multicast::RidgeConfig ridge = multicast::RidgeConfig::from(config);
  NodeChildren children(config, dir, [&config, &ridge](Env& env, const NodeConfig& node) {
    const bool learner = !ridge.groups_of(node.id).empty();
    return make_roles(config, node, env, learner ? phase_latency_observer(env) : RidgeObserver{});
  });
  ConfigRun run(c, o, config, ridge);
  return run.run();
}

}  // namespace eyrie::cli
