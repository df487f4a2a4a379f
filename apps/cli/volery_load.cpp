#include "apps/cli/volery_load.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <stdexcept>
#include <thread>

#include "runtime/assert.hpp"
#include "runtime/rng.hpp"

namespace eyrie::cli {

namespace {

using namespace std::chrono_literals;
using namespace volery;
using Clock = std::chrono::steady_clock;

// Beyond the request timeout, how long a phase may take before the load gives up on it (a
// reply that never comes, not even as ConnectionLoss, would be a bug of the client library).
constexpr Duration kPhaseMargin = 10s;

// What one session knows of one of its paths: the last acknowledged write.
struct PathModel {
  std::string path;
  bool present = false;
  std::string data;
  std::int32_t version = 0;
  Zxid mzxid = 0;
  // A write went unacknowledged: it may still take effect, so the path takes no more writes and
  // may end in any state in `possible` (nullopt: absent) as well as the acknowledged one.
  bool uncertain = false;
  std::vector<std::optional<std::string>> possible;
  bool unchecked = false;  // an unexpected reply on it was reported; it is not judged again
};

struct LoadSession {
  std::size_t index = 0;
  SessionId id = 0;
  Rng rng{1};
  std::vector<PathModel*> paths;
  std::uint64_t writes = 0;
  bool done = false;  // no more load requests
  bool lost = false;  // expired or moved: it cannot be used any more
};

enum class Kind { create, set_data, remove, get_data, exists };

bool is_write(Kind kind) { return kind == Kind::create || kind == Kind::set_data || kind == Kind::remove; }
const char* to_string(Kind kind) {
  switch (kind) {
    case Kind::create: return "create";
    case Kind::set_data: return "setData";
    case Kind::remove: return "delete";
    case Kind::get_data: return "getData";
    case Kind::exists: return "exists";
  }
  return "?";
}

std::string state_text(bool present, const std::string& data, std::int32_t version, Zxid mzxid) {
  if (!present) return "absent";
  return fmt::format("data \"{}\" version {} mzxid {:#x}", data, version, mzxid);
}

std::string model_text(const PathModel& p) { return state_text(p.present, p.data, p.version, p.mzxid); }

std::string reply_text(const Reply& r) {
  if (r.result.code != Code::ok) return to_string(r.result.code);
  if (!r.result.stat) return fmt::format("OK zxid {:#x}", r.zxid);
  return fmt::format("OK data \"{}\" version {} mzxid {:#x} (zxid {:#x})", r.result.data, r.result.stat->version,
                     r.result.stat->mzxid, r.zxid);
}

std::int64_t system_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

BlockingVoleryClientOptions client_options(const VoleryLoadOptions& o) {
  return BlockingVoleryClientOptions{
      .client = VoleryClientOptions{.request_timeout = o.request_timeout},
      .wait_limit = o.request_timeout + kPhaseMargin,
      .queued_max = 1024,
      .log_level = o.log_level,
  };
}

// The sessions of one gateway: their closed loops, then the read-back of their paths.
class GatewayLoad {
 public:
  GatewayLoad(const VoleryCluster& cluster, const VoleryLoadOptions& o, std::size_t records_max)
      : cluster_(cluster), o_(o), records_max_(records_max) {}

  void add_session(std::size_t index, Rng rng) {
    sessions_.push_back(LoadSession{.index = index, .id = 0, .rng = rng, .paths = {}, .writes = 0, .done = false, .lost = false});
  }
  void add_path(std::size_t session_position, std::string path) {
    PathModel model;
    model.path = std::move(path);
    paths_.push_back(std::move(model));
    sessions_.at(session_position).paths.push_back(&paths_.back());
  }

  // Everything, in this thread; failures end up in report().error.
  void run() {
    try {
      BlockingVoleryClient client(cluster_, client_options(o_));
      client_ = &client;
      load();
      read_back();
      close_sessions();
      client_ = nullptr;
    } catch (const std::exception& e) {
      client_ = nullptr;
      report_.error = e.what();
    }
  }

  VoleryLoadReport& report() { return report_; }
  Clock::time_point started() const { return started_; }
  Clock::time_point last_reply() const { return last_reply_; }

 private:
  void load() {
    for (LoadSession& s : sessions_) {
      const Reply opened = client_->open_session(o_.session_timeout_ms);
      if (opened.result.code != Code::ok) {
        throw std::runtime_error(fmt::format("opening session {}: {}", s.index, to_string(opened.result.code)));
      }
      s.id = opened.result.session;
    }
    started_ = last_reply_ = Clock::now();
    deadline_ = started_ + o_.duration;
    for (LoadSession& s : sessions_) issue(s);
    const auto all_done = [&] { return std::all_of(sessions_.begin(), sessions_.end(), [](const LoadSession& s) { return s.done; }); };
    if (!client_->run_until(all_done, o_.duration + o_.request_timeout + kPhaseMargin)) {
      throw std::runtime_error("the load did not end: a request got no answer, not even ConnectionLoss");
    }
  }

  std::string next_data(LoadSession& s) {
    std::string data = fmt::format("s{}.{}", s.index, ++s.writes);
    if (data.size() < o_.value_bytes) data.append(o_.value_bytes - data.size(), '.');
    return data;
  }

  // The session's next request, or nothing once the load is over.
  void issue(LoadSession& s) {
    if (s.done) return;
    if (Clock::now() >= deadline_) {
      s.done = true;
      return;
    }
    PathModel& p = *s.paths[s.rng.uniform(s.paths.size())];
    Kind kind = Kind::get_data;
    std::string data;
    const bool at_version = s.rng.chance(1, 2);
    if (p.uncertain || p.unchecked) {
      kind = Kind::get_data;
    } else if (!p.present) {
      kind = s.rng.chance(3, 4) ? Kind::create : Kind::get_data;
    } else {
      const std::uint64_t r = s.rng.uniform(100);
      kind = r < 40 ? Kind::set_data : r < 70 ? Kind::get_data : r < 80 ? Kind::exists : Kind::remove;
    }
    Op op;
    switch (kind) {
      case Kind::create: op = Create{p.path, data = next_data(s), open_acl(), CreateMode::persistent}; break;
      case Kind::set_data: op = SetData{p.path, data = next_data(s), at_version ? p.version : kAnyVersion}; break;
      case Kind::remove: op = Delete{p.path, at_version ? p.version : kAnyVersion}; break;
      case Kind::get_data: op = GetData{p.path, false}; break;
      case Kind::exists: op = Exists{p.path, false}; break;
    }
    const Clock::time_point sent = Clock::now();
    client_->submit(s.id, std::move(op), [this, &s, &p, kind, data, sent](const Reply& reply) {
      on_reply(s, p, kind, data, sent, reply);
      issue(s);
    });
  }

  void unexpected(const LoadSession& s, PathModel& p, Kind kind, const std::string& what) {
    ++report_.unexpected;
    p.unchecked = true;
    if (report_.first_unexpected.empty()) {
      report_.first_unexpected = fmt::format("session {:#x} {} {}: {}", s.id, to_string(kind), p.path, what);
    }
  }

  void record(const LoadSession& s, const PathModel& p, Kind kind) {
    ++report_.writes_acknowledged;
    if (report_.writes.size() >= records_max_) {
      report_.writes_overflowed = true;
      return;
    }
    report_.writes.push_back(VoleryWriteRecord{.acknowledged_ns = system_ns(), .session = s.id, .op = to_string(kind),
                                               .path = p.path, .data = p.present ? p.data : std::string(),
                                               .version = p.version, .mzxid = p.mzxid});
  }

  void on_reply(LoadSession& s, PathModel& p, Kind kind, const std::string& data, Clock::time_point sent,
                const Reply& reply) {
    last_reply_ = Clock::now();
    report_.latency_us.record(std::chrono::duration_cast<std::chrono::microseconds>(last_reply_ - sent).count());
    ++report_.ops;
    const Code code = reply.result.code;
    ++report_.codes[to_string(code)];
    if (code == Code::session_expired || code == Code::session_moved) {  // the request did not run
      s.done = s.lost = true;
      ++report_.sessions_lost;
      return unexpected(s, p, kind, fmt::format("the session is gone: {}", to_string(code)));
    }
    if (code == Code::connection_loss) {
      if (is_write(kind)) {
        p.uncertain = true;
        p.possible.push_back(kind == Kind::remove ? std::nullopt : std::optional<std::string>(data));
      }
      return;
    }
    if (p.uncertain || p.unchecked) return;  // nothing exact to expect
    const Result& r = reply.result;
    const std::string expected = model_text(p);
    switch (kind) {
      case Kind::create:
        if (code != Code::ok || r.path != p.path || !r.stat || r.stat->version != 0 || r.stat->mzxid != reply.zxid) {
          return unexpected(s, p, kind, fmt::format("expected OK at version 0 (it was absent), got {}", reply_text(reply)));
        }
        p.present = true;
        p.data = data;
        p.version = 0;
        p.mzxid = r.stat->mzxid;
        return record(s, p, kind);
      case Kind::set_data:
        if (code != Code::ok || !r.stat || r.stat->version != p.version + 1 || r.stat->mzxid != reply.zxid) {
          return unexpected(s, p, kind, fmt::format("expected OK at version {} (it held {}), got {}", p.version + 1,
                                                    expected, reply_text(reply)));
        }
        p.data = data;
        p.version = r.stat->version;
        p.mzxid = r.stat->mzxid;
        return record(s, p, kind);
      case Kind::remove:
        if (code != Code::ok) return unexpected(s, p, kind, fmt::format("expected OK (it held {}), got {}", expected, reply_text(reply)));
        p.present = false;
        p.data.clear();
        return record(s, p, kind);
      case Kind::get_data:
      case Kind::exists: {
        const bool data_matches = kind == Kind::exists || r.data == p.data;
        const bool matches = p.present ? code == Code::ok && r.stat && data_matches && r.stat->version == p.version &&
                                             r.stat->mzxid == p.mzxid
                                       : code == Code::no_node;
        if (!matches) return unexpected(s, p, kind, fmt::format("expected {}, got {}", expected, reply_text(reply)));
        return;
      }
    }
  }

  // Reads every path once, from a fresh session (the load's sessions may be gone).
  void read_back() {
    const Reply opened = client_->open_session(o_.session_timeout_ms);
    if (opened.result.code != Code::ok) {
      throw std::runtime_error(fmt::format("opening the read-back session: {}", to_string(opened.result.code)));
    }
    const SessionId reader = opened.result.session;
    std::size_t pending = 0;
    report_.read_back.reserve(paths_.size());
    for (PathModel& p : paths_) {
      report_.uncertain_paths += p.uncertain;
      VoleryReadBack& back = report_.read_back.emplace_back();
      back.path = p.path;
      VoleryReadBack* out = &back;  // reserved: stays put
      ++pending;
      client_->submit(reader, GetData{p.path, false}, [this, &p, out, &pending](const Reply& reply) {
        --pending;
        judge(p, reply, *out);
      });
    }
    client_->run_until([&] { return pending == 0; }, o_.request_timeout + kPhaseMargin);
    for (VoleryReadBack& r : report_.read_back) {
      report_.read_back_unanswered += r.verdict == VoleryReadBack::Verdict::unanswered;
      report_.read_back_mismatches += r.verdict == VoleryReadBack::Verdict::mismatch;
    }
    if (pending > 0) {  // their callbacks refer to `pending`: wait for no more of them
      throw std::runtime_error(fmt::format("{} read-backs got no answer, not even ConnectionLoss", pending));
    }
    client_->close_session(reader);
  }

  void judge(const PathModel& p, const Reply& reply, VoleryReadBack& out) {
    const Code code = reply.result.code;
    out.code = code;
    out.data = reply.result.data;
    out.version = reply.result.stat ? reply.result.stat->version : 0;
    out.mzxid = reply.result.stat ? reply.result.stat->mzxid : 0;
    if (code == Code::connection_loss) {
      out.verdict = VoleryReadBack::Verdict::unanswered;
      return;
    }
    const bool present = code == Code::ok;
    if (p.unchecked) {
      out.expected = "not judged: an unexpected reply on this path was reported";
      return;
    }
    bool ok = code == Code::ok || code == Code::no_node;
    if (!p.uncertain) {
      out.expected = model_text(p);
      ok = ok && present == p.present &&
           (!present || (out.data == p.data && out.version == p.version && out.mzxid == p.mzxid));
    } else {
      std::vector<std::optional<std::string>> allowed = p.possible;
      allowed.push_back(p.present ? std::optional<std::string>(p.data) : std::nullopt);
      out.expected = fmt::format("one of {} states (unacknowledged writes), acknowledged: {}", allowed.size(), model_text(p));
      const std::optional<std::string> actual = present ? std::optional<std::string>(out.data) : std::nullopt;
      ok = ok && std::find(allowed.begin(), allowed.end(), actual) != allowed.end();
    }
    out.verdict = ok ? VoleryReadBack::Verdict::ok : VoleryReadBack::Verdict::mismatch;
  }

  void close_sessions() {
    std::size_t pending = 0;
    for (const LoadSession& s : sessions_) {
      if (s.lost) continue;
      ++pending;
      client_->submit(s.id, CloseSession{}, [&pending](const Reply&) { --pending; });
    }
    // A session whose close gets no reply expires by itself; only the callbacks must be done.
    if (!client_->run_until([&] { return pending == 0; }, o_.request_timeout + kPhaseMargin)) {
      throw std::runtime_error("closing the sessions got no answer, not even ConnectionLoss");
    }
  }

  const VoleryCluster& cluster_;
  const VoleryLoadOptions& o_;
  std::size_t records_max_;
  BlockingVoleryClient* client_ = nullptr;
  std::vector<LoadSession> sessions_;
  std::deque<PathModel> paths_;  // a deque: sessions and callbacks point into it
  Clock::time_point deadline_;
  Clock::time_point started_;
  Clock::time_point last_reply_;
  VoleryLoadReport report_;
};

// Creates the root when absent and this run's node under it; returns the run node's path.
std::string set_up(const VoleryCluster& cluster, const VoleryLoadOptions& o) {
  BlockingVoleryClient client(cluster, client_options(o));
  const Reply opened = client.open_session(o.session_timeout_ms);
  if (opened.result.code != Code::ok) {
    throw std::runtime_error(fmt::format("opening a session: {} (are the cluster's volery nodes up?)",
                                         to_string(opened.result.code)));
  }
  const SessionId s = opened.result.session;
  if (o.root != "/") {
    const Reply root = client.call(s, Create{o.root, "", open_acl(), CreateMode::persistent});
    if (root.result.code != Code::ok && root.result.code != Code::node_exists) {
      throw std::runtime_error(fmt::format("creating {}: {}", o.root, to_string(root.result.code)));
    }
  }
  const std::string prefix = (o.root == "/" ? std::string() : o.root) + "/run-";
  const Reply run = client.call(s, Create{prefix, "", open_acl(), CreateMode::persistent_sequential});
  if (run.result.code != Code::ok) {
    throw std::runtime_error(fmt::format("creating {}NNNNNNNNNN: {}", prefix, to_string(run.result.code)));
  }
  client.close_session(s);
  return run.result.path;
}

void merge(VoleryLoadReport& into, VoleryLoadReport&& from) {
  into.ops += from.ops;
  for (const auto& [code, count] : from.codes) into.codes[code] += count;
  into.unexpected += from.unexpected;
  if (into.first_unexpected.empty()) into.first_unexpected = std::move(from.first_unexpected);
  into.sessions_lost += from.sessions_lost;
  into.latency_us.merge(from.latency_us);
  into.writes_acknowledged += from.writes_acknowledged;
  std::move(from.writes.begin(), from.writes.end(), std::back_inserter(into.writes));
  into.writes_overflowed = into.writes_overflowed || from.writes_overflowed;
  std::move(from.read_back.begin(), from.read_back.end(), std::back_inserter(into.read_back));
  into.uncertain_paths += from.uncertain_paths;
  into.read_back_mismatches += from.read_back_mismatches;
  into.read_back_unanswered += from.read_back_unanswered;
  if (into.error.empty()) into.error = std::move(from.error);
}

}  // namespace

const char* to_string(VoleryReadBack::Verdict verdict) {
  switch (verdict) {
    case VoleryReadBack::Verdict::ok: return "ok";
    case VoleryReadBack::Verdict::mismatch: return "mismatch";
    case VoleryReadBack::Verdict::unanswered: return "unanswered";
  }
  return "?";
}

VoleryLoadReport run_volery_load(const VoleryCluster& cluster, const VoleryLoadOptions& o) {
  EYRIE_ASSERT(o.clients >= 1 && o.clients <= o.keys && o.gateways >= 1 && o.gateways <= o.clients);
  VoleryLoadReport report;
  try {
    report.run_path = set_up(cluster, o);
  } catch (const std::exception& e) {
    report.error = std::string("setup: ") + e.what();
    return report;
  }
  // Session i runs on gateway i mod gateways and owns paths k with k mod clients == i.
  std::vector<std::unique_ptr<GatewayLoad>> gateways;
  for (std::size_t g = 0; g < o.gateways; ++g) {
    gateways.push_back(std::make_unique<GatewayLoad>(cluster, o, o.records_max / o.gateways));
  }
  Rng seeds(o.seed);
  for (std::size_t i = 0; i < o.clients; ++i) gateways[i % o.gateways]->add_session(i, seeds.fork());
  for (std::size_t k = 0; k < o.keys; ++k) {
    const std::size_t session = k % o.clients;
    gateways[session % o.gateways]->add_path(session / o.gateways, fmt::format("{}/k{}", report.run_path, k));
  }
  std::vector<std::thread> threads;
  for (auto& g : gateways) threads.emplace_back([&g] { g->run(); });
  for (std::thread& t : threads) t.join();
  Clock::time_point first = Clock::time_point::max();
  Clock::time_point last = Clock::time_point::min();
  for (auto& g : gateways) {
    if (g->started() != Clock::time_point{}) {  // its load ran
      first = std::min(first, g->started());
      last = std::max(last, g->last_reply());
    }
    merge(report, std::move(g->report()));
  }
  report.seconds = last > first ? std::chrono::duration<double>(last - first).count() : 0.0;
  return report;
}

}  // namespace eyrie::cli
