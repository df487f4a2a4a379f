#pragma once
// What the `eyrie bench` benchmarks share: child processes, measurement windows, and the raw
// ZeroMQ baselines (one-way PUSH/PULL throughput, REQ/REP ping-pong round trip) that each
// benchmark reports next to its own figures, measured in the same run.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/types.hpp"

namespace eyrie::cli {

// `eyrie bench multicast` (cmd_bench_multicast.cpp); `eyrie bench` dispatches to it.
int multicast_bench_command(std::span<char* const> args);
// `eyrie bench kv` (cmd_bench_kv.cpp).
int kv_bench_command(std::span<char* const> args);

// A fresh folder under $TMPDIR (else /tmp) named eyrie-bench-XXXXXX, for one configuration's
// cluster file, data and node logs.
std::filesystem::path make_temp_dir();

// `text` as a JSON string literal.
std::string json_string(std::string_view text);
// A number with `decimals` decimals, or null.
std::string json(const std::optional<double>& v, int decimals = 0);

// --ridge KEY=VALUE settings as "key = value" lines of a [ridge] section; nullopt, with the
// offending setting in `bad`, for a malformed one or a `reserved` key (set by other flags).
std::optional<std::vector<std::string>> parse_ridge_settings(const std::vector<std::string>& settings,
                                                             std::span<const std::string_view> reserved, std::string* bad);

// Forks a child that runs `body`, then exits; the child dies with the parent (PR_SET_PDEATHSIG).
// The parent must not hold a ZeroMQ context at this point: the child starts from a
// single-threaded copy of it.
pid_t spawn_child(const std::function<void()>& body);
// SIGKILL, then waitpid.
void reap_child(pid_t child);

struct WindowCount {
  std::uint64_t messages = 0;
  double seconds = 0;
  double per_second() const { return seconds > 0 ? static_cast<double>(messages) / seconds : 0.0; }
};

// Waits (up to 10 s) for the first message, runs `warmup`, then counts what arrives during
// `seconds`. `count()` reads the receiver's total; `run_for(d)` keeps the receiver going for d.
template <typename Count, typename RunFor>
WindowCount measure_window(Duration warmup, double seconds, Count&& count, RunFor&& run_for) {
  using namespace std::chrono_literals;
  const auto first = std::chrono::steady_clock::now() + 10s;
  while (count() == 0 && std::chrono::steady_clock::now() < first) run_for(10ms);
  if (count() == 0) throw std::runtime_error("no message arrived within 10 s");
  run_for(warmup);
  const std::uint64_t start_count = count();
  const auto start = std::chrono::steady_clock::now();
  run_for(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds)));
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return WindowCount{count() - start_count, elapsed.count()};
}

// One-way throughput of raw ZeroMQ PUSH/PULL over tcp 127.0.0.1 between two processes, with
// ZeroMQ's own blocking back-pressure, counted at the receiver after `warmup`.
WindowCount measure_raw_throughput(std::size_t size, Duration warmup, double seconds);

struct RoundTrips {
  std::uint64_t samples = 0;
  double p50_us = 0;
  double p99_us = 0;
};
// Raw ZeroMQ REQ/REP ping-pong over tcp 127.0.0.1 between two processes, one message of `size`
// bytes each way at a time, for `seconds` after 100 unmeasured round trips.
RoundTrips measure_raw_round_trips(std::size_t size, double seconds);

}  // namespace eyrie::cli
