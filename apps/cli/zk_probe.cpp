#include "apps/cli/zk_probe.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace eyrie::cli {

namespace {

using Clock = std::chrono::steady_clock;

void put_int(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void put_long(std::vector<std::uint8_t>& out, std::uint64_t v) {
  put_int(out, static_cast<std::uint32_t>(v >> 32));
  put_int(out, static_cast<std::uint32_t>(v));
}
std::uint64_t get(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

// A frame: the payload with its int length in front.
std::vector<std::uint8_t> frame(const std::vector<std::uint8_t>& payload) {
  std::vector<std::uint8_t> out;
  put_int(out, static_cast<std::uint32_t>(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

bool wait_for(int fd, short events, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(left)) == 1 && (p.revents & events) != 0;
}

bool send_all(int fd, const std::vector<std::uint8_t>& bytes, Clock::time_point deadline) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    if (!wait_for(fd, POLLOUT, deadline)) return false;
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool receive_exact(int fd, std::uint8_t* out, std::size_t size, Clock::time_point deadline) {
  std::size_t got = 0;
  while (got < size) {
    if (!wait_for(fd, POLLIN, deadline)) return false;
    const ssize_t n = ::recv(fd, out + got, size - got, 0);
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

bool zk_handshake(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) return false;
  Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
  const int connected = socket.fd() < 0 ? -1 : ::connect(socket.fd(), found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  if (socket.fd() < 0 || (connected != 0 && errno != EINPROGRESS)) return false;
  if (!wait_for(socket.fd(), POLLOUT, deadline)) return false;
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) return false;

  // ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly.
  std::vector<std::uint8_t> request;
  put_int(request, 0);
  put_long(request, 0);
  put_int(request, 10'000);
  put_long(request, 0);
  put_int(request, 16);
  request.insert(request.end(), 16, 0);
  request.push_back(0);
  if (!send_all(socket.fd(), frame(request), deadline)) return false;
  std::uint8_t header[4];
  if (!receive_exact(socket.fd(), header, 4, deadline)) return false;
  const std::uint64_t size = get(header, 4);
  if (size < 16 || size > 4096) return false;
  std::vector<std::uint8_t> response(size);
  if (!receive_exact(socket.fd(), response.data(), size, deadline)) return false;
  // ConnectResponse: protocolVersion, timeOut, sessionId, passwd, readOnly.
  const auto session_timeout = static_cast<std::int32_t>(get(response.data() + 4, 4));
  const std::uint64_t session = get(response.data() + 8, 8);
  if (session_timeout <= 0 || session == 0) return false;

  // closeSession (xid 1, type -11), so that the probe leaves no session behind; its reply is
  // awaited, but a missing one does not fail the handshake, which has succeeded.
  std::vector<std::uint8_t> close;
  put_int(close, 1);
  put_int(close, static_cast<std::uint32_t>(-11));
  if (send_all(socket.fd(), frame(close), deadline)) {
    std::uint8_t reply[4];
    (void)receive_exact(socket.fd(), reply, 4, std::min(deadline, Clock::now() + std::chrono::seconds(2)));
  }
  return true;
}

}  // namespace eyrie::cli
