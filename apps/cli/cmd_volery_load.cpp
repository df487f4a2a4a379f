// `eyrie volery load` (cmd_volery.cpp dispatches here): sessions in closed loops of creates,
// setData, getData, exists and deletes over a small key space, every acknowledged write read
// back at the end (apps/cli/volery_load.hpp). Prints one JSON line; --out writes every
// acknowledged write and every read-back as JSON lines. Exit status 0 when every reply was what
// the sessions' models expected, every read-back matched and no gateway failed; 1 otherwise;
// 2 for bad usage.

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "apps/cli/bench_support.hpp"
#include "apps/cli/commands.hpp"
#include "apps/cli/options.hpp"
#include "apps/cli/program.hpp"
#include "apps/cli/volery_load.hpp"
#include "apps/volery/path.hpp"

namespace eyrie::cli {

namespace {

namespace po = boost::program_options;

int fail(int status, std::string_view message) {
  std::fprintf(stderr, "%s load: %s\n", invoked_as().c_str(), std::string(message).c_str());
  return status;
}

void write_out(const std::string& path, const VoleryLoadReport& report) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  for (const VoleryWriteRecord& w : report.writes) {
    out << fmt::format("{{\"write\":{},\"op\":\"{}\",\"session\":\"{:#x}\",\"acknowledged_ns\":{},\"data\":{},"
                       "\"version\":{},\"mzxid\":{}}}\n",
                       json_string(w.path), w.op, w.session, w.acknowledged_ns, json_string(w.data), w.version, w.mzxid);
  }
  for (const VoleryReadBack& r : report.read_back) {
    out << fmt::format("{{\"read_back\":{},\"verdict\":\"{}\",\"code\":\"{}\",\"data\":{},\"version\":{},\"mzxid\":{},"
                       "\"expected\":{}}}\n",
                       json_string(r.path), to_string(r.verdict), volery::to_string(r.code), json_string(r.data),
                       r.version, r.mzxid, json_string(r.expected));
  }
  out.flush();
  if (!out) throw std::runtime_error(path + ": write failed");
}

std::string summary(const VoleryLoadOptions& o, const VoleryLoadReport& r) {
  std::string codes;
  for (const auto& [code, count] : r.codes) {
    if (code == "OK") continue;
    codes += fmt::format("{}{}:{}", codes.empty() ? "" : ",", json_string(code), count);
  }
  const auto percentile = [&](double q) {
    return r.latency_us.count() ? fmt::format("{}", r.latency_us.percentile(q)) : std::string("null");
  };
  const std::uint64_t ok = r.codes.contains("OK") ? r.codes.at("OK") : 0;
  return fmt::format(
      "{{\"clients\":{},\"gateways\":{},\"keys\":{},\"seconds\":{:.2f},\"seed\":{},\"run\":{},\"ops\":{},\"ok\":{},"
      "\"errors\":{{{}}},\"unexpected\":{},\"sessions_lost\":{},\"ops_per_s\":{:.0f},\"p50_us\":{},\"p99_us\":{},"
      "\"writes_acknowledged\":{},\"read_back_paths\":{},\"uncertain_paths\":{},\"read_back_mismatches\":{},"
      "\"read_back_unanswered\":{}}}",
      o.clients, o.gateways, o.keys, r.seconds, o.seed, json_string(r.run_path), r.ops, ok, codes, r.unexpected,
      r.sessions_lost, r.seconds > 0 ? static_cast<double>(r.ops) / r.seconds : 0.0, percentile(0.5), percentile(0.99),
      r.writes_acknowledged, r.read_back.size(), r.uncertain_paths, r.read_back_mismatches, r.read_back_unanswered);
}

int run_load(const std::string& config_path, const VoleryLoadOptions& o, const std::optional<std::string>& out) {
  const std::unique_ptr<const volery::VoleryCluster> cluster = load_volery_cluster(config_path);
  if (!cluster) return 2;
  const VoleryLoadReport report = run_volery_load(*cluster, o);
  if (out) {
    try {
      write_out(*out, report);
    } catch (const std::exception& e) {
      return fail(1, e.what());
    }
  }
  std::printf("%s\n", summary(o, report).c_str());
  std::fflush(stdout);
  if (!report.error.empty()) return fail(1, report.error);
  for (const VoleryReadBack& r : report.read_back) {
    if (r.verdict == VoleryReadBack::Verdict::mismatch) {
      std::fprintf(stderr, "%s load: read-back of %s: got %s data \"%s\" version %d mzxid %#llx, expected %s\n",
                   invoked_as().c_str(), r.path.c_str(), volery::to_string(r.code), r.data.c_str(), r.version,
                   static_cast<unsigned long long>(r.mzxid), r.expected.c_str());
    }
  }
  if (report.unexpected > 0) {
    return fail(1, fmt::format("{} unexpected replies; first: {}", report.unexpected, report.first_unexpected));
  }
  if (report.read_back_mismatches > 0) {
    return fail(1, fmt::format("{} of {} paths read back differ from their last acknowledged write",
                               report.read_back_mismatches, report.read_back.size()));
  }
  if (report.read_back_unanswered > 0) {
    return fail(1, fmt::format("{} of {} read-backs got no answer", report.read_back_unanswered, report.read_back.size()));
  }
  if (report.writes_overflowed) return fail(1, "--out is incomplete: more acknowledged writes than it holds");
  return 0;
}

}  // namespace

int volery_load_command(std::span<char* const> args) {
  po::options_description options(
      "usage: " + invoked_as() + " load --config FILE [--clients N] [--gateways G] [--seconds S] [--keys K]\n"
      "           [--size B] [--out FILE] ...\n\n"
      "Loads a cluster of volery nodes from N sessions spread over G gateways (a thread and a client\n"
      "endpoint each). Each session runs a closed loop for S seconds over its own share of K paths\n"
      "under ROOT/run-NNNNNNNNNN (a fresh node per run): create when absent, else setData, getData,\n"
      "exists or delete, writes at the expected version half of the time. Only a path's session\n"
      "writes it, so every reply is checked against what that session acknowledged; at the end a\n"
      "fresh session reads every path back, which must hold its last acknowledged write (data,\n"
      "version, mzxid) or, after a write that got no reply (ConnectionLoss), what one of those\n"
      "writes left. Prints one JSON line: ops, ok, errors (replies by ZooKeeper code), unexpected,\n"
      "ops_per_s, p50_us, p99_us, writes_acknowledged, read_back_mismatches, ... --out writes every\n"
      "acknowledged write ({\"write\":PATH,\"op\",\"acknowledged_ns\",\"data\",\"version\",\"mzxid\"}) and every\n"
      "read-back ({\"read_back\":PATH,\"verdict\",...}) as JSON lines. Exit status 0 when every reply\n"
      "and every read-back was as expected, 1 otherwise, 2 for bad usage.\n\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("config,c", po::value<std::string>(), "the cluster file (TOML) of a cluster of volery nodes")
      ("cluster", po::value<std::string>(), "the same as --config")
      ("clients", po::value<long long>()->default_value(4), "sessions (1..1024)")
      ("gateways", po::value<long long>()->default_value(1), "client endpoints, a thread each (1..16, at most --clients)")
      ("seconds", po::value<double>()->default_value(10.0), "how long the sessions issue requests (0 < S <= 86400)")
      ("keys", po::value<long long>()->default_value(64), "paths (--clients..100000)")
      ("size", po::value<long long>()->default_value(16), "data bytes of a write, at least its unique tag (1..1048576)")
      ("root", po::value<std::string>()->default_value("/load"), "the node under which each run makes its own")
      ("out", po::value<std::string>(), "write every acknowledged write and every read-back to FILE (JSON lines)")
      ("timeout-ms", po::value<long long>()->default_value(30'000),
       "a request without a reply after this is given up (ConnectionLoss) (1..3600000)")
      ("session-timeout-ms", po::value<long long>()->default_value(30'000), "the sessions' timeout (1..2147483647)")
      ("seed", po::value<std::uint64_t>(), "the sessions' seed (default: random; printed)")
      ("log-level,l", po::value<std::string>()->default_value("warn"), "trace, debug, info, warn, error or off");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  if (vm.count("config") && vm.count("cluster")) return usage_error(options, "give --config or --cluster, not both");
  if (!vm.count("config") && !vm.count("cluster")) return usage_error(options, "--config is required");
  const std::string config = vm.count("config") ? vm["config"].as<std::string>() : vm["cluster"].as<std::string>();
  const auto in_range = [&](const char* name, long long min, long long max) -> std::optional<long long> {
    const long long v = vm[name].as<long long>();
    if (v < min || v > max) return std::nullopt;
    return v;
  };
  const auto clients = in_range("clients", 1, 1024);
  if (!clients) return usage_error(options, "--clients: expected 1..1024");
  const auto gateways = in_range("gateways", 1, std::min(16LL, *clients));
  if (!gateways) return usage_error(options, "--gateways: expected 1..16, and at most --clients");
  const double seconds = vm["seconds"].as<double>();
  if (!(seconds > 0 && seconds <= 86400)) return usage_error(options, "--seconds: expected 0 < S <= 86400");
  const auto keys = in_range("keys", *clients, 100'000);
  if (!keys) return usage_error(options, "--keys: expected --clients..100000 (each session owns at least one path)");
  const auto size = in_range("size", 1, 1 << 20);
  if (!size) return usage_error(options, "--size: expected 1..1048576 bytes");
  const auto timeout_ms = in_range("timeout-ms", 1, 3'600'000);
  if (!timeout_ms) return usage_error(options, "--timeout-ms: expected 1..3600000");
  const auto session_timeout_ms = in_range("session-timeout-ms", 1, std::numeric_limits<std::int32_t>::max());
  if (!session_timeout_ms) return usage_error(options, "--session-timeout-ms: expected 1..2147483647");
  const std::string root = vm["root"].as<std::string>();
  if (const auto why = volery::path_error(root, false)) return usage_error(options, "--root: " + *why);
  const auto level = parse_log_level(vm["log-level"].as<std::string>());
  if (!level) return usage_error(options, "--log-level: expected trace, debug, info, warn, error or off");
  const VoleryLoadOptions o{
      .clients = static_cast<std::size_t>(*clients),
      .gateways = static_cast<std::size_t>(*gateways),
      .keys = static_cast<std::size_t>(*keys),
      .value_bytes = static_cast<std::size_t>(*size),
      .duration = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds)),
      .request_timeout = std::chrono::milliseconds(*timeout_ms),
      .session_timeout_ms = static_cast<std::int32_t>(*session_timeout_ms),
      .root = root,
      .seed = vm.count("seed") ? vm["seed"].as<std::uint64_t>() : std::random_device{}(),
      .records_max = 4'000'000,
      .log_level = *level,
  };
  return run_load(config, o, vm.count("out") ? std::optional<std::string>(vm["out"].as<std::string>()) : std::nullopt);
}

}  // namespace eyrie::cli
