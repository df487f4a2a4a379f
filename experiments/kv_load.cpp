#include "experiments/kv_load.hpp"

#include <array>

#include "multicast/message_types.hpp"
#include "partition/message_types.hpp"
#include "runtime/assert.hpp"
#include "tests/checkers/kv_service.hpp"

namespace eyrie::experiments {

namespace {
constexpr std::array<MessageTypeRange, 2> kClientTypes{
    partition::kClientTypes, MessageTypeRange{multicast::kProposeAck, multicast::kNotLeader}};

std::int64_t ns_of(Time t) { return t.time_since_epoch().count(); }
}  // namespace

void KvLoadCounts::merge(const KvLoadCounts& other) {
  issued += other.issued;
  multi_partition += other.multi_partition;
  ok += other.ok;
  failed += other.failed;
  timeouts += other.timeouts;
  completed_in_window += other.completed_in_window;
  latency_us.merge(other.latency_us);
  if (first_failure.empty()) first_failure = other.first_failure;
}

KvLoad::KvLoad(Env& env, const multicast::RidgeConfig& ridge, const partition::SsmrConfig& ssmr,
               const oracle::PartitioningOracle& oracle, KvLoadOptions options)
    : env_(env),
      options_(std::move(options)),
      oracle_(oracle),
      client_(env, ridge, ssmr, oracle, options_.client),
      rng_(options_.seed) {
  EYRIE_ASSERT(options_.workload != nullptr);
}

std::span<const MessageTypeRange> KvLoad::message_types() const { return kClientTypes; }

void KvLoad::start() {
  client_.start();
  top_up();
}

void KvLoad::read_back(const std::vector<std::string>& keys) {
  reads_left_.insert(reads_left_.end(), keys.begin(), keys.end());
  read_back_unanswered_ += keys.size();
  top_up();
}

bool KvLoad::idle() const { return env_.now() >= options_.stop_at && client_.outstanding() == 0 && reads_left_.empty(); }

void KvLoad::top_up() {
  while (client_.can_submit()) {
    if (!reads_left_.empty()) {
      std::string key = std::move(reads_left_.front());
      reads_left_.pop_front();
      issue(kv::Get{std::move(key)}, true);
    } else if (env_.now() < options_.stop_at) {
      issue(options_.workload->next(rng_, last_read_), false);
    } else {
      return;
    }
  }
}

void KvLoad::issue(kv::Request request, bool read_back) {
  std::optional<std::size_t> handle;
  if (options_.recorder != nullptr) {
    handle = options_.recorder->invoked(env_.self(), ns_of(env_.now()), check::kv::model_input(request));
  }
  Payload bytes = kv::encode(request);
  std::vector<oracle::PartitionId> destinations = oracle_.destinations(bytes.bytes());
  if (!read_back) {
    ++counts_.issued;
    if (destinations.size() > 1) ++counts_.multi_partition;
  }
  const auto seq = client_.submit(std::move(bytes), std::move(destinations),
                                  [this, request, handle, read_back, invoked = env_.now()](const partition::CommandResult& r) {
                                    completed(request, invoked, handle, read_back, r);
                                    top_up();
                                  });
  EYRIE_ASSERT(seq.has_value(), "issued with the client's window full");
}

void KvLoad::completed(const kv::Request& request, Time invoked, std::optional<std::size_t> handle, bool read_back,
                       const partition::CommandResult& result) {
  using Status = partition::CommandResult::Status;
  const Time now = env_.now();
  if (result.status == Status::timeout) {
    if (!read_back) ++counts_.timeouts;
    return;
  }
  std::string error;
  const std::optional<kv::Response> response =
      result.status == Status::ok ? kv::decode_response(result.body.bytes(), &error) : std::nullopt;
  if (!response) {
    ++counts_.failed;
    if (counts_.first_failure.empty()) {
      counts_.first_failure = result.status == Status::failed
                                  ? "command failed: " + std::string(reinterpret_cast<const char*>(result.body.data()), result.body.size())
                                  : "undecodable response: " + error;
    }
    return;
  }
  if (read_back) {
    --read_back_unanswered_;
  } else {
    ++counts_.ok;
  }
  if (!read_back && now >= options_.measure_from && now < options_.measure_until) {
    ++counts_.completed_in_window;
    counts_.latency_us.record(std::chrono::duration_cast<std::chrono::microseconds>(now - invoked).count());
  }
  if (const auto* get = std::get_if<kv::Get>(&request)) {
    if (const auto* v = std::get_if<kv::Value>(&*response)) last_read_[get->key] = v->value;
  }
  if (handle) options_.recorder->responded(*handle, ns_of(now), check::kv::model_output(*response));
}

}  // namespace eyrie::experiments
