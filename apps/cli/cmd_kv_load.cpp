// `eyrie kv load` and `eyrie kv check` (cmd_kv.cpp dispatches here).
//
// load: several kv clients (experiments::KvLoadRun: a thread and an external endpoint each)
//   keep --window commands outstanding for --seconds, then let them complete, optionally read
//   every key back, and print one JSON line. --history writes every client's operations to a
//   file (experiments/kv_history.hpp). Exit status 0 when no command failed, every read-back was
//   answered and the history is complete; 1 otherwise; 2 for bad usage.
// check: reads history files and runs the linearizability checker (KvModel) over their union;
//   prints one JSON line; exit status 0 when linearizable, 1 when not or when the checker gave
//   up (the explanation on stderr), 2 for bad usage or an unreadable file.

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "apps/cli/commands.hpp"
#include "apps/cli/options.hpp"
#include "apps/cli/roles.hpp"
#include "experiments/kv_history.hpp"
#include "experiments/kv_load_run.hpp"
#include "tests/checkers/kv_model.hpp"

namespace eyrie::cli {

namespace {

namespace po = boost::program_options;

int fail(int status, std::string_view message) {
  std::fprintf(stderr, "eyrie kv: %s\n", std::string(message).c_str());
  return status;
}

struct LoadSettings {
  std::string config_path;
  experiments::KvLoadRunOptions run;
  std::optional<std::string> history;
};

int run_load(const LoadSettings& s) {
  std::unique_ptr<const experiments::KvCluster> cluster;
  try {
    cluster = experiments::KvCluster::load(s.config_path);
    validate_modules(cluster->config);
  } catch (const std::exception& e) {
    return fail(2, e.what());
  }
  const experiments::KvWorkload workload(cluster->oracle->placement(), s.run.workload);
  experiments::KvLoadRun run(*cluster, workload, s.run);
  const experiments::KvLoadReport report = run.wait();
  if (s.history) {
    try {
      experiments::write_kv_history(*s.history, report.history);
    } catch (const std::exception& e) {
      return fail(1, e.what());
    }
  }
  const experiments::KvLoadCounts& c = report.counts;
  const auto percentile = [&](double q) {
    return c.latency_us.count() ? fmt::format("{}", c.latency_us.percentile(q)) : std::string("null");
  };
  std::printf("%s\n",
              fmt::format("{{\"clients\":{},\"window\":{},\"seconds\":{:.2f},\"keys\":{},\"multi_percent\":{},\"size\":{},"
                          "\"partitions\":{},\"seed\":{},\"issued\":{},\"multi_partition\":{},\"ok\":{},\"failed\":{},"
                          "\"timeouts\":{},\"commands_per_s\":{:.0f},\"p50_us\":{},\"p99_us\":{},\"read_back_keys\":{},"
                          "\"read_back_unanswered\":{},\"history_operations\":{}}}",
                          s.run.clients, s.run.window, report.measured_seconds, workload.keys().size(),
                          s.run.workload.multi_percent, s.run.workload.value_bytes, workload.partitions(), s.run.seed,
                          c.issued, c.multi_partition, c.ok, c.failed, c.timeouts,
                          static_cast<double>(c.completed_in_window) / report.measured_seconds, percentile(0.5),
                          percentile(0.99), report.read_back_keys, report.read_back_unanswered, report.history.size())
                  .c_str());
  std::fflush(stdout);
  if (!report.error.empty()) return fail(1, "a client failed: " + report.error);
  if (c.failed > 0) return fail(1, fmt::format("{} commands failed; first: {}", c.failed, c.first_failure));
  if (report.read_back_unanswered > 0) {
    return fail(1, fmt::format("{} of {} read-back reads were not answered", report.read_back_unanswered, report.read_back_keys));
  }
  if (report.history_overflowed) return fail(1, "the history is incomplete: more operations than it holds");
  return 0;
}

}  // namespace

int kv_load_command(std::span<char* const> args) {
  po::options_description options(
      "usage: eyrie kv load --config FILE [--clients N] [--window W] [--seconds S] [--keys K]\n"
      "                     [--multi-percent P] [--size B] [--history FILE] [--read-back] ...\n\n"
      "Loads a cluster of kv nodes from N clients (a thread and an external endpoint each), each\n"
      "keeping W commands outstanding for S seconds; the commands then complete (a reply, or the\n"
      "client's timeout). Commands: P% two-key commands across partitions (transfer, put_many),\n"
      "the rest within a partition (get 40%, put 25%, cas 15%, transfer 10%, put_many 10%), over K\n"
      "keys in clusters of 4 that commands stay within (experiments/kv_workload.hpp); values are\n"
      "B-byte decimal numbers. Prints one JSON line: issued, ok, failed, timeouts, commands_per_s,\n"
      "p50_us, p99_us (client-side latency of the commands answered). --history writes every\n"
      "operation (times, input, output; unknown for timeouts) for `eyrie kv check`. Exit status 0\n"
      "when no command failed, every read-back was answered and the history is complete.\n\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("config,c", po::value<std::string>(), "the cluster file (TOML) of a cluster of kv nodes")
      ("clients", po::value<long long>()->default_value(4), "clients (1..256)")
      ("window", po::value<long long>()->default_value(25), "outstanding commands per client (1..4096)")
      ("seconds", po::value<double>()->default_value(10.0), "how long to issue commands (0 < S <= 86400)")
      ("keys", po::value<long long>()->default_value(1024), "keys (1..10000000), in clusters of 4")
      ("multi-percent", po::value<long long>()->default_value(10), "percent of commands across partitions (0..100)")
      ("size", po::value<long long>()->default_value(100), "value bytes (1..1048576)")
      ("key-prefix", po::value<std::string>()->default_value("k"),
       "keys are PREFIX<cluster>.<i>; a history checked alone must hold every write to its keys since the cluster "
       "started, so give each run its own prefix on a cluster that ran loads before")
      ("history", po::value<std::string>(), "write every client operation to FILE, for `eyrie kv check`")
      ("read-back", "after the load, read every key once (the reads join the history): a lost acknowledged write "
                    "shows as a violation")
      ("timeout-ms", po::value<long long>()->default_value(10'000), "a command without a reply after this is unknown")
      ("seed", po::value<std::uint64_t>(), "the workload's seed (default: random; printed)")
      ("log-level,l", po::value<std::string>()->default_value("warn"), "trace, debug, info, warn, error or off");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  if (!vm.count("config")) return usage_error(options, "--config is required");
  LoadSettings s;
  s.config_path = vm["config"].as<std::string>();
  const auto in_range = [&](const char* name, long long min, long long max) -> std::optional<long long> {
    const long long v = vm[name].as<long long>();
    if (v < min || v > max) return std::nullopt;
    return v;
  };
  const auto clients = in_range("clients", 1, 256);
  if (!clients) return usage_error(options, "--clients: expected 1..256");
  const auto window = in_range("window", 1, 4096);
  if (!window) return usage_error(options, "--window: expected 1..4096");
  const double seconds = vm["seconds"].as<double>();
  if (!(seconds > 0 && seconds <= 86400)) return usage_error(options, "--seconds: expected 0 < S <= 86400");
  const auto keys = in_range("keys", 1, 10'000'000);
  if (!keys) return usage_error(options, "--keys: expected 1..10000000");
  const auto multi = in_range("multi-percent", 0, 100);
  if (!multi) return usage_error(options, "--multi-percent: expected 0..100");
  const auto size = in_range("size", 1, 1 << 20);
  if (!size) return usage_error(options, "--size: expected 1..1048576 bytes");
  const auto timeout_ms = in_range("timeout-ms", 1, 3'600'000);
  if (!timeout_ms) return usage_error(options, "--timeout-ms: expected 1..3600000");
  const auto level = parse_log_level(vm["log-level"].as<std::string>());
  if (!level) return usage_error(options, "--log-level: expected trace, debug, info, warn, error or off");
  if (vm.count("history")) s.history = vm["history"].as<std::string>();
  const std::string& prefix = vm["key-prefix"].as<std::string>();
  if (prefix.empty() || prefix.size() > 64 || prefix.find_first_of(" \t\n") != std::string::npos) {
    return usage_error(options, "--key-prefix: expected 1..64 characters without white space");
  }
  s.run = experiments::KvLoadRunOptions{
      .clients = static_cast<std::size_t>(*clients),
      .window = static_cast<std::size_t>(*window),
      .workload = {.keys = static_cast<std::size_t>(*keys), .multi_percent = static_cast<unsigned>(*multi),
                   .value_bytes = static_cast<std::size_t>(*size), .key_prefix = vm["key-prefix"].as<std::string>()},
      .warmup = Duration::zero(),
      .measured = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds)),
      .timeout = std::chrono::milliseconds(*timeout_ms),
      .record_history = s.history.has_value(),
      .read_back = vm.count("read-back") > 0,
      .seed = vm.count("seed") ? vm["seed"].as<std::uint64_t>() : std::random_device{}(),
      .log_level = *level,
  };
  return run_load(s);
}

int kv_check_command(std::span<char* const> args) {
  po::options_description options(
      "usage: eyrie kv check --history FILE... [--steps-max N]\n\n"
      "Judges the union of kv client histories (`eyrie kv load --history`) with the linearizability\n"
      "checker (tests/checkers/linearizability.hpp, KvModel: one part per connected set of keys) and\n"
      "prints one JSON line: verdict, operations, answered, parts, largest_part, steps. Exit status 0\n"
      "when linearizable; 1 when not, or when the checker gave up on a part (the explanation on\n"
      "stderr); 2 for an unreadable or malformed file.\n\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("history", po::value<std::vector<std::string>>()->composing(), "a history file; repeatable")
      ("steps-max", po::value<long long>()->default_value(1'000'000), "model steps the search may take per part");
  po::positional_options_description positional;
  positional.add("history", -1);
  po::variables_map vm;
  if (!parse_options(args, options, vm, &positional)) return vm.count("help") ? 0 : 2;
  if (!vm.count("history")) return usage_error(options, "at least one --history FILE is required");
  const long long steps = vm["steps-max"].as<long long>();
  if (steps < 1) return usage_error(options, "--steps-max: expected a positive number");
  check::kv::KvHistory history;
  for (const std::string& path : vm["history"].as<std::vector<std::string>>()) {
    try {
      check::kv::KvHistory part = experiments::read_kv_history(path);
      history.insert(history.end(), part.begin(), part.end());
    } catch (const std::exception& e) {
      return fail(2, e.what());
    }
  }
  check::LinearizabilityOptions check_options;
  check_options.steps_per_part_max = static_cast<std::uint64_t>(steps);
  check::LinearizabilityReport report;
  try {
    report = check::check_linearizable(check::kv::KvModel{}, history, check_options);
  } catch (const std::invalid_argument& e) {  // an operation answered before it was invoked
    return fail(2, e.what());
  }
  const auto answered = std::count_if(history.begin(), history.end(), [](const auto& op) { return op.answered(); });
  std::printf("%s\n", fmt::format("{{\"verdict\":\"{}\",\"operations\":{},\"answered\":{},\"parts\":{},"
                                  "\"parts_not_linearizable\":{},\"parts_unknown\":{},\"largest_part\":{},\"steps\":{}}}",
                                  check::to_string(report.verdict), history.size(), answered, report.parts,
                                  report.parts_not_linearizable, report.parts_unknown, report.largest_part_operations,
                                  report.steps)
                          .c_str());
  if (report.verdict == check::Verdict::kLinearizable) return 0;
  std::fprintf(stderr, "%s\n", report.result().reason().c_str());
  return 1;
}

}  // namespace eyrie::cli
