#pragma once
// NodeProcess: one `eyrie node` child process of a test. It dies with the test process
// (PR_SET_PDEATHSIG) and is killed and reaped when the object goes away.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/types.hpp"

namespace eyrie::testing {

class NodeProcess {
 public:
  // Starts `eyrie node --config <config> --id <id> <extra_args...>`, its output appended to <log>.
  NodeProcess(const std::filesystem::path& binary, const std::filesystem::path& config, NodeId id,
              const std::filesystem::path& log, const std::vector<std::string>& extra_args = {});
  ~NodeProcess();
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `signal`; then wait_for_exit() collects the status.
  void signal(int signal);
  // The exit status (WEXITSTATUS; 128 + n when killed by signal n), or nullopt after `timeout`.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

}  // namespace eyrie::testing
