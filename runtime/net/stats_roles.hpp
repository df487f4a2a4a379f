#pragma once
// The runtime's own roles (message_types::kRuntime):
// - StatsResponder, on every node: answers a stats request with the node's id, uptime and
//   Metrics::to_json().
// - StatsProbe, on an external endpoint (`eyrie cluster status`, tests): asks every cluster
//   node for its stats every `interval` and keeps the latest answer per node.
// Wire format: runtime/net/stats.capnp.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/env.hpp"

namespace eyrie::net {

inline constexpr MessageType kStatsRequest{1};
inline constexpr MessageType kStatsResponse{2};

class StatsResponder final : public Role {
 public:
  StatsResponder(Env& env, Time started_at);
  std::string_view name() const override { return "stats"; }
  std::span<const MessageTypeRange> message_types() const override;
  void start() override {}
  void on_message(const Message& message) override;

 private:
  Env& env_;
  Time started_at_;
  LogLimiter reject_log_;
};

// A histogram's summary in a Metrics::to_json() object (values as recorded: microseconds for
// the *_us histograms).
struct HistogramSummary {
  std::uint64_t count = 0;
  std::int64_t min = 0;
  std::int64_t p50 = 0;
  std::int64_t p90 = 0;
  std::int64_t p99 = 0;
  std::int64_t max = 0;
};

struct NodeStats {
  NodeId node;
  Duration uptime{};
  std::string metrics_json;  // Metrics::to_json() of the node
  Time received_at{};        // prober's clock
  Duration round_trip{};     // request to response
  std::uint64_t responses = 0;
  // A counter of metrics_json, or nullopt when absent.
  std::optional<std::uint64_t> counter(std::string_view name) const;
  // A histogram of metrics_json, or nullopt when absent.
  std::optional<HistogramSummary> histogram(std::string_view name) const;
};

class StatsProbe final : public Role {
 public:
  struct Options {
    std::vector<NodeId> nodes;  // whom to ask
    Duration interval = std::chrono::seconds(1);
  };
  StatsProbe(Env& env, Options options);
  std::string_view name() const override { return "stats-probe"; }
  std::span<const MessageTypeRange> message_types() const override;
  void start() override;
  void on_message(const Message& message) override;

  // The latest answer of each node that has answered at least once.
  const std::map<NodeId, NodeStats>& latest() const { return latest_; }
  const NodeStats* find(NodeId node) const;
  // Asks every node now, in addition to the periodic rounds.
  void probe_now();

 private:
  void round();

  Env& env_;
  Options options_;
  std::uint64_t next_seq_ = 1;
  std::map<NodeId, std::pair<std::uint64_t, Time>> outstanding_;  // node -> last request (seq, sent)
  std::map<NodeId, NodeStats> latest_;
  LogLimiter reject_log_;
};

// A counter's value in a Metrics::to_json() object, or nullopt.
std::optional<std::uint64_t> json_counter(std::string_view metrics_json, std::string_view name);
// A histogram's summary in a Metrics::to_json() object, or nullopt.
std::optional<HistogramSummary> json_histogram(std::string_view metrics_json, std::string_view name);


}  // namespace eyrie::net
