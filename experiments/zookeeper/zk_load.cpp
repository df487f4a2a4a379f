// zk_load: a load generator for any server that speaks ZooKeeper's protocol (ZooKeeper itself,
// Volery's gateway), on the ZooKeeper C client (libzookeeper-mt).
//
//   zk_load --hosts 127.0.0.1:2181 --sessions 4 --outstanding 25 --op set --payload-bytes 100
//           --seconds 10 [--pids 123,456] [--label zookeeper] [--root /zk_load]
//
// N sessions each keep `outstanding` asynchronous requests in flight (setData or getData of the
// session's own node, ROOT/n<i>, written with the payload first) for S seconds after a warm-up
// second. One JSON line: ops/s, client-side latency p50/p99 (send to completion), errors, and,
// when the server's process ids are given, the server CPU time (utime + stime from
// /proc/<pid>/stat, all threads, before and after the window) and ops per server CPU second.

// The synchronous calls (used only to set up) need the multi-threaded client.
#ifndef THREADED
#define THREADED
#endif
#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string hosts;
  int sessions = 4;
  int outstanding = 25;
  std::string op = "set";
  int payload_bytes = 100;
  double seconds = 10;
  double warmup_seconds = 1;
  std::vector<int> pids;
  std::string label = "server";
  std::string root = "/zk_load";
};

struct Session;

// One in-flight slot: at most one request at a time, re-armed by its own completion.
struct Slot {
  Session* session = nullptr;
  Clock::time_point sent;
};

struct Session {
  zhandle_t* handle = nullptr;
  std::string path;
  const Options* options = nullptr;
  std::vector<Slot> slots;
  std::mutex mutex;  // guards latencies_us: completions run on the client's completion thread
  std::vector<std::int64_t> latencies_us;
  std::atomic<std::int64_t> completed{0};
  std::atomic<std::int64_t> errors{0};
  std::atomic<int> in_flight{0};
};

std::atomic<bool> g_stop{false};
std::atomic<bool> g_measuring{false};
std::string g_payload;

void issue(Slot* slot);

void complete(Slot* slot, int rc) {
  Session* s = slot->session;
  const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - slot->sent).count();
  if (g_measuring.load()) {
    if (rc == ZOK) {
      s->completed.fetch_add(1);
      std::lock_guard lock(s->mutex);
      s->latencies_us.push_back(latency);
    } else {
      s->errors.fetch_add(1);
    }
  }
  s->in_flight.fetch_sub(1);
  if (!g_stop.load()) issue(slot);
}

void on_stat(int rc, const struct Stat*, const void* data) {
  complete(static_cast<Slot*>(const_cast<void*>(data)), rc);
}

void on_data(int rc, const char*, int, const struct Stat*, const void* data) {
  complete(static_cast<Slot*>(const_cast<void*>(data)), rc);
}

void issue(Slot* slot) {
  Session* s = slot->session;
  slot->sent = Clock::now();
  s->in_flight.fetch_add(1);
  int rc;
  if (s->options->op == "set") {
    rc = zoo_aset(s->handle, s->path.c_str(), g_payload.data(), static_cast<int>(g_payload.size()), -1, on_stat, slot);
  } else {
    rc = zoo_aget(s->handle, s->path.c_str(), 0, on_data, slot);
  }
  if (rc != ZOK) {  // not sent (connection lost, closing): the slot stays idle
    s->in_flight.fetch_sub(1);
    s->errors.fetch_add(1);
  }
}

double cpu_seconds(const std::vector<int>& pids) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double total = 0;
  for (int pid : pids) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Fields after the command name (in parentheses, may hold spaces): field 3 onwards.
    const auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int index = 3; fields >> field; ++index) {
      if (index == 14) utime = std::atoll(field.c_str());
      if (index == 15) {
        stime = std::atoll(field.c_str());
        break;
      }
    }
    total += static_cast<double>(utime + stime) / ticks;
  }
  return total;
}

bool wait_connected(zhandle_t* handle, double timeout_s) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (Clock::now() < deadline) {
    if (zoo_state(handle) == ZOO_CONNECTED_STATE) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int usage(const char* message) {
  std::fprintf(stderr,
               "zk_load: %s\nusage: zk_load --hosts H [--sessions N] [--outstanding K] [--op set|get]\n"
               "  [--payload-bytes B] [--seconds S] [--warmup-seconds W] [--pids P1,P2] [--label L] [--root /path]\n",
               message);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage(("missing value for " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--hosts") o.hosts = v;
    else if (a == "--sessions") o.sessions = std::atoi(v.c_str());
    else if (a == "--outstanding") o.outstanding = std::atoi(v.c_str());
    else if (a == "--op") o.op = v;
    else if (a == "--payload-bytes") o.payload_bytes = std::atoi(v.c_str());
    else if (a == "--seconds") o.seconds = std::atof(v.c_str());
    else if (a == "--warmup-seconds") o.warmup_seconds = std::atof(v.c_str());
    else if (a == "--label") o.label = v;
    else if (a == "--root") o.root = v;
    else if (a == "--pids") {
      std::istringstream list(v);
      std::string pid;
      while (std::getline(list, pid, ',')) o.pids.push_back(std::atoi(pid.c_str()));
    } else return usage(("unknown option " + a).c_str());
  }
  if (o.hosts.empty()) return usage("--hosts is required");
  if (o.op != "set" && o.op != "get") return usage("--op is set or get");
  if (o.sessions < 1 || o.outstanding < 1 || o.payload_bytes < 0 || o.seconds <= 0) return usage("bad numbers");

  zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  g_payload.assign(static_cast<std::size_t>(o.payload_bytes), 'v');

  std::vector<std::unique_ptr<Session>> sessions;
  for (int i = 0; i < o.sessions; ++i) {
    auto s = std::make_unique<Session>();
    s->options = &o;
    s->path = o.root + "/n" + std::to_string(i);
    s->handle = zookeeper_init(o.hosts.c_str(), nullptr, 20000, nullptr, nullptr, 0);
    if (s->handle == nullptr || !wait_connected(s->handle, 30)) {
      std::printf("{\"label\":\"%s\",\"error\":\"session %d did not connect to %s\"}\n", o.label.c_str(), i, o.hosts.c_str());
      return 1;
    }
    s->slots.resize(static_cast<std::size_t>(o.outstanding));
    for (auto& slot : s->slots) slot.session = s.get();
    sessions.push_back(std::move(s));
  }
  // The nodes: the root, then each session's own node holding the payload.
  int rc = zoo_create(sessions[0]->handle, o.root.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
  if (rc != ZOK && rc != ZNODEEXISTS) {
    std::printf("{\"label\":\"%s\",\"error\":\"create %s: %s\"}\n", o.label.c_str(), o.root.c_str(), zerror(rc));
    return 1;
  }
  for (auto& s : sessions) {
    rc = zoo_create(s->handle, s->path.c_str(), g_payload.data(), static_cast<int>(g_payload.size()), &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    if (rc == ZNODEEXISTS) rc = zoo_set(s->handle, s->path.c_str(), g_payload.data(), static_cast<int>(g_payload.size()), -1);
    if (rc != ZOK) {
      std::printf("{\"label\":\"%s\",\"error\":\"create %s: %s\"}\n", o.label.c_str(), s->path.c_str(), zerror(rc));
      return 1;
    }
  }

  for (auto& s : sessions)
    for (auto& slot : s->slots) issue(&slot);
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup_seconds));
  const double cpu_before = cpu_seconds(o.pids);
  const auto start = Clock::now();
  g_measuring.store(true);
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  g_measuring.store(false);
  const auto end = Clock::now();
  const double cpu_after = cpu_seconds(o.pids);
  g_stop.store(true);
  const auto drain_deadline = Clock::now() + std::chrono::seconds(20);
  for (auto& s : sessions)
    while (s->in_flight.load() > 0 && Clock::now() < drain_deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  std::vector<std::int64_t> latencies;
  std::int64_t completed = 0, errors = 0;
  for (auto& s : sessions) {
    std::lock_guard lock(s->mutex);
    latencies.insert(latencies.end(), s->latencies_us.begin(), s->latencies_us.end());
    completed += s->completed.load();
    errors += s->errors.load();
  }
  for (auto& s : sessions) zookeeper_close(s->handle);
  std::sort(latencies.begin(), latencies.end());
  auto percentile = [&](double q) -> std::int64_t {
    if (latencies.empty()) return 0;
    return latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(q * static_cast<double>(latencies.size())))];
  };
  const double elapsed_s = std::chrono::duration<double>(end - start).count();
  const double server_cpu_s = cpu_after - cpu_before;
  const double ops_per_s = static_cast<double>(completed) / elapsed_s;
  std::printf(
      "{\"label\":\"%s\",\"op\":\"%s\",\"payload_bytes\":%d,\"sessions\":%d,\"outstanding\":%d,\"seconds\":%.2f,"
      "\"ops\":%lld,\"errors\":%lld,\"ops_per_s\":%.1f,\"p50_us\":%lld,\"p99_us\":%lld,\"server_cpu_s\":%.2f,"
      "\"ops_per_server_cpu_s\":%.1f}\n",
      o.label.c_str(), o.op.c_str(), o.payload_bytes, o.sessions, o.outstanding, elapsed_s, static_cast<long long>(completed),
      static_cast<long long>(errors), ops_per_s, static_cast<long long>(percentile(0.50)),
      static_cast<long long>(percentile(0.99)), server_cpu_s,
      server_cpu_s > 0 ? static_cast<double>(completed) / server_cpu_s : 0.0);
  return errors > 0 && completed == 0 ? 1 : 0;
}
