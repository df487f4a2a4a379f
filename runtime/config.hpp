#pragma once
// The cluster file: one TOML file that describes a deployment (docs/cluster-file.md).
//
// `runtime` parses the file and validates the sections it owns ([cluster], [transport],
// [[nodes]]); every other top-level section belongs to a module, which validates it through
// ConfigSection. Every mistake is reported as a ConfigError whose message names the file, the
// key and what was expected, e.g.
//   cluster.toml: [transport] send_hwm_frames: expected an integer in 1..10000000, got "lots"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/log.hpp"
#include "runtime/types.hpp"

namespace eyrie {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A table of the cluster file, with typed getters that check types and bounds. A section
// remembers the keys it was asked for, so reject_unknown_keys() can catch typos.
class ConfigSection {
 public:
  struct Impl;
  ConfigSection(std::shared_ptr<const Impl> impl, std::string file, std::string name);
  ConfigSection(const ConfigSection&) = default;
  ConfigSection& operator=(const ConfigSection&) = default;
  ~ConfigSection();

  const std::string& name() const { return name_; }
  const std::string& file() const { return file_; }
  bool present() const;  // false for a section the file does not have (all getters then give defaults)
  bool has(std::string_view key) const;

  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t min, std::int64_t max) const;
  std::int64_t required_integer(std::string_view key, std::int64_t min, std::int64_t max) const;
  double number(std::string_view key, double fallback, double min, double max) const;
  bool boolean(std::string_view key, bool fallback) const;
  std::string string(std::string_view key, std::string_view fallback) const;
  std::string required_string(std::string_view key) const;
  // One of `choices`; the error lists them.
  std::string choice(std::string_view key, std::string_view fallback, std::span<const std::string_view> choices) const;
  std::vector<std::string> string_list(std::string_view key, std::vector<std::string> fallback) const;
  std::vector<std::int64_t> integer_list(std::string_view key, std::vector<std::int64_t> fallback,
                                         std::int64_t min, std::int64_t max) const;
  // A duration given in milliseconds (keys end in _ms by convention).
  Duration milliseconds(std::string_view key, Duration fallback, Duration min, Duration max) const;
  // A nested table ("[ridge.batching]"); absent tables give an empty section.
  ConfigSection table(std::string_view key) const;
  // An array of tables ("[[nodes]]"); each element is named "key[i]" in messages.
  std::vector<ConfigSection> table_array(std::string_view key) const;

  // Throws for any key of this section that no getter asked for.
  void reject_unknown_keys() const;
  // Throws a ConfigError about `key` of this section: "file: [name] key: <what>".
  [[noreturn]] void fail(std::string_view key, std::string_view what) const;

 private:
  std::shared_ptr<const Impl> impl_;
  std::string file_;
  std::string name_;
  std::shared_ptr<std::set<std::string, std::less<>>> used_keys_;
};

struct NodeConfig {
  NodeId id;
  std::string host;
  std::uint16_t port = 0;
  std::vector<std::string> roles;
  std::string endpoint() const;  // "tcp://host:port"
};

// Transport settings ([transport]); see runtime/net/ for what each limit does when reached.
struct TransportConfig {
  // Frames queued per outgoing peer link before further messages to that peer are dropped.
  std::int64_t send_hwm_frames = 10'000;
  // Frames queued on the node's incoming socket before ZeroMQ stops reading from peers.
  std::int64_t receive_hwm_frames = 10'000;
  // Larger incoming frames are refused (ZeroMQ disconnects the sender) and never parsed.
  std::int64_t frame_bytes_max = 64 << 20;
  // Messages to one peer are packed into frames of up to this many bytes per loop turn;
  // a message at least this big travels in a frame of its own.
  std::int64_t pack_bytes_max = 64 << 10;
  // Incoming messages handled per loop turn before timers and sends get their turn.
  std::int64_t receive_batch_max = 1024;
  Duration reconnect_interval = std::chrono::milliseconds(100);
  Duration reconnect_interval_max = std::chrono::milliseconds(1000);
  Duration heartbeat_interval = std::chrono::milliseconds(1000);
  Duration heartbeat_timeout = std::chrono::milliseconds(5000);
};

struct ClusterConfig {
  std::string file;  // as given, for messages
  std::string name;
  std::filesystem::path data_dir;  // absolute, or relative to the file's folder when written so
  LogLevel log_level = LogLevel::info;
  std::vector<NodeConfig> nodes;  // sorted by id
  TransportConfig transport;

  // Throws ConfigError. Validates [cluster], [transport] and [[nodes]]; module sections are
  // validated by their modules (section()).
  static ClusterConfig load(const std::filesystem::path& path);
  static ClusterConfig parse(std::string_view text, std::string file_label, const std::filesystem::path& base_dir);

  const NodeConfig* find(NodeId id) const;
  // A module's top-level section; an empty one when the file has none.
  ConfigSection section(std::string_view name) const;
  // Throws for a top-level section that is neither the runtime's nor in `module_sections`.
  void reject_unknown_sections(std::span<const std::string_view> module_sections) const;
  // The folder for one node's files: data_dir/node-<id>.
  std::filesystem::path node_dir(NodeId id) const;

  std::shared_ptr<const ConfigSection::Impl> root;
};

}  // namespace eyrie
