#include "runtime/net/stats_roles.hpp"

#include <array>
#include <charconv>

#include "runtime/capnp_codec.hpp"
#include "runtime/net/stats.capnp.h"

namespace eyrie::net {

namespace {

constexpr std::array<MessageTypeRange, 1> kResponderTypes{MessageTypeRange{kStatsRequest, kStatsRequest}};
constexpr std::array<MessageTypeRange, 1> kProbeTypes{MessageTypeRange{kStatsResponse, kStatsResponse}};
constexpr std::size_t kMetricsJsonBytesMax = 16 << 20;

}  // namespace

std::optional<std::uint64_t> json_counter(std::string_view json, std::string_view name) {
  // Metrics::to_json() writes {"counters":{"a":1,...},"histograms":{...}} with names that need
  // no escaping, so a textual search inside the counters object is exact.
  const std::string_view opening = "{\"counters\":{";
  if (json.substr(0, opening.size()) != opening) return std::nullopt;
  const std::size_t close = json.find('}', opening.size());
  const std::string_view counters = json.substr(opening.size(), close - opening.size());
  const std::string needle = "\"" + std::string(name) + "\":";
  std::size_t at = counters.find(needle);
  while (at != std::string_view::npos && at != 0 && counters[at - 1] != ',') at = counters.find(needle, at + 1);
  if (at == std::string_view::npos) return std::nullopt;
  const char* first = counters.data() + at + needle.size();
  std::uint64_t value = 0;
  const auto result = std::from_chars(first, counters.data() + counters.size(), value);
  if (result.ec != std::errc{}) return std::nullopt;
  return value;
}

std::optional<HistogramSummary> json_histogram(std::string_view json, std::string_view name) {
  // Metrics::to_json() writes ..."histograms":{"a":{"count":1,"min":..,"p50":..,"p90":..,"p99":..,
  // "max":..,"mean":..},...}} in that field order, with names that need no escaping.
  const std::string_view opening = "\"histograms\":{";
  const std::size_t histograms = json.find(opening);
  if (histograms == std::string_view::npos) return std::nullopt;
  const std::string needle = "\"" + std::string(name) + "\":{";
  std::size_t at = json.find(needle, histograms + opening.size());
  // A match must start an entry: right after the opening brace or after the previous entry.
  while (at != std::string_view::npos && json[at - 1] != '{' && json[at - 1] != ',') at = json.find(needle, at + 1);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view entry = json.substr(at + needle.size(), json.find('}', at + needle.size()) - at - needle.size());
  const auto field = [entry](std::string_view key, auto& out) {
    const std::string k = "\"" + std::string(key) + "\":";
    const std::size_t pos = entry.find(k);
    if (pos == std::string_view::npos) return false;
    const char* first = entry.data() + pos + k.size();
    return std::from_chars(first, entry.data() + entry.size(), out).ec == std::errc{};
  };
  HistogramSummary h;
  if (!field("count", h.count) || !field("min", h.min) || !field("p50", h.p50) || !field("p90", h.p90) ||
      !field("p99", h.p99) || !field("max", h.max)) {
    return std::nullopt;
  }
  return h;
}

std::optional<std::uint64_t> NodeStats::counter(std::string_view name) const { return json_counter(metrics_json, name); }
std::optional<HistogramSummary> NodeStats::histogram(std::string_view name) const {
  return json_histogram(metrics_json, name);
}

StatsResponder::StatsResponder(Env& env, Time started_at) : env_(env), started_at_(started_at) {}

std::span<const MessageTypeRange> StatsResponder::message_types() const { return kResponderTypes; }

void StatsResponder::on_message(const Message& message) {
  std::uint64_t seq = 0;
  std::string error;
  if (!read_capnp<StatsRequest>(message.payload, [&](StatsRequest::Reader r) { seq = r.getSeq(); }, &error)) {
    env_.metrics().counter("stats.rejected").add();
    if (reject_log_.should_log()) env_.log().warn("bad stats request from {}: {}", to_string(message.from), error);
    return;
  }
  env_.metrics().counter("stats.requests").add();
  capnp::MallocMessageBuilder builder;
  auto response = builder.initRoot<StatsResponse>();
  response.setSeq(seq);
  response.setNode(env_.self().value);
  response.setUptimeNs(to_ns(env_.now() - started_at_));
  response.setMetricsJson(env_.metrics().to_json());
  env_.send(message.from, kStatsResponse, encode_capnp(builder));
}

StatsProbe::StatsProbe(Env& env, Options options) : env_(env), options_(std::move(options)) {}

std::span<const MessageTypeRange> StatsProbe::message_types() const { return kProbeTypes; }

void StatsProbe::start() { round(); }

void StatsProbe::round() {
  probe_now();
  env_.after(options_.interval, [this] { round(); });
}

void StatsProbe::probe_now() {
  for (NodeId node : options_.nodes) {
    const std::uint64_t seq = next_seq_++;
    capnp::MallocMessageBuilder builder;
    builder.initRoot<StatsRequest>().setSeq(seq);
    env_.send(node, kStatsRequest, encode_capnp(builder));
    outstanding_[node] = {seq, env_.now()};
  }
}

const NodeStats* StatsProbe::find(NodeId node) const {
  auto it = latest_.find(node);
  return it == latest_.end() ? nullptr : &it->second;
}

void StatsProbe::on_message(const Message& message) {
  NodeStats stats;
  stats.node = message.from;
  stats.received_at = env_.now();
  std::uint64_t seq = 0;
  std::uint64_t node = 0;
  std::string error;
  const bool ok = read_capnp<StatsResponse>(message.payload, [&](StatsResponse::Reader r) {
    if (r.getMetricsJson().size() > kMetricsJsonBytesMax) throw std::invalid_argument("metrics too large");
    seq = r.getSeq();
    node = r.getNode();
    stats.uptime = Duration{r.getUptimeNs()};
    stats.metrics_json = r.getMetricsJson().cStr();
  }, &error);
  if (ok && node != message.from.value) error = "response names another node";
  auto pending = outstanding_.find(message.from);
  if (ok && error.empty() && (pending == outstanding_.end() || seq > pending->second.first)) {
    error = "response to a request never sent";
  }
  if (!error.empty()) {
    env_.metrics().counter("stats.rejected").add();
    if (reject_log_.should_log()) env_.log().warn("bad stats response from {}: {}", to_string(message.from), error);
    return;
  }
  // Answers to earlier requests are still news; only the round trip needs the latest request.
  if (seq == pending->second.first) stats.round_trip = stats.received_at - pending->second.second;
  NodeStats& slot = latest_[message.from];
  stats.responses = slot.responses + 1;
  slot = std::move(stats);
}

}  // namespace eyrie::net
