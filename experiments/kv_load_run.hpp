#pragma once
// KvLoadRun: several kv clients (KvLoad) against a running cluster, each in its own thread with
// its own external endpoint (a client's replies and Ridge acknowledgements come to its
// endpoint's id, so endpoints cannot be shared). What `eyrie kv load` and `eyrie bench kv` run.
//
// Timeline, from the construction on: `warmup` of load, unmeasured; `measured` of load, whose
// completions are counted (throughput, latency); then every client lets its outstanding
// commands complete (a reply or the client's timeout). With read_back, once every client is
// done, the clients read every key of the workload once (split among them): reads that follow
// every acknowledged write, so a write the cluster lost shows in the history as a violation.

#include <barrier>
#include <memory>
#include <thread>
#include <vector>

#include "experiments/kv_command.hpp"
#include "experiments/kv_load.hpp"
#include "experiments/kv_workload.hpp"
#include "runtime/config.hpp"

namespace eyrie::experiments {

struct KvLoadRunOptions {
  std::size_t clients = 4;
  std::size_t window = 25;  // outstanding commands per client
  KvWorkloadOptions workload{};
  Duration warmup = Duration::zero();
  Duration measured = std::chrono::seconds(10);
  Duration timeout = std::chrono::seconds(10);     // per command (then unknown)
  Duration retry_after = std::chrono::seconds(1);  // a client resends a command without a reply
  bool record_history = false;
  std::size_t history_operations_max = 4'000'000;  // over all clients
  bool read_back = false;
  std::uint64_t seed = 1;
  LogLevel log_level = LogLevel::warn;
};

struct KvLoadReport {
  KvLoadCounts counts;           // summed over the clients
  double measured_seconds = 0;
  check::kv::KvHistory history;  // every client's, when recorded
  bool history_overflowed = false;
  std::size_t read_back_keys = 0;
  std::size_t read_back_unanswered = 0;
  std::vector<NodeId> client_ids;
  std::string error;  // a client thread that failed (its endpoint could not start, say)
};

class KvLoadRun {
 public:
  // Starts the clients. The cluster and the workload outlive the run.
  KvLoadRun(const KvCluster& cluster, const KvWorkload& workload, KvLoadRunOptions options);
  ~KvLoadRun();  // waits for the clients
  KvLoadRun(const KvLoadRun&) = delete;
  KvLoadRun& operator=(const KvLoadRun&) = delete;

  Time measure_from() const { return measure_from_; }
  Time measure_until() const { return measure_until_; }
  // Waits for every client to finish, then sums up. Call once.
  KvLoadReport wait();

 private:
  struct Slot;
  void run_client(std::size_t index);

  const KvCluster& cluster_;
  const KvWorkload& workload_;
  KvLoadRunOptions options_;
  Time measure_from_;
  Time measure_until_;
  std::barrier<> drained_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::thread> threads_;
};

}  // namespace eyrie::experiments
