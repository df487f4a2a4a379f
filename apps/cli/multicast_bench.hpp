#pragma once
// One configuration of `eyrie bench multicast` (cmd_bench_multicast.cpp): its cluster file, its
// node processes and its measured phases.
//
// One configuration: the cluster of bench_cluster.hpp, --learners learners per group; each node
// is a forked child running the ridge role exactly as `eyrie node` does. This process is the sender (an external endpoint running MulticastLoad)
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

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apps/cli/bench_cluster.hpp"
#include "multicast/config.hpp"

namespace eyrie::cli {

// The command line's choices (their --help says each); every combination of the four lists is
// one configuration.
struct MulticastBenchOptions {
  std::vector<int> groups{1, 2};
  std::vector<std::size_t> sizes{100, 8192, 65536};
  std::vector<multicast::AcceptorStorage> storages{multicast::AcceptorStorage::memory, multicast::AcceptorStorage::disk};
  std::vector<bool> optimistic{false, true};
  int learners = 3;  // per group
  double seconds = 3;         // measured at max load
  double warmup_seconds = 1;  // unmeasured, at max load, before
  double low_rate = 200;      // messages per second of the low-load window
  double low_seconds = 2;     // measured at low load
  double raw_seconds = 2;     // each raw ZeroMQ measurement
  unsigned global_percent = 0;
  // The sender keeps at most this many payload bytes unacknowledged at max load. More only adds
  // queueing, and queueing beyond [ridge] phase2_timeout_ms and sender_retry_ms makes
  // coordinators fall back to classic Paxos and the sender retransmit, which load the system
  // further (docs/ridge.md, "Benchmark").
  std::size_t window_bytes = 4 << 20;
  std::vector<std::string> ridge_settings;  // "key = value" lines added to every configuration's [ridge]
};

struct BenchConfig {
  int groups = 1;
  std::size_t size = 100;
  multicast::AcceptorStorage storage = multicast::AcceptorStorage::memory;
  bool optimistic = false;
};

// What one measured window gives (docs/ridge.md, "Benchmark", defines each figure).
struct WindowFigures {
  double msgs_per_s = 0;
  double mb_per_s_per_learner = 0;
  std::optional<double> mistake_rate;
};

// The max-load window, the low-load window, and the latencies of the messages sent in each.
struct ConfigFigures {
  WindowFigures load;
  WindowFigures low_load;
  LatencyFigures cons, opt, cons_low_load, opt_low_load;
  std::uint64_t messages_sent = 0;
  std::vector<std::pair<std::string, std::uint64_t>> diagnostics;  // counters over the whole run, in order
};

std::string_view storage_name(multicast::AcceptorStorage storage);

// The cluster file of configuration `c`: nodes 1-3 are the acceptors and candidates of every
// ensemble, each ensemble starting its candidate list and Phase 2 chain on another node; nodes
// 4.. the learners, group by group. Ports are chosen now; node data lives under `data_dir`.
std::string bench_cluster_toml(const BenchConfig& c, const MulticastBenchOptions& o, const std::filesystem::path& data_dir);

// Writes the cluster file into `dir`, starts the nodes (their logs in `dir`), runs the phases
// and stops the nodes. Throws ConfigError for a refused cluster file and std::runtime_error when
// a phase does not complete in time (60 s).
ConfigFigures measure_configuration(const BenchConfig& c, const MulticastBenchOptions& o, const std::filesystem::path& dir);

}  // namespace eyrie::cli
