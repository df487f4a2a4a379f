#include "tests/integration/node_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <thread>

namespace eyrie::testing {

NodeProcess::NodeProcess(const std::filesystem::path& binary, const std::filesystem::path& config, NodeId id,
                         const std::filesystem::path& log) {
  const std::string id_text = std::to_string(id.value);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ > 0) return;
  // Child: only async-signal-safe calls until exec.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
  }
  ::execl(binary.c_str(), "eyrie", "node", "--config", config.c_str(), "--id", id_text.c_str(), "--log-level",
          "info", static_cast<char*>(nullptr));
  ::_exit(127);
}

NodeProcess::~NodeProcess() {
  if (reaped_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

void NodeProcess::signal(int signal) {
  if (!reaped_) ::kill(pid_, signal);
}

std::optional<int> NodeProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    // Polling the child's state, not waiting a fixed time: the loop ends as soon as it exits.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace eyrie::testing
