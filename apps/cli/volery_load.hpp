#pragma once
// The load of `eyrie volery load` (cmd_volery_load.cpp): sessions in closed loops of ZooKeeper
// operations, every acknowledged write recorded and read back at the end.
//
// Setup: one session creates the root (when absent) and a run node under it, ROOT/run-NNNNNNNNNN
// (sequential, so runs on one cluster never share paths), then closes. The run's paths are
// RUN/k0 .. RUN/k<keys-1>; path i belongs to session i mod clients, and only that session ever
// writes it, so each session knows exactly what its paths must hold.
//
// Load: sessions are spread over `gateways` (a thread and a BlockingVoleryClient each). Each
// session keeps one request outstanding until `duration` has passed: on one of its paths, a
// create (when absent), setData (half of them at the expected version), getData, exists or
// delete (half at the expected version). Every reply is checked against the session's model of
// its paths (a read returns the last acknowledged write, with its version and mzxid; a write
// the model says must succeed succeeds); a reply that differs is `unexpected`.
//
// A write without an acknowledgement (ConnectionLoss after `request_timeout`) may still take
// effect later, so its path takes no more writes ("uncertain") and may end holding the last
// acknowledged state or the outcome of any of its unacknowledged writes.
//
// Read-back: once the load is over, every path is read once. A path must hold the last
// acknowledged write (data, version and mzxid; or be absent after an acknowledged delete);
// an uncertain path one of its possible states. Then the sessions close.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apps/volery/blocking_client.hpp"
#include "runtime/metrics.hpp"

namespace eyrie::cli {

struct VoleryLoadOptions {
  std::size_t clients = 4;   // sessions
  std::size_t gateways = 1;  // client endpoints, a thread each; sessions spread over them
  std::size_t keys = 64;     // at least `clients`
  std::size_t value_bytes = 16;  // at least the unique tag each write carries
  Duration duration = std::chrono::seconds(10);
  Duration request_timeout = std::chrono::seconds(30);  // then ConnectionLoss
  std::int32_t session_timeout_ms = 30'000;
  std::string root = "/load";
  std::uint64_t seed = 1;
  std::size_t records_max = 4'000'000;  // acknowledged writes kept for the report
  LogLevel log_level = LogLevel::warn;
};

// An acknowledged write: the state the path has after it.
struct VoleryWriteRecord {
  std::int64_t acknowledged_ns = 0;  // system clock, ns since 1970
  volery::SessionId session = 0;
  std::string op;  // "create", "setData" or "delete"
  std::string path;
  std::string data;          // create, setData
  std::int32_t version = 0;  // create, setData: the node's version after it
  volery::Zxid mzxid = 0;    // create, setData
};

struct VoleryReadBack {
  enum class Verdict { ok, mismatch, unanswered };
  std::string path;
  Verdict verdict = Verdict::ok;
  volery::Code code = volery::Code::ok;
  std::string data;
  std::int32_t version = 0;
  volery::Zxid mzxid = 0;
  std::string expected;  // what the path had to hold, in words
};
const char* to_string(VoleryReadBack::Verdict verdict);

struct VoleryLoadReport {
  std::string run_path;
  double seconds = 0;        // from the first session's first request to the last load reply
  std::uint64_t ops = 0;     // load replies (read-backs excluded)
  std::map<std::string, std::uint64_t> codes;  // load replies by code name ("OK", "NoNode", ...)
  std::uint64_t unexpected = 0;
  std::string first_unexpected;
  std::uint64_t sessions_lost = 0;  // expired or moved during the load (also unexpected)
  Histogram latency_us;
  std::uint64_t writes_acknowledged = 0;
  std::vector<VoleryWriteRecord> writes;  // the first records_max, by gateway
  bool writes_overflowed = false;
  std::vector<VoleryReadBack> read_back;
  std::size_t uncertain_paths = 0;
  std::size_t read_back_mismatches = 0;
  std::size_t read_back_unanswered = 0;
  std::string error;  // setup or a gateway failed (a cluster not answering, say)
};

// Runs the whole load (setup, load, read-back, close). Precondition: options validated
// (clients <= keys, gateways <= clients).
VoleryLoadReport run_volery_load(const volery::VoleryCluster& cluster, const VoleryLoadOptions& options);

}  // namespace eyrie::cli
