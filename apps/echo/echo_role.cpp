#include "apps/echo/echo_role.hpp"

#include <algorithm>
#include <cstring>

#include "apps/echo/echo.capnp.h"
#include "runtime/assert.hpp"
#include "runtime/capnp_codec.hpp"
#include "runtime/hash.hpp"

namespace eyrie::echo {

namespace {

constexpr std::string_view kIncarnationKey = "echo/incarnation";
constexpr std::array<MessageTypeRange, 1> kTypes{message_types::kEcho};
constexpr std::size_t kBodyBytesMax = 1 << 20;

std::uint64_t decode_u64(const Payload& p) {
  std::uint64_t v = 0;
  if (p.size() == sizeof v) std::memcpy(&v, p.data(), sizeof v);
  return v;
}

Payload encode_u64(std::uint64_t v) {
  return Payload::copy_of(std::span<const std::byte>(reinterpret_cast<const std::byte*>(&v), sizeof v));
}

std::span<const std::byte> as_bytes(capnp::Data::Reader data) {
  return {reinterpret_cast<const std::byte*>(data.begin()), data.size()};
}

}  // namespace

EchoOptions EchoOptions::from_config(const ClusterConfig& config, NodeId self) {
  EchoOptions options;
  const ConfigSection section = config.section("echo");
  options.interval = section.milliseconds("interval_ms", std::chrono::milliseconds(100),
                                          std::chrono::milliseconds(1), std::chrono::seconds(3600));
  options.body_bytes = static_cast<std::size_t>(
      section.integer("body_bytes", 32, 0, static_cast<std::int64_t>(kBodyBytesMax)));
  section.reject_unknown_keys();
  for (const NodeConfig& node : config.nodes) {
    if (node.id != self) options.peers.push_back(node.id);
  }
  return options;
}

EchoRole::EchoRole(Env& env, EchoOptions options, EchoObserver* observer)
    : env_(env),
      options_(std::move(options)),
      observer_(observer),
      log_(env.log().child("echo")),
      rejected_(env.metrics().counter("echo.rejected")),
      rtt_(env.metrics().histogram("echo.rtt_ns")) {
  for (NodeId peer : options_.peers) {
    peers_[peer].pongs_metric = &env.metrics().counter("echo.pongs_from." + to_string(peer));
  }
}

std::span<const MessageTypeRange> EchoRole::message_types() const { return kTypes; }

std::uint64_t EchoRole::hash_body(std::span<const std::byte> body) { return fnv1a64(body); }

void EchoRole::start() {
  // A fresh incarnation must be durable before it is used: otherwise a crash right after the
  // first ping could make the next boot reuse the number, and pongs from two lives would mix.
  const std::optional<Payload> stored = env_.storage().get(kIncarnationKey);
  const std::uint64_t previous = stored ? decode_u64(*stored) : 0;
  const std::uint64_t next = previous + 1;
  env_.storage().put(kIncarnationKey, encode_u64(next));
  env_.storage().sync([this, next] { booted(next); });
}

void EchoRole::booted(std::uint64_t incarnation) {
  EYRIE_ASSERT(!incarnation_.has_value());
  incarnation_ = incarnation;
  log_.info("incarnation {} ready; pinging {} peers every {}", incarnation, options_.peers.size(),
            to_string(options_.interval));
  if (observer_) observer_->booted(env_.self(), incarnation);
  if (options_.send_pings && !options_.peers.empty()) ping_round();
}

void EchoRole::ping_round() {
  for (NodeId peer : options_.peers) {
    capnp::MallocMessageBuilder builder;
    auto ping = builder.initRoot<wire::Ping>();
    const std::uint64_t seq = next_seq_++;
    ping.setSeq(seq);
    ping.setIncarnation(*incarnation_);
    ping.setSentAtNs(to_ns(env_.now()));
    auto body = ping.initBody(static_cast<unsigned>(options_.body_bytes));
    for (auto& byte : body) byte = static_cast<capnp::byte>(env_.rng().next_u64());
    if (observer_) {
      observer_->ping_sent(EchoEvent{.from = env_.self(), .to = peer, .seq = seq,
                                     .ping_incarnation = *incarnation_, .body_hash = hash_body(as_bytes(body))});
    }
    env_.send(peer, kPing, encode_capnp(builder));
    ++peers_.at(peer).pings_sent;
  }
  env_.after(options_.interval, [this] { ping_round(); });
}

void EchoRole::on_message(const Message& message) {
  if (message.type == kPing) {
    on_ping(message);
  } else if (message.type == kPong) {
    on_pong(message);
  } else {
    reject(message, "unknown echo message type");
  }
}

void EchoRole::on_ping(const Message& message) {
  // Before the boot counter is durable this node has no incarnation to answer with.
  if (!options_.answer_pings || !incarnation_) return;
  capnp::MallocMessageBuilder builder;
  auto pong = builder.initRoot<wire::Pong>();
  std::uint64_t body_hash = 0;
  std::string error;
  const bool ok = read_capnp<wire::Ping>(message.payload, [&](wire::Ping::Reader ping) {
    if (ping.getBody().size() > kBodyBytesMax) throw std::invalid_argument("ping body too large");
    pong.setSeq(ping.getSeq());
    pong.setPingIncarnation(ping.getIncarnation());
    pong.setResponderIncarnation(*incarnation_);
    pong.setSentAtNs(ping.getSentAtNs());
    pong.setBody(ping.getBody());
    body_hash = hash_body(as_bytes(ping.getBody()));
  }, &error);
  if (!ok) return reject(message, error);
  ++pings_answered_;
  if (observer_) {
    observer_->ping_answered(EchoEvent{.from = env_.self(), .to = message.from, .seq = pong.getSeq(),
                                       .ping_incarnation = pong.getPingIncarnation(),
                                       .responder_incarnation = *incarnation_, .body_hash = body_hash});
  }
  env_.send(message.from, kPong, encode_capnp(builder));
}

void EchoRole::on_pong(const Message& message) {
  EchoEvent event{.from = message.from, .to = env_.self()};
  std::int64_t sent_at_ns = 0;
  std::string error;
  const bool ok = read_capnp<wire::Pong>(message.payload, [&](wire::Pong::Reader pong) {
    event.seq = pong.getSeq();
    event.ping_incarnation = pong.getPingIncarnation();
    event.responder_incarnation = pong.getResponderIncarnation();
    event.body_hash = hash_body(as_bytes(pong.getBody()));
    sent_at_ns = pong.getSentAtNs();
  }, &error);
  if (!ok) return reject(message, error);
  auto peer = peers_.find(message.from);
  // Pongs to an earlier life carry another clock's timestamps, and pongs from strangers were
  // never asked for: both are ignored.
  if (!incarnation_ || event.ping_incarnation != *incarnation_ || peer == peers_.end()) return;
  if (sent_at_ns > to_ns(env_.now()) || event.seq >= next_seq_) return reject(message, "pong for a ping never sent");
  if (observer_) observer_->pong_received(event);
  PeerStats& stats = peer->second;
  ++stats.pongs_received;
  stats.pongs_metric->add();
  stats.last_pong = env_.now();
  stats.last_responder_incarnation = std::max(stats.last_responder_incarnation, event.responder_incarnation);
  rtt_.record(to_ns(env_.now()) - sent_at_ns);
  env_.metrics().counter("echo.pongs").add();
}

void EchoRole::reject(const Message& message, std::string_view why) {
  rejected_.add();
  log_.warn("dropped message type {} from {}: {}", message.type.value, to_string(message.from), why);
}

void EchoRole::check_invariants() const {
  for (const auto& [peer, stats] : peers_) {
    EYRIE_ASSERT(peer != env_.self(), "a node does not ping itself");
    EYRIE_ASSERT(stats.pongs_received == 0 || stats.last_pong.has_value());
  }
  EYRIE_ASSERT(!incarnation_ || *incarnation_ >= 1);
}

}  // namespace eyrie::echo
