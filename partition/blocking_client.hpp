#pragma once
// BlockingClient: synchronous submission for programs that are not event-driven (a command-
// line tool, a test's main). It runs a partition::Client as the one role of its own external
// endpoint (a fresh id, an event loop over ZeroMQ) and turns the loop only while a call waits.
// Event-driven programs use partition::Client directly (asynchronous: submit with a callback).
// Target eyrie_partition_client (the runtime over ZeroMQ; eyrie_partition stays sans-IO).

#include <functional>
#include <memory>

#include "partition/client.hpp"
#include "runtime/config.hpp"

namespace eyrie::net {
class NodeHost;
}

namespace eyrie::partition {

class BlockingClient {
 public:
  // Starts the endpoint. Preconditions: the configurations and the oracle outlive the client.
  BlockingClient(const ClusterConfig& cluster, const multicast::RidgeConfig& ridge, const SsmrConfig& config,
                 const oracle::PartitioningOracle& oracle, ClientOptions options = {},
                 LogLevel log_level = LogLevel::warn);
  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // Submits to the oracle's destinations (or to `destinations`) and waits for the result: the
  // reply, or Status::timeout after ClientOptions::timeout (the command may still apply).
  CommandResult call(Payload request);
  CommandResult call(Payload request, std::vector<PartitionId> destinations);

  // The asynchronous client underneath, for pipelining from a blocking program: submit()
  // several, then run_until() their callbacks ran.
  Client& client();
  bool run_until(const std::function<bool()>& done, Duration limit);

 private:
  CommandResult wait_for(std::uint64_t seq, const std::shared_ptr<std::optional<CommandResult>>& result);

  class Role;
  ClientOptions options_;
  std::unique_ptr<net::NodeHost> host_;
  Role* role_ = nullptr;  // owned by host_
};

}  // namespace eyrie::partition
