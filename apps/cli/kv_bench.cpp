#include "apps/cli/kv_bench.hpp"

#include <fmt/format.h>

#include <array>
#include <fstream>

#include "apps/cli/roles.hpp"
#include "apps/kv/kv.hpp"
#include "experiments/kv_command.hpp"
#include "experiments/kv_load_run.hpp"
#include "multicast/message_types.hpp"
#include "multicast/ridge_node.hpp"
#include "partition/message_types.hpp"
#include "partition/wire.hpp"

namespace eyrie::cli {

namespace {

using namespace std::chrono_literals;
constexpr auto kReadyDeadline = 60s;
constexpr auto kProbeDeadline = 30s;

Duration seconds_of(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }

// The baseline's learner: Ridge delivers, and the lowest destination partition's learners
// answer every command at once with kv's `ok`, through the client library's reply message.
class RidgeReplier final : public Role {
 public:
  RidgeReplier(Env& env, const multicast::RidgeConfig& config)
      : env_(env),
        group_(config.groups_of(env.self()).front()),
        ok_(kv::encode(kv::Response{kv::Ok{}})),
        node_(env, config, [this](const multicast::Delivery& d) { reply(d); }) {}
  std::string_view name() const override { return "ridge-replier"; }
  std::span<const MessageTypeRange> message_types() const override { return node_.message_types(); }
  void start() override { node_.start(); }
  void on_message(const Message& message) override { node_.on_message(message); }
  void check_invariants() const override { node_.check_invariants(); }

 private:
  void reply(const multicast::Delivery& d) {
    if (d.destinations.front() != group_) return;  // destinations are sorted; the lowest replies
    std::string error;
    const std::optional<partition::Command> command = partition::decode_command(d.payload, &error);
    if (!command) return;
    const partition::Reply reply{.client_id = command->client_id, .seq = command->seq,
                                 .status = partition::ReplyStatus::ok, .body = ok_, .destinations = {},
                                 .partition = partition::PartitionId{group_.value}};
    env_.send(command->reply_to, partition::kReply, partition::encode(reply));
  }

  Env& env_;
  multicast::GroupId group_;
  Payload ok_;
  multicast::RidgeNode node_;
};

// The roles of a node of the ridge run: acceptors as `eyrie node` runs them, learners replying.
std::vector<std::unique_ptr<Role>> replier_roles(const ClusterConfig& config, const multicast::RidgeConfig& ridge,
                                                 Env& env, const NodeConfig& node) {
  if (ridge.groups_of(node.id).empty()) return make_roles(config, node, env);
  std::vector<std::unique_ptr<Role>> roles;
  roles.push_back(std::make_unique<RidgeReplier>(env, ridge));
  return roles;
}

KvRunFigures measure_run(const KvBenchConfig& c, const KvBenchOptions& o, const std::filesystem::path& dir, bool kv) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "cluster.toml") << kv_bench_cluster_toml(c, o, dir / "data");
  const std::unique_ptr<const experiments::KvCluster> cluster = experiments::KvCluster::load(dir / "cluster.toml");
  validate_modules(cluster->config);
  const NodeChildren children(cluster->config, dir, [&](Env& env, const NodeConfig& node) {
    return kv ? make_roles(cluster->config, node, env) : replier_roles(cluster->config, cluster->ridge, env, node);
  });
  if (!experiments::wait_until_kv_answers(*cluster, kReadyDeadline)) {
    throw std::runtime_error("the cluster did not answer a get in every partition");
  }
  net::NodeHostOptions prober_options;
  prober_options.id = net::random_external_id();
  prober_options.log_level = LogLevel::error;
  prober_options.stats_probe_interval = 1s;
  net::NodeHost prober(cluster->config, std::move(prober_options));
  prober.start();

  const experiments::KvWorkload workload(cluster->oracle->placement(),
                                         {.keys = o.keys, .multi_percent = c.multi_percent, .value_bytes = c.size, .key_prefix = "k"});
  experiments::KvLoadRun run(*cluster, workload,
                             {.clients = o.clients, .window = o.window, .workload = workload.options(),
                              .warmup = seconds_of(o.warmup_seconds), .measured = seconds_of(o.seconds),
                              .seed = static_cast<std::uint64_t>(c.partitions * 1000 + c.multi_percent),
                              .log_level = LogLevel::error});
  const experiments::KvLoadReport report = run.wait();
  if (!report.error.empty()) throw std::runtime_error("a client failed: " + report.error);

  std::vector<NodeId> replicas;
  for (const auto& p : cluster->ssmr.partitions) replicas.insert(replicas.end(), p.replicas.begin(), p.replicas.end());
  const std::map<NodeId, net::NodeStats> stats = probe_stats(prober, replicas, kProbeDeadline);
  const experiments::KvLoadCounts& counts = report.counts;
  KvRunFigures f;
  f.commands_per_s = static_cast<double>(counts.completed_in_window) / report.measured_seconds;
  if (counts.latency_us.count() > 0) {
    f.p50_us = static_cast<double>(counts.latency_us.percentile(0.5));
    f.p99_us = static_cast<double>(counts.latency_us.percentile(0.99));
  }
  f.issued = counts.issued;
  f.multi_partition = counts.multi_partition;
  f.timeouts = counts.timeouts;
  f.failed = counts.failed;
  f.multicast = latency_across(stats, "ridge.cons_latency_us");
  f.queue = latency_across(stats, "ssmr.queue_wait_us");
  f.cross_wait = latency_across(stats, "ssmr.cross_partition_wait_us");
  f.execution = latency_across(stats, "ssmr.execution_us");
  return f;
}

}  // namespace

std::string kv_bench_cluster_toml(const KvBenchConfig& c, const KvBenchOptions& o, const std::filesystem::path& data_dir) {
  BenchClusterShape shape{.groups = c.partitions, .learners = o.replicas, .acceptor_role = "ridge", .learner_role = "kv",
                          .ridge_lines = {fmt::format("acceptor_storage = \"{}\"", o.storage)}, .extra = {}};
  shape.ridge_lines.insert(shape.ridge_lines.end(), o.ridge_settings.begin(), o.ridge_settings.end());
  return bench_cluster_toml(shape, data_dir);
}

KvBenchFigures measure_kv_configuration(const KvBenchConfig& c, const KvBenchOptions& o, const std::filesystem::path& dir) {
  KvBenchFigures figures;
  figures.kv = measure_run(c, o, dir / "kv", true);
  if (o.baseline) figures.ridge = measure_run(c, o, dir / "ridge", false);
  return figures;
}

}  // namespace eyrie::cli
