#include "runtime/net/node_host.hpp"

#include "runtime/net/file_storage.hpp"
#include "runtime/net/stop_signal.hpp"

namespace eyrie::net {

namespace {

LogSink& sink_or_default(const NodeHostOptions& options, std::unique_ptr<LogSink>& owned) {
  if (options.log_sink) return *options.log_sink;
  owned = std::make_unique<StderrLogSink>(to_string(options.id));
  return *owned;
}

const ClusterConfig& checked(const ClusterConfig& config, NodeId id) {
  if (id.value == 0 || (!id.is_external() && config.find(id) == nullptr)) {
    throw ConfigError(config.file + ": no node with id " + std::to_string(id.value) + " in [[nodes]]");
  }
  return config;
}

}  // namespace

NodeId random_external_id() {
  constexpr std::uint64_t kFirst = NodeId::kClusterNodeIdMax + 1;
  return NodeId{kFirst + os_random_u64() % (UINT64_MAX - kFirst)};
}

NodeHost::NodeHost(const ClusterConfig& config, NodeHostOptions options)
    : config_(checked(config, options.id)),
      options_(std::move(options)),
      log_(sink_or_default(options_, owned_sink_), "", options_.log_level),
      host_log_(log_.child("host")),
      started_at_(EventLoop::now()),
      transport_(loop_, config_, options_.id, metrics_, log_.child("transport"),
                 [this](const Message& m) { dispatch(m); }),
      unknown_type_(metrics_.counter("transport.unknown_type")),
      handler_exceptions_(metrics_.counter("node.handler_exceptions")) {
  loop_.set_exception_handler([this](std::string_view where, std::string_view what) { on_exception(where, what); });
  storage_ = make_storage();
  env_ = std::make_unique<RealEnv>(loop_, transport_, *storage_, log_, metrics_);
  roles_.push_back(std::make_unique<StatsResponder>(*env_, started_at_));
  if (options_.stats_probe_interval > Duration::zero()) {
    StatsProbe::Options probe;
    probe.interval = options_.stats_probe_interval;
    for (const NodeConfig& node : config_.nodes) {
      if (node.id != options_.id) probe.nodes.push_back(node.id);
    }
    auto role = std::make_unique<StatsProbe>(*env_, std::move(probe));
    probe_ = role.get();
    roles_.push_back(std::move(role));
  }
  if (options_.make_roles) {
    for (auto& role : options_.make_roles(*env_)) roles_.push_back(std::move(role));
  }
  for (auto& role : roles_) dispatcher_.add(*role);
}

NodeHost::~NodeHost() = default;

std::unique_ptr<Storage> NodeHost::make_storage() {
  if (options_.id.is_external() || !options_.durable_storage) {
    return std::make_unique<MemoryStorage>([this](std::function<void()> fn) { loop_.defer(std::move(fn)); });
  }
  return std::make_unique<FileStorage>(loop_, [&] {
    FileStorageOptions storage;
    storage.dir = config_.node_dir(options_.id);
    return storage;
  }(), metrics_,
                                       log_.child("storage"));
}

void NodeHost::start() {
  transport_.start();
  for (auto& role : roles_) {
    if (auto* io = dynamic_cast<LoopRole*>(role.get())) io->attach(loop_);
  }
  for (auto& role : roles_) {
    try {
      role->start();
    } catch (const std::exception& e) {
      on_exception(role->name(), e.what());
    }
  }
  host_log_.info("started with roles: {}", [&] {
    std::string names;
    for (const auto& role : roles_) names += (names.empty() ? "" : ", ") + std::string(role->name());
    return names;
  }());
}

int NodeHost::run_until_stop_signal() {
  StopSignal signal;
  signal.stop_on_signal(loop_);
  loop_.run();
  const int received = signal.received();
  if (received != 0) host_log_.info("stopping on signal {}", received);
  return received;
}

bool NodeHost::run_until(const std::function<bool()>& done, Duration timeout) {
  return loop_.run_until(done, EventLoop::now() + timeout);
}

void NodeHost::dispatch(const Message& message) {
  Role* role = dispatcher_.find(message.type);
  if (role == nullptr) {
    unknown_type_.add();
    if (unknown_type_log_.should_log()) {
      host_log_.warn("dropped message of unknown type {} from {} ({} so far)", message.type.value,
                to_string(message.from), unknown_type_log_.seen());
    }
    return;
  }
  try {
    role->on_message(message);
  } catch (const std::exception& e) {
    on_exception(role->name(), e.what());
  } catch (...) {
    on_exception(role->name(), "an exception that is not a std::exception");
  }
}

void NodeHost::on_exception(std::string_view where, std::string_view what) {
  handler_exceptions_.add();
  if (exception_log_.should_log()) {
    host_log_.error("exception escaped {}: {} ({} so far; the node stays up)", where, what, exception_log_.seen());
  }
}

}  // namespace eyrie::net
