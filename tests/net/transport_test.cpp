// The live runtime inside one process: loops, nodes and external endpoints over real ZeroMQ
// sockets on 127.0.0.1, and a raw DEALER that feeds a node garbage.

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <zmq.hpp>

#include "runtime/net/frame_codec.hpp"
#include "runtime/net/node_host.hpp"
#include "runtime/net/routing_identity.hpp"
#include "tests/net/test_cluster.hpp"

namespace eyrie::net {
namespace {

using testing::parse_cluster;
using testing::run_loops_until;
using testing::TempDir;

constexpr MessageType kEchoMe{4000};   // answered with kEchoed, same payload
constexpr MessageType kEchoed{4001};
constexpr MessageType kThrow{4002};    // makes the handler throw
constexpr std::array<MessageTypeRange, 1> kTestTypes{MessageTypeRange{kEchoMe, kThrow}};

// Echoes kEchoMe back to its sender and records everything it receives.
class ReflectorRole final : public Role {
 public:
  explicit ReflectorRole(Env& env) : env_(env) {}
  std::string_view name() const override { return "reflector"; }
  std::span<const MessageTypeRange> message_types() const override { return kTestTypes; }
  void start() override {}
  void on_message(const Message& m) override {
    received.push_back(m);
    if (m.type == kThrow) throw std::runtime_error("handler failure on purpose");
    if (m.type == kEchoMe) env_.send(m.from, kEchoed, m.payload);
  }
  std::vector<Message> received;

 private:
  Env& env_;
};

// A host whose factory adds one ReflectorRole, reachable through reflector().
struct ReflectorHost {
  ReflectorHost(const ClusterConfig& config, NodeId id, LogSink& sink, Duration probe = Duration::zero())
      : host(config, options(id, sink, probe)) {
    host.start();
  }
  NodeHostOptions options(NodeId id, LogSink& sink, Duration probe) {
    NodeHostOptions o;
    o.id = id;
    o.make_roles = [this](Env& env) {
      std::vector<std::unique_ptr<Role>> roles;
      auto role = std::make_unique<ReflectorRole>(env);
      reflector = role.get();
      roles.push_back(std::move(role));
      return roles;
    };
    o.log_level = LogLevel::error;
    o.log_sink = &sink;
    o.stats_probe_interval = probe;
    return o;
  }
  ReflectorRole* reflector = nullptr;
  NodeHost host;
};

class TransportTest : public ::testing::Test {
 protected:
  ClusterConfig config(int nodes, const std::string& extra = "") {
    return parse_cluster(testing::cluster_toml(nodes, {}, extra), dir.path());
  }
  TempDir dir;
  NullLogSink sink;
};

TEST(EventLoop, timersFireInDueOrderAndCancelledOnesNever) {
  EventLoop loop;
  std::vector<int> fired;
  loop.after(std::chrono::milliseconds(20), [&] { fired.push_back(2); });
  loop.after(std::chrono::milliseconds(5), [&] { fired.push_back(1); });
  const TimerId cancelled = loop.after(std::chrono::milliseconds(10), [&] { fired.push_back(99); });
  loop.cancel(cancelled);
  loop.cancel(cancelled);  // twice is fine
  ASSERT_TRUE(loop.run_until([&] { return fired.size() == 2; }, EventLoop::now() + std::chrono::seconds(5)));
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
}

TEST(EventLoop, deferredCallsRunLaterInOrderAndWatchedFdsCallBack) {
  EventLoop loop;
  std::vector<int> order;
  loop.defer([&] {
    order.push_back(1);
    loop.defer([&] { order.push_back(3); });  // next turn
  });
  loop.defer([&] { order.push_back(2); });
  EXPECT_TRUE(order.empty());
  loop.run_turn(Duration::zero());
  EXPECT_EQ(order, (std::vector<int>{1, 2}));

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  int readable = 0;
  const WatchId watch = loop.watch_fd(fds[0], ZMQ_POLLIN, [&](short) {
    char c;
    ASSERT_EQ(::read(fds[0], &c, 1), 1);
    ++readable;
  });
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  ASSERT_TRUE(loop.run_until([&] { return readable == 1; }, EventLoop::now() + std::chrono::seconds(5)));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  loop.unwatch(watch);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(EventLoop, exceptionFromACallbackGoesToTheHandler) {
  EventLoop loop;
  std::string seen;
  loop.set_exception_handler([&](std::string_view, std::string_view what) { seen = what; });
  loop.defer([] { throw std::runtime_error("boom"); });
  bool after = false;
  loop.defer([&] { after = true; });
  loop.run_turn(Duration::zero());
  EXPECT_EQ(seen, "boom");
  EXPECT_TRUE(after);
}

TEST_F(TransportTest, nodesExchangeMessagesBothWaysAndToSelfNeverInline) {
  const ClusterConfig cluster = config(2);
  ReflectorHost a(cluster, NodeId{1}, sink);
  ReflectorHost b(cluster, NodeId{2}, sink);
  for (int i = 0; i < 300; ++i) a.host.env().send(NodeId{2}, kEchoMe, Payload::copy_of("m" + std::to_string(i)));
  a.host.env().send(NodeId{1}, kEchoMe, Payload::copy_of("self"));
  EXPECT_TRUE(a.reflector->received.empty());
  // IMMEDIATE drops what is sent before a link is up, in each direction: b's echoes are lost
  // until b's own link to a is connected, which may be well after a's link to b on a loaded
  // machine. So keep sending until an echo has come back, not merely until b got something.
  const bool ok = run_loops_until({&a.host.loop(), &b.host.loop()}, [&] {
    const bool echoed = std::count_if(a.reflector->received.begin(), a.reflector->received.end(),
                                      [](const Message& m) { return m.type == kEchoed && m.from == NodeId{2}; }) > 0;
    if (!echoed) a.host.env().send(NodeId{2}, kEchoMe, Payload::copy_of("again"));
    return echoed;
  });
  ASSERT_TRUE(ok);
  const auto& received = a.reflector->received;
  const auto to_self = std::find_if(received.begin(), received.end(), [](const Message& m) { return m.type == kEchoMe; });
  ASSERT_NE(to_self, received.end());
  EXPECT_EQ(to_self->from, NodeId{1});
  EXPECT_EQ(to_self->payload.as_string_view(), "self");
  EXPECT_GT(b.host.metrics().counter_value("transport.messages_received"), 0u);
}

TEST_F(TransportTest, sendToAnUnconnectedPeerIsDroppedAndCounted) {
  const ClusterConfig cluster = config(2);
  ReflectorHost a(cluster, NodeId{1}, sink);  // node 2 never starts
  a.host.env().send(NodeId{2}, kEchoMe, Payload::copy_of("lost"));
  a.host.env().send(NodeId{77}, kEchoMe, Payload::copy_of("nobody"));
  a.host.loop().run_turn(Duration::zero());
  EXPECT_EQ(a.host.metrics().counter_value("transport.hwm_drops"), 1u);
  EXPECT_EQ(a.host.metrics().counter_value("transport.unroutable_drops"), 1u);
}

TEST_F(TransportTest, externalEndpointTalksToNodesAndProbesStats) {
  const ClusterConfig cluster = config(2);
  ReflectorHost n1(cluster, NodeId{1}, sink);
  ReflectorHost n2(cluster, NodeId{2}, sink);
  ReflectorHost client(cluster, random_external_id(), sink, std::chrono::milliseconds(20));
  const bool ok = run_loops_until({&n1.host.loop(), &n2.host.loop(), &client.host.loop()}, [&] {
    auto& received = client.reflector->received;
    const bool both = std::any_of(received.begin(), received.end(), [](auto& m) { return m.from == NodeId{1}; }) &&
                      std::any_of(received.begin(), received.end(), [](auto& m) { return m.from == NodeId{2}; });
    if (!both) {
      client.host.env().send(NodeId{1}, kEchoMe, Payload::copy_of("hi"));
      client.host.env().send(NodeId{2}, kEchoMe, Payload::copy_of("hi"));
    }
    return both && client.host.stats_probe()->latest().size() == 2;
  });
  ASSERT_TRUE(ok);
  const NodeStats* stats = client.host.stats_probe()->find(NodeId{2});
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->node, NodeId{2});
  EXPECT_GT(stats->uptime, Duration::zero());
  EXPECT_GE(stats->counter("transport.messages_received").value_or(0), 1u);
  EXPECT_GE(stats->counter("stats.requests").value_or(0), 1u);
}

// Builds a frame as a raw peer would, with `from` in every envelope.
zmq::message_t frame_from(NodeId from, MessageType type, std::string_view body) {
  std::vector<OutgoingMessage> one{{type, Payload::copy_of(body)}};
  zmq::message_t out;
  pack_frames(from, one, 1 << 16, [&](zmq::message_t&& frame, std::size_t) { out = std::move(frame); });
  return out;
}

TEST_F(TransportTest, liveNodeSurvivesGarbageFromARawDealerAndStillServesIt) {
  const ClusterConfig cluster = config(1, "[transport]\nframe_bytes_max = 65536\n");
  ReflectorHost node(cluster, NodeId{1}, sink);
  const NodeId raw_id{0xabcdef1234ULL};
  zmq::context_t context;
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::routing_id, encode_identity(raw_id));
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(cluster.nodes[0].endpoint());

  dealer.send(zmq::str_buffer("garbage that is not a frame"), zmq::send_flags::none);
  dealer.send(zmq::buffer(std::string(64, '\xff')), zmq::send_flags::none);
  dealer.send(zmq::str_buffer("part one"), zmq::send_flags::sndmore);
  dealer.send(zmq::str_buffer("part two"), zmq::send_flags::none);
  dealer.send(frame_from(NodeId{1}, kEchoMe, "forged sender"), zmq::send_flags::none);
  dealer.send(frame_from(raw_id, MessageType{0}, "type zero"), zmq::send_flags::none);
  dealer.send(frame_from(raw_id, MessageType{9999}, "nobody handles this"), zmq::send_flags::none);
  dealer.send(frame_from(raw_id, kThrow, "make it throw"), zmq::send_flags::none);
  dealer.send(frame_from(raw_id, kEchoMe, "valid after all that"), zmq::send_flags::none);

  const Metrics& m = node.host.metrics();
  ASSERT_TRUE(run_loops_until({&node.host.loop()}, [&] { return node.reflector->received.size() == 2; }));
  EXPECT_EQ(m.counter_value("transport.malformed_frames"), 3u);
  EXPECT_EQ(m.counter_value("transport.wrong_sender_frames"), 1u);
  EXPECT_EQ(m.counter_value("transport.bad_type_frames"), 1u);
  EXPECT_EQ(m.counter_value("transport.unknown_type"), 1u);
  EXPECT_EQ(m.counter_value("node.handler_exceptions"), 1u);
  EXPECT_EQ(node.reflector->received.back().payload.as_string_view(), "valid after all that");

  // The node answers the raw peer through its ROUTER, by identity.
  zmq::message_t reply;
  ASSERT_TRUE(run_loops_until({&node.host.loop()}, [&] {
    return dealer.recv(reply, zmq::recv_flags::dontwait).has_value();
  }));
  std::vector<Message> decoded;
  ASSERT_EQ(FrameDecoder::decode_quietly(frame_payload(std::move(reply)), NodeId{1}, 1 << 16, decoded, nullptr),
            FrameError::none);
  ASSERT_EQ(decoded.size(), 1u);
  EXPECT_EQ(decoded[0].type, kEchoed);
  EXPECT_EQ(decoded[0].payload.as_string_view(), "valid after all that");
}

TEST_F(TransportTest, oversizedFrameIsRefusedAndTheNodeStaysUp) {
  const ClusterConfig cluster = config(1, "[transport]\nframe_bytes_max = 65536\n");
  ReflectorHost node(cluster, NodeId{1}, sink);
  zmq::context_t context;
  auto connect = [&](NodeId id) {
    zmq::socket_t dealer(context, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::routing_id, encode_identity(id));
    dealer.set(zmq::sockopt::linger, 0);
    dealer.connect(cluster.nodes[0].endpoint());
    return dealer;
  };
  // ZMQ_MAXMSGSIZE: ZeroMQ drops the connection that sends a frame past frame_bytes_max.
  zmq::socket_t big = connect(NodeId{0x100000});
  big.send(frame_from(NodeId{0x100000}, kEchoMe, std::string(100'000, 'b')), zmq::send_flags::none);
  zmq::socket_t small = connect(NodeId{0x100001});
  small.send(frame_from(NodeId{0x100001}, kEchoMe, "small"), zmq::send_flags::none);
  ASSERT_TRUE(run_loops_until({&node.host.loop()}, [&] { return node.reflector->received.size() == 1; }));
  // Give the big frame every chance to arrive (it must not): a second small message overtakes.
  small.send(frame_from(NodeId{0x100001}, kEchoMe, "small again"), zmq::send_flags::none);
  ASSERT_TRUE(run_loops_until({&node.host.loop()}, [&] { return node.reflector->received.size() >= 2; }));
  for (const Message& message : node.reflector->received) EXPECT_LT(message.payload.size(), 100u);
}

}  // namespace
}  // namespace eyrie::net
