// `eyrie bench multicast`: Ridge with every role in its own process on this machine, one JSON
// line per configuration (groups x size x acceptor storage x optimistic), next to raw ZeroMQ
// figures measured in the same run. docs/ridge.md ("Benchmark") explains every field.
//
// One configuration's cluster, processes and phases: multicast_bench.hpp.

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apps/cli/bench_support.hpp"
#include "apps/cli/multicast_bench.hpp"
#include "apps/cli/options.hpp"
#include "apps/cli/roles.hpp"
#include "multicast/config.hpp"

namespace eyrie::cli {

namespace {

namespace po = boost::program_options;
using namespace std::chrono_literals;
using multicast::AcceptorStorage;

struct RawFigures {
  double mb_per_s = 0;
  double rtt_p50_us = 0;
};

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

std::string diagnostics_json(const ConfigFigures& f) {
  std::string out;
  for (const auto& [name, value] : f.diagnostics) out += fmt::format("{}\"{}\":{}", out.empty() ? "" : ",", name, value);
  return "{" + out + "}";
}

std::string figures_json(const BenchConfig& c, const MulticastBenchOptions& o, const ConfigFigures& f, const RawFigures& raw) {
  return fmt::format(
      "\"msgs_per_s\":{:.0f},\"mb_per_s_per_learner\":{:.2f},\"cons_p50_us\":{},\"cons_p99_us\":{},\"opt_p50_us\":{},"
      "\"opt_p99_us\":{},\"mistake_rate\":{},\"low_load_msgs_per_s\":{:.0f},\"cons_p50_low_load_us\":{},"
      "\"cons_p99_low_load_us\":{},\"opt_p50_low_load_us\":{},\"opt_p99_low_load_us\":{},\"mistake_rate_low_load\":{},"
      "\"messages_sent\":{},\"raw_mb_per_s\":{:.1f},\"raw_rtt_p50_us\":{:.1f},\"mb_ratio_vs_raw\":{},"
      "\"p50_ratio_vs_rtt\":{},\"opt_ratio_vs_cons\":{},\"targets\":{},\"diagnostics\":{}",
      f.load.msgs_per_s, f.load.mb_per_s_per_learner, json(f.cons.p50_us), json(f.cons.p99_us), json(f.opt.p50_us),
      json(f.opt.p99_us), json(f.load.mistake_rate, 4), f.low_load.msgs_per_s, json(f.cons_low_load.p50_us),
      json(f.cons_low_load.p99_us), json(f.opt_low_load.p50_us), json(f.opt_low_load.p99_us),
      json(f.low_load.mistake_rate, 4), f.messages_sent, raw.mb_per_s, raw.rtt_p50_us,
      json(ratio(f.load.mb_per_s_per_learner, raw.mb_per_s), 3), json(ratio(f.cons_low_load.p50_us, raw.rtt_p50_us), 2),
      json(ratio(f.opt_low_load.p50_us, f.cons_low_load.p50_us), 2), targets(c, o, f, raw), diagnostics_json(f));
}

// One configuration, as one JSON line ("error" instead of figures when it could not be
// measured; its folder, with the nodes' logs, is then kept). Returns false on error.
bool run_config(const BenchConfig& c, const MulticastBenchOptions& o, const RawFigures& raw) {
  const std::filesystem::path dir = make_temp_dir();
  std::string body;
  bool ok = true;
  try {
    body = figures_json(c, o, measure_configuration(c, o, dir), raw);
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
      const ClusterConfig config = ClusterConfig::parse(bench_cluster_toml(c, o, "/nonexistent"), "cluster.toml", "/tmp");
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
      ("window-bytes", po::value<long long>()->default_value(4 << 20),
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
    std::string bad;
    constexpr std::string_view kReserved[] = {"acceptor_storage", "optimistic"};
    const auto settings = parse_ridge_settings(vm["ridge"].as<std::vector<std::string>>(), kReserved, &bad);
    if (!settings) {
      return usage_error(options, "--ridge: expected KEY=VALUE with a [ridge] key other than acceptor_storage and "
                                  "optimistic (use --storage and --optimistic), got \"" + bad + "\"");
    }
    o.ridge_settings = *settings;
  }
  if (const auto error = check_configurations(o)) {
    std::fprintf(stderr, "eyrie bench multicast: a configuration's cluster file is refused: %s\n", error->c_str());
    return 2;
  }
  return run_multicast_bench(o);
}

}  // namespace eyrie::cli