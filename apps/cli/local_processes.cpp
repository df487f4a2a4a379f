#include "apps/cli/local_processes.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace eyrie::cli {

namespace {

std::string read_cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  return text;
}

}  // namespace

bool process_alive(pid_t pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) return false;
  // A zombie has exited already; only its parent's wait is missing.
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const auto close_paren = line.rfind(')');
  return close_paren == std::string::npos || line.size() < close_paren + 3 || line[close_paren + 2] != 'Z';
}

NodeProcess find_node_process(const ClusterConfig& config, const NodeConfig& node) {
  NodeProcess p{node.id, config.node_dir(node.id) / "node.pid", config.node_dir(node.id) / "node.log", std::nullopt};
  std::ifstream in(p.pid_file);
  long pid = 0;
  if (!(in >> pid) || pid <= 0 || !process_alive(static_cast<pid_t>(pid))) return p;
  const std::string cmdline = read_cmdline(static_cast<pid_t>(pid));
  if (cmdline.find(" node ") != std::string::npos && cmdline.find("--id " + std::to_string(node.id.value)) != std::string::npos) {
    p.pid = static_cast<pid_t>(pid);
  }
  return p;
}

pid_t spawn_node(const std::filesystem::path& eyrie_binary, const std::filesystem::path& config_path,
                 const ClusterConfig& config, const NodeConfig& node) {
  const std::filesystem::path dir = config.node_dir(node.id);
  std::filesystem::create_directories(dir);
  const std::string log = (dir / "node.log").string();
  const std::string binary = eyrie_binary.string();
  const std::string config_arg = std::filesystem::absolute(config_path).string();
  const std::string id_arg = std::to_string(node.id.value);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: its own session, so Ctrl-C in the terminal that ran `cluster up` does not reach it
    // (`cluster down` stops it); stdin from /dev/null, output to the node's log.
    ::setsid();
    const int null_fd = ::open("/dev/null", O_RDONLY);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null_fd < 0 || log_fd < 0) ::_exit(127);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execl(binary.c_str(), binary.c_str(), "node", "--config", config_arg.c_str(), "--id", id_arg.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::ofstream(dir / "node.pid") << pid << "\n";
  return pid;
}

bool stop_process(pid_t pid, std::chrono::milliseconds grace) {
  if (!process_alive(pid)) return true;
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_alive(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling another process's exit
  }
  ::kill(pid, SIGKILL);
  const auto kill_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < kill_deadline) {
    if (!process_alive(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string tail_file(const std::filesystem::path& path, std::size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const std::string& line : last) out += "    " + line + "\n";
  return out;
}

}  // namespace eyrie::cli
