// `eyrie bench transport|multicast|kv`: benchmarks that print JSON lines.
//
// transport: one-way throughput between two processes on 127.0.0.1, through the runtime
// (NodeHost, packed frames, credit-based flow control) and through raw ZeroMQ PUSH/PULL, for
// each message size; prints JSON lines and the ratio runtime / raw. (multicast:
// cmd_bench_multicast.cpp; kv: cmd_bench_kv.cpp.)
//
// Each measurement forks a sender child (PR_SET_PDEATHSIG, so it dies with the parent) and
// counts at the receiver, in the parent, after a warm-up. The runtime sender keeps at most a
// window of messages unacknowledged (the receiver acknowledges every quarter window), so the
// number measures delivered messages, not messages dropped at a high-water mark. The raw
// sender uses ZeroMQ's own blocking back-pressure.

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <array>
#include <cstring>
#include <functional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "apps/cli/bench_support.hpp"
#include "apps/cli/commands.hpp"
#include "apps/cli/options.hpp"
#include "runtime/net/local_host.hpp"
#include "runtime/net/node_host.hpp"

namespace eyrie::cli {

namespace {

namespace po = boost::program_options;
using namespace std::chrono_literals;

constexpr MessageType kData{9900};
constexpr MessageType kAck{9901};
constexpr std::array<MessageTypeRange, 1> kDataTypes{MessageTypeRange{kData, kData}};
constexpr std::array<MessageTypeRange, 1> kAckTypes{MessageTypeRange{kAck, kAck}};

struct BenchOptions {
  double seconds = 3.0;
  Duration warmup = 500ms;
  std::vector<std::size_t> sizes{100, 65536};
  std::size_t window_bytes = 8 << 20;
};

// The window of unacknowledged messages: enough bytes to cover the round trip, and never more
// messages than one turn may queue for a peer.
std::size_t window_messages(const BenchOptions& options, std::size_t size) {
  return std::clamp<std::size_t>(options.window_bytes / std::max<std::size_t>(size, 1), 16, 16384);
}

// Sends data as long as the window allows; forgets the window when acks stop coming (messages
// sent before the link was up are dropped by the transport and will never be acknowledged).
class BenchSender final : public Role {
 public:
  BenchSender(Env& env, NodeId receiver, std::size_t size, std::size_t window)
      : env_(env), receiver_(receiver), window_(window) {
    std::byte* out = nullptr;
    body_ = Payload::allocate(size, out);  // shared by every message: no per-message allocation
    std::memset(out, 0x5a, size);
  }
  std::string_view name() const override { return "bench-sender"; }
  std::span<const MessageTypeRange> message_types() const override { return kAckTypes; }
  void start() override {
    top_up();
    watchdog();
  }
  void on_message(const Message& m) override {
    std::uint64_t received = 0;
    if (m.payload.size() != sizeof received) return;
    std::memcpy(&received, m.payload.data(), sizeof received);
    acked_ = std::max(acked_, received);
    progressed_ = true;
    top_up();
  }

 private:
  void top_up() {
    while (sent_ < acked_ + window_) {
      env_.send(receiver_, kData, body_);
      ++sent_;
    }
  }
  void watchdog() {
    if (!progressed_) {
      sent_ = acked_;
      top_up();
    }
    progressed_ = false;
    env_.after(200ms, [this] { watchdog(); });
  }

  Env& env_;
  NodeId receiver_;
  std::size_t window_;
  Payload body_;
  std::uint64_t sent_ = 0;
  std::uint64_t acked_ = 0;
  bool progressed_ = false;
};

class BenchReceiver final : public Role {
 public:
  BenchReceiver(Env& env, std::size_t ack_every) : env_(env), ack_every_(ack_every) {}
  std::string_view name() const override { return "bench-receiver"; }
  std::span<const MessageTypeRange> message_types() const override { return kDataTypes; }
  void start() override {}
  void on_message(const Message& m) override {
    ++received_;
    if (received_ % ack_every_ == 0) {
      env_.send(m.from, kAck, Payload::copy_of(std::span(reinterpret_cast<const std::byte*>(&received_), 8)));
    }
  }
  std::uint64_t received() const { return received_; }

 private:
  Env& env_;
  std::size_t ack_every_;
  std::uint64_t received_ = 0;
};

ClusterConfig bench_cluster() {
  const std::vector<std::uint16_t> ports = net::pick_free_ports("127.0.0.1", 2);
  const std::string toml = fmt::format(
      "[cluster]\nname = \"bench\"\n[transport]\nsend_hwm_frames = 100000\n"
      "[[nodes]]\nid = 1\nhost = \"127.0.0.1\"\nport = {}\n[[nodes]]\nid = 2\nhost = \"127.0.0.1\"\nport = {}\n",
      ports[0], ports[1]);
  return ClusterConfig::parse(toml, "bench", "/tmp");
}

net::NodeHostOptions host_options(NodeId id, net::RoleFactory roles) {
  net::NodeHostOptions options;
  options.id = id;
  options.make_roles = std::move(roles);
  options.log_level = LogLevel::warn;
  options.durable_storage = false;
  return options;
}

WindowCount measure_runtime(const BenchOptions& options, std::size_t size) {
  const ClusterConfig cluster = bench_cluster();
  const std::size_t window = window_messages(options, size);
  const pid_t child = spawn_child([&] {
    net::NodeHost sender(cluster, host_options(NodeId{1}, [&](Env& env) {
      std::vector<std::unique_ptr<Role>> roles;
      roles.push_back(std::make_unique<BenchSender>(env, NodeId{2}, size, window));
      return roles;
    }));
    sender.start();
    sender.run_until([] { return false; }, std::chrono::hours(24));
  });
  BenchReceiver* receiver = nullptr;
  net::NodeHost host(cluster, host_options(NodeId{2}, [&](Env& env) {
    auto role = std::make_unique<BenchReceiver>(env, std::max<std::size_t>(window / 4, 1));
    receiver = role.get();
    std::vector<std::unique_ptr<Role>> roles;
    roles.push_back(std::move(role));
    return roles;
  }));
  host.start();
  try {
    const WindowCount m = measure_window(
        options.warmup, options.seconds, [&] { return receiver->received(); },
        [&](Duration d) { host.run_until([] { return false; }, d); });
    reap_child(child);
    return m;
  } catch (...) {
    reap_child(child);
    throw;
  }
}

void print_result(std::string_view mode, std::size_t size, const WindowCount& m) {
  const double rate = static_cast<double>(m.messages) / m.seconds;
  std::printf("%s\n", fmt::format("{{\"bench\":\"transport\",\"mode\":\"{}\",\"size_bytes\":{},\"seconds\":{:.2f},"
                                  "\"messages\":{},\"msgs_per_s\":{:.0f},\"mb_per_s\":{:.1f}}}",
                                  mode, size, m.seconds, m.messages, rate, rate * static_cast<double>(size) / 1e6)
                          .c_str());
}

int run_transport_bench(const BenchOptions& options) {
  std::printf("{\"bench\":\"transport\",\"what\":\"one-way throughput between two processes over tcp 127.0.0.1: "
              "eyrie runtime (packed frames, credit window) vs raw ZeroMQ PUSH/PULL, counted at the receiver "
              "after warm-up\"}\n");
  for (std::size_t size : options.sizes) {
    const WindowCount runtime = measure_runtime(options, size);
    print_result("runtime", size, runtime);
    const WindowCount raw = measure_raw_throughput(size, options.warmup, options.seconds);
    print_result("raw", size, raw);
    const double ratio = (static_cast<double>(runtime.messages) / runtime.seconds) /
                         std::max(static_cast<double>(raw.messages) / raw.seconds, 1.0);
    const double target = size >= 65536 ? 0.8 : size <= 100 ? 0.5 : 0.0;
    std::printf("%s\n", fmt::format("{{\"bench\":\"transport\",\"mode\":\"ratio\",\"size_bytes\":{},"
                                    "\"ratio\":{:.2f},\"target\":{:.1f},\"met\":{}}}",
                                    size, ratio, target, ratio >= target ? "true" : "false")
                            .c_str());
    std::fflush(stdout);
  }
  return 0;
}

int transport_command(std::span<char* const> args) {
  po::options_description options(
      "usage: eyrie bench transport [--seconds S] [--sizes 100,65536] [--warmup-ms MS] [--window-bytes N]\n\n"
      "Measures one-way message throughput between two processes through the runtime and\n"
      "through raw ZeroMQ, and prints JSON lines (msgs/s, MB/s, ratio runtime/raw per size).\n\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("seconds,s", po::value<double>()->default_value(3.0), "measured seconds per size and mode")
      ("sizes", po::value<std::string>()->default_value("100,65536"), "message sizes in bytes, comma-separated")
      ("warmup-ms", po::value<long long>()->default_value(500), "unmeasured time before each measurement")
      ("window-bytes", po::value<long long>()->default_value(8 << 20), "runtime sender's credit window");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  BenchOptions bench;
  bench.seconds = vm["seconds"].as<double>();
  if (!(bench.seconds > 0 && bench.seconds <= 3600)) return usage_error(options, "--seconds: expected 0 < S <= 3600");
  const auto sizes = parse_integer_list(vm["sizes"].as<std::string>(), 1, 16 << 20);
  if (!sizes) return usage_error(options, "--sizes: expected sizes in 1..16777216 separated by commas");
  bench.sizes.assign(sizes->begin(), sizes->end());
  const long long warmup = vm["warmup-ms"].as<long long>();
  const long long window = vm["window-bytes"].as<long long>();
  if (warmup < 0 || warmup > 600'000) return usage_error(options, "--warmup-ms: expected 0..600000");
  if (window < 1 || window > (1LL << 32)) return usage_error(options, "--window-bytes: expected 1..4294967296");
  bench.warmup = std::chrono::milliseconds(warmup);
  bench.window_bytes = static_cast<std::size_t>(window);
  return run_transport_bench(bench);
}

constexpr std::string_view kUsage = R"(usage: eyrie bench <transport|multicast|kv> [options]

  transport  one-way throughput between two processes: the runtime vs raw ZeroMQ
  multicast  Ridge with every role in its own process: throughput, latency, optimistic mistakes,
             next to raw ZeroMQ throughput and round trip measured in the same run
  kv         the kv service on S-SMR, every node in its own process: throughput, latency and its
             breakdown by partitions and multi-partition share, next to bare Ridge in the same run

Each prints JSON lines. Run `eyrie bench <name> --help` for options.
)";

}  // namespace

int bench_command(std::span<char* const> args) {
  const std::string_view name = args.empty() ? std::string_view{} : std::string_view(args[0]);
  if (name == "transport") return transport_command(args.subspan(1));
  if (name == "multicast") return multicast_bench_command(args.subspan(1));
  if (name == "kv") return kv_bench_command(args.subspan(1));
  if (name == "--help" || name == "-h" || name == "help") {
    std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
    return 0;
  }
  std::fprintf(stderr, "%s\n\n", name.empty() ? "error: expected the benchmark name: transport, multicast or kv"
                                              : fmt::format("error: unknown benchmark '{}'", name).c_str());
  std::fwrite(kUsage.data(), 1, kUsage.size(), stderr);
  return 2;
}

}  // namespace eyrie::cli
