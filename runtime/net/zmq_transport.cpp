#include "runtime/net/zmq_transport.hpp"

#include <algorithm>

#include "runtime/assert.hpp"
#include "runtime/net/routing_identity.hpp"

namespace eyrie::net {

namespace {

int milliseconds(Duration d) {
  return static_cast<int>(std::clamp<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count(),
                                                   1, 6'553'500));
}

// At most 32 characters of an untrusted identity, safe to put in a log line.
std::string printable(std::string_view text) {
  std::string out(text.substr(0, 32));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

}  // namespace

ZmqTransport::ZmqTransport(EventLoop& loop, const ClusterConfig& config, NodeId self, Metrics& metrics, Logger log,
                           DeliverFn deliver)
    : loop_(loop),
      config_(config),
      limits_(config.transport),
      self_(self),
      log_(std::move(log)),
      deliver_(std::move(deliver)),
      decoder_(metrics, log_, static_cast<std::size_t>(config.transport.frame_bytes_max)),
      context_(1),
      receive_budget_(config.transport.receive_batch_max),
      frames_sent_(metrics.counter("transport.frames_sent")),
      messages_sent_(metrics.counter("transport.messages_sent")),
      outbox_full_drops_(metrics.counter("transport.outbox_full_drops")),
      hwm_drops_(metrics.counter("transport.hwm_drops")),
      unroutable_drops_(metrics.counter("transport.unroutable_drops")) {
  EYRIE_ASSERT(self.is_external() || config.find(self) != nullptr, "a cluster node must be in the cluster file");
  loop_.at_turn_end([this] { flush(); });
}

ZmqTransport::~ZmqTransport() {
  // Sockets close (with their linger) before the context terminates.
  links_.clear();
  router_.reset();
}

void ZmqTransport::configure_common(zmq::socket_t& socket) const {
  socket.set(zmq::sockopt::linger, kLingerMs);
  socket.set(zmq::sockopt::sndhwm, static_cast<int>(limits_.send_hwm_frames));
  socket.set(zmq::sockopt::rcvhwm, static_cast<int>(limits_.receive_hwm_frames));
  socket.set(zmq::sockopt::maxmsgsize, limits_.frame_bytes_max);
  // ZeroMQ's own heartbeats (ZMTP PING/PONG) detect a dead peer whose TCP connection never
  // closed (a host that vanished), so queues to it stop filling and reconnects start.
  socket.set(zmq::sockopt::heartbeat_ivl, milliseconds(limits_.heartbeat_interval));
  socket.set(zmq::sockopt::heartbeat_timeout, milliseconds(limits_.heartbeat_timeout));
  socket.set(zmq::sockopt::heartbeat_ttl, milliseconds(limits_.heartbeat_timeout));
}

void ZmqTransport::start() {
  if (!self_.is_external()) {
    router_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::router);
    configure_common(*router_);
    router_->set(zmq::sockopt::router_mandatory, 1);
    router_->set(zmq::sockopt::router_handover, 1);
    router_->bind(config_.find(self_)->endpoint());
    loop_.watch_socket(*router_, ZMQ_POLLIN, [this](short) { receive_router(); });
  }
  for (const NodeConfig& node : config_.nodes) {
    if (node.id != self_) connect_dealer(node);
  }
  log_.info("transport up: {} as {}, {} peer links", self_.is_external() ? "external endpoint" : "node",
            encode_identity(self_), links_.size());
}

void ZmqTransport::connect_dealer(const NodeConfig& peer) {
  auto dealer = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  configure_common(*dealer);
  dealer->set(zmq::sockopt::routing_id, encode_identity(self_));
  dealer->set(zmq::sockopt::immediate, 1);
  dealer->set(zmq::sockopt::reconnect_ivl, milliseconds(limits_.reconnect_interval));
  dealer->set(zmq::sockopt::reconnect_ivl_max, milliseconds(limits_.reconnect_interval_max));
  dealer->connect(peer.endpoint());
  links_.push_back(Link{peer.id, std::move(dealer)});
  // The vector may grow, but the Link's socket lives on the heap, so capture the id.
  const NodeId id = peer.id;
  loop_.watch_socket(*links_.back().dealer, ZMQ_POLLIN, [this, id](short) {
    auto link = std::find_if(links_.begin(), links_.end(), [id](const Link& l) { return l.peer == id; });
    if (link != links_.end()) receive_dealer(*link);
  });
}

ZmqTransport::Outbox* ZmqTransport::outbox_for(NodeId to) {
  if (auto it = outboxes_.find(to); it != outboxes_.end()) return &it->second;
  zmq::socket_t* dealer = nullptr;
  if (!to.is_external() && to != self_) {
    auto link = std::find_if(links_.begin(), links_.end(), [to](const Link& l) { return l.peer == to; });
    if (link == links_.end()) return nullptr;  // not in the cluster file
    dealer = link->dealer.get();
  } else if (to.is_external() && to != self_ && !router_) {
    return nullptr;  // external endpoints talk only to cluster nodes
  }
  return &outboxes_.emplace(to, Outbox{.messages = {}, .dealer = dealer, .queued = false}).first->second;
}

void ZmqTransport::send(NodeId to, MessageType type, Payload payload) {
  Outbox* outbox = outbox_for(to);
  if (outbox == nullptr) {
    unroutable_drops_.add();
    return;
  }
  if (outbox->messages.size() >= static_cast<std::size_t>(limits_.send_hwm_frames)) {
    outbox_full_drops_.add();
    return;
  }
  if (!outbox->queued) {
    outbox->queued = true;
    dirty_.push_back(to);
    loop_.wake();
  }
  outbox->messages.push_back(OutgoingMessage{type, std::move(payload)});
}

void ZmqTransport::flush() {
  receive_budget_ = limits_.receive_batch_max;
  for (NodeId to : dirty_) {
    auto it = outboxes_.find(to);
    EYRIE_ASSERT(it != outboxes_.end());
    flush_outbox(to, it->second);
    // Outboxes of external endpoints come and go with clients; keep the map small.
    if (to.is_external() && to != self_) outboxes_.erase(it);
  }
  dirty_.clear();
}

void ZmqTransport::flush_outbox(NodeId to, Outbox& outbox) {
  outbox.queued = false;
  if (to == self_) {
    deliver_to_self(std::move(outbox.messages));
    outbox.messages.clear();
    return;
  }
  pack_frames(self_, outbox.messages, static_cast<std::size_t>(limits_.pack_bytes_max),
              [&](zmq::message_t&& frame, std::size_t count) {
                switch (send_frame(to, outbox.dealer, std::move(frame))) {
                  case SendResult::sent:
                    frames_sent_.add();
                    messages_sent_.add(count);
                    break;
                  case SendResult::queue_full: hwm_drops_.add(count); break;
                  case SendResult::unroutable: unroutable_drops_.add(count); break;
                }
              });
  outbox.messages.clear();
}

ZmqTransport::SendResult ZmqTransport::send_frame(NodeId to, zmq::socket_t* dealer, zmq::message_t&& frame) {
  try {
    if (dealer != nullptr) {
      return dealer->send(frame, zmq::send_flags::dontwait) ? SendResult::sent : SendResult::queue_full;
    }
    const std::string identity = encode_identity(to);
    if (!router_->send(zmq::buffer(identity), zmq::send_flags::dontwait | zmq::send_flags::sndmore)) {
      return SendResult::queue_full;
    }
    // Once the identity part is accepted, the rest of a multipart message is too.
    return router_->send(frame, zmq::send_flags::dontwait) ? SendResult::sent : SendResult::queue_full;
  } catch (const zmq::error_t& e) {
    // ZMQ_ROUTER_MANDATORY: the external endpoint is not connected (EHOSTUNREACH).
    if (drop_log_limiter_.should_log()) log_.debug("dropped a frame to {}: {}", to_string(to), e.what());
    return SendResult::unroutable;
  }
}

void ZmqTransport::deliver_to_self(std::vector<OutgoingMessage>&& messages) {
  loop_.defer([this, batch = std::move(messages)] {
    for (const OutgoingMessage& m : batch) deliver_(Message{self_, m.type, m.payload});
  });
}

void ZmqTransport::receive_router() {
  while (receive_budget_ > 0) {
    zmq::message_t identity;
    if (!router_->recv(identity, zmq::recv_flags::dontwait)) return;
    if (!identity.more()) {
      decoder_.reject(NodeId{}, "a message without a body");
      continue;
    }
    zmq::message_t body;
    (void)router_->recv(body);  // the parts of a multipart message arrive together
    if (body.more()) {
      while (body.more()) (void)router_->recv(body);
      decoder_.reject(NodeId{}, "a message with more than one part");
      continue;
    }
    const std::optional<NodeId> sender = parse_identity(identity.to_string_view());
    if (!sender || (!sender->is_external() && config_.find(*sender) == nullptr) || *sender == self_) {
      decoder_.reject(NodeId{}, "routing identity '" + printable(identity.to_string_view()) + "' names no peer");
      continue;
    }
    deliver_frame(std::move(body), *sender);
  }
}

void ZmqTransport::receive_dealer(const Link& link) {
  while (receive_budget_ > 0) {
    zmq::message_t body;
    if (!link.dealer->recv(body, zmq::recv_flags::dontwait)) return;
    if (body.more()) {
      while (body.more()) (void)link.dealer->recv(body);
      decoder_.reject(link.peer, "a message with more than one part");
      continue;
    }
    deliver_frame(std::move(body), link.peer);
  }
}

void ZmqTransport::deliver_frame(zmq::message_t&& frame, NodeId sender) {
  decoded_.clear();
  if (!decoder_.decode(frame_payload(std::move(frame)), sender, decoded_)) return;
  receive_budget_ -= static_cast<std::int64_t>(decoded_.size());
  for (const Message& message : decoded_) deliver_(message);
}

}  // namespace eyrie::net
