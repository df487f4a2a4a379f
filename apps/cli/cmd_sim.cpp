// `eyrie sim`: runs a scenario of the deterministic simulator for one seed or a range of seeds.
//
//   eyrie sim echo --seed 42            one run: summary, verdict, then "trace <hash>"
//   eyrie sim echo --seeds 1..1000      many runs: failing seeds, then "N passed, M failed"
//   eyrie sim echo --seed 42 --verbose  replay one seed with every log line (virtual time first)
//
// Exit status: 0 all passed, 1 a checker failed, 2 bad arguments.

#include <algorithm>
#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>

#include "apps/cli/commands.hpp"
#include "runtime/sim/scenario.hpp"
#include "tests/checkers/scenarios.hpp"

namespace eyrie::cli {

namespace {

namespace po = boost::program_options;

struct SeedRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

std::optional<std::uint64_t> parse_seed(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<SeedRange> parse_range(std::string_view text) {
  const std::size_t dots = text.find("..");
  if (dots == std::string_view::npos) return std::nullopt;
  const auto first = parse_seed(text.substr(0, dots));
  const auto last = parse_seed(text.substr(dots + 2));
  if (!first || !last || *first > *last) return std::nullopt;
  return SeedRange{*first, *last};
}

// Word-wraps `text` to lines of at most `width` characters, each starting with `indent`.
std::string wrap(std::string_view text, std::string_view indent, std::size_t width) {
  std::string out;
  std::string line(indent);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(start, end - start);
    if (line.size() > indent.size() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = indent;
    }
    if (line.size() > indent.size()) line += ' ';
    line += word;
    start = end + 1;
  }
  return out + line + "\n";
}

void print_help(const po::options_description& options, const sim::ScenarioRegistry& registry) {
  std::string text = "usage: eyrie sim SCENARIO (--seed N | --seeds A..B) [--verbose]\n\n"
                     "Runs a scenario in the deterministic simulator: a safety phase under faults, then a\n"
                     "liveness phase with faults healed, then the scenario's checkers. One seed is one exact,\n"
                     "replayable execution; its last line is the hash of the whole event trace.\n\n";
  std::ostringstream described;
  described << options;
  text += described.str() + "\nscenarios:\n";
  for (const auto& scenario : registry.all()) {
    text += fmt::format("  {}\n{}", scenario->name(), wrap(scenario->description(), "      ", 96));
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "eyrie sim: %s\nRun `eyrie sim --help` for usage.\n", message.c_str());
  return 2;
}

struct Logging {
  bool verbose = false;
  LogLevel level = LogLevel::debug;
  std::vector<std::string> flags;  // the scenario's switches that were given
};

sim::ScenarioRun run_options(std::uint64_t seed, const Logging& logging) {
  return sim::ScenarioRun{.seed = seed, .flags = logging.flags, .log_output = logging.verbose ? stderr : nullptr,
                          .log_level = logging.level};
}

std::string flags_text(const Logging& logging) {
  std::string text;
  for (const std::string& flag : logging.flags) text += " --" + flag;
  return text;
}

int run_one(const sim::Scenario& scenario, std::uint64_t seed, const Logging& logging) {
  const auto started = std::chrono::steady_clock::now();  // host time: for the summary only
  const sim::ScenarioResult result = scenario.run(run_options(seed, logging));
  const auto host_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  std::printf("scenario %.*s, seed %llu\n", static_cast<int>(scenario.name().size()), scenario.name().data(),
              static_cast<unsigned long long>(seed));
  for (const std::string& line : result.summary) std::printf("  %s\n", line.c_str());
  std::printf("  simulated %s in %lld ms\n", to_string(result.end.time_since_epoch()).c_str(),
              static_cast<long long>(host_ms));
  if (result.passed) {
    std::printf("PASS\n");
  } else {
    std::printf("FAIL: %s\n", result.reason.c_str());
  }
  std::printf("trace %s\n", result.trace.c_str());
  return result.passed ? 0 : 1;
}

int run_range(const sim::Scenario& scenario, SeedRange range, const Logging& logging) {
  std::uint64_t passed = 0;
  std::uint64_t failed = 0;
  for (std::uint64_t seed = range.first;; ++seed) {
    const sim::ScenarioResult result = scenario.run(run_options(seed, logging));
    if (result.passed) {
      ++passed;
    } else {
      ++failed;
      std::printf("seed %llu FAILED: %s\n  replay: eyrie sim %.*s --seed %llu%s --verbose\n",
                  static_cast<unsigned long long>(seed), result.reason.c_str(),
                  static_cast<int>(scenario.name().size()), scenario.name().data(),
                  static_cast<unsigned long long>(seed), flags_text(logging).c_str());
      std::fflush(stdout);
    }
    if (seed == range.last) break;  // not `seed <= last` in the loop: last may be UINT64_MAX
  }
  std::printf("%llu passed, %llu failed\n", static_cast<unsigned long long>(passed),
              static_cast<unsigned long long>(failed));
  return failed == 0 ? 0 : 1;
}

}  // namespace

int sim_command(std::span<char* const> args) {
  po::options_description options("options");
  options.add_options()
      ("help,h", "describe the options and every scenario with its workload")
      ("seed", po::value<std::string>(), "run one seed (a non-negative integer)")
      ("seeds", po::value<std::string>(), "run every seed of an inclusive range A..B")
      ("verbose,v", "print the log of every node, prefixed with virtual time")
      ("log-level", po::value<std::string>()->default_value("debug"),
       "with --verbose: trace (every delivered message), debug, info, warn or error");
  const sim::ScenarioRegistry registry = check::builtin_scenarios();
  // Every scenario's own switches; each is accepted only with its scenario.
  std::vector<std::string> flag_names;
  for (const auto& s : registry.all()) {
    for (const sim::ScenarioFlag& flag : s->flags()) {
      const std::string name(flag.name);
      if (std::find(flag_names.begin(), flag_names.end(), name) != flag_names.end()) continue;
      flag_names.push_back(name);
      options.add_options()(name.c_str(), fmt::format("{} (scenario {})", flag.help, s->name()).c_str());
    }
  }
  po::options_description hidden;
  hidden.add_options()("scenario", po::value<std::string>());
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("scenario", 1);

  po::variables_map vm;
  try {
    // program_options wants argv[0]; our span starts after the subcommand's name.
    std::vector<const char*> argv{"eyrie sim"};
    for (char* arg : args) argv.push_back(arg);
    po::store(po::command_line_parser(static_cast<int>(argv.size()), argv.data())
                  .options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return usage_error(e.what());
  }
  if (vm.count("help")) {
    print_help(options, registry);
    return 0;
  }
  if (!vm.count("scenario")) return usage_error("which scenario? (e.g. `eyrie sim echo --seed 1`)");
  const std::string name = vm["scenario"].as<std::string>();
  const sim::Scenario* scenario = registry.find(name);
  if (scenario == nullptr) {
    std::string known;
    for (const auto& s : registry.all()) known += (known.empty() ? "" : ", ") + std::string(s->name());
    return usage_error(fmt::format("unknown scenario '{}' (known: {})", name, known));
  }
  if (vm.count("seed") == vm.count("seeds")) return usage_error("give exactly one of --seed N and --seeds A..B");
  Logging logging{.verbose = vm.count("verbose") > 0, .level = LogLevel::debug, .flags = {}};
  for (const std::string& flag : flag_names) {
    if (!vm.count(flag)) continue;
    const auto own = scenario->flags();
    if (std::none_of(own.begin(), own.end(), [&](const sim::ScenarioFlag& f) { return f.name == flag; })) {
      return usage_error(fmt::format("--{} does not apply to scenario {}", flag, name));
    }
    logging.flags.push_back(flag);
  }
  const std::string level_text = vm["log-level"].as<std::string>();
  const auto level = parse_log_level(level_text);
  if (!level) {
    return usage_error(fmt::format("--log-level '{}': expected trace, debug, info, warn, error or off", level_text));
  }
  logging.level = *level;
  if (vm.count("seed")) {
    const std::string text = vm["seed"].as<std::string>();
    const auto seed = parse_seed(text);
    if (!seed) return usage_error(fmt::format("--seed '{}': expected a non-negative integer", text));
    return run_one(*scenario, *seed, logging);
  }
  const std::string text = vm["seeds"].as<std::string>();
  const auto range = parse_range(text);
  if (!range) return usage_error(fmt::format("--seeds '{}': expected A..B with integers A <= B", text));
  return run_range(*scenario, *range, logging);
}

}  // namespace eyrie::cli
