#include "tests/integration/node_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace eyrie::testing {

namespace {

std::vector<std::string> node_args(const std::filesystem::path& config, NodeId id, const std::vector<std::string>& extra) {
  std::vector<std::string> args{"node", "--config", config.string(), "--id", std::to_string(id.value), "--log-level", "info"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace

NodeProcess::NodeProcess(const std::filesystem::path& binary, const std::filesystem::path& config, NodeId id,
                         const std::filesystem::path& log, const std::vector<std::string>& extra_args)
    : EyrieProcess(binary, node_args(config, id, extra_args), log) {}

EyrieProcess::EyrieProcess(const std::filesystem::path& binary, std::vector<std::string> args,
                           const std::filesystem::path& log) {
  // The whole argument vector is built before fork: the child may only make async-signal-safe calls.
  std::vector<std::string> words{"eyrie"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
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
  ::execv(binary.c_str(), argv.data());
  ::_exit(127);
}

EyrieProcess::~EyrieProcess() {
  if (reaped_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

void EyrieProcess::signal(int signal) {
  if (!reaped_) ::kill(pid_, signal);
}

std::optional<int> EyrieProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // A pidfd becomes readable when the child exits, so the wait ends exactly then.
  const int pidfd = reaped_ ? -1 : static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  for (;;) {
    int status = 0;
    const pid_t done = reaped_ ? 0 : ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      if (pidfd >= 0) ::close(pidfd);
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (reaped_ || left.count() <= 0) {
      if (pidfd >= 0) ::close(pidfd);
      return std::nullopt;
    }
    // Without pidfds (kernels before 5.3) this degrades to polling the child every 5 ms.
    pollfd ready{pidfd, POLLIN, 0};
    ::poll(pidfd >= 0 ? &ready : nullptr, pidfd >= 0 ? 1 : 0,
           pidfd >= 0 ? static_cast<int>(left.count()) : 5);
  }
}

}  // namespace eyrie::testing
