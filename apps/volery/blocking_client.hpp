#pragma once
// BlockingVoleryClient: Volery's client library (VoleryClient, one gateway) for programs that
// are not event-driven: `eyrie volery`, its load generator, the multi-process tests. Like
// partition::BlockingClient, it runs the client as the one role of its own external endpoint
// (a fresh id, an event loop over ZeroMQ) and turns the loop only while a call waits.
//
// Every wait has a limit (BlockingVoleryClientOptions::wait_limit): a call that passes it
// answers Code::connection_loss, as a ZooKeeper client does when its connection drops. The
// request stays in its session's queue and may still run; the session's later requests still
// follow it (FIFO), and its reply, when it comes, goes to no one.
//
// Watch events and session expiries are queued as they arrive (take_events, take_expired).
// Target eyrie_volery_client (the runtime over ZeroMQ; eyrie_volery stays sans-IO).

#include <deque>
#include <filesystem>
#include <functional>
#include <memory>

#include "apps/volery/client.hpp"
#include "runtime/config.hpp"

namespace eyrie::net {
class NodeHost;
}

namespace eyrie::volery {

// What a Volery client needs of a cluster file: its Ridge and [ssmr] configurations and
// Volery's oracle over the placement. Not movable: clients refer to its members.
struct VoleryCluster {
  ClusterConfig config;
  multicast::RidgeConfig ridge;
  partition::SsmrConfig ssmr;
  std::unique_ptr<VoleryOracle> oracle;

  // Throws ConfigError for a file whose [ridge] or [ssmr] section is refused (the caller
  // validates the rest of the file: cli::validate_modules), and what ClusterConfig::load throws.
  static std::unique_ptr<const VoleryCluster> load(const std::filesystem::path& path);
  explicit VoleryCluster(ClusterConfig cluster);
  VoleryCluster(const VoleryCluster&) = delete;
  VoleryCluster& operator=(const VoleryCluster&) = delete;
};

struct BlockingVoleryClientOptions {
  VoleryClientOptions client{};
  // The longest any one call waits for its reply (then: connection_loss).
  Duration wait_limit = std::chrono::seconds(30);
  // Events and expiries queued and not yet taken; more are dropped (and counted).
  std::size_t queued_max = 65536;
  LogLevel log_level = LogLevel::warn;
};

class BlockingVoleryClient {
 public:
  // Starts the endpoint. Precondition: `cluster` outlives the client. Throws what NodeHost
  // throws when the endpoint cannot start.
  explicit BlockingVoleryClient(const VoleryCluster& cluster, BlockingVoleryClientOptions options = {});
  ~BlockingVoleryClient();
  BlockingVoleryClient(const BlockingVoleryClient&) = delete;
  BlockingVoleryClient& operator=(const BlockingVoleryClient&) = delete;

  // Creates a session with a fresh random password: result.session and result.timeout_ms, or
  // an error code (connection_loss when no reply came within the wait limit).
  Reply open_session(std::int32_t timeout_ms);
  // Runs `op` in the session and waits for its reply.
  Reply call(SessionId session, Op op);
  // Closes the session (its ephemeral nodes go) and waits for the reply.
  Reply close_session(SessionId session) { return call(session, CloseSession{}); }

  // Pipelining: submit() several requests (their callbacks run from run_until), then
  // run_until() a condition over what the callbacks recorded holds; false after `limit`.
  void submit(SessionId session, Op op, VoleryClient::ReplyCallback done);
  bool run_until(const std::function<bool()>& done, Duration limit);

  // The watch events (and expired sessions) received since the last take, oldest first.
  std::vector<WatchEvent> take_events();
  std::vector<SessionId> take_expired();
  std::uint64_t dropped() const { return dropped_; }

  VoleryClient& client();
  NodeId endpoint() const;

 private:
  Reply wait_for(const std::shared_ptr<std::optional<Reply>>& reply);

  class Role;
  BlockingVoleryClientOptions options_;
  std::deque<WatchEvent> events_;  // before host_: the client's callbacks fill them
  std::deque<SessionId> expired_;
  std::uint64_t dropped_ = 0;
  std::unique_ptr<net::NodeHost> host_;
  Role* role_ = nullptr;  // owned by host_
};

}  // namespace eyrie::volery
