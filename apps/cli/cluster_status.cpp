#include "apps/cli/cluster_status.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <map>

#include "apps/cli/options.hpp"
#include "apps/cli/roles.hpp"
#include "apps/echo/echo_role.hpp"
#include "runtime/net/node_host.hpp"

namespace eyrie::cli {

namespace po = boost::program_options;

namespace {

// What one look at the cluster found.
struct Health {
  std::size_t nodes = 0;
  std::size_t nodes_up = 0;             // answered a stats request recently
  std::size_t links = 0;                // ordered pairs of echo nodes
  std::size_t links_live = 0;           // pairs whose pong counter rose since the last look
  std::size_t client_reached = 0;       // echo nodes that answered this client's pings recently
  std::size_t echo_nodes = 0;
  std::uint64_t node_pongs = 0;         // pongs received by all nodes, in total
  bool healthy() const {
    return nodes_up == nodes && links_live == links && client_reached == echo_nodes;
  }
};

bool runs_echo(const NodeConfig& node) {
  return std::find(node.roles.begin(), node.roles.end(), "echo") != node.roles.end();
}

class StatusView {
 public:
  StatusView(const ClusterConfig& config, net::NodeHost& client, const echo::EchoRole& echo, Duration interval)
      : config_(config), client_(client), echo_(echo), interval_(interval), started_(client.env().now()) {}

  // Looks at the latest stats and this client's pongs; `recent` is how old an answer may be.
  Health look() {
    Health h;
    const Time now = client_.env().now();
    const Duration recent = 3 * interval_;
    const net::StatsProbe& probe = *client_.stats_probe();
    for (const NodeConfig& a : config_.nodes) {
      ++h.nodes;
      const net::NodeStats* stats = probe.find(a.id);
      const bool up = stats && now - stats->received_at <= recent;
      h.nodes_up += up ? 1 : 0;
      if (!runs_echo(a)) continue;
      ++h.echo_nodes;
      const auto& peers = echo_.peers();
      if (auto it = peers.find(a.id); it != peers.end() && it->second.last_pong && now - *it->second.last_pong <= recent) {
        ++h.client_reached;
      }
      for (const NodeConfig& b : config_.nodes) {
        if (b.id == a.id || !runs_echo(b)) continue;
        ++h.links;
        const std::uint64_t pongs =
            up ? stats->counter("echo.pongs_from." + to_string(b.id)).value_or(0) : 0;
        h.node_pongs += pongs;
        auto [last, fresh] = last_pongs_.try_emplace({a.id, b.id}, 0);
        // Counters restart from zero with the node, so "rose" means "differs and is non-zero".
        if (pongs > 0 && pongs != last->second) ++h.links_live;
        last->second = pongs;
      }
    }
    return h;
  }

  std::string line(const Health& h) const {
    const Histogram* rtt = client_.metrics().find_histogram("echo.rtt_ns");
    const std::string latency =
        rtt && rtt->count() > 0
            ? fmt::format("client rtt p50 {} p99 {}", to_string(Duration(rtt->percentile(0.5))),
                          to_string(Duration(rtt->percentile(0.99))))
            : std::string("client rtt -");
    const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(client_.env().now() - started_);
    return fmt::format("{}: nodes {}/{} up | links {}/{} live | node pongs {} | client reached {}/{} | {} | {}s{}",
                       config_.name, h.nodes_up, h.nodes, h.links_live, h.links, h.node_pongs, h.client_reached,
                       h.echo_nodes, latency, elapsed.count(), h.healthy() ? " | healthy" : "");
  }

 private:
  const ClusterConfig& config_;
  net::NodeHost& client_;
  const echo::EchoRole& echo_;
  Duration interval_;
  Time started_;
  std::map<std::pair<NodeId, NodeId>, std::uint64_t> last_pongs_;
};

enum class Mode { once, watch, wait_healthy };

}  // namespace

int status_command(std::span<char* const> args) {
  po::options_description options(
      "eyrie cluster status: ask every node for its metrics, ping every node, print a one-line status.\n"
      "Exit status: 0 healthy (every node up, every pair of echo nodes exchanging pongs, every node\n"
      "answering this client), 1 not healthy, 2 bad usage");
  options.add_options()("help,h", "show this help")
      ("config", po::value<std::string>()->required(), "cluster file")
      ("watch", "keep the line live until Ctrl-C")
      ("wait-healthy", "print a line per interval until the cluster is healthy or --timeout passes")
      ("timeout", po::value<int>()->default_value(60), "seconds, for --wait-healthy")
      ("interval-ms", po::value<int>()->default_value(1000), "how often to look (100..60000)");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  if (vm.count("watch") && vm.count("wait-healthy")) return usage_error(options, "--watch and --wait-healthy exclude each other");
  const int interval_ms = vm["interval-ms"].as<int>();
  if (interval_ms < 100 || interval_ms > 60000) return usage_error(options, "--interval-ms: expected 100..60000");
  const Mode mode = vm.count("watch") ? Mode::watch : vm.count("wait-healthy") ? Mode::wait_healthy : Mode::once;
  ClusterConfig config;
  try {
    config = ClusterConfig::load(vm["config"].as<std::string>());
    validate_modules(config);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "eyrie cluster status: %s\n", e.what());
    return 2;
  }
  const Duration interval = std::chrono::milliseconds(interval_ms);
  echo::EchoRole* echo = nullptr;
  net::NodeHost client(config, {.id = net::random_external_id(),
                                .make_roles = [&](Env& env) {
                                  echo::EchoOptions o;
                                  for (const NodeConfig& n : config.nodes) {
                                    if (runs_echo(n)) o.peers.push_back(n.id);
                                  }
                                  o.interval = std::min<Duration>(interval / 4, std::chrono::milliseconds(250));
                                  o.answer_pings = false;
                                  auto role = std::make_unique<echo::EchoRole>(env, std::move(o));
                                  echo = role.get();
                                  std::vector<std::unique_ptr<Role>> roles;
                                  roles.push_back(std::move(role));
                                  return roles;
                                },
                                .log_level = LogLevel::warn,
                                .stats_probe_interval = interval / 2});
  client.start();
  StatusView view(config, client, *echo, interval);
  const bool tty = mode == Mode::watch && ::isatty(STDOUT_FILENO);
  Health last;
  // The first look only records counters: links count as live once seen rising.
  client.run_until([] { return false; }, interval);
  (void)view.look();
  const auto deadline_turns = mode == Mode::wait_healthy ? vm["timeout"].as<int>() * 1000 / interval_ms : 3;
  for (int turn = 0; mode == Mode::watch || turn < deadline_turns; ++turn) {
    if (client.run_until([] { return false; }, interval) || client.loop().stopped()) break;
    last = view.look();
    const std::string text = view.line(last);
    if (tty) {
      std::printf("\r\033[K%s", text.c_str());
    } else if (mode != Mode::once) {
      std::printf("%s\n", text.c_str());
    }
    std::fflush(stdout);
    if (mode != Mode::watch && last.healthy()) break;
  }
  if (tty) std::printf("\n");
  if (mode == Mode::once || (mode == Mode::wait_healthy && !last.healthy())) std::printf("%s\n", view.line(last).c_str());
  return last.healthy() ? 0 : 1;
}

}  // namespace eyrie::cli
