#pragma once
// EyrieProcess: one `eyrie` child process of a test; NodeProcess: one `eyrie node`. It dies with
// the test process (PR_SET_PDEATHSIG) and is killed and reaped when the object goes away.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/types.hpp"

namespace eyrie::testing {

class EyrieProcess {
 public:
  // Starts `eyrie <args...>`, its output appended to <log>.
  EyrieProcess(const std::filesystem::path& binary, std::vector<std::string> args, const std::filesystem::path& log);
  ~EyrieProcess();
  EyrieProcess(const EyrieProcess&) = delete;
  EyrieProcess& operator=(const EyrieProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `signal`; then wait_for_exit() collects the status.
  void signal(int signal);
  // The exit status (WEXITSTATUS; 128 + n when killed by signal n), or nullopt after `timeout`.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

class NodeProcess : public EyrieProcess {
 public:
  // Starts `eyrie node --config <config> --id <id> --log-level info <extra_args...>`.
  NodeProcess(const std::filesystem::path& binary, const std::filesystem::path& config, NodeId id,
              const std::filesystem::path& log, const std::vector<std::string>& extra_args = {});
};

}  // namespace eyrie::testing
