#include "tests/net/test_cluster.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

namespace eyrie::net::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/eyrie-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string cluster_toml(int count, const std::vector<std::string>& roles, const std::string& extra) {
  std::string roles_list;
  for (const std::string& role : roles) roles_list += fmt::format("{}\"{}\"", roles_list.empty() ? "" : ", ", role);
  std::string text = "[cluster]\nname = \"test\"\ndata_dir = \"data\"\n";
  for (int id = 1; id <= count; ++id) {
    text += fmt::format("\n[[nodes]]\nid = {}\nhost = \"127.0.0.1\"\nport = {}\nroles = [{}]\n", id, free_port(),
                        roles_list);
  }
  return text + "\n" + extra;
}

ClusterConfig parse_cluster(const std::string& toml, const std::filesystem::path& dir) {
  return ClusterConfig::parse(toml, (dir / "cluster.toml").string(), dir);
}

bool run_loops_until(const std::vector<EventLoop*>& loops, const std::function<bool()>& done, Duration timeout) {
  const Time deadline = EventLoop::now() + timeout;
  while (!done()) {
    if (EventLoop::now() >= deadline) return false;
    // Short waits: each loop gets its turn even while another one is idle.
    for (EventLoop* loop : loops) loop->run_turn(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace eyrie::net::testing
