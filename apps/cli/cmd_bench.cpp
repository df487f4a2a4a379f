// `eyrie bench transport`: one-way throughput between two processes on 127.0.0.1, through the
// runtime (NodeHost, packed frames, credit-based flow control) and through raw ZeroMQ
// PUSH/PULL, for each message size; prints JSON lines and the ratio runtime / raw.
//
// Each measurement forks a sender child (PR_SET_PDEATHSIG, so it dies with the parent) and
// counts at the receiver, in the parent, after a warm-up. The runtime sender keeps at most a
// window of messages unacknowledged (the receiver acknowledges every quarter window), so the
// number measures delivered messages, not messages dropped at a high-water mark. The raw
// sender uses ZeroMQ's own blocking back-pressure.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <array>
#include <cstring>
#include <functional>
#include <string>
#include <vector>
#include <zmq.hpp>

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

struct Measurement {
  std::uint64_t messages = 0;
  double seconds = 0;
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

// Forks a child that runs `body` and dies with the parent. The parent must not hold a ZeroMQ
// context at this point: the child starts from a single-threaded copy.
pid_t spawn(const std::function<void()>& body) {
  const pid_t parent = ::getpid();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid > 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(0);  // the parent died before prctl
  try {
    body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench child: %s\n", e.what());
  }
  ::_exit(0);
}

void reap(pid_t child) {
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
}

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

// Counts what arrives between the end of the warm-up and `seconds` later.
template <typename Count, typename RunFor>
Measurement measure_window(const BenchOptions& options, Count&& count, RunFor&& run_for) {
  const auto first = std::chrono::steady_clock::now() + 10s;
  while (count() == 0 && std::chrono::steady_clock::now() < first) run_for(10ms);
  if (count() == 0) throw std::runtime_error("no message arrived within 10 s");
  run_for(options.warmup);
  const std::uint64_t start_count = count();
  const auto start = std::chrono::steady_clock::now();
  run_for(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(options.seconds)));
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return Measurement{count() - start_count, elapsed.count()};
}

Measurement measure_runtime(const BenchOptions& options, std::size_t size) {
  const ClusterConfig cluster = bench_cluster();
  const std::size_t window = window_messages(options, size);
  const pid_t child = spawn([&] {
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
    const Measurement m = measure_window(
        options, [&] { return receiver->received(); },
        [&](Duration d) { host.run_until([] { return false; }, d); });
    reap(child);
    return m;
  } catch (...) {
    reap(child);
    throw;
  }
}

Measurement measure_raw(const BenchOptions& options, std::size_t size) {
  const std::string endpoint = fmt::format("tcp://127.0.0.1:{}", net::pick_free_ports("127.0.0.1", 1).front());
  const pid_t child = spawn([&] {
    zmq::context_t context(1);
    zmq::socket_t push(context, zmq::socket_type::push);
    push.connect(endpoint);
    const std::string body(size, 'z');
    for (;;) push.send(zmq::buffer(body), zmq::send_flags::none);
  });
  zmq::context_t context(1);
  zmq::socket_t pull(context, zmq::socket_type::pull);
  pull.set(zmq::sockopt::rcvtimeo, 10);
  pull.set(zmq::sockopt::linger, 0);
  pull.bind(endpoint);
  std::uint64_t received = 0;
  zmq::message_t message;
  try {
    const Measurement m = measure_window(
        options, [&] { return received; },
        [&](Duration d) {
          const auto until = std::chrono::steady_clock::now() + d;
          while (std::chrono::steady_clock::now() < until) {
            // Check the clock every few hundred messages: reading it costs more than a recv.
            for (int i = 0; i < 256 && pull.recv(message); ++i) ++received;
          }
        });
    reap(child);
    return m;
  } catch (...) {
    reap(child);
    throw;
  }
}

void print_result(std::string_view mode, std::size_t size, const Measurement& m) {
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
    const Measurement runtime = measure_runtime(options, size);
    print_result("runtime", size, runtime);
    const Measurement raw = measure_raw(options, size);
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

std::optional<std::vector<std::size_t>> parse_sizes(std::string_view text) {
  std::vector<std::size_t> sizes;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const auto value = parse_integer(text.substr(0, comma));
    if (!value || *value < 1 || *value > (16 << 20)) return std::nullopt;
    sizes.push_back(static_cast<std::size_t>(*value));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  if (sizes.empty()) return std::nullopt;
  return sizes;
}

}  // namespace

int bench_command(std::span<char* const> args) {
  po::options_description options(
      "usage: eyrie bench transport [--seconds S] [--sizes 100,65536] [--warmup-ms MS] [--window-bytes N]\n\n"
      "Measures one-way message throughput between two processes through the runtime and\n"
      "through raw ZeroMQ, and prints JSON lines (msgs/s, MB/s, ratio runtime/raw per size).\n\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("benchmark", po::value<std::string>(), "which benchmark: transport")
      ("seconds,s", po::value<double>()->default_value(3.0), "measured seconds per size and mode")
      ("sizes", po::value<std::string>()->default_value("100,65536"), "message sizes in bytes, comma-separated")
      ("warmup-ms", po::value<long long>()->default_value(500), "unmeasured time before each measurement")
      ("window-bytes", po::value<long long>()->default_value(8 << 20), "runtime sender's credit window");
  po::positional_options_description positional;
  positional.add("benchmark", 1);
  po::variables_map vm;
  if (!parse_options(args, options, vm, &positional)) return vm.count("help") ? 0 : 2;
  if (!vm.count("benchmark") || vm["benchmark"].as<std::string>() != "transport") {
    return usage_error(options, "expected the benchmark name: transport");
  }
  BenchOptions bench;
  bench.seconds = vm["seconds"].as<double>();
  if (!(bench.seconds > 0 && bench.seconds <= 3600)) return usage_error(options, "--seconds: expected 0 < S <= 3600");
  const auto sizes = parse_sizes(vm["sizes"].as<std::string>());
  if (!sizes) return usage_error(options, "--sizes: expected sizes in 1..16777216 separated by commas");
  bench.sizes = *sizes;
  const long long warmup = vm["warmup-ms"].as<long long>();
  const long long window = vm["window-bytes"].as<long long>();
  if (warmup < 0 || warmup > 600'000) return usage_error(options, "--warmup-ms: expected 0..600000");
  if (window < 1 || window > (1LL << 32)) return usage_error(options, "--window-bytes: expected 1..4294967296");
  bench.warmup = std::chrono::milliseconds(warmup);
  bench.window_bytes = static_cast<std::size_t>(window);
  return run_transport_bench(bench);
}

}  // namespace eyrie::cli
