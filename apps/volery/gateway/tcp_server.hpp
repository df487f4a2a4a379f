#pragma once
// ZkTcpServer: the ZooKeeper client port of a Volery gateway. It accepts TCP connections on
// its event loop (the node's: one thread), puts a ZkConnection (sans-IO) behind each socket
// and moves bytes between them, non-blocking both ways.
//
// Isolation: each connection has its own buffers and bounds; a connection whose peer does not
// read its replies (more than `output_bytes_max` waiting) is closed, a connection the
// ZkConnection closes (malformed or oversized frame, protocol error) is shut down alone.
// Back-pressure: while a ZkConnection does not want input, its socket is not read. Connections
// beyond `connections_max` are accepted and closed at once (the client retries elsewhere).

#include <map>
#include <memory>
#include <string>

#include "apps/volery/gateway/connection.hpp"
#include "runtime/net/event_loop.hpp"

namespace eyrie::volery::zk {

struct ZkTcpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 2181;  // 0: chosen by the system (port() tells)
  std::size_t connections_max = 4096;
  std::size_t output_bytes_max = std::size_t{64} << 20;
  ZkConnectionOptions connection{};
};

class ZkTcpServer {
 public:
  // Binds and listens; throws std::system_error when it cannot. `loop` and `client` outlive it.
  ZkTcpServer(net::EventLoop& loop, VoleryClient& client, ZkTcpServerOptions options, Logger log);
  ~ZkTcpServer();
  ZkTcpServer(const ZkTcpServer&) = delete;
  ZkTcpServer& operator=(const ZkTcpServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::size_t connections() const { return connections_.size(); }

 private:
  struct Connection;

  void on_accept();
  void on_ready(std::uint64_t id, short ready);
  void read_from(Connection& c);
  void write_to(Connection& c);
  void update_watch(Connection& c);
  // Closes the socket and forgets the connection, from the loop (never inside its callbacks).
  void retire(std::uint64_t id);

  net::EventLoop& loop_;
  VoleryClient& client_;
  ZkTcpServerOptions options_;
  Logger log_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  net::WatchId listener_watch_{};
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // deferred calls check it
};

}  // namespace eyrie::volery::zk
