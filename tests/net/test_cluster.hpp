#pragma once
// Helpers for tests of the real runtime: temporary folders, free ports and cluster files.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "runtime/config.hpp"
#include "runtime/net/event_loop.hpp"

namespace eyrie::net::testing {

// A fresh folder under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};


// The text of a cluster file with `count` nodes on 127.0.0.1 and free ports, each with
// `roles`; `extra` is appended verbatim (module sections, [transport]).
std::string cluster_toml(int count, const std::vector<std::string>& roles, const std::string& extra = "");

// Parses `toml` as if it were `dir`/cluster.toml.
ClusterConfig parse_cluster(const std::string& toml, const std::filesystem::path& dir);

// Runs turns of every loop in turn until `done()` or `timeout`; returns done().
bool run_loops_until(const std::vector<EventLoop*>& loops, const std::function<bool()>& done,
                     Duration timeout = std::chrono::seconds(20));

}  // namespace eyrie::net::testing
