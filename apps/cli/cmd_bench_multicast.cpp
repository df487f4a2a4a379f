// `eyrie bench multicast`: Ridge with every role in its own process on this machine, one JSON
// line per configuration (groups x size x acceptor storage x optimistic), next to raw ZeroMQ
// figures measured in the same run. docs/ridge.md ("Benchmark") explains every field.
//
// One configuration: nodes 1-3 are the acceptors and coordinator candidates of every ensemble
// (one per group, plus the shared one with two groups or more), nodes 4.. the learners
// (--learners per group); each node is a forked child running the ridge role exactly as
// `eyrie node` does. This process is the sender (an external endpoint running MulticastLoad)
// and reads the nodes' metrics through the stats probe. Phases:
//   ready     a trickle of messages until every learner delivered one;
//   warm-up   as fast as the sender's window allows (closed loop), unmeasured;
//   load      the same, measured: delivery rates from the learners' counters between two stats
//             probes, latency of the messages sent in the window;
//   drain     until every learner delivered everything sent to it;
//   low load  --low-rate messages per second (open loop), measured the same way; drain again.
// Payloads carry their phase (experiments/load_payload.hpp), so each learner records the
// latency (delivery wall clock minus the sender's initial timestamp; one host, one clock) of
// exactly the messages sent in a window, in histograms bench.<phase>.{cons,opt}_latency_us.

#include <signal.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apps/cli/bench_support.hpp"
#include "apps/cli/options.hpp"
#include "apps/cli/roles.hpp"
#include "experiments/load_payload.hpp"
#include "experiments/load_endpoint.hpp"
#include "multicast/config.hpp"
#include "runtime/net/local_host.hpp"
#include "runtime/net/node_host.hpp"

namespace eyrie::cli {

namespace {

namespace po = boost::program_options;
using namespace std::chrono_literals;
using multicast::AcceptorStorage;
using multicast::GroupId;

constexpr int kAcceptors = 3;
constexpr std::uint8_t kPhaseLoad = 1;
constexpr std::uint8_t kPhaseLowLoad = 2;
constexpr auto kReadyDeadline = 60s;
constexpr auto kDrainDeadline = 60s;
constexpr auto kProbeDeadline = 30s;

struct MulticastBenchOptions {
  std::vector<int> groups{1, 2};
  std::vector<std::size_t> sizes{100, 8192, 65536};
  std::vector<AcceptorStorage> storages{AcceptorStorage::memory, AcceptorStorage::disk};
  std::vector<bool> optimistic{false, true};
  int learners = 3;  // per group
  double seconds = 3;
  double warmup_seconds = 1;
  double low_rate = 200;
  double low_seconds = 2;
  double raw_seconds = 2;
  unsigned global_percent = 0;
  std::size_t window_bytes = 8 << 20;  // the sender keeps at most this many payload bytes unacknowledged
  std::vector<std::string> ridge_settings;  // "key = value" lines added to every configuration's [ridge]
};

struct BenchConfig {
  int groups = 1;
  std::size_t size = 100;
  AcceptorStorage storage = AcceptorStorage::memory;
  bool optimistic = false;
};

struct RawFigures {
  double mb_per_s = 0;
  double rtt_p50_us = 0;
};

Duration seconds_of(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }
std::string_view storage_name(AcceptorStorage s) { return s == AcceptorStorage::disk ? "disk" : "memory"; }

// Nodes 1-3: acceptors and candidates of every ensemble, each ensemble starting its candidate
// list and Phase 2 chain on another node; nodes 4..: the learners, group by group.
std::string cluster_toml(const BenchConfig& c, const MulticastBenchOptions& o, const std::filesystem::path& data_dir) {
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

struct WindowFigures {
  double msgs_per_s = 0;
  double mb_per_s_per_learner = 0;
  std::optional<double> mistake_rate;
};

struct LatencyFigures {
  std::optional<double> p50_us;
  std::optional<double> p99_us;
};

struct ConfigFigures {
  WindowFigures load;
  WindowFigures low_load;
  LatencyFigures cons, opt, cons_low_load, opt_low_load;
  std::uint64_t messages_sent = 0;
};

// Drives one configuration from this process: the sender and the stats probe.
class ConfigRun {
 public:
  ConfigRun(const BenchConfig& c, const MulticastBenchOptions& o, const ClusterConfig& config,
            const multicast::RidgeConfig& ridge)
      : o_(o), ridge_(ridge) {
    for (const auto& g : ridge.groups) {
      for (NodeId id : g.learners) learners_.emplace_back(id, g.id);
    }
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
    const std::map<NodeId, net::NodeStats> final_stats = probe();
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
    const std::map<NodeId, net::NodeStats> before = probe();
    host_->run_until([] { return false; }, seconds_of(seconds));
    const std::map<NodeId, net::NodeStats> after = probe();
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

  // Asks every learner for its metrics now and waits for all the answers.
  std::map<NodeId, net::NodeStats> probe() {
    net::StatsProbe& probe = *host_->stats_probe();
    std::map<NodeId, std::uint64_t> seen;
    for (const auto& [id, group] : learners_) seen[id] = probe.find(id) ? probe.find(id)->responses : 0;
    probe.probe_now();
    require(host_->run_until([&] {
      for (const auto& [id, responses] : seen) {
        if (!probe.find(id) || probe.find(id)->responses <= responses) return false;
      }
      return true;
    }, kProbeDeadline), "a learner did not answer the stats probe");
    std::map<NodeId, net::NodeStats> out;
    for (const auto& [id, group] : learners_) out[id] = *probe.find(id);
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
  std::unique_ptr<net::NodeHost> host_;
  experiments::MulticastLoad* load_ = nullptr;
};

// A fresh folder for one configuration's cluster file, data and node logs.
std::filesystem::path make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/eyrie-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

// `text` as a JSON string literal.
std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(ch)));
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string json(const std::optional<double>& v, int decimals = 0) {
  return v ? fmt::format("{:.{}f}", *v, decimals) : "null";
}

std::optional<double> ratio(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a || !b || *b <= 0) return std::nullopt;
  return *a / *b;
}

// The targets, judged for the reference set-up only (one group, three learners,
// in-memory acceptors); an empty object elsewhere.
std::string targets(const BenchConfig& c, const MulticastBenchOptions& o, const ConfigFigures& f, const RawFigures& raw) {
  if (c.groups != 1 || o.learners != 3 || c.storage != AcceptorStorage::memory) return "{}";
  std::string out;
  const auto add = [&out](std::string_view name, const std::optional<bool>& met) {
    out += fmt::format("{}\"{}\":{}", out.empty() ? "" : ",", name, met ? (*met ? "true" : "false") : "null");
  };
  const auto at_most = [](const std::optional<double>& v, double bound) {
    return v ? std::optional<bool>(*v <= bound) : std::nullopt;
  };
  if (c.size >= 65536) add("mb_ratio_vs_raw>=0.1", f.load.mb_per_s_per_learner >= 0.1 * raw.mb_per_s);
  if (c.size <= 100) add("msgs_per_s>=300000", f.load.msgs_per_s >= 300'000);
  add("p50_ratio_vs_rtt<=4", at_most(ratio(f.cons_low_load.p50_us, raw.rtt_p50_us), 4));
  if (c.optimistic) {
    add("opt_ratio_vs_cons<=0.5", at_most(ratio(f.opt_low_load.p50_us, f.cons_low_load.p50_us), 0.5));
    add("mistake_rate_low_load<=0.03", at_most(f.low_load.mistake_rate, 0.03));
  }
  return "{" + out + "}";
}

std::string figures_json(const BenchConfig& c, const MulticastBenchOptions& o, const ConfigFigures& f, const RawFigures& raw) {
  return fmt::format(
      "\"msgs_per_s\":{:.0f},\"mb_per_s_per_learner\":{:.2f},\"cons_p50_us\":{},\"cons_p99_us\":{},\"opt_p50_us\":{},"
      "\"opt_p99_us\":{},\"mistake_rate\":{},\"low_load_msgs_per_s\":{:.0f},\"cons_p50_low_load_us\":{},"
      "\"cons_p99_low_load_us\":{},\"opt_p50_low_load_us\":{},\"opt_p99_low_load_us\":{},\"mistake_rate_low_load\":{},"
      "\"messages_sent\":{},\"raw_mb_per_s\":{:.1f},\"raw_rtt_p50_us\":{:.1f},\"mb_ratio_vs_raw\":{},"
      "\"p50_ratio_vs_rtt\":{},\"opt_ratio_vs_cons\":{},\"targets\":{}",
      f.load.msgs_per_s, f.load.mb_per_s_per_learner, json(f.cons.p50_us), json(f.cons.p99_us), json(f.opt.p50_us),
      json(f.opt.p99_us), json(f.load.mistake_rate, 4), f.low_load.msgs_per_s, json(f.cons_low_load.p50_us),
      json(f.cons_low_load.p99_us), json(f.opt_low_load.p50_us), json(f.opt_low_load.p99_us),
      json(f.low_load.mistake_rate, 4), f.messages_sent, raw.mb_per_s, raw.rtt_p50_us,
      json(ratio(f.load.mb_per_s_per_learner, raw.mb_per_s), 3), json(ratio(f.cons_low_load.p50_us, raw.rtt_p50_us), 2),
      json(ratio(f.opt_low_load.p50_us, f.cons_low_load.p50_us), 2), targets(c, o, f, raw));
}

// One configuration, as one JSON line ("error" instead of figures when it could not be
// measured; its folder, with the nodes' logs, is then kept). Returns false on error.
bool run_config(const BenchConfig& c, const MulticastBenchOptions& o, const RawFigures& raw) {
  const std::filesystem::path dir = make_temp_dir();
  std::string body;
  bool ok = true;
  try {
    std::ofstream(dir / "cluster.toml") << cluster_toml(c, o, dir / "data");
    const ClusterConfig config = ClusterConfig::load(dir / "cluster.toml");
    validate_modules(config);
    const multicast::RidgeConfig ridge = multicast::RidgeConfig::from(config);
    NodeChildren children(config, ridge, dir);
    ConfigRun run(c, o, config, ridge);
    body = figures_json(c, o, run.run(), raw);
  } catch (const std::exception& e) {
    ok = false;
    body = fmt::format("\"error\":{},\"raw_mb_per_s\":{:.1f},\"raw_rtt_p50_us\":{:.1f}",
                       json_string(fmt::format("{} (node logs in {})", e.what(), dir.string())), raw.mb_per_s, raw.rtt_p50_us);
  }
  std::printf("%s\n", fmt::format("{{\"bench\":\"multicast\",\"groups\":{},\"learners\":{},\"size\":{},\"storage\":\"{}\","
                                  "\"optimistic\":{},\"seconds\":{},\"global_percent\":{},\"low_rate\":{},{}}}",
                                  c.groups, o.learners, c.size, storage_name(c.storage), c.optimistic, o.seconds,
                                  o.global_percent, o.low_rate, body)
                          .c_str());
  std::fflush(stdout);
  if (ok) std::filesystem::remove_all(dir);
  return ok;
}

// Comma-separated words, each one of `allowed` (mapped to its value), or nullopt.
template <typename T>
std::optional<std::vector<T>> parse_choices(std::string_view text, const std::vector<std::pair<std::string_view, T>>& allowed) {
  std::vector<T> values;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view word = text.substr(0, comma);
    const auto it = std::find_if(allowed.begin(), allowed.end(), [word](const auto& a) { return a.first == word; });
    if (it == allowed.end()) return std::nullopt;
    values.push_back(it->second);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  if (values.empty()) return std::nullopt;
  return values;
}

std::vector<BenchConfig> configurations(const MulticastBenchOptions& o) {
  std::vector<BenchConfig> out;
  for (int groups : o.groups) {
    for (std::size_t size : o.sizes) {
      for (AcceptorStorage storage : o.storages) {
        for (bool optimistic : o.optimistic) out.push_back(BenchConfig{groups, size, storage, optimistic});
      }
    }
  }
  return out;
}

// Stops before measuring anything when a configuration's cluster file would be refused (a
// bad --ridge setting); returns the error.
std::optional<std::string> check_configurations(const MulticastBenchOptions& o) {
  for (const BenchConfig& c : configurations(o)) {
    try {
      const ClusterConfig config = ClusterConfig::parse(cluster_toml(c, o, "/nonexistent"), "cluster.toml", "/tmp");
      validate_modules(config);
    } catch (const std::exception& e) {
      return e.what();
    }
  }
  return std::nullopt;
}

int run_multicast_bench(const MulticastBenchOptions& o) {
  std::map<std::size_t, RawFigures> raw;
  for (std::size_t size : o.sizes) {
    const WindowCount throughput = measure_raw_throughput(size, 500ms, o.raw_seconds);
    const RoundTrips round_trips = measure_raw_round_trips(size, o.raw_seconds);
    raw[size] = RawFigures{throughput.per_second() * static_cast<double>(size) / 1e6, round_trips.p50_us};
  }
  bool all_ok = true;
  for (const BenchConfig& c : configurations(o)) all_ok &= run_config(c, o, raw.at(c.size));
  return all_ok ? 0 : 1;
}

}  // namespace

int multicast_bench_command(std::span<char* const> args) {
  po::options_description options(
      "usage: eyrie bench multicast [--groups 1,2] [--size 100,8192,65536] [--storage memory,disk]\n"
      "                             [--optimistic off,on] [--learners N] [--seconds S] [--low-rate R] ...\n\n"
      "Runs Ridge with every role in its own process on this machine (3 acceptors and coordinator\n"
      "candidates per ensemble, --learners learners per group, this process as the sender) for each\n"
      "configuration of the lists given (default: the full matrix, 24 configurations), and prints one\n"
      "JSON line per configuration: delivery throughput at max load (msgs_per_s, mb_per_s_per_learner),\n"
      "latency of conservative and optimistic delivery at max load and at --low-rate, the optimistic\n"
      "mistake rate, raw ZeroMQ throughput and ping-pong round trip for the same size measured in this\n"
      "run, and the ratios to them. docs/ridge.md (Benchmark) defines every field. Exit status 1 when a\n"
      "configuration could not be measured (its line has \"error\").\n\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("groups", po::value<std::string>()->default_value("1,2"), "numbers of groups (1..8), comma-separated")
      ("size", po::value<std::string>()->default_value("100,8192,65536"), "payload bytes (16..262144), comma-separated")
      ("storage", po::value<std::string>()->default_value("memory,disk"), "acceptor storage: memory, disk, or both")
      ("optimistic", po::value<std::string>()->default_value("off,on"), "optimistic delivery: off, on, or both")
      ("learners", po::value<int>()->default_value(3), "learners per group (1..16)")
      ("seconds", po::value<double>()->default_value(3.0), "measured seconds at max load per configuration")
      ("warmup-seconds", po::value<double>()->default_value(1.0), "unmeasured seconds at max load before")
      ("low-rate", po::value<double>()->default_value(200.0), "messages per second of the low-load window")
      ("low-seconds", po::value<double>()->default_value(2.0), "measured seconds at low load per configuration")
      ("raw-seconds", po::value<double>()->default_value(2.0), "seconds of each raw ZeroMQ measurement per size")
      ("global-percent", po::value<int>()->default_value(0), "with 2+ groups: percent of messages to every group (0..100)")
      ("window-bytes", po::value<long long>()->default_value(8 << 20),
       "at max load, payload bytes the sender keeps unacknowledged (at least 16 messages, at most [ridge] "
       "sender_window_max = 4096)")
      ("ridge", po::value<std::vector<std::string>>()->composing(),
       "KEY=VALUE: a setting added to every configuration's [ridge] section (docs/cluster-file.md), e.g. "
       "null_interval_ms=1; repeatable");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  MulticastBenchOptions o;
  const auto groups = parse_integer_list(vm["groups"].as<std::string>(), 1, 8);
  if (!groups) return usage_error(options, "--groups: expected numbers of groups in 1..8, comma-separated");
  o.groups.assign(groups->begin(), groups->end());
  const auto sizes = parse_integer_list(vm["size"].as<std::string>(), 16, 262144);
  if (!sizes) return usage_error(options, "--size: expected payload sizes in 16..262144 bytes, comma-separated");
  o.sizes.assign(sizes->begin(), sizes->end());
  const auto storages = parse_choices<AcceptorStorage>(vm["storage"].as<std::string>(),
                                                       {{"memory", AcceptorStorage::memory}, {"disk", AcceptorStorage::disk}});
  if (!storages) return usage_error(options, "--storage: expected memory, disk or memory,disk");
  o.storages = *storages;
  const auto optimistic = parse_choices<bool>(vm["optimistic"].as<std::string>(), {{"off", false}, {"on", true}});
  if (!optimistic) return usage_error(options, "--optimistic: expected off, on or off,on");
  o.optimistic = *optimistic;
  o.learners = vm["learners"].as<int>();
  if (o.learners < 1 || o.learners > 16) return usage_error(options, "--learners: expected 1..16");
  const auto seconds = [&](const char* name, double min, double max, double& out) {
    out = vm[name].as<double>();
    return out >= min && out <= max;
  };
  if (!seconds("seconds", 0.1, 3600, o.seconds)) return usage_error(options, "--seconds: expected 0.1..3600");
  if (!seconds("warmup-seconds", 0, 3600, o.warmup_seconds)) return usage_error(options, "--warmup-seconds: expected 0..3600");
  if (!seconds("low-seconds", 0.1, 3600, o.low_seconds)) return usage_error(options, "--low-seconds: expected 0.1..3600");
  if (!seconds("raw-seconds", 0.1, 3600, o.raw_seconds)) return usage_error(options, "--raw-seconds: expected 0.1..3600");
  if (!seconds("low-rate", 1, 1e6, o.low_rate)) return usage_error(options, "--low-rate: expected 1..1000000 messages per second");
  const int percent = vm["global-percent"].as<int>();
  if (percent < 0 || percent > 100) return usage_error(options, "--global-percent: expected 0..100");
  o.global_percent = static_cast<unsigned>(percent);
  const long long window = vm["window-bytes"].as<long long>();
  if (window < 1 || window > (1LL << 32)) return usage_error(options, "--window-bytes: expected 1..4294967296");
  o.window_bytes = static_cast<std::size_t>(window);
  if (vm.count("ridge")) {
    for (const std::string& setting : vm["ridge"].as<std::vector<std::string>>()) {
      const std::size_t eq = setting.find('=');
      const std::string key = setting.substr(0, eq);
      if (eq == std::string::npos || key.empty() || key == "acceptor_storage" || key == "optimistic" ||
          key.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789") != std::string::npos) {
        return usage_error(options, "--ridge: expected KEY=VALUE with a [ridge] key other than acceptor_storage and "
                                    "optimistic (use --storage and --optimistic), got \"" + setting + "\"");
      }
      o.ridge_settings.push_back(key + " = " + setting.substr(eq + 1));
    }
  }
  if (const auto error = check_configurations(o)) {
    std::fprintf(stderr, "eyrie bench multicast: a configuration's cluster file is refused: %s\n", error->c_str());
    return 2;
  }
  return run_multicast_bench(o);
}

}  // namespace eyrie::cli
