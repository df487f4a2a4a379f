// `eyrie kv`: the kv service (apps/kv) from the command line: one command, a load generator
// with its client history, and the linearizability checker over such histories.
//
//   eyrie kv --config F get KEY | put KEY VALUE | cas KEY EXPECTED|--absent VALUE
//                     | transfer FROM TO AMOUNT | put-many K=V...
//   eyrie kv load --config F [--clients N --window W --seconds S ...] [--history FILE]
//   eyrie kv check --history FILE...
//
// Exit status of a command: 0 done (a get also when the key is absent), 3 done but refused (cas
// mismatch, insufficient balance), 1 failed or no reply in time, 2 bad usage or cluster file.

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "apps/cli/bench_support.hpp"
#include "apps/cli/commands.hpp"
#include "apps/cli/options.hpp"
#include "apps/cli/roles.hpp"
#include "experiments/kv_command.hpp"
#include "experiments/kv_history.hpp"
#include "experiments/kv_load_run.hpp"
#include "tests/checkers/kv_model.hpp"

namespace eyrie::cli {

namespace {

namespace po = boost::program_options;
using experiments::KvCluster;

constexpr int kRefused = 3;
constexpr std::size_t kKeyBytesMax = 4096;  // kv's own bound (apps/kv/kv.cpp)
constexpr std::size_t kPutManyMax = 1024;

constexpr std::string_view kUsage = R"usage(usage: eyrie kv --config FILE [--timeout-ms MS] <command> [arguments]
       eyrie kv load --config FILE [options]
       eyrie kv check --history FILE...

Runs commands of the kv service (apps/kv) against a cluster of `kv` nodes.

commands:
  get KEY                    print the value (when absent: nothing on stdout, "(absent)" on stderr)
  put KEY VALUE              set KEY
  cas KEY EXPECTED VALUE     set KEY to VALUE if it holds EXPECTED
  cas KEY --absent VALUE     set KEY to VALUE if it is absent
  transfer FROM TO AMOUNT    move AMOUNT between two decimal balances (absent = 0), atomically
  put-many KEY=VALUE...      set several keys at once, atomically
  load                       generate load from several clients; optionally record their history
  check                      judge recorded histories with the linearizability checker

Exit status: 0 done, 3 refused (cas mismatch, insufficient balance), 1 failed or no reply
within --timeout-ms, 2 bad usage. Run `eyrie kv load --help` and `eyrie kv check --help`.
)usage";

int fail(int status, std::string_view message) {
  std::fprintf(stderr, "eyrie kv: %s\n", std::string(message).c_str());
  return status;
}

// Loads and validates a cluster file for kv clients; nullptr after printing why.
std::unique_ptr<const KvCluster> load_cluster(const std::string& path) {
  try {
    std::unique_ptr<const KvCluster> cluster = KvCluster::load(path);
    validate_modules(cluster->config);
    return cluster;
  } catch (const std::exception& e) {  // ConfigError, or a file that cannot be read
    fail(2, e.what());
    return nullptr;
  }
}

std::optional<std::string> key_error(std::string_view key) {
  if (key.empty() || key.size() > kKeyBytesMax) return fmt::format("a key needs 1..{} bytes", kKeyBytesMax);
  return std::nullopt;
}

// The request that `words` (the command and its arguments) describe, or a usage error.
struct ParsedRequest {
  std::optional<kv::Request> request;
  std::string error;
};

ParsedRequest parse_request(const std::vector<std::string>& words, bool absent) {
  const auto error = [](std::string message) { return ParsedRequest{std::nullopt, std::move(message)}; };
  const auto request = [](kv::Request r) { return ParsedRequest{std::move(r), {}}; };
  const std::string& command = words.front();
  const std::size_t args = words.size() - 1;
  const auto arity = [&](std::size_t n, std::string_view shape) -> std::optional<std::string> {
    if (args == n) return std::nullopt;
    return fmt::format("{}: expected {}", command, shape);
  };
  if (absent && command != "cas") return error("--absent goes with cas only");
  if (command == "get" || command == "put" || command == "cas") {
    const std::size_t n = command == "get" ? 1 : command == "put" ? 2 : (absent ? 2 : 3);
    const char* shape = command == "get" ? "KEY" : command == "put" ? "KEY VALUE" : "KEY EXPECTED VALUE, or KEY --absent VALUE";
    if (auto e = arity(n, shape)) return error(*e);
    if (auto e = key_error(words[1])) return error(command + ": " + *e);
    if (command == "get") return request(kv::Get{words[1]});
    if (command == "put") return request(kv::Put{words[1], words[2]});
    if (absent) return request(kv::Cas{words[1], std::nullopt, words[2]});
    return request(kv::Cas{words[1], words[2], words[3]});
  }
  if (command == "transfer") {
    if (auto e = arity(3, "FROM TO AMOUNT")) return error(*e);
    for (const std::string* key : {&words[1], &words[2]}) {
      if (auto e = key_error(*key)) return error("transfer: " + *e);
    }
    if (words[1] == words[2]) return error("transfer: FROM and TO must differ");
    const auto amount = parse_integer(words[3]);
    if (!amount || *amount < 0) return error("transfer: AMOUNT must be a whole number >= 0");
    return request(kv::Transfer{words[1], words[2], *amount});
  }
  if (command == "put-many") {
    if (args == 0 || args > kPutManyMax) return error(fmt::format("put-many: expected 1..{} KEY=VALUE arguments", kPutManyMax));
    kv::PutMany m;
    for (std::size_t i = 1; i < words.size(); ++i) {
      const std::size_t eq = words[i].find('=');
      if (eq == std::string::npos) return error(fmt::format("put-many: expected KEY=VALUE, got \"{}\"", words[i]));
      if (auto e = key_error(std::string_view(words[i]).substr(0, eq))) return error("put-many: " + *e);
      m.entries.emplace_back(words[i].substr(0, eq), words[i].substr(eq + 1));
    }
    return request(std::move(m));
  }
  if (command == "load" || command == "check") {
    return error(fmt::format("`{0}` comes first: eyrie kv {0} --config FILE ...", command));
  }
  return error(fmt::format("unknown kv command '{}' (get, put, cas, transfer, put-many, load, check)", command));
}

// Prints a reply the way the command's user expects it; returns the exit status.
int print_response(const kv::Request& request, const kv::Response& response) {
  return std::visit(
      [&](const auto& r) -> int {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, kv::Value>) {
          if (!r.value) {
            std::fprintf(stderr, "(absent)\n");
          } else {
            std::fwrite(r.value->data(), 1, r.value->size(), stdout);
            std::fputc('\n', stdout);
          }
          return 0;
        } else if constexpr (std::is_same_v<T, kv::Ok>) {
          std::printf("ok\n");
          return 0;
        } else if constexpr (std::is_same_v<T, kv::CasMismatch>) {
          const std::string& key = std::get<kv::Cas>(request).key;
          std::printf("%s\n", r.current ? fmt::format("mismatch: {} holds {}", key, json_string(*r.current)).c_str()
                                        : fmt::format("mismatch: {} is absent", key).c_str());
          return kRefused;
        } else {
          std::printf("%s\n", fmt::format("insufficient: {} holds {}", std::get<kv::Transfer>(request).from, r.balance).c_str());
          return kRefused;
        }
      },
      response);
}

int single_command(std::span<char* const> args) {
  po::options_description options(std::string(kUsage) + "\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("config,c", po::value<std::string>(), "the cluster file (TOML) of a cluster of kv nodes")
      ("timeout-ms", po::value<long long>()->default_value(10'000), "how long to wait for the reply (1..3600000)")
      ("absent", "cas: the key must be absent (instead of EXPECTED)")
      ("log-level,l", po::value<std::string>()->default_value("warn"), "trace, debug, info, warn, error or off")
      ("words", po::value<std::vector<std::string>>(), "the command and its arguments (the words that are not options)");
  po::positional_options_description positional;
  positional.add("words", -1);
  po::variables_map vm;
  if (!parse_options(args, options, vm, &positional)) return vm.count("help") ? 0 : 2;
  if (!vm.count("words")) return usage_error(options, "expected a command: get, put, cas, transfer, put-many, load or check");
  const ParsedRequest parsed = parse_request(vm["words"].as<std::vector<std::string>>(), vm.count("absent") > 0);
  if (!parsed.request) return usage_error(options, parsed.error);
  if (!vm.count("config")) return usage_error(options, "--config is required");
  const long long timeout_ms = vm["timeout-ms"].as<long long>();
  if (timeout_ms < 1 || timeout_ms > 3'600'000) return usage_error(options, "--timeout-ms: expected 1..3600000");
  const auto level = parse_log_level(vm["log-level"].as<std::string>());
  if (!level) return usage_error(options, "--log-level: expected trace, debug, info, warn, error or off");

  const std::unique_ptr<const KvCluster> cluster = load_cluster(vm["config"].as<std::string>());
  if (!cluster) return 2;
  const kv::Request& r = *parsed.request;
  const partition::CommandResult result =
      experiments::run_kv_command(*cluster, r, {.timeout = std::chrono::milliseconds(timeout_ms), .log_level = *level});
  switch (result.status) {
    case partition::CommandResult::Status::timeout:
      return fail(1, fmt::format("no reply within {} ms (are the cluster's kv nodes up? eyrie cluster status --config {})",
                                 timeout_ms, vm["config"].as<std::string>()));
    case partition::CommandResult::Status::failed:
      return fail(1, "the command failed: " + std::string(reinterpret_cast<const char*>(result.body.data()), result.body.size()));
    case partition::CommandResult::Status::ok: break;
  }
  std::string error;
  const std::optional<kv::Response> response = kv::decode_response(result.body.bytes(), &error);
  if (!response) return fail(1, "undecodable reply: " + error);
  return print_response(r, *response);
}

}  // namespace

int kv_command(std::span<char* const> args) {
  const std::string_view first = args.empty() ? std::string_view{} : std::string_view(args[0]);
  if (first.empty()) {
    std::fwrite(kUsage.data(), 1, kUsage.size(), stderr);
    return 2;
  }
  if (first == "load") return kv_load_command(args.subspan(1));
  if (first == "check") return kv_check_command(args.subspan(1));
  if (first == "help") {
    std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
    return 0;
  }
  return single_command(args);
}

}  // namespace eyrie::cli
