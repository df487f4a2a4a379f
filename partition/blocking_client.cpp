#include "partition/blocking_client.hpp"

#include <array>

#include "multicast/message_types.hpp"
#include "partition/message_types.hpp"
#include "runtime/net/node_host.hpp"

namespace eyrie::partition {

namespace {
constexpr std::array<MessageTypeRange, 2> kTypes{kClientTypes,
                                                 MessageTypeRange{multicast::kProposeAck, multicast::kNotLeader}};
}  // namespace

class BlockingClient::Role final : public eyrie::Role {
 public:
  Role(Env& env, const multicast::RidgeConfig& ridge, const SsmrConfig& config, const oracle::PartitioningOracle& oracle,
       ClientOptions options)
      : client(env, ridge, config, oracle, options) {}
  std::string_view name() const override { return "client"; }
  std::span<const MessageTypeRange> message_types() const override { return kTypes; }
  void start() override { client.start(); }
  void on_message(const Message& message) override { client.on_message(message); }
  void check_invariants() const override { client.check_invariants(); }

  Client client;
};

BlockingClient::BlockingClient(const ClusterConfig& cluster, const multicast::RidgeConfig& ridge,
                               const SsmrConfig& config, const oracle::PartitioningOracle& oracle,
                               ClientOptions options, LogLevel log_level)
    : options_(options) {
  net::NodeHostOptions host_options;
  host_options.id = net::random_external_id();
  host_options.log_level = log_level;
  host_options.make_roles = [&](Env& env) {
    auto role = std::make_unique<Role>(env, ridge, config, oracle, options);
    role_ = role.get();
    std::vector<std::unique_ptr<eyrie::Role>> roles;
    roles.push_back(std::move(role));
    return roles;
  };
  host_ = std::make_unique<net::NodeHost>(cluster, std::move(host_options));
  host_->start();
}

BlockingClient::~BlockingClient() = default;

Client& BlockingClient::client() { return role_->client; }

bool BlockingClient::run_until(const std::function<bool()>& done, Duration limit) {
  return host_->run_until(done, limit);
}

CommandResult BlockingClient::call(Payload request) {
  auto result = std::make_shared<std::optional<CommandResult>>();
  run_until([&] { return client().can_submit(); }, options_.timeout);
  const auto seq = client().submit(std::move(request), [result](const CommandResult& r) { *result = r; });
  return wait_for(seq.value_or(0), result);
}

CommandResult BlockingClient::call(Payload request, std::vector<PartitionId> destinations) {
  auto result = std::make_shared<std::optional<CommandResult>>();
  run_until([&] { return client().can_submit(); }, options_.timeout);
  const auto seq =
      client().submit(std::move(request), std::move(destinations), [result](const CommandResult& r) { *result = r; });
  return wait_for(seq.value_or(0), result);
}

CommandResult BlockingClient::wait_for(std::uint64_t seq, const std::shared_ptr<std::optional<CommandResult>>& result) {
  if (seq == 0) {  // refused: the window stayed full, or no destination
    return CommandResult{.status = CommandResult::Status::timeout, .body = {}, .seq = 0, .destinations = {}};
  }
  // The client ends the command with `timeout` itself; the margin covers its timer's period.
  run_until([&] { return result->has_value(); }, options_.timeout + options_.retry_after);
  if (!result->has_value()) {
    return CommandResult{.status = CommandResult::Status::timeout, .body = {}, .seq = seq, .destinations = {}};
  }
  return **result;
}

}  // namespace eyrie::partition
