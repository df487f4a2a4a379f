#include "apps/volery/gateway/tcp_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace eyrie::volery::zk {

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) fail("fcntl O_NONBLOCK");
}

}  // namespace

struct ZkTcpServer::Connection {
  std::uint64_t id = 0;
  int fd = -1;
  std::unique_ptr<ZkConnection> zk;
  std::string out;           // bytes the peer has not taken yet
  std::size_t out_sent = 0;  // of `out`
  net::WatchId watch{};
  short watching = 0;
  bool closing = false;  // the ZkConnection closed: flush what is queued, then go
  bool retiring = false;
};

ZkTcpServer::ZkTcpServer(net::EventLoop& loop, VoleryClient& client, ZkTcpServerOptions options, Logger log)
    : loop_(loop), client_(client), options_(std::move(options)), log_(std::move(log)) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options_.port);
  if (const int rc = ::getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                            "client address " + options_.host + ":" + port + ": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, &::freeaddrinfo);
  listener_ = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  if (listener_ < 0) fail("socket");
  const int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(listener_, found->ai_addr, found->ai_addrlen) < 0) {
    const int error = errno;
    ::close(listener_);
    throw std::system_error(error, std::generic_category(), "bind " + options_.host + ":" + port);
  }
  if (::listen(listener_, 512) < 0) fail("listen");
  set_nonblocking(listener_);
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  listener_watch_ = loop_.watch_fd(listener_, ZMQ_POLLIN, [this](short) { on_accept(); });
}

ZkTcpServer::~ZkTcpServer() {
  loop_.unwatch(listener_watch_);
  ::close(listener_);
  for (auto& [id, c] : connections_) {
    loop_.unwatch(c->watch);
    if (c->zk && !c->zk->closed()) c->zk->on_peer_closed();
    ::close(c->fd);
  }
}

void ZkTcpServer::on_accept() {
  for (;;) {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) log_.warn("accept: {}", std::strerror(errno));
      return;
    }
    if (connections_.size() >= options_.connections_max) {
      log_.warn("refusing a client connection: {} open (connections_max)", connections_.size());
      ::close(fd);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto c = std::make_unique<Connection>();
    c->id = next_id_++;
    c->fd = fd;
    Connection* raw = c.get();
    const std::uint64_t id = c->id;
    connections_.emplace(id, std::move(c));
    raw->zk = std::make_unique<ZkConnection>(
        client_, options_.connection,
        [this, raw](std::span<const std::byte> bytes) {
          if (raw->retiring) return;
          raw->out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
          if (raw->out.size() - raw->out_sent > options_.output_bytes_max) {
            log_.warn("client connection {} does not read its replies: closed", raw->id);
            raw->out.clear();
            raw->out_sent = 0;
            raw->closing = true;
          }
          update_watch(*raw);
        },
        [this, raw] {
          raw->closing = true;
          update_watch(*raw);
        });
    update_watch(*raw);
  }
}

// Reads while the connection wants input, writes while there is output; a closing connection
// only writes what is left, then goes.
void ZkTcpServer::update_watch(Connection& c) {
  if (c.retiring) return;
  const bool pending = c.out_sent < c.out.size();
  if (c.closing && !pending) {
    c.retiring = true;
    std::weak_ptr<int> alive = alive_;
    const std::uint64_t id = c.id;
    loop_.defer([this, alive, id] {
      if (!alive.expired()) retire(id);
    });
    return;
  }
  short events = 0;
  if (!c.closing && c.zk->wants_input()) events |= ZMQ_POLLIN;
  if (pending) events |= ZMQ_POLLOUT;
  if (events == c.watching) return;
  loop_.unwatch(c.watch);
  c.watching = events;
  if (events == 0) return;
  const std::uint64_t id = c.id;
  c.watch = loop_.watch_fd(c.fd, events, [this, id](short ready) { on_ready(id, ready); });
}

void ZkTcpServer::on_ready(std::uint64_t id, short ready) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  if (ready & ZMQ_POLLOUT) write_to(c);
  if ((ready & (ZMQ_POLLIN | ZMQ_POLLERR)) && !c.retiring) read_from(c);
  update_watch(c);
}

void ZkTcpServer::read_from(Connection& c) {
  std::byte buffer[64 * 1024];
  // A bounded number of reads per turn, so one busy client does not starve the others.
  for (int round = 0; round < 16 && !c.closing && c.zk->wants_input(); ++round) {
    const ssize_t n = ::recv(c.fd, buffer, sizeof(buffer), 0);
    if (n > 0) {
      c.zk->on_bytes(std::span<const std::byte>(buffer, static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    // The peer closed (0) or the connection broke.
    if (!c.zk->closed()) c.zk->on_peer_closed();
    c.out.clear();
    c.out_sent = 0;
    c.closing = true;
    return;
  }
}

void ZkTcpServer::write_to(Connection& c) {
  while (c.out_sent < c.out.size()) {
    const ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
    if (!c.zk->closed()) c.zk->on_peer_closed();
    c.out.clear();
    c.out_sent = 0;
    c.closing = true;
    return;
  }
  if (c.out_sent == c.out.size()) {
    c.out.clear();
    c.out_sent = 0;
  } else if (c.out_sent > (std::size_t{1} << 20)) {
    c.out.erase(0, c.out_sent);
    c.out_sent = 0;
  }
}

void ZkTcpServer::retire(std::uint64_t id) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  loop_.unwatch(c.watch);
  ::close(c.fd);
  connections_.erase(it);
}

}  // namespace eyrie::volery::zk
