#pragma once
// KvLoad: one kv client generating load (KvWorkload) through a partition::Client, closed loop:
// it keeps `window` commands outstanding until `stop_at`, then issues nothing more; what is
// outstanding completes (a reply, or the client's timeout). read_back() then reads keys once
// each, after the load. One per endpoint: a client's replies and Ridge acknowledgements come
// to its endpoint's id (KvLoadRun runs several, one thread and endpoint each).
//
// Figures are kept for the commands that complete in [measure_from, measure_until); the
// history (when a recorder is given) has every command: invocation and response times from
// env.now() (the monotonic clock, the same for every process of the machine), input, output;
// a command that timed out or failed stays unanswered (unknown: it may have taken effect).

#include <deque>
#include <map>
#include <optional>
#include <string>

#include "apps/kv/kv.hpp"
#include "experiments/kv_workload.hpp"
#include "partition/client.hpp"
#include "runtime/env.hpp"
#include "runtime/metrics.hpp"
#include "tests/checkers/kv_model.hpp"

namespace eyrie::experiments {

struct KvLoadOptions {
  const KvWorkload* workload = nullptr;  // outlives the role
  std::uint64_t seed = 1;
  partition::ClientOptions client{};     // client.window_max is the load's window
  Time stop_at{};
  Time measure_from{};
  Time measure_until{};
  check::kv::KvRecorder* recorder = nullptr;  // outlives the role; null: no history
};

// Of the load's commands; the reads of read_back() count only in `failed` when they fail.
struct KvLoadCounts {
  std::uint64_t issued = 0;
  std::uint64_t multi_partition = 0;  // issued to two partitions or more
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;    // the replicas answered failed (or an undecodable reply)
  std::uint64_t timeouts = 0;  // no reply within the client's timeout
  std::uint64_t completed_in_window = 0;  // ok in [measure_from, measure_until)
  Histogram latency_us;                   // of those
  std::string first_failure;
  void merge(const KvLoadCounts& other);
};

class KvLoad final : public Role {
 public:
  // Preconditions: the configurations and the oracle outlive the role.
  KvLoad(Env& env, const multicast::RidgeConfig& ridge, const partition::SsmrConfig& ssmr,
         const oracle::PartitioningOracle& oracle, KvLoadOptions options);

  std::string_view name() const override { return "kv-load"; }
  std::span<const MessageTypeRange> message_types() const override;
  void start() override;
  void on_message(const Message& message) override { client_.on_message(message); }
  void check_invariants() const override { client_.check_invariants(); }

  // Reads each key once, as the window allows; these reads join the history.
  void read_back(const std::vector<std::string>& keys);
  // Past stop_at, nothing outstanding and no read left to issue.
  bool idle() const;
  const KvLoadCounts& counts() const { return counts_; }
  // Reads of read_back() without an ok answer (yet).
  std::size_t read_back_unanswered() const { return read_back_unanswered_; }

 private:
  void top_up();
  void issue(kv::Request request, bool read_back);
  void completed(const kv::Request& request, Time invoked, std::optional<std::size_t> handle, bool read_back,
                 const partition::CommandResult& result);

  Env& env_;
  KvLoadOptions options_;
  const oracle::PartitioningOracle& oracle_;
  partition::Client client_;
  Rng rng_;
  std::map<std::string, std::optional<std::string>> last_read_;
  std::deque<std::string> reads_left_;
  std::size_t read_back_unanswered_ = 0;
  KvLoadCounts counts_;
};

}  // namespace eyrie::experiments
