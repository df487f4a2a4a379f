#include "apps/cli/bench_support.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <zmq.hpp>

#include "runtime/metrics.hpp"
#include "runtime/net/local_host.hpp"

namespace eyrie::cli {

std::filesystem::path make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/eyrie-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(ch)));
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string json(const std::optional<double>& v, int decimals) {
  return v ? fmt::format("{:.{}f}", *v, decimals) : "null";
}

std::optional<std::vector<std::string>> parse_ridge_settings(const std::vector<std::string>& settings,
                                                             std::span<const std::string_view> reserved, std::string* bad) {
  std::vector<std::string> lines;
  for (const std::string& setting : settings) {
    const std::size_t eq = setting.find('=');
    const std::string key = setting.substr(0, eq);
    if (eq == std::string::npos || key.empty() || std::find(reserved.begin(), reserved.end(), key) != reserved.end() ||
        key.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789") != std::string::npos) {
      *bad = setting;
      return std::nullopt;
    }
    lines.push_back(key + " = " + setting.substr(eq + 1));
  }
  return lines;
}

pid_t spawn_child(const std::function<void()>& body) {
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
  std::fflush(nullptr);
  ::_exit(0);
}

void reap_child(pid_t child) {
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
}

namespace {

std::string free_endpoint() {
  return fmt::format("tcp://127.0.0.1:{}", net::pick_free_ports("127.0.0.1", 1).front());
}

}  // namespace

WindowCount measure_raw_throughput(std::size_t size, Duration warmup, double seconds) {
  const std::string endpoint = free_endpoint();
  const pid_t child = spawn_child([&] {
    zmq::context_t context(1);
    zmq::socket_t push(context, zmq::socket_type::push);
    push.connect(endpoint);
    const std::string body(size, 'z');
    for (;;) push.send(zmq::buffer(body), zmq::send_flags::none);
  });
  try {
    zmq::context_t context(1);
    zmq::socket_t pull(context, zmq::socket_type::pull);
    pull.set(zmq::sockopt::rcvtimeo, 10);
    pull.set(zmq::sockopt::linger, 0);
    pull.bind(endpoint);
    std::uint64_t received = 0;
    zmq::message_t message;
    const WindowCount m = measure_window(
        warmup, seconds, [&] { return received; },
        [&](Duration d) {
          const auto until = std::chrono::steady_clock::now() + d;
          while (std::chrono::steady_clock::now() < until) {
            // Check the clock every few hundred messages: reading it costs more than a recv.
            for (int i = 0; i < 256 && pull.recv(message); ++i) ++received;
          }
        });
    reap_child(child);
    return m;
  } catch (...) {
    reap_child(child);
    throw;
  }
}

RoundTrips measure_raw_round_trips(std::size_t size, double seconds) {
  const std::string endpoint = free_endpoint();
  const pid_t child = spawn_child([&] {
    zmq::context_t context(1);
    zmq::socket_t rep(context, zmq::socket_type::rep);
    rep.bind(endpoint);
    zmq::message_t message;
    for (;;) {
      if (!rep.recv(message)) continue;
      rep.send(message, zmq::send_flags::none);
    }
  });
  try {
    zmq::context_t context(1);
    zmq::socket_t req(context, zmq::socket_type::req);
    req.set(zmq::sockopt::rcvtimeo, 10'000);  // the first answer waits for the child to bind
    req.set(zmq::sockopt::linger, 0);
    req.connect(endpoint);
    const std::string body(size, 'p');
    zmq::message_t reply;
    const auto round_trip = [&] {
      req.send(zmq::buffer(body), zmq::send_flags::none);
      if (!req.recv(reply)) throw std::runtime_error("raw ping-pong: no answer within 10 s");
    };
    for (int i = 0; i < 100; ++i) round_trip();
    Histogram rtt_ns;
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (auto now = std::chrono::steady_clock::now(); now < end;) {
      round_trip();
      const auto after = std::chrono::steady_clock::now();
      rtt_ns.record(std::chrono::duration_cast<Duration>(after - now));
      now = after;
    }
    reap_child(child);
    return RoundTrips{rtt_ns.count(), static_cast<double>(rtt_ns.percentile(0.5)) / 1e3,
                      static_cast<double>(rtt_ns.percentile(0.99)) / 1e3};
  } catch (...) {
    reap_child(child);
    throw;
  }
}

}  // namespace eyrie::cli
