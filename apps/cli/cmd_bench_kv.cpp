// `eyrie bench kv`: the kv service on S-SMR, every node in its own process on this machine, one
// JSON line per configuration (partitions x share of multi-partition commands x value size),
// next to bare Ridge with the same commands and reply path measured in the same run.
// docs/kv.md ("Benchmark") explains every field; one configuration: kv_bench.hpp.

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "apps/cli/bench_support.hpp"
#include "apps/cli/kv_bench.hpp"
#include "apps/cli/options.hpp"
#include "apps/cli/roles.hpp"

namespace eyrie::cli {

namespace {

namespace po = boost::program_options;

constexpr double kRatioTarget = 0.8;  // S-SMR / Ridge with one partition (issue 4)

std::string latency_json(std::string_view name, const LatencyFigures& l) {
  return fmt::format("\"{0}_p50_us\":{1},\"{0}_p99_us\":{2}", name, json(l.p50_us), json(l.p99_us));
}

std::string run_json(const KvRunFigures& f) {
  const double multi = f.issued ? static_cast<double>(f.multi_partition) / static_cast<double>(f.issued) : 0.0;
  return fmt::format("\"commands_per_s\":{:.0f},\"p50_us\":{},\"p99_us\":{},\"issued\":{},\"multi_partition_share\":{:.3f},"
                     "\"timeouts\":{},\"failed\":{}",
                     f.commands_per_s, json(f.p50_us), json(f.p99_us), f.issued, multi, f.timeouts, f.failed);
}

std::string figures_json(const KvBenchConfig& c, const KvBenchFigures& f) {
  const KvRunFigures& kv = f.kv;
  std::string out = run_json(kv);
  out += ",\"breakdown\":{" + latency_json("multicast", kv.multicast) + "," + latency_json("queue", kv.queue) + "," +
         latency_json("cross_partition_wait", kv.cross_wait) + "," + latency_json("execution", kv.execution) + "}";
  if (!f.ridge) return out + ",\"ridge\":null,\"ratio_vs_ridge\":null,\"targets\":{}";
  const double ratio = f.ridge->commands_per_s > 0 ? kv.commands_per_s / f.ridge->commands_per_s : 0.0;
  out += ",\"ridge\":{" + run_json(*f.ridge) + "," + latency_json("multicast", f.ridge->multicast) + "}";
  out += fmt::format(",\"ratio_vs_ridge\":{:.3f}", ratio);
  out += c.partitions == 1 ? fmt::format(",\"targets\":{{\"ratio_vs_ridge>={}\":{}}}", kRatioTarget, ratio >= kRatioTarget)
                           : std::string(",\"targets\":{}");
  return out;
}

// One configuration as one JSON line ("error" instead of figures when it could not be measured;
// its folder, with the nodes' logs, is then kept). Returns false on error.
bool run_config(const KvBenchConfig& c, const KvBenchOptions& o) {
  const std::filesystem::path dir = make_temp_dir();
  std::string body;
  bool ok = true;
  try {
    body = figures_json(c, measure_kv_configuration(c, o, dir));
  } catch (const std::exception& e) {
    ok = false;
    body = fmt::format("\"error\":{}", json_string(fmt::format("{} (node logs in {})", e.what(), dir.string())));
  }
  std::printf("%s\n", fmt::format("{{\"bench\":\"kv\",\"partitions\":{},\"replicas\":{},\"clients\":{},\"window\":{},"
                                  "\"size\":{},\"multi_percent\":{},\"keys\":{},\"storage\":\"{}\",\"seconds\":{},{}}}",
                                  c.partitions, o.replicas, o.clients, o.window, c.size, c.multi_percent, o.keys,
                                  o.storage, o.seconds, body)
                          .c_str());
  std::fflush(stdout);
  if (ok) std::filesystem::remove_all(dir);
  return ok;
}

std::vector<KvBenchConfig> configurations(const KvBenchOptions& o) {
  std::vector<KvBenchConfig> out;
  for (int partitions : o.partitions) {
    for (unsigned multi : o.multi_percents) {
      if (partitions == 1 && multi > 0) continue;  // nothing spans partitions with one
      for (std::size_t size : o.sizes) out.push_back(KvBenchConfig{partitions, multi, size});
    }
  }
  return out;
}

// Stops before measuring anything when a configuration's cluster file would be refused.
std::optional<std::string> check_configurations(const KvBenchOptions& o) {
  for (const KvBenchConfig& c : configurations(o)) {
    try {
      validate_modules(ClusterConfig::parse(kv_bench_cluster_toml(c, o, "/nonexistent"), "cluster.toml", "/tmp"));
    } catch (const std::exception& e) {
      return e.what();
    }
  }
  return std::nullopt;
}

}  // namespace

int kv_bench_command(std::span<char* const> args) {
  po::options_description options(
      "usage: eyrie bench kv [--partitions 1,2,4] [--multi-percent 0,1,5,10] [--size 100,1024]\n"
      "                      [--replicas N] [--clients N] [--window W] [--seconds S] [--baseline on|off] ...\n\n"
      "Runs the kv service on S-SMR with every node in its own process on this machine (3 acceptors\n"
      "and coordinator candidates for every Ridge ensemble, --replicas replicas per partition, this\n"
      "process as --clients clients with --window commands outstanding each), for each configuration\n"
      "of the lists given (one partition runs with 0% multi-partition commands only; default: 18\n"
      "configurations), and prints one JSON line each: client throughput and latency, the replicas'\n"
      "latency breakdown (multicast, queue, cross-partition wait, execution), and the same load on\n"
      "bare Ridge, whose learners reply at once (ridge, ratio_vs_ridge). docs/kv.md defines every\n"
      "field. Exit status 1 when a configuration could not be measured (its line has \"error\").\n\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("partitions", po::value<std::string>()->default_value("1,2,4"), "numbers of partitions (1..8), comma-separated")
      ("multi-percent", po::value<std::string>()->default_value("0,1,5,10"),
       "percent of commands across two partitions (0..100), comma-separated")
      ("size", po::value<std::string>()->default_value("100,1024"), "value bytes (1..65536), comma-separated")
      ("replicas", po::value<int>()->default_value(3), "replicas per partition (1..8)")
      ("clients", po::value<int>()->default_value(4), "clients, each a thread with its own endpoint (1..64)")
      ("window", po::value<int>()->default_value(25), "outstanding commands per client (1..1024)")
      ("keys", po::value<int>()->default_value(4096), "keys (4..1000000), in clusters of 4")
      ("seconds", po::value<double>()->default_value(3.0), "measured seconds per run")
      ("warmup-seconds", po::value<double>()->default_value(1.0), "unmeasured seconds of load before")
      ("baseline", po::value<std::string>()->default_value("on"), "on: also run bare Ridge (ratio_vs_ridge); off")
      ("storage", po::value<std::string>()->default_value("memory"), "acceptor storage: memory or disk")
      ("ridge", po::value<std::vector<std::string>>()->composing(),
       "KEY=VALUE: a setting added to every configuration's [ridge] section (not acceptor_storage); repeatable");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  KvBenchOptions o;
  const auto partitions = parse_integer_list(vm["partitions"].as<std::string>(), 1, 8);
  if (!partitions) return usage_error(options, "--partitions: expected numbers of partitions in 1..8, comma-separated");
  o.partitions.assign(partitions->begin(), partitions->end());
  const auto multi = parse_integer_list(vm["multi-percent"].as<std::string>(), 0, 100);
  if (!multi) return usage_error(options, "--multi-percent: expected percents in 0..100, comma-separated");
  o.multi_percents.assign(multi->begin(), multi->end());
  const auto sizes = parse_integer_list(vm["size"].as<std::string>(), 1, 65536);
  if (!sizes) return usage_error(options, "--size: expected value sizes in 1..65536 bytes, comma-separated");
  o.sizes.assign(sizes->begin(), sizes->end());
  const auto integer = [&](const char* name, int min, int max) -> std::optional<int> {
    const int v = vm[name].as<int>();
    return v >= min && v <= max ? std::optional<int>(v) : std::nullopt;
  };
  const auto replicas = integer("replicas", 1, 8);
  if (!replicas) return usage_error(options, "--replicas: expected 1..8");
  const auto clients = integer("clients", 1, 64);
  if (!clients) return usage_error(options, "--clients: expected 1..64");
  const auto window = integer("window", 1, 1024);
  if (!window) return usage_error(options, "--window: expected 1..1024");
  const auto keys = integer("keys", 4, 1'000'000);
  if (!keys) return usage_error(options, "--keys: expected 4..1000000");
  o.replicas = *replicas;
  o.clients = static_cast<std::size_t>(*clients);
  o.window = static_cast<std::size_t>(*window);
  o.keys = static_cast<std::size_t>(*keys);
  o.seconds = vm["seconds"].as<double>();
  if (!(o.seconds >= 0.1 && o.seconds <= 3600)) return usage_error(options, "--seconds: expected 0.1..3600");
  o.warmup_seconds = vm["warmup-seconds"].as<double>();
  if (!(o.warmup_seconds >= 0 && o.warmup_seconds <= 3600)) return usage_error(options, "--warmup-seconds: expected 0..3600");
  const std::string baseline = vm["baseline"].as<std::string>();
  if (baseline != "on" && baseline != "off") return usage_error(options, "--baseline: expected on or off");
  o.baseline = baseline == "on";
  o.storage = vm["storage"].as<std::string>();
  if (o.storage != "memory" && o.storage != "disk") return usage_error(options, "--storage: expected memory or disk");
  if (vm.count("ridge")) {
    std::string bad;
    constexpr std::string_view kReserved[] = {"acceptor_storage"};
    const auto settings = parse_ridge_settings(vm["ridge"].as<std::vector<std::string>>(), kReserved, &bad);
    if (!settings) {
      return usage_error(options, "--ridge: expected KEY=VALUE with a [ridge] key other than acceptor_storage (use "
                                  "--storage), got \"" + bad + "\"");
    }
    o.ridge_settings = *settings;
  }
  if (const auto error = check_configurations(o)) {
    std::fprintf(stderr, "eyrie bench kv: a configuration's cluster file is refused: %s\n", error->c_str());
    return 2;
  }
  bool all_ok = true;
  for (const KvBenchConfig& c : configurations(o)) all_ok &= run_config(c, o);
  return all_ok ? 0 : 1;
}

}  // namespace eyrie::cli
