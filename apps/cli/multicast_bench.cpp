#include "apps/cli/multicast_bench.hpp"

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

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

constexpr int kAcceptors = 3;
constexpr std::uint8_t kPhaseLoad = 1;
constexpr std::uint8_t kPhaseLowLoad = 2;
constexpr auto kReadyDeadline = 60s;
constexpr auto kDrainDeadline = 60s;
constexpr auto kProbeDeadline = 30s;

Duration seconds_of(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }

}  // namespace

std::string_view storage_name(AcceptorStorage s) { return s == AcceptorStorage::disk ? "disk" : "memory"; }

std::string bench_cluster_toml(const BenchConfig& c, const MulticastBenchOptions& o, const std::filesystem::path& data_dir) {
  const int learners = o.learners;
  const int nodes = kAcceptors + c.groups * learners;
  const std::vector<std::uint16_t> ports = net::pick_free_ports("127.0.0.1", static_cast<std::size_t>(nodes));
  std::string text = fmt::format("[cluster]\nname = \"bench\"\ndata_dir = \"{}\"\nlog_level = \"warn\"\n", data_dir.string());
  for (int id = 1; id <= nodes; ++id) {
    text += fmt::format("\n[[nodes]]\nid = {}\nhost = \"127.0.0.1\"\nport = {}\nroles = [\"ridge\"]\n", id,
                        ports[static_cast<std::size_t>(id - 1)]);
  }
  text += fmt::format("\n[ridge]\nacceptor_storage = \"{}\"\noptimistic = {}\n", storage_name(c.storage), c.optimistic);
  for (const std::string& setting : o.ridge_settings) text += setting + "\n";
  for (int g = 1; g <= c.groups; ++g) {
    std::string members;
    for (int i = 0; i < learners; ++i) members += fmt::format("{}{}", i ? ", " : "", kAcceptors + (g - 1) * learners + i + 1);
    text += fmt::format("\n[[ridge.groups]]\nid = {}\nlearners = [{}]\n", g, members);
  }
  const auto rotated = [](int first) {
    return fmt::format("[{}, {}, {}]", first % kAcceptors + 1, (first + 1) % kAcceptors + 1, (first + 2) % kAcceptors + 1);
  };
  const int ensembles = c.groups > 1 ? c.groups + 1 : 1;
  for (int e = 1; e <= ensembles; ++e) {
    const std::string group = e <= c.groups ? fmt::format("group = {}\n", e) : "";
    text += fmt::format("\n[[ridge.ensembles]]\nid = {}\n{}coordinators = {}\nacceptors = {}\n", e, group, rotated(e - 1),
                        rotated(e - 1));
  }
  return text;
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


// The node processes of one configuration; killed and reaped on destruction.
class NodeChildren {
 public:
  NodeChildren(const ClusterConfig& config, const multicast::RidgeConfig& ridge, const std::filesystem::path& dir) {
    for (const NodeConfig& node : config.nodes) {
      const bool learner = !ridge.groups_of(node.id).empty();
      const std::filesystem::path log = dir / fmt::format("node-{}.log", node.id.value);
      pids_.push_back(spawn_child([&config, &node, learner, log] {
        std::freopen(log.c_str(), "a", stderr);  // the node's log lines, kept out of the bench's output
        net::NodeHostOptions options;
        options.id = node.id;
        options.log_level = LogLevel::warn;
        options.make_roles = [&config, &node, learner](Env& env) {
          return make_roles(config, node, env, learner ? phase_latency_observer(env) : RidgeObserver{});
        };
        net::NodeHost host(config, std::move(options));
        host.start();
        host.run_until_stop_signal();
      }));
    }
  }
  ~NodeChildren() {
    for (pid_t pid : pids_) reap_child(pid);
  }
  NodeChildren(const NodeChildren&) = delete;
  NodeChildren& operator=(const NodeChildren&) = delete;

 private:
  std::vector<pid_t> pids_;
};


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
    f.low_load = measure_window(kPhaseLowLoad, [&] { load_->run_paced(o_.low_rate); }, o_.low_seconds);
    const std::map<NodeId, net::NodeStats> final_stats = probe(nodes_);
    f.diagnostics = diagnostics(final_stats);
    f.cons = latency(final_stats, "bench.load.cons_latency_us");
    f.opt = latency(final_stats, "bench.load.opt_latency_us");
    f.cons_low_load = latency(final_stats, "bench.low_load.cons_latency_us");
    f.opt_low_load = latency(final_stats, "bench.low_load.opt_latency_us");
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

  // Asks `nodes` for their metrics now and waits for all the answers.
  std::map<NodeId, net::NodeStats> probe(const std::vector<NodeId>& nodes) {
    net::StatsProbe& probe = *host_->stats_probe();
    std::map<NodeId, std::uint64_t> seen;
    for (NodeId id : nodes) seen[id] = probe.find(id) ? probe.find(id)->responses : 0;
    probe.probe_now();
    require(host_->run_until([&] {
      for (const auto& [id, responses] : seen) {
        if (!probe.find(id) || probe.find(id)->responses <= responses) return false;
      }
      return true;
    }, kProbeDeadline), "a node did not answer the stats probe");
    std::map<NodeId, net::NodeStats> out;
    for (NodeId id : nodes) out[id] = *probe.find(id);
    return out;
  }

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

  // The median of the learners' p50 and the largest of their p99, or nullopt when no learner
  // recorded a sample.
  LatencyFigures latency(const std::map<NodeId, net::NodeStats>& stats, std::string_view histogram) const {
    std::vector<std::int64_t> p50s;
    std::int64_t p99 = 0;
    for (const auto& [id, s] : stats) {
      const auto h = s.histogram(histogram);
      if (!h || h->count == 0) continue;
      p50s.push_back(h->p50);
      p99 = std::max(p99, h->p99);
    }
    if (p50s.empty()) return {};
    std::sort(p50s.begin(), p50s.end());
    return LatencyFigures{static_cast<double>(p50s[p50s.size() / 2]), static_cast<double>(p99)};
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
  NodeChildren children(config, ridge, dir);
  ConfigRun run(c, o, config, ridge);
  return run.run();
}

}  // namespace eyrie::cli
