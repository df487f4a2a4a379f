// ZkTcpServer over real sockets, without a cluster behind the gateway: what the socket layer
// does by itself. A frame over the limit and a first packet that is no ConnectRequest close
// only their connection; connections beyond connections_max are closed at once; a client that
// goes away is forgotten. (Real ZooKeeper clients against a cluster: tests/compat/.)

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>

#include "apps/volery/blocking_client.hpp"
#include "apps/volery/gateway/tcp_server.hpp"
#include "multicast/message_types.hpp"
#include "partition/message_types.hpp"
#include "runtime/net/node_host.hpp"
#include "tests/net/test_cluster.hpp"

namespace eyrie::volery::zk {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSections = R"([ridge]
unique_timestamps = true

[[ridge.groups]]
id = 1
learners = [1]

[[ridge.ensembles]]
id = 1
group = 1
coordinators = [1]
acceptors = [1]
)";

// A gateway role: the client library and, once attached to the loop, the client port.
class Gateway final : public Role, public net::LoopRole {
 public:
  Gateway(Env& env, const VoleryCluster& cluster, ZkTcpServer*& server, std::size_t connections_max)
      : env_(env), client_(env, cluster.ridge, cluster.ssmr, *cluster.oracle), server_(server), max_(connections_max) {}
  std::string_view name() const override { return "test-gateway"; }
  std::span<const MessageTypeRange> message_types() const override { return kTypes; }
  void attach(net::EventLoop& loop) override {
    ZkTcpServerOptions options;
    options.port = 0;
    options.connections_max = max_;
    options.connection.max_frame_bytes = 1024;
    own_ = std::make_unique<ZkTcpServer>(loop, client_, options, env_.log().child("zk"));
    server_ = own_.get();
  }
  void start() override { client_.start(); }
  void on_message(const Message& message) override { client_.on_message(message); }

 private:
  static constexpr std::array<MessageTypeRange, 2> kTypes{
      partition::kClientTypes, MessageTypeRange{multicast::kProposeAck, multicast::kNotLeader}};
  Env& env_;
  VoleryClient client_;
  ZkTcpServer*& server_;
  std::size_t max_;
  std::unique_ptr<ZkTcpServer> own_;
};

class ZkTcpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_ = std::make_unique<net::NodeHost>(
        cluster_.config, net::NodeHostOptions{.id = net::random_external_id(),
                                              .make_roles = [this](Env& env) {
                                                std::vector<std::unique_ptr<Role>> roles;
                                                roles.push_back(std::make_unique<Gateway>(env, cluster_, server_, 3));
                                                return roles;
                                              },
                                              .log_level = LogLevel::off});
    host_->start();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    for (int fd : fds_) ::close(fd);
  }

  int connect_client() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(server_->port());
    ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    fds_.push_back(fd);
    return fd;
  }
  void send_bytes(int fd, const std::vector<std::uint8_t>& bytes) {
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  }
  // The server closed `fd` (EOF), while the loop runs.
  bool closed_by_server(int fd) {
    return host_->run_until(
        [fd] {
          char b;
          const ssize_t n = ::recv(fd, &b, 1, MSG_DONTWAIT);
          return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
        },
        10s);
  }
  bool still_open(int fd) {
    host_->run_until([] { return false; }, 300ms);
    char b;
    const ssize_t n = ::recv(fd, &b, 1, MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  net::testing::TempDir dir_;
  VoleryCluster cluster_{net::testing::parse_cluster(net::testing::cluster_toml(1, {"volery"}, std::string(kSections)),
                                                     dir_.path())};
  ZkTcpServer* server_ = nullptr;
  std::unique_ptr<net::NodeHost> host_;
  std::vector<int> fds_;
};

TEST_F(ZkTcpServerTest, aFrameOverTheLimitClosesOnlyItsConnection) {
  const int good = connect_client();
  const int bad = connect_client();
  send_bytes(bad, {0x00, 0x10, 0x00, 0x00});  // 1 MiB announced, the limit is 1 KiB
  EXPECT_TRUE(closed_by_server(bad));
  EXPECT_TRUE(still_open(good));
  EXPECT_EQ(server_->connections(), 1u);
}

TEST_F(ZkTcpServerTest, aFirstPacketThatIsNoConnectRequestCloses) {
  const int fd = connect_client();
  send_bytes(fd, {0x00, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03});
  EXPECT_TRUE(closed_by_server(fd));
}

TEST_F(ZkTcpServerTest, connectionsBeyondTheLimitAreClosedAtOnce) {
  const int a = connect_client();
  const int b = connect_client();
  const int c = connect_client();
  const int d = connect_client();
  EXPECT_TRUE(closed_by_server(d));
  EXPECT_TRUE(still_open(a));
  EXPECT_TRUE(still_open(b));
  EXPECT_TRUE(still_open(c));
  EXPECT_EQ(server_->connections(), 3u);
}

TEST_F(ZkTcpServerTest, aClientThatLeavesIsForgotten) {
  const int fd = connect_client();
  ASSERT_TRUE(host_->run_until([this] { return server_->connections() == 1; }, 5s));
  ::shutdown(fd, SHUT_RDWR);
  EXPECT_TRUE(host_->run_until([this] { return server_->connections() == 0; }, 5s));
}

}  // namespace
}  // namespace eyrie::volery::zk
