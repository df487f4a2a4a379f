#pragma once
// NodeHost: one endpoint of a cluster, assembled from the real runtime: event loop, ZeroMQ
// transport, storage, RealEnv, the runtime's own roles and the roles a factory creates.
//
// The same class runs a cluster node (`eyrie node`: ROUTER bound, FileStorage in
// ClusterConfig::node_dir) and an external endpoint (a client, a gateway, the prober of
// `eyrie cluster status`: no ROUTER, memory storage), chosen by NodeId::is_external().
//
// Robustness: a message whose type no role owns is dropped and counted
// (transport.unknown_type), and an exception escaping a role (message handler, timer, deferred
// call) is logged at a bounded rate and counted (node.handler_exceptions); the node stays up.
// Storage I/O errors are not swallowed: they leave run() and stop the node.
//
//   NodeHost client(config, {.id = random_external_id(), .make_roles = ..., .stats_probe_interval = 1s});
//   client.start();
//   client.run_until([&] { return client.stats_probe()->latest().size() == 3; }, std::chrono::seconds(10));

#include <functional>
#include <memory>
#include <vector>

#include "runtime/config.hpp"
#include "runtime/dispatcher.hpp"
#include "runtime/net/event_loop.hpp"
#include "runtime/net/real_env.hpp"
#include "runtime/net/stats_roles.hpp"
#include "runtime/net/zmq_transport.hpp"

namespace eyrie::net {

// A role that also does I/O of its own on the node's event loop (a TCP port for clients).
// NodeHost::start() hands it the loop before it starts the roles; what attach() throws (a port
// that cannot be bound) leaves start(), so the node does not run half set up.
class LoopRole {
 public:
  virtual ~LoopRole() = default;
  virtual void attach(EventLoop& loop) = 0;
};

// Creates the roles of one endpoint, bound to its Env (the runtime cannot know the modules:
// `eyrie node` passes cli::make_roles).
using RoleFactory = std::function<std::vector<std::unique_ptr<Role>>(Env& env)>;

struct NodeHostOptions {
  NodeId id;
  RoleFactory make_roles;  // may be empty: only the runtime's roles
  LogLevel log_level = LogLevel::info;
  LogSink* log_sink = nullptr;  // default: stderr, lines tagged with the id
  // Cluster nodes keep their storage in ClusterConfig::node_dir(id) unless this is false
  // (benchmarks); external endpoints always use memory storage.
  bool durable_storage = true;
  // When positive, a StatsProbe asks every cluster node for stats at this interval.
  Duration stats_probe_interval = Duration::zero();
};

// A random id in the external range, for clients that need no fixed identity.
NodeId random_external_id();

class NodeHost {
 public:
  // Builds everything and replays storage; throws ConfigError for an id that is neither in the
  // file nor external, std::system_error for storage that cannot be opened.
  NodeHost(const ClusterConfig& config, NodeHostOptions options);
  ~NodeHost();
  NodeHost(const NodeHost&) = delete;
  NodeHost& operator=(const NodeHost&) = delete;

  // Binds and connects (throws zmq::error_t when the endpoint cannot be bound), attaches the
  // LoopRoles (which may throw), then starts every role.
  void start();
  // Runs until SIGINT or SIGTERM (or stop()); returns the signal number, or 0.
  int run_until_stop_signal();
  // Runs until `done()` holds, stop() or `timeout`; returns done().
  bool run_until(const std::function<bool()>& done, Duration timeout);
  void stop() { loop_.stop(); }

  NodeId id() const { return options_.id; }
  const ClusterConfig& config() const { return config_; }
  EventLoop& loop() { return loop_; }
  Env& env() { return *env_; }
  Metrics& metrics() { return metrics_; }
  Logger& log() { return log_; }
  const std::vector<std::unique_ptr<Role>>& roles() const { return roles_; }
  // The probe, when stats_probe_interval was positive; else null.
  StatsProbe* stats_probe() { return probe_; }

 private:
  void dispatch(const Message& message);
  void on_exception(std::string_view where, std::string_view what);
  std::unique_ptr<Storage> make_storage();

  ClusterConfig config_;
  NodeHostOptions options_;
  std::unique_ptr<LogSink> owned_sink_;
  Logger log_;       // the root logger, handed to roles through Env
  Logger host_log_;  // this class's own lines
  Metrics metrics_;
  Time started_at_;
  EventLoop loop_;
  ZmqTransport transport_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<RealEnv> env_;
  std::vector<std::unique_ptr<Role>> roles_;  // runtime roles first, then the factory's
  StatsProbe* probe_ = nullptr;
  Dispatcher dispatcher_;
  LogLimiter unknown_type_log_;
  LogLimiter exception_log_;
  Counter& unknown_type_;
  Counter& handler_exceptions_;
};

}  // namespace eyrie::net
