#include "tests/checkers/volery_watch_checker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace eyrie::check::volery {

namespace {

using zk::EventType;

enum Kind : std::uint8_t { kData = 1, kChild = 2 };

// The watch kinds an event of this type fires (and consumes).
std::uint8_t kinds_fired(EventType type) {
  switch (type) {
    case EventType::node_created:
    case EventType::node_data_changed: return kData;
    case EventType::node_children_changed: return kChild;
    case EventType::node_deleted: return kData | kChild;
  }
  return 0;
}

struct Change {
  std::string path;
  EventType type;
  zk::Zxid zxid;
};

std::string parent_path(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

// What an acknowledged write changed, as watch events would name it.
void changes_of(const zk::Op& op, const zk::Result& result, zk::Zxid zxid, std::vector<Change>& out) {
  if (result.code != zk::Code::ok) return;
  const auto one = [&](const auto& o, const zk::Result& r) {
    using T = std::decay_t<decltype(o)>;
    if constexpr (std::is_same_v<T, zk::Create>) {
      out.push_back({r.path, EventType::node_created, zxid});
      out.push_back({parent_path(r.path), EventType::node_children_changed, zxid});
    } else if constexpr (std::is_same_v<T, zk::Delete>) {
      out.push_back({o.path, EventType::node_deleted, zxid});
      out.push_back({parent_path(o.path), EventType::node_children_changed, zxid});
    } else if constexpr (std::is_same_v<T, zk::SetData>) {
      out.push_back({o.path, EventType::node_data_changed, zxid});
    }
  };
  if (const auto* m = std::get_if<zk::Multi>(&op)) {
    for (std::size_t i = 0; i < m->ops.size() && i < result.results.size(); ++i) {
      std::visit([&](const auto& o) { one(o, result.results[i]); }, m->ops[i]);
    }
    return;
  }
  std::visit([&](const auto& o) { one(o, result); }, op);
}

// The watch a read sets: (path, kind), when it sets one.
std::optional<std::pair<std::string, Kind>> watch_of(const zk::Op& op) {
  if (const auto* g = std::get_if<zk::GetData>(&op); g && g->watch) return std::pair{g->path, kData};
  if (const auto* e = std::get_if<zk::Exists>(&op); e && e->watch) return std::pair{e->path, kData};
  if (const auto* c = std::get_if<zk::GetChildren>(&op); c && c->watch) return std::pair{c->path, kChild};
  return std::nullopt;
}

bool set_watch(const zk::Op& op, const zk::Reply& reply) {
  if (reply.result.code == zk::Code::ok) return true;
  return std::holds_alternative<zk::Exists>(op) && reply.result.code == zk::Code::no_node;
}

bool ran(const zk::Reply& reply) {
  const zk::Code c = reply.result.code;
  return c != zk::Code::connection_loss && c != zk::Code::session_expired && c != zk::Code::session_moved;
}

std::string describe_event(const zk::WatchEvent& e) {
  return fmt::format("{} {} (zxid {}, partition {}, #{})", zk::to_string(e.type), e.path, e.zxid, e.partition.value,
                     e.number);
}

}  // namespace

std::uint64_t WatchChecker::submitted(zk::SessionId session, const zk::Op& op) {
  Session& s = sessions_[session];
  s.requests.push_back(Request{op, std::nullopt});
  return s.requests.size();
}

void WatchChecker::replied(zk::SessionId session, std::uint64_t number, const zk::Reply& reply) {
  Session& s = sessions_[session];
  if (number == 0 || number > s.requests.size()) {
    return fail(fmt::format("session {:x}: a reply to request {} it never sent", session, number));
  }
  s.requests[number - 1].reply = reply;
  s.log.push_back(Delivery{.is_event = false, .request = number, .event = {}});
  if (set_watch(s.requests[number - 1].op, reply) && watch_of(s.requests[number - 1].op)) ++watches_set_;
}

void WatchChecker::event(const zk::WatchEvent& event) {
  ++events_;
  sessions_[event.session].log.push_back(Delivery{.is_event = true, .request = 0, .event = event});
}

void WatchChecker::ended(zk::SessionId session, zk::Zxid zxid) {
  auto& ended = sessions_[session].ended;
  if (!ended || zxid < *ended) ended = zxid;
}

CheckResult WatchChecker::check() const {
  first_failure_.clear();
  std::vector<Change> changes;
  for (const auto& [id, s] : sessions_) {
    for (const Request& r : s.requests) {
      if (r.reply) changes_of(r.op, r.reply->result, r.reply->zxid, changes);
    }
  }
  for (const auto& [id, s] : sessions_) {
    // FIFO: request order, and execution (zxid) order along it.
    std::uint64_t expected = 1;
    zk::Zxid last_zxid = 0;
    std::set<std::tuple<std::string, int, zk::Zxid>> seen;
    std::map<zk::PartitionId, zk::Zxid> last_event_zxid;
    std::map<std::string, std::vector<std::pair<zk::Zxid, const zk::WatchEvent*>>> events_by_path;
    for (const Delivery& d : s.log) {
      if (!d.is_event) {
        if (d.request != expected) {
          fail(fmt::format("session {:x}: reply to request {} handed out where request {} was next", id, d.request,
                           expected));
        }
        expected = d.request + 1;
        const zk::Reply& reply = *s.requests[d.request - 1].reply;
        // Requests that ran, in the order they ran. Not those refused because the session had
        // ended (they did nothing, whatever their order) nor answered by the library itself.
        if (ran(reply) && reply.zxid != 0) {
          if (reply.zxid <= last_zxid) {
            fail(fmt::format("session {:x}: request {} ({}) ran at zxid {}, not after its predecessor's {}", id,
                             d.request, zk::describe(s.requests[d.request - 1].op), reply.zxid, last_zxid));
          }
          last_zxid = std::max(last_zxid, reply.zxid);
        }
        continue;
      }
      const zk::WatchEvent& e = d.event;
      if (!seen.insert({e.path, static_cast<int>(e.type), e.zxid}).second) {
        fail(fmt::format("session {:x}: event {} delivered twice", id, describe_event(e)));
      }
      zk::Zxid& last = last_event_zxid[e.partition];
      if (e.zxid < last) {  // one command may fire several events (same zxid)
        fail(fmt::format("session {:x}: event {} after an event of zxid {} from the same partition", id,
                         describe_event(e), last));
      }
      last = std::max(last, e.zxid);
      events_by_path[e.path].emplace_back(e.zxid, &e);
    }

    // Events before the replies of commands that ran after them at their partition.
    for (std::size_t i = 0; i < s.log.size(); ++i) {
      if (s.log[i].is_event) continue;
      const Request& r = s.requests[s.log[i].request - 1];
      if (!ran(*r.reply)) continue;
      const std::vector<zk::PartitionId> where = destinations_(r.op);
      for (std::size_t j = i + 1; j < s.log.size(); ++j) {
        if (!s.log[j].is_event) continue;
        const zk::WatchEvent& e = s.log[j].event;
        if (e.zxid < r.reply->zxid && std::find(where.begin(), where.end(), owner_(e.path)) != where.end()) {
          fail(fmt::format("session {:x}: event {} handed out after the reply to {} (zxid {}), which ran after it "
                           "at partition {}",
                           id, describe_event(e), zk::describe(r.op), r.reply->zxid, owner_(e.path).value));
        }
      }
    }

    // One-shot watches: walk each path's watches and events in zxid (execution) order.
    std::map<std::string, std::vector<std::pair<zk::Zxid, Kind>>> watches;
    std::set<std::string> uncertain;  // a watching read without a reply may have set a watch
    for (const Request& r : s.requests) {
      const auto w = watch_of(r.op);
      if (!w) continue;
      if (!r.reply || r.reply->result.code == zk::Code::connection_loss) {
        uncertain.insert(w->first);
      } else if (set_watch(r.op, *r.reply)) {
        watches[w->first].emplace_back(r.reply->zxid, w->second);
      }
    }
    for (const auto& [path, events] : events_by_path) {
      if (uncertain.contains(path)) continue;
      std::vector<std::tuple<zk::Zxid, bool, std::uint8_t, const zk::WatchEvent*>> timeline;
      for (const auto& [zxid, kind] : watches[path]) timeline.emplace_back(zxid, false, kind, nullptr);
      for (const auto& [zxid, e] : events) timeline.emplace_back(zxid, true, kinds_fired(e->type), e);
      std::sort(timeline.begin(), timeline.end(),
                [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
      std::uint8_t active = 0;
      for (const auto& [zxid, is_event, kinds, e] : timeline) {
        if (!is_event) {
          active |= kinds;
          continue;
        }
        if ((active & kinds) == 0) {
          fail(fmt::format("session {:x}: event {} fired no watch of the session (none set since the last event "
                           "on that path)",
                           id, describe_event(*e)));
        }
        active &= static_cast<std::uint8_t>(~kinds);
      }
    }

    // Liveness: a watch whose path an acknowledged write then changed has fired.
    for (const auto& [path, set] : watches) {
      if (uncertain.contains(path)) continue;
      for (const auto& [zreg, kind] : set) {
        const Change* first = nullptr;
        for (const Change& c : changes) {
          if (c.path == path && c.zxid > zreg && (kinds_fired(c.type) & kind) != 0 &&
              (first == nullptr || c.zxid < first->zxid)) {
            first = &c;
          }
        }
        if (first == nullptr || (s.ended && *s.ended < first->zxid)) continue;
        const auto it = events_by_path.find(path);
        const bool fired = it != events_by_path.end() &&
                           std::any_of(it->second.begin(), it->second.end(), [&](const auto& entry) {
                             return entry.first > zreg && entry.first <= first->zxid &&
                                    (kinds_fired(entry.second->type) & kind) != 0;
                           });
        if (!fired) {
          fail(fmt::format("session {:x}: the watch its read set on {} at zxid {} never fired, though {} {} at zxid "
                           "{} changed it",
                           id, path, zreg, zk::to_string(first->type), first->path, first->zxid));
        }
      }
    }
  }
  return first_failure_.empty() ? CheckResult::ok() : CheckResult::failed(first_failure_);
}

}  // namespace eyrie::check::volery
