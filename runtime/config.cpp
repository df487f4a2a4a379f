#include "runtime/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <sstream>

#include "runtime/config_impl.hpp"

namespace eyrie {

namespace {

constexpr std::array<std::string_view, 3> kRuntimeSections{"cluster", "transport", "nodes"};
constexpr std::array<std::string_view, 6> kLogLevels{"trace", "debug", "info", "warn", "error", "off"};
constexpr std::int64_t kNodesMax = 4096;

using std::chrono::milliseconds;
using std::chrono::seconds;

void load_cluster_section(ClusterConfig& config, const ConfigSection& s, const std::filesystem::path& base_dir) {
  config.name = s.string("name", "eyrie");
  const std::filesystem::path data_dir = s.string("data_dir", "data");
  if (data_dir.empty()) s.fail("data_dir", "expected a non-empty path");
  config.data_dir = data_dir.is_absolute() ? data_dir : (base_dir / data_dir).lexically_normal();
  config.log_level = *parse_log_level(s.choice("log_level", "info", kLogLevels));
  s.reject_unknown_keys();
}

void load_transport_section(TransportConfig& t, const ConfigSection& s) {
  t.send_hwm_frames = s.integer("send_hwm_frames", t.send_hwm_frames, 1, 10'000'000);
  t.receive_hwm_frames = s.integer("receive_hwm_frames", t.receive_hwm_frames, 1, 10'000'000);
  t.frame_bytes_max = s.integer("frame_bytes_max", t.frame_bytes_max, 4096, std::int64_t{1} << 31);
  t.pack_bytes_max = s.integer("pack_bytes_max", t.pack_bytes_max, 0, std::int64_t{16} << 20);
  if (t.pack_bytes_max > t.frame_bytes_max) {
    s.fail("pack_bytes_max", fmt::format("expected at most frame_bytes_max ({}), got {}", t.frame_bytes_max,
                                         t.pack_bytes_max));
  }
  t.receive_batch_max = s.integer("receive_batch_max", t.receive_batch_max, 1, 1'000'000);
  t.reconnect_interval = s.milliseconds("reconnect_interval_ms", t.reconnect_interval, milliseconds(1), seconds(60));
  t.reconnect_interval_max =
      s.milliseconds("reconnect_interval_max_ms", t.reconnect_interval_max, milliseconds(1), seconds(600));
  if (t.reconnect_interval_max < t.reconnect_interval) {
    s.fail("reconnect_interval_max_ms", "expected at least reconnect_interval_ms");
  }
  t.heartbeat_interval = s.milliseconds("heartbeat_interval_ms", t.heartbeat_interval, milliseconds(10), seconds(600));
  t.heartbeat_timeout = s.milliseconds("heartbeat_timeout_ms", t.heartbeat_timeout, milliseconds(10), seconds(3600));
  if (t.heartbeat_timeout <= t.heartbeat_interval) {
    s.fail("heartbeat_timeout_ms", "expected more than heartbeat_interval_ms");
  }
  s.reject_unknown_keys();
}

NodeConfig load_node(const ConfigSection& s) {
  NodeConfig node;
  node.id = NodeId{static_cast<std::uint64_t>(
      s.required_integer("id", 1, static_cast<std::int64_t>(NodeId::kClusterNodeIdMax)))};
  node.host = s.required_string("host");
  if (node.host.find_first_of(" \t/:") != std::string::npos) {
    s.fail("host", fmt::format("expected a host name or IPv4 address, got \"{}\"", node.host));
  }
  node.port = static_cast<std::uint16_t>(s.required_integer("port", 1, 65535));
  node.roles = s.string_list("roles", {});
  s.reject_unknown_keys();
  return node;
}

void load_nodes(ClusterConfig& config, const ConfigSection& top) {
  const std::vector<ConfigSection> sections = top.table_array("nodes");
  if (sections.empty()) top.fail("nodes", "missing; expected at least one [[nodes]] table");
  if (static_cast<std::int64_t>(sections.size()) > kNodesMax) {
    top.fail("nodes", fmt::format("expected at most {} nodes, got {}", kNodesMax, sections.size()));
  }
  std::map<NodeId, std::size_t> by_id;
  std::map<std::pair<std::string, std::uint16_t>, NodeId> by_address;
  for (const ConfigSection& s : sections) {
    NodeConfig node = load_node(s);
    if (by_id.count(node.id)) s.fail("id", fmt::format("expected a unique node id, {} is used twice", node.id.value));
    auto [it, fresh] = by_address.emplace(std::pair{node.host, node.port}, node.id);
    if (!fresh) {
      s.fail("port", fmt::format("expected a unique host and port, {}:{} is also node {}'s", node.host, node.port,
                                 it->second.value));
    }
    by_id.emplace(node.id, config.nodes.size());
    config.nodes.push_back(std::move(node));
  }
  std::sort(config.nodes.begin(), config.nodes.end(),
            [](const NodeConfig& a, const NodeConfig& b) { return a.id < b.id; });
}

}  // namespace

std::string NodeConfig::endpoint() const { return fmt::format("tcp://{}:{}", host, port); }

ClusterConfig ClusterConfig::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot open the cluster file", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(fmt::format("{}: cannot read the cluster file", path.string()));
  return parse(text.str(), path.string(), path.parent_path());
}

ClusterConfig ClusterConfig::parse(std::string_view text, std::string file_label,
                                   const std::filesystem::path& base_dir) {
  std::shared_ptr<const toml::value> document;
  try {
    std::istringstream in{std::string(text)};
    document = std::make_shared<const toml::value>(toml::parse(in, file_label));
  } catch (const toml::syntax_error& e) {
    // toml11's own text points at the offending characters; the first line says where.
    throw ConfigError(fmt::format("{}:{}: not valid TOML (line {}):\n{}", file_label, e.location().line(),
                                  e.location().line(), e.what()));
  } catch (const std::exception& e) {
    throw ConfigError(fmt::format("{}: not valid TOML: {}", file_label, e.what()));
  }
  ClusterConfig config;
  config.file = file_label;
  config.root = make_section_impl(document, document.get());
  const ConfigSection top(config.root, file_label, "");
  load_cluster_section(config, top.table("cluster"), base_dir.empty() ? "." : base_dir);
  load_transport_section(config.transport, top.table("transport"));
  load_nodes(config, top);
  return config;
}

const NodeConfig* ClusterConfig::find(NodeId id) const {
  auto it = std::lower_bound(nodes.begin(), nodes.end(), id, [](const NodeConfig& n, NodeId v) { return n.id < v; });
  return it != nodes.end() && it->id == id ? &*it : nullptr;
}

ConfigSection ClusterConfig::section(std::string_view name) const {
  return ConfigSection(root, file, "").table(name);
}

void ClusterConfig::reject_unknown_sections(std::span<const std::string_view> module_sections) const {
  if (!root || !root->table) return;
  std::vector<std::string> names;
  for (const auto& [key, value] : root->table->as_table()) names.push_back(key);
  std::sort(names.begin(), names.end());
  for (const std::string& key : names) {
    const auto known = [&](std::span<const std::string_view> list) {
      return std::find(list.begin(), list.end(), key) != list.end();
    };
    if (known(kRuntimeSections) || known(module_sections)) continue;
    std::string list;
    for (auto group : {std::span<const std::string_view>(kRuntimeSections), module_sections}) {
      for (std::string_view s : group) list += fmt::format("{}{}", list.empty() ? "" : ", ", s);
    }
    ConfigSection(root, file, "").fail(key, fmt::format("unknown section (known sections: {})", list));
  }
}

std::filesystem::path ClusterConfig::node_dir(NodeId id) const {
  return data_dir / fmt::format("node-{}", id.value);
}

}  // namespace eyrie
