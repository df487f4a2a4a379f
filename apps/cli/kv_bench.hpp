#pragma once
// One configuration of `eyrie bench kv` (cmd_bench_kv.cpp): the kv service on S-SMR against
// bare Ridge with the same commands and reply path.
//
// The cluster (bench_cluster.hpp): nodes 1-3 run the `ridge` role (the acceptors and coordinator
// candidates of every ensemble, votes in memory or on disk per --storage), nodes 4.. the
// replicas, --replicas per partition, each a forked child. This process runs the clients
// (experiments::KvLoadRun: a thread and an external endpoint each, --window commands
// outstanding each) and reads the replicas' metrics through the stats probe.
//
// Two runs per configuration, each on a fresh cluster:
//   kv     the replicas run the `kv` role exactly as `eyrie node` does;
//   ridge  the same nodes, but each learner answers every command it delivers at once, from
//          the lowest destination partition only, with kv's `ok` reply (RidgeReplier): Ridge's
//          ordering plus the client library's reply path, without the partition runtime.
// Each run: the cluster answers a get in every partition; --warmup-seconds of load,
// unmeasured; --seconds measured (commands completed at the clients in that window, and their
// client-side latency); then the commands complete and the nodes' metrics are read.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "apps/cli/bench_cluster.hpp"

namespace eyrie::cli {

struct KvBenchOptions {
  std::vector<int> partitions{1, 2, 4};
  std::vector<unsigned> multi_percents{0, 1, 5, 10};  // with one partition, only 0 is run
  std::vector<std::size_t> sizes{100, 1024};
  int replicas = 3;  // per partition
  std::size_t clients = 4;
  std::size_t window = 25;
  std::size_t keys = 4096;
  double seconds = 3;
  double warmup_seconds = 1;
  bool baseline = true;
  std::string storage = "memory";          // acceptor storage: memory or disk
  std::vector<std::string> ridge_settings;  // "key = value" lines added to [ridge]
};

struct KvBenchConfig {
  int partitions = 1;
  unsigned multi_percent = 0;
  std::size_t size = 100;
};

// One run's figures (the kv run or the ridge one).
struct KvRunFigures {
  double commands_per_s = 0;
  std::optional<double> p50_us;
  std::optional<double> p99_us;
  std::uint64_t issued = 0;
  std::uint64_t multi_partition = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t failed = 0;
  // At the replicas, over the whole run (medians of their p50, largest p99).
  LatencyFigures multicast;   // client's send (its wall clock) to delivery: ridge.cons_latency_us
  LatencyFigures queue;       // delivery to the start of execution: ssmr.queue_wait_us
  LatencyFigures cross_wait;  // waiting for the other partitions: ssmr.cross_partition_wait_us
  LatencyFigures execution;   // start to finish, the wait included: ssmr.execution_us
};

struct KvBenchFigures {
  KvRunFigures kv;
  std::optional<KvRunFigures> ridge;  // without --baseline off
};

// The cluster file of one run; `kv` picks the replicas' role ("kv"; the ridge run uses the same
// file, its children run RidgeReplier instead).
std::string kv_bench_cluster_toml(const KvBenchConfig& c, const KvBenchOptions& o, const std::filesystem::path& data_dir);

// Both runs of configuration `c`, their files under `dir`. Throws ConfigError for a refused
// cluster file and std::runtime_error when a run does not complete in time.
KvBenchFigures measure_kv_configuration(const KvBenchConfig& c, const KvBenchOptions& o, const std::filesystem::path& dir);

}  // namespace eyrie::cli
