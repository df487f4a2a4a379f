#pragma once
// ZmqTransport: the real network of one endpoint, over ZeroMQ.
//
// Topology. A cluster node binds one ROUTER at its NodeConfig::endpoint() and connects one
// DEALER to every other node's ROUTER, announcing its id as routing identity ("n3"). Messages
// to a cluster node leave through the DEALER to that node; messages to an external endpoint
// (a client or gateway, NodeId::is_external()) leave through the ROUTER, addressed by the
// external endpoint's identity. An external endpoint binds nothing: it connects a DEALER to
// every node and receives the nodes' replies on those same DEALERs. Every received frame thus
// has an authenticated sender: the routing identity on the ROUTER, the connected node on a
// DEALER. ZMQ_ROUTER_HANDOVER lets a restarted node (or client) take its identity back while
// the old connection has not timed out yet.
//
// Sending. Env::send only queues; at the end of each loop turn the messages queued for one
// destination are packed into as few frames as pack_bytes_max allows (frame_codec.hpp) and
// handed to ZeroMQ without blocking. Messages to self are delivered from the loop in the next
// turn, never inline.
//
// Limits, and what happens when one is reached (every drop counted, as if the network had
// lost the message; protocols already tolerate loss):
// - Per destination and turn, at most send_hwm_frames messages are queued; more are dropped
//   (transport.outbox_full_drops).
// - Per outgoing link, ZeroMQ queues at most send_hwm_frames frames (ZMQ_SNDHWM); a frame that
//   finds the queue full is dropped with all its messages (transport.hwm_drops). DEALERs use
//   ZMQ_IMMEDIATE, so a peer that is not connected right now also drops instead of buffering
//   stale messages for a node that may never come back.
// - A reply to an external endpoint that is not connected is dropped (ZMQ_ROUTER_MANDATORY
//   reports it; transport.unroutable_drops), as is a message to an id that is neither a
//   cluster node nor reachable.
// - Incoming: ZeroMQ queues at most receive_hwm_frames frames per connection (ZMQ_RCVHWM) and
//   then stops reading that connection (TCP back-pressure on the sender, no loss); frames
//   larger than frame_bytes_max make ZeroMQ drop the connection (ZMQ_MAXMSGSIZE). At most
//   receive_batch_max messages are handled per turn.
// - Shutdown waits at most kLingerMs for queued frames to leave.

#include <zmq.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "runtime/config.hpp"
#include "runtime/net/event_loop.hpp"
#include "runtime/net/frame_codec.hpp"

namespace eyrie::net {

class ZmqTransport {
 public:
  static constexpr int kLingerMs = 200;
  using DeliverFn = std::function<void(const Message&)>;

  // `config` must outlive the transport. `deliver` is called from the loop for every message
  // received (and every message to self).
  ZmqTransport(EventLoop& loop, const ClusterConfig& config, NodeId self, Metrics& metrics, Logger log,
               DeliverFn deliver);
  ~ZmqTransport();
  ZmqTransport(const ZmqTransport&) = delete;
  ZmqTransport& operator=(const ZmqTransport&) = delete;

  // Binds (cluster nodes) and connects. Throws zmq::error_t when the endpoint cannot be bound.
  void start();
  void send(NodeId to, MessageType type, Payload payload);
  NodeId self() const { return self_; }

 private:
  struct Outbox {
    std::vector<OutgoingMessage> messages;
    zmq::socket_t* dealer = nullptr;  // null: through the ROUTER (external) or to self
    bool queued = false;              // listed in dirty_
  };
  struct Link {
    NodeId peer;
    std::unique_ptr<zmq::socket_t> dealer;
  };

  void configure_common(zmq::socket_t& socket) const;
  void connect_dealer(const NodeConfig& peer);
  Outbox* outbox_for(NodeId to);
  void flush();
  void flush_outbox(NodeId to, Outbox& outbox);
  enum class SendResult { sent, queue_full, unroutable };
  SendResult send_frame(NodeId to, zmq::socket_t* dealer, zmq::message_t&& frame);
  void deliver_to_self(std::vector<OutgoingMessage>&& messages);
  void receive_router();
  void receive_dealer(const Link& link);
  void deliver_frame(zmq::message_t&& frame, NodeId sender);

  EventLoop& loop_;
  const ClusterConfig& config_;
  const TransportConfig& limits_;
  NodeId self_;
  Logger log_;
  DeliverFn deliver_;
  FrameDecoder decoder_;
  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> router_;
  std::vector<Link> links_;  // one DEALER per cluster node (but self)
  std::unordered_map<NodeId, Outbox> outboxes_;
  std::vector<NodeId> dirty_;     // outboxes with messages, in first-send order
  std::vector<Message> decoded_;  // reused between frames
  std::int64_t receive_budget_ = 0;
  LogLimiter drop_log_limiter_;
  Counter& frames_sent_;
  Counter& messages_sent_;
  Counter& outbox_full_drops_;
  Counter& hwm_drops_;
  Counter& unroutable_drops_;
};

}  // namespace eyrie::net
