// `eyrie multicast load|check`: load a running Ridge cluster from outside, and judge the logs
// of a run with MulticastChecker.
//
// load: an external endpoint (a fresh id) multicasts for --seconds, then waits up to
//   --drain-seconds for every message to be acknowledged, and prints one JSON line. With
//   --sent-log it appends what it sent (experiments/run_logs.hpp). Exit status 0 when every
//   message was acknowledged, 1 when some were not (or the endpoint failed), 2 for bad usage.
// check: reads sent logs and delivery logs (`eyrie node --delivery-log`), prints one JSON line
//   with the checker's counts; exit status 0 when no property is violated, 1 otherwise (the
//   first violations on stderr), 2 for bad usage or unreadable logs.

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "apps/cli/commands.hpp"
#include "apps/cli/options.hpp"
#include "apps/cli/roles.hpp"
#include "experiments/load_endpoint.hpp"
#include "experiments/run_logs.hpp"
#include "multicast/config.hpp"
#include "runtime/net/node_host.hpp"

namespace eyrie::cli {

namespace {

namespace po = boost::program_options;

constexpr std::string_view kUsage = R"(usage: eyrie multicast <load|check> [options]

  load    multicast to a running Ridge cluster from an external endpoint; prints a JSON summary
  check   judge the sent and delivery logs of a run with the multicast checker

Run `eyrie multicast <sub> --help` for options.
)";

// "1,2" -> distinct groups, each a group of `ridge`; nullopt for anything else.
std::optional<std::vector<multicast::GroupId>> parse_groups(std::string_view text, const multicast::RidgeConfig& ridge) {
  const auto values = parse_integer_list(text, 0, UINT32_MAX);
  if (!values) return std::nullopt;
  std::vector<multicast::GroupId> groups;
  for (long long v : *values) {
    const multicast::GroupId g{static_cast<std::uint32_t>(v)};
    const bool known = std::any_of(ridge.groups.begin(), ridge.groups.end(), [g](const auto& c) { return c.id == g; });
    if (!known || std::find(groups.begin(), groups.end(), g) != groups.end()) return std::nullopt;
    groups.push_back(g);
  }
  return groups;
}

struct LoadRun {
  std::string config_path;
  std::optional<std::string> groups_text;
  unsigned global_percent = 0;
  std::size_t size_bytes = 100;
  std::optional<double> rate_per_s;  // nullopt: max
  double seconds = 10;
  double drain_seconds = 10;
  std::optional<std::string> sent_log;
  LogLevel log_level = LogLevel::warn;
};

Duration seconds_of(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }

int run_load(const po::options_description& options, const LoadRun& run) {
  ClusterConfig config;
  multicast::RidgeConfig ridge;
  try {
    config = ClusterConfig::load(run.config_path);
    validate_modules(config);
    ridge = multicast::RidgeConfig::from(config);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eyrie multicast load: %s\n", e.what());
    return 2;
  }
  experiments::MulticastLoadOptions load_options;
  if (run.groups_text) {
    const auto groups = parse_groups(*run.groups_text, ridge);
    if (!groups) return usage_error(options, "--groups: expected distinct group ids of the cluster file, comma-separated");
    load_options.groups = *groups;
  } else {
    for (const auto& g : ridge.groups) load_options.groups.push_back(g.id);
  }
  if (run.size_bytes > ridge.batching.batch_bytes_max) {
    return usage_error(options, fmt::format("--size: at most the file's [ridge] batch_bytes_max ({})",
                                            ridge.batching.batch_bytes_max));
  }
  load_options.global_percent = run.global_percent;
  load_options.size_bytes = run.size_bytes;

  const NodeId sender = net::random_external_id();
  std::optional<experiments::SentLogWriter> sent_log;
  if (run.sent_log) sent_log.emplace(*run.sent_log, sender);
  if (sent_log) {
    load_options.on_sent = [&sent_log](const multicast::MessageId& id, const std::vector<multicast::GroupId>& d,
                                       const Payload& p) { sent_log->sent(id, d, p); };
  }
  const std::vector<multicast::GroupId> groups = load_options.groups;
  const experiments::LoadEndpoint endpoint = experiments::start_load_endpoint(
      config, ridge, std::move(load_options), {.id = sender, .log_level = run.log_level});
  net::NodeHost* host = endpoint.host.get();
  experiments::MulticastLoad* load = endpoint.load;
  if (run.rate_per_s) {
    load->run_paced(*run.rate_per_s);
  } else {
    load->run_max();
  }
  const Time started = host->env().now();
  host->run_until([] { return false; }, seconds_of(run.seconds));
  load->pause();
  const double sending_s = std::chrono::duration<double>(host->env().now() - started).count();
  host->run_until([&] { return load->unacknowledged().empty(); }, seconds_of(run.drain_seconds));
  if (sent_log) sent_log->finish(load->sent(), load->unacknowledged());

  std::string groups_json;
  for (const auto& g : groups) groups_json += fmt::format("{}{}", groups_json.empty() ? "" : ",", g.value);
  std::printf("%s\n", fmt::format("{{\"sender\":{},\"groups\":[{}],\"global_percent\":{},\"size\":{},\"rate\":{},"
                                  "\"seconds\":{:.2f},\"sent\":{},\"acknowledged\":{},\"unacknowledged\":{},"
                                  "\"sent_per_s\":{:.0f}}}",
                                  host->id().value, groups_json, run.global_percent, run.size_bytes,
                                  run.rate_per_s ? fmt::format("{}", *run.rate_per_s) : "\"max\"", sending_s,
                                  load->sent(), load->acknowledged(), load->unacknowledged().size(),
                                  static_cast<double>(load->sent()) / sending_s)
                          .c_str());
  if (!load->unacknowledged().empty()) {
    std::fprintf(stderr, "eyrie multicast load: %zu of %llu messages not acknowledged after %.1f s of draining\n",
                 load->unacknowledged().size(), static_cast<unsigned long long>(load->sent()), run.drain_seconds);
    return 1;
  }
  return 0;
}

int load_command(std::span<char* const> args) {
  po::options_description options(
      "usage: eyrie multicast load --config FILE [--groups 1,2] [--global-percent P] [--size BYTES]\n"
      "                            [--rate R|max] [--seconds S] [--drain-seconds D] [--sent-log FILE]\n\n"
      "Multicasts to the Ridge cluster of a cluster file from an external endpoint (a fresh id) for\n"
      "S seconds, waits up to D seconds for every message to be acknowledged (decided), and prints\n"
      "one JSON line: sender, sent, acknowledged, unacknowledged, sent_per_s. Message i goes to every\n"
      "group of --groups when i % 100 < P (with two groups or more), else to the groups in turn; its\n"
      "payload is a function of its seq (experiments/load_payload.hpp). Exit status 0 when every\n"
      "message was acknowledged, 1 when some were not.\n\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("config,c", po::value<std::string>(), "the cluster file (TOML), with a [ridge] section")
      ("groups", po::value<std::string>(), "destination groups, comma-separated (default: every group of the file)")
      ("global-percent", po::value<std::string>()->default_value("0"), "percent of messages to all of --groups (0..100)")
      ("size", po::value<std::string>()->default_value("100"), "payload bytes per message (1..[ridge] batch_bytes_max)")
      ("rate", po::value<std::string>()->default_value("max"),
       "messages per second (open loop), or max: keep the sender's window ([ridge] sender_window_max) full")
      ("seconds", po::value<double>()->default_value(10.0), "how long to send (0 < S <= 86400)")
      ("drain-seconds", po::value<double>()->default_value(10.0), "how long to wait for acknowledgements after (0..3600)")
      ("sent-log", po::value<std::string>(), "append every message sent to FILE, for `eyrie multicast check`")
      ("log-level,l", po::value<std::string>()->default_value("warn"), "trace, debug, info, warn, error or off");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  if (!vm.count("config")) return usage_error(options, "--config is required");
  LoadRun run;
  run.config_path = vm["config"].as<std::string>();
  if (vm.count("groups")) run.groups_text = vm["groups"].as<std::string>();
  const auto percent = parse_integer(vm["global-percent"].as<std::string>());
  if (!percent || *percent < 0 || *percent > 100) return usage_error(options, "--global-percent: expected 0..100");
  run.global_percent = static_cast<unsigned>(*percent);
  const auto size = parse_integer(vm["size"].as<std::string>());
  if (!size || *size < 1 || *size > (64 << 20)) return usage_error(options, "--size: expected a byte count >= 1");
  run.size_bytes = static_cast<std::size_t>(*size);
  if (const std::string rate = vm["rate"].as<std::string>(); rate != "max") {
    const auto value = parse_integer(rate);
    if (!value || *value < 1 || *value > 100'000'000) return usage_error(options, "--rate: expected max or 1..100000000 messages per second");
    run.rate_per_s = static_cast<double>(*value);
  }
  run.seconds = vm["seconds"].as<double>();
  if (!(run.seconds > 0 && run.seconds <= 86400)) return usage_error(options, "--seconds: expected 0 < S <= 86400");
  run.drain_seconds = vm["drain-seconds"].as<double>();
  if (!(run.drain_seconds >= 0 && run.drain_seconds <= 3600)) return usage_error(options, "--drain-seconds: expected 0..3600");
  if (vm.count("sent-log")) run.sent_log = vm["sent-log"].as<std::string>();
  const auto level = parse_log_level(vm["log-level"].as<std::string>());
  if (!level) return usage_error(options, "--log-level: expected trace, debug, info, warn, error or off");
  run.log_level = *level;
  return run_load(options, run);
}

int check_command(std::span<char* const> args) {
  po::options_description options(
      "usage: eyrie multicast check --sent-log FILE... --delivery-log FILE... [--unsettled]\n\n"
      "Judges a multi-process Ridge run with the multicast checker (integrity, final timestamps,\n"
      "atomic and prefix order, optimistic equivalence; and, for a settled run, validity and\n"
      "uniform agreement) and prints one JSON line of counts. A node's incarnations are the\n"
      "sections of its delivery logs in the order given; its last one counts as correct (up at the\n"
      "end), so stop the nodes only after the run settled. Exit status 0 when nothing is violated,\n"
      "1 otherwise (the first violations on stderr).\n\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("sent-log", po::value<std::vector<std::string>>()->composing(), "a sent log (`eyrie multicast load --sent-log`); repeatable")
      ("delivery-log", po::value<std::vector<std::string>>()->composing(),
       "a delivery log (`eyrie node --delivery-log`); repeatable")
      ("unsettled", "the run did not settle (messages may still have been in flight): skip validity and agreement");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  if (!vm.count("sent-log")) return usage_error(options, "at least one --sent-log is required");
  if (!vm.count("delivery-log")) return usage_error(options, "at least one --delivery-log is required");
  const auto paths = [&](const char* name) {
    const auto& words = vm[name].as<std::vector<std::string>>();
    return std::vector<std::filesystem::path>(words.begin(), words.end());
  };
  check::MulticastHistory history;
  try {
    history = experiments::read_history(paths("sent-log"), paths("delivery-log"), !vm.count("unsettled"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eyrie multicast check: %s\n", e.what());
    return 2;
  }
  const check::MulticastReport report = check::MulticastChecker::check(history);
  std::printf("%s\n", fmt::format("{{\"passed\":{},\"violations\":{},\"messages_sent\":{},\"logs\":{},"
                                  "\"conservative_deliveries\":{},\"optimistic_deliveries\":{},\"messages_delivered\":{},"
                                  "\"logs_not_judged\":{},\"optimistic_compared\":{},\"mistake_rate\":{:.4f}}}",
                                  report.result.passed(), report.violations, report.messages_sent, report.logs,
                                  report.conservative_deliveries, report.optimistic_deliveries, report.messages_delivered,
                                  report.logs_not_judged, report.optimistic_compared, report.mistake_rate())
                          .c_str());
  if (report.result.passed()) return 0;
  for (const std::string& v : report.first_violations) std::fprintf(stderr, "violation: %s\n", v.c_str());
  return 1;
}

}  // namespace

int multicast_command(std::span<char* const> args) {
  if (args.empty()) {
    std::fwrite(kUsage.data(), 1, kUsage.size(), stderr);
    return 2;
  }
  const std::string_view sub = args[0];
  const auto rest = args.subspan(1);
  if (sub == "load") return load_command(rest);
  if (sub == "check") return check_command(rest);
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
    return 0;
  }
  std::fprintf(stderr, "eyrie multicast: unknown subcommand '%s'\n\n", std::string(sub).c_str());
  std::fwrite(kUsage.data(), 1, kUsage.size(), stderr);
  return 2;
}

}  // namespace eyrie::cli
