#include "runtime/net/local_host.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

namespace eyrie::net {

namespace {

// Resolves `host` to an IPv4 socket address (the transport speaks tcp:// over IPv4 hosts).
std::optional<sockaddr_in> resolve(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0 || result == nullptr) return std::nullopt;
  sockaddr_in address{};
  std::memcpy(&address, result->ai_addr, sizeof address);
  freeaddrinfo(result);
  address.sin_port = htons(port);
  return address;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

bool is_local_host(const std::string& host) {
  auto address = resolve(host, 0);
  if (!address) return false;
  // Binding succeeds only for addresses this machine owns.
  Fd fd(::socket(AF_INET, SOCK_DGRAM, 0));
  return fd.get() >= 0 && ::bind(fd.get(), reinterpret_cast<sockaddr*>(&*address), sizeof *address) == 0;
}

std::vector<std::uint16_t> pick_free_ports(const std::string& host, std::size_t count) {
  auto address = resolve(host, 0);
  if (!address) throw std::runtime_error("cannot resolve host " + host);
  // Keep every socket open until all are chosen so the kernel hands out distinct ports.
  std::vector<std::unique_ptr<Fd>> held;
  std::vector<std::uint16_t> ports;
  while (ports.size() < count) {
    auto fd = std::make_unique<Fd>(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in any = *address;
    any.sin_port = 0;
    socklen_t length = sizeof any;
    if (fd->get() < 0 || ::bind(fd->get(), reinterpret_cast<sockaddr*>(&any), sizeof any) != 0 ||
        ::getsockname(fd->get(), reinterpret_cast<sockaddr*>(&any), &length) != 0) {
      throw std::runtime_error(std::string("cannot pick a free port: ") + std::strerror(errno));
    }
    ports.push_back(ntohs(any.sin_port));
    held.push_back(std::move(fd));
  }
  return ports;
}

bool port_accepts(const std::string& host, std::uint16_t port) {
  auto address = resolve(host, port);
  if (!address) return false;
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  return fd.get() >= 0 && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&*address), sizeof *address) == 0;
}

}  // namespace eyrie::net
