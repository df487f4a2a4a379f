#include "apps/volery/codec.hpp"

#include <stdexcept>
#include <type_traits>

#include "apps/volery/volery.capnp.h"
#include "runtime/capnp_codec.hpp"

namespace eyrie::volery {

namespace {

using std::invalid_argument;

// ---- helpers shared by readers and writers ----------------------------------------------------

capnp::Data::Reader data_of(const std::string& s) {
  return capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(s.data()), s.size());
}

std::string bounded(capnp::Data::Reader d, std::size_t max, const char* what) {
  if (d.size() > max) {
    throw invalid_argument(std::string(what) + " has " + std::to_string(d.size()) + " bytes, more than " +
                           std::to_string(max));
  }
  return std::string(reinterpret_cast<const char*>(d.begin()), d.size());
}
std::string path_of(capnp::Data::Reader d) { return bounded(d, limits::path_bytes_max, "a path"); }
std::string node_data_of(capnp::Data::Reader d) { return bounded(d, limits::data_bytes_max, "node data"); }

template <typename List>
void check_count(const List& list, std::size_t max, const char* what) {
  if (list.size() > max) {
    throw invalid_argument(std::string(what) + ": " + std::to_string(list.size()) + ", more than " + std::to_string(max));
  }
}

std::int64_t non_negative(std::int64_t value, const char* what) {
  if (value < 0) throw invalid_argument(std::string(what) + " " + std::to_string(value) + " is negative");
  return value;
}
std::int64_t positive(std::int64_t value, const char* what) {
  if (value <= 0) throw invalid_argument(std::string(what) + " " + std::to_string(value) + " is not positive");
  return value;
}

template <typename Root, typename Fill>
Payload build(Fill&& fill) {
  capnp::MallocMessageBuilder builder;
  fill(builder.initRoot<Root>());
  return encode_capnp(builder);
}

// ---- writers ------------------------------------------------------------------------------------

void write(wire::Id::Builder out, const Id& id) {
  out.setScheme(data_of(id.scheme));
  out.setId(data_of(id.id));
}

void write(capnp::List<wire::Acl>::Builder out, const std::vector<Acl>& acl) {
  for (unsigned i = 0; i < out.size(); ++i) {
    out[i].setPerms(acl[i].perms);
    write(out[i].initId(), acl[i].id);
  }
}

template <typename Builder>
void write_acl(Builder out, const std::vector<Acl>& acl) {
  write(out.initAcl(static_cast<unsigned>(acl.size())), acl);
}

void write(wire::Stat::Builder out, const Stat& s) {
  out.setCzxid(s.czxid);
  out.setMzxid(s.mzxid);
  out.setCtime(s.ctime);
  out.setMtime(s.mtime);
  out.setVersion(s.version);
  out.setCversion(s.cversion);
  out.setAversion(s.aversion);
  out.setEphemeralOwner(s.ephemeral_owner);
  out.setDataLength(s.data_length);
  out.setNumChildren(s.num_children);
  out.setPzxid(s.pzxid);
}

void write(wire::Create::Builder out, const Create& c) {
  out.setPath(data_of(c.path));
  out.setData(data_of(c.data));
  write_acl(out, c.acl);
  out.setMode(static_cast<std::int32_t>(c.mode));
}
void write(wire::Delete::Builder out, const Delete& d) {
  out.setPath(data_of(d.path));
  out.setVersion(d.version);
}
void write(wire::SetData::Builder out, const SetData& s) {
  out.setPath(data_of(s.path));
  out.setData(data_of(s.data));
  out.setVersion(s.version);
}
void write(wire::Check::Builder out, const Check& c) {
  out.setPath(data_of(c.path));
  out.setVersion(c.version);
}
void write(wire::PathWatch::Builder out, const std::string& path, bool watch) {
  out.setPath(data_of(path));
  out.setWatch(watch);
}

void write(wire::MultiOp::Builder out, const MultiOp& op) {
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, Create>) write(out.initCreate(), o);
        if constexpr (std::is_same_v<T, Delete>) write(out.initDelete(), o);
        if constexpr (std::is_same_v<T, SetData>) write(out.initSetData(), o);
        if constexpr (std::is_same_v<T, Check>) write(out.initCheck(), o);
      },
      op);
}

void write(wire::Request::Op::Builder out, const Op& op) {
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, Create>) write(out.initCreate(), o);
        if constexpr (std::is_same_v<T, Delete>) write(out.initDelete(), o);
        if constexpr (std::is_same_v<T, SetData>) write(out.initSetData(), o);
        if constexpr (std::is_same_v<T, Check>) write(out.initCheck(), o);
        if constexpr (std::is_same_v<T, GetData>) write(out.initGetData(), o.path, o.watch);
        if constexpr (std::is_same_v<T, Exists>) write(out.initExists(), o.path, o.watch);
        if constexpr (std::is_same_v<T, GetChildren>) write(out.initGetChildren(), o.path, o.watch);
        if constexpr (std::is_same_v<T, GetAcl>) out.setGetAcl(data_of(o.path));
        if constexpr (std::is_same_v<T, SetAcl>) {
          auto s = out.initSetAcl();
          s.setPath(data_of(o.path));
          write_acl(s, o.acl);
          s.setVersion(o.version);
        }
        if constexpr (std::is_same_v<T, Sync>) out.setSync(data_of(o.path));
        if constexpr (std::is_same_v<T, Multi>) {
          auto list = out.initMulti(static_cast<unsigned>(o.ops.size()));
          for (unsigned i = 0; i < list.size(); ++i) write(list[i], o.ops[i]);
        }
        if constexpr (std::is_same_v<T, CreateSession>) {
          auto c = out.initCreateSession();
          c.setTimeoutMs(o.timeout_ms);
          c.setPassword(data_of(o.password));
        }
        if constexpr (std::is_same_v<T, Tick>) {
          auto list = out.initTick(static_cast<unsigned>(o.renew.size()));
          for (unsigned i = 0; i < list.size(); ++i) list.set(i, o.renew[i]);
        }
        if constexpr (std::is_same_v<T, CloseSession>) out.setCloseSession();
        if constexpr (std::is_same_v<T, Reattach>) out.setReattach(data_of(o.password));
      },
      op);
}

void write(wire::Result::Builder out, const Result& r) {
  out.setCode(static_cast<std::int32_t>(r.code));
  out.setPath(data_of(r.path));
  out.setHasStat(r.stat.has_value());
  if (r.stat) write(out.initStat(), *r.stat);
  out.setData(data_of(r.data));
  auto children = out.initChildren(static_cast<unsigned>(r.children.size()));
  for (unsigned i = 0; i < children.size(); ++i) children.set(i, data_of(r.children[i]));
  write_acl(out, r.acl);
  auto results = out.initResults(static_cast<unsigned>(r.results.size()));
  for (unsigned i = 0; i < results.size(); ++i) write(results[i], r.results[i]);
  out.setSession(r.session);
  out.setTimeoutMs(r.timeout_ms);
  auto expired = out.initExpired(static_cast<unsigned>(r.expired.size()));
  for (unsigned i = 0; i < expired.size(); ++i) expired.set(i, r.expired[i]);
}

// ---- readers (throw invalid_argument with the reason; read_capnp reports it) ---------------------

Id read(wire::Id::Reader in) {
  return Id{bounded(in.getScheme(), limits::scheme_bytes_max, "an id's scheme"),
            bounded(in.getId(), limits::id_bytes_max, "an id")};
}

std::vector<Acl> read(capnp::List<wire::Acl>::Reader in) {
  check_count(in, limits::acl_entries_max, "ACL entries");
  std::vector<Acl> acl;
  acl.reserve(in.size());
  for (auto a : in) acl.push_back(Acl{a.getPerms(), read(a.getId())});
  return acl;
}

Stat read(wire::Stat::Reader in) {
  return Stat{.czxid = in.getCzxid(),
              .mzxid = in.getMzxid(),
              .ctime = in.getCtime(),
              .mtime = in.getMtime(),
              .version = in.getVersion(),
              .cversion = in.getCversion(),
              .aversion = in.getAversion(),
              .ephemeral_owner = in.getEphemeralOwner(),
              .data_length = in.getDataLength(),
              .num_children = in.getNumChildren(),
              .pzxid = in.getPzxid()};
}

CreateMode read_mode(std::int32_t mode) {
  if (mode < 0 || mode > static_cast<std::int32_t>(CreateMode::container)) {
    throw invalid_argument("create mode " + std::to_string(mode) + " is not 0..4");
  }
  return static_cast<CreateMode>(mode);
}

Create read(wire::Create::Reader in) {
  return Create{path_of(in.getPath()), node_data_of(in.getData()), read(in.getAcl()), read_mode(in.getMode())};
}
Delete read(wire::Delete::Reader in) { return Delete{path_of(in.getPath()), in.getVersion()}; }
SetData read(wire::SetData::Reader in) { return SetData{path_of(in.getPath()), node_data_of(in.getData()), in.getVersion()}; }
Check read(wire::Check::Reader in) { return Check{path_of(in.getPath()), in.getVersion()}; }

MultiOp read(wire::MultiOp::Reader in) {
  switch (in.which()) {
    case wire::MultiOp::CREATE: return read(in.getCreate());
    case wire::MultiOp::DELETE: return read(in.getDelete());
    case wire::MultiOp::SET_DATA: return read(in.getSetData());
    case wire::MultiOp::CHECK: return read(in.getCheck());
  }
  throw invalid_argument("unknown multi operation " + std::to_string(static_cast<unsigned>(in.which())));
}

Multi read_multi(capnp::List<wire::MultiOp>::Reader in) {
  check_count(in, limits::multi_ops_max, "operations in a multi");
  Multi multi;
  multi.ops.reserve(in.size());
  for (auto op : in) multi.ops.push_back(read(op));
  return multi;
}

Tick read_tick(capnp::List<std::int64_t>::Reader in) {
  check_count(in, limits::tick_sessions_max, "sessions in a tick");
  Tick tick;
  tick.renew.reserve(in.size());
  for (std::int64_t session : in) tick.renew.push_back(positive(session, "renewed session id"));
  return tick;
}

Op read(wire::Request::Op::Reader in) {
  using W = wire::Request::Op;
  switch (in.which()) {
    case W::CREATE: return read(in.getCreate());
    case W::DELETE: return read(in.getDelete());
    case W::SET_DATA: return read(in.getSetData());
    case W::CHECK: return read(in.getCheck());
    case W::GET_DATA: return GetData{path_of(in.getGetData().getPath()), in.getGetData().getWatch()};
    case W::EXISTS: return Exists{path_of(in.getExists().getPath()), in.getExists().getWatch()};
    case W::GET_CHILDREN: return GetChildren{path_of(in.getGetChildren().getPath()), in.getGetChildren().getWatch()};
    case W::GET_ACL: return GetAcl{path_of(in.getGetAcl())};
    case W::SET_ACL: {
      const auto s = in.getSetAcl();
      return SetAcl{path_of(s.getPath()), read(s.getAcl()), s.getVersion()};
    }
    case W::SYNC: return Sync{path_of(in.getSync())};
    case W::MULTI: return read_multi(in.getMulti());
    case W::CREATE_SESSION: {
      const auto c = in.getCreateSession();
      return CreateSession{static_cast<std::int32_t>(positive(c.getTimeoutMs(), "session timeout")),
                           bounded(c.getPassword(), limits::password_bytes_max, "a session password")};
    }
    case W::TICK: return read_tick(in.getTick());
    case W::CLOSE_SESSION: return CloseSession{};
    case W::REATTACH: return Reattach{bounded(in.getReattach(), limits::password_bytes_max, "a session password")};
  }
  throw invalid_argument("unknown operation " + std::to_string(static_cast<unsigned>(in.which())));
}

Request read(wire::Request::Reader in) {
  Request request;
  request.session = non_negative(in.getSession(), "session id");
  request.seq = in.getSeq();
  request.previous = in.getPrevious();
  if (request.previous != 0 && request.previous >= request.seq) {
    throw invalid_argument("previous request " + std::to_string(request.previous) + " is not below seq " +
                           std::to_string(request.seq));
  }
  request.gateway = NodeId{in.getGateway()};
  check_count(in.getAuth(), limits::auth_ids_max, "auth ids");
  for (auto id : in.getAuth()) request.auth.push_back(read(id));
  request.op = read(in.getOp());
  return request;
}

// `inside_multi`: the result of one operation of a multi, which holds no results of its own.
Result read(wire::Result::Reader in, bool inside_multi) {
  Result r;
  r.code = static_cast<Code>(in.getCode());
  r.path = path_of(in.getPath());
  if (in.getHasStat()) r.stat = read(in.getStat());
  r.data = node_data_of(in.getData());
  check_count(in.getChildren(), limits::children_max, "children");
  r.children.reserve(in.getChildren().size());
  for (auto child : in.getChildren()) r.children.push_back(bounded(child, limits::path_bytes_max, "a child's name"));
  r.acl = read(in.getAcl());
  if (inside_multi && in.getResults().size() > 0) throw invalid_argument("a multi result inside a multi result");
  check_count(in.getResults(), limits::multi_ops_max, "results in a multi");
  for (auto sub : in.getResults()) r.results.push_back(read(sub, true));
  r.session = non_negative(in.getSession(), "session id");
  r.timeout_ms = in.getTimeoutMs();
  check_count(in.getExpired(), limits::tick_sessions_max, "expired sessions");
  for (std::int64_t session : in.getExpired()) r.expired.push_back(positive(session, "expired session id"));
  return r;
}

Reply read(wire::Reply::Reader in) {
  Reply reply;
  switch (in.getStatus()) {
    case wire::Reply::Status::DONE: reply.status = Reply::Status::done; break;
    case wire::Reply::Status::OUT_OF_ORDER: reply.status = Reply::Status::out_of_order; break;
    default: throw invalid_argument("unknown reply status " + std::to_string(static_cast<unsigned>(in.getStatus())));
  }
  reply.zxid = non_negative(in.getZxid(), "zxid");
  check_count(in.getMarks(), limits::marks_max, "event marks");
  for (auto mark : in.getMarks()) reply.marks.push_back(EventMark{PartitionId{mark.getPartition()}, mark.getEvents()});
  reply.result = read(in.getResult(), false);
  return reply;
}

WatchEvent read(wire::WatchEvent::Reader in) {
  const std::int32_t type = in.getType();
  if (type < static_cast<std::int32_t>(EventType::node_created) ||
      type > static_cast<std::int32_t>(EventType::node_children_changed)) {
    throw invalid_argument("event type " + std::to_string(type) + " is not 1..4");
  }
  if (in.getNumber() == 0) throw invalid_argument("event number 0 (events are numbered from 1)");
  return WatchEvent{.session = positive(in.getSession(), "session id"),
                    .type = static_cast<EventType>(type),
                    .path = path_of(in.getPath()),
                    .partition = PartitionId{in.getPartition()},
                    .number = in.getNumber(),
                    .zxid = non_negative(in.getZxid(), "zxid"),
                    .acl = read(in.getAcl())};
}

Notification read(wire::Notification::Reader in) {
  switch (in.which()) {
    case wire::Notification::WATCH_EVENT: return read(in.getWatchEvent());
    case wire::Notification::SESSION_EXPIRED: {
      const auto e = in.getSessionExpired();
      SessionExpired out{positive(e.getSession(), "session id"), non_negative(e.getZxid(), "zxid"), {}};
      check_count(e.getMarks(), limits::marks_max, "event marks");
      for (auto mark : e.getMarks()) out.marks.push_back(EventMark{PartitionId{mark.getPartition()}, mark.getEvents()});
      return out;
    }
  }
  throw invalid_argument("unknown notification " + std::to_string(static_cast<unsigned>(in.which())));
}

// Reads `bytes` as a `Root` message into a `T`: nullopt, with the reason, when anything is off.
template <typename T, typename Root>
std::optional<T> decode(std::span<const std::byte> bytes, std::string* error) {
  std::optional<T> out;
  const Payload payload = Payload::copy_of(bytes);
  const bool ok = read_capnp<Root>(payload, [&](typename Root::Reader in) { out = read(in); }, error);
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace

Payload encode(const Request& request) {
  return build<wire::Request>([&](wire::Request::Builder out) {
    out.setSession(request.session);
    out.setSeq(request.seq);
    out.setPrevious(request.previous);
    out.setGateway(request.gateway.value);
    auto auth = out.initAuth(static_cast<unsigned>(request.auth.size()));
    for (unsigned i = 0; i < auth.size(); ++i) write(auth[i], request.auth[i]);
    write(out.getOp(), request.op);
  });
}

std::optional<Request> decode_request(std::span<const std::byte> bytes, std::string* error) {
  return decode<Request, wire::Request>(bytes, error);
}

Payload encode(const Reply& reply) {
  return build<wire::Reply>([&](wire::Reply::Builder out) {
    out.setStatus(reply.status == Reply::Status::done ? wire::Reply::Status::DONE : wire::Reply::Status::OUT_OF_ORDER);
    out.setZxid(reply.zxid);
    auto marks = out.initMarks(static_cast<unsigned>(reply.marks.size()));
    for (unsigned i = 0; i < marks.size(); ++i) {
      marks[i].setPartition(reply.marks[i].partition.value);
      marks[i].setEvents(reply.marks[i].events);
    }
    write(out.initResult(), reply.result);
  });
}

std::optional<Reply> decode_reply(std::span<const std::byte> bytes, std::string* error) {
  return decode<Reply, wire::Reply>(bytes, error);
}

Payload encode(const Notification& notification) {
  return build<wire::Notification>([&](wire::Notification::Builder out) {
    if (const auto* e = std::get_if<WatchEvent>(&notification)) {
      auto w = out.initWatchEvent();
      w.setSession(e->session);
      w.setType(static_cast<std::int32_t>(e->type));
      w.setPath(data_of(e->path));
      w.setPartition(e->partition.value);
      w.setNumber(e->number);
      w.setZxid(e->zxid);
      write_acl(w, e->acl);
    } else {
      const auto& x = std::get<SessionExpired>(notification);
      auto s = out.initSessionExpired();
      s.setSession(x.session);
      s.setZxid(x.zxid);
      auto marks = s.initMarks(static_cast<unsigned>(x.marks.size()));
      for (unsigned i = 0; i < marks.size(); ++i) {
        marks[i].setPartition(x.marks[i].partition.value);
        marks[i].setEvents(x.marks[i].events);
      }
    }
  });
}

std::optional<Notification> decode_notification(std::span<const std::byte> bytes, std::string* error) {
  return decode<Notification, wire::Notification>(bytes, error);
}

}  // namespace eyrie::volery
