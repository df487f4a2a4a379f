#include "apps/volery/blocking_client.hpp"

#include <array>

#include "multicast/message_types.hpp"
#include "partition/message_types.hpp"
#include "runtime/net/node_host.hpp"

namespace eyrie::volery {

namespace {

// A gateway's traffic: S-SMR replies and emitted notifications, and Ridge's sender messages.
constexpr std::array<MessageTypeRange, 2> kTypes{partition::kClientTypes,
                                                 MessageTypeRange{multicast::kProposeAck, multicast::kNotLeader}};
constexpr std::size_t kPasswordBytes = 16;  // as ZooKeeper's

Reply connection_loss() {
  Reply r;
  r.result.code = Code::connection_loss;
  return r;
}

}  // namespace

VoleryCluster::VoleryCluster(ClusterConfig cluster)
    : config(std::move(cluster)),
      ridge(multicast::RidgeConfig::from(config)),
      ssmr(partition::SsmrConfig::from(config, ridge)),
      oracle(std::make_unique<VoleryOracle>(ssmr.placement)) {}

std::unique_ptr<const VoleryCluster> VoleryCluster::load(const std::filesystem::path& path) {
  return std::make_unique<const VoleryCluster>(ClusterConfig::load(path));
}

class BlockingVoleryClient::Role final : public eyrie::Role {
 public:
  Role(Env& env, const VoleryCluster& cluster, VoleryClientOptions options)
      : client(env, cluster.ridge, cluster.ssmr, *cluster.oracle, options) {}
  std::string_view name() const override { return "volery-client"; }
  std::span<const MessageTypeRange> message_types() const override { return kTypes; }
  void start() override { client.start(); }
  void on_message(const Message& message) override { client.on_message(message); }
  void check_invariants() const override { client.check_invariants(); }

  VoleryClient client;
};

BlockingVoleryClient::BlockingVoleryClient(const VoleryCluster& cluster, BlockingVoleryClientOptions options)
    : options_(options) {
  net::NodeHostOptions host_options;
  host_options.id = net::random_external_id();
  host_options.log_level = options.log_level;
  host_options.make_roles = [&](Env& env) {
    auto role = std::make_unique<Role>(env, cluster, options.client);
    role_ = role.get();
    std::vector<std::unique_ptr<eyrie::Role>> roles;
    roles.push_back(std::move(role));
    return roles;
  };
  host_ = std::make_unique<net::NodeHost>(cluster.config, std::move(host_options));
  role_->client.set_on_event([this](const WatchEvent& event) {
    if (events_.size() >= options_.queued_max) {
      ++dropped_;
      return;
    }
    events_.push_back(event);
  });
  role_->client.set_on_expired([this](SessionId session) {
    if (expired_.size() >= options_.queued_max) {
      ++dropped_;
      return;
    }
    expired_.push_back(session);
  });
  host_->start();
}

BlockingVoleryClient::~BlockingVoleryClient() = default;

VoleryClient& BlockingVoleryClient::client() { return role_->client; }

NodeId BlockingVoleryClient::endpoint() const { return host_->id(); }

bool BlockingVoleryClient::run_until(const std::function<bool()>& done, Duration limit) {
  return host_->run_until(done, limit);
}

Reply BlockingVoleryClient::wait_for(const std::shared_ptr<std::optional<Reply>>& reply) {
  run_until([&] { return reply->has_value(); }, options_.wait_limit);
  return reply->has_value() ? **reply : connection_loss();
}

Reply BlockingVoleryClient::open_session(std::int32_t timeout_ms) {
  std::string password(kPasswordBytes, '\0');
  for (char& c : password) c = static_cast<char>(host_->env().rng().uniform(256));
  // The callback may outlive this call (a reply after the wait limit): it holds its own slot.
  auto reply = std::make_shared<std::optional<Reply>>();
  client().open_session(timeout_ms, std::move(password), [reply](const Reply& r) { *reply = r; });
  return wait_for(reply);
}

Reply BlockingVoleryClient::call(SessionId session, Op op) {
  auto reply = std::make_shared<std::optional<Reply>>();
  client().submit(session, std::move(op), [reply](const Reply& r) { *reply = r; });
  return wait_for(reply);
}

void BlockingVoleryClient::submit(SessionId session, Op op, VoleryClient::ReplyCallback done) {
  client().submit(session, std::move(op), std::move(done));
}

std::vector<WatchEvent> BlockingVoleryClient::take_events() {
  std::vector<WatchEvent> out(std::make_move_iterator(events_.begin()), std::make_move_iterator(events_.end()));
  events_.clear();
  return out;
}

std::vector<SessionId> BlockingVoleryClient::take_expired() {
  std::vector<SessionId> out(expired_.begin(), expired_.end());
  expired_.clear();
  return out;
}

}  // namespace eyrie::volery
