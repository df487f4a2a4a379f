#include "tests/net/test_cluster.hpp"

#include "runtime/net/local_host.hpp"

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

std::string cluster_toml(int count, const std::vector<std::string>& roles, const std::string& extra) {
  std::string roles_list;
  for (const std::string& role : roles) roles_list += fmt::format("{}\"{}\"", roles_list.empty() ? "" : ", ", role);
  std::string text = "[cluster]\nname = \"test\"\ndata_dir = \"data\"\n";
  const std::vector<std::uint16_t> ports = pick_free_ports("127.0.0.1", static_cast<std::size_t>(count));
  for (int id = 1; id <= count; ++id) {
    text += fmt::format("\n[[nodes]]\nid = {}\nhost = \"127.0.0.1\"\nport = {}\nroles = [{}]\n", id,
                        ports[static_cast<std::size_t>(id - 1)], roles_list);
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
