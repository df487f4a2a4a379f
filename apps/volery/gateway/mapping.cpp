#include "apps/volery/gateway/mapping.hpp"

#include "apps/volery/path.hpp"

namespace eyrie::volery::zk {

namespace {

// What a request decodes to: the operation, or a code refusing it here.
template <typename T>
using Mapped = std::variant<T, Code>;

// Longer paths are refused by path_error too; checked here because the replicas refuse a
// command carrying one as malformed (apps/volery/codec.hpp) rather than answer bad_arguments.
std::optional<Code> over_limit_path(const std::string& path) {
  if (path.size() <= limits::path_bytes_max) return std::nullopt;
  return Code::bad_arguments;
}

std::optional<Code> over_limit_data(const std::string& data) {
  if (data.size() <= limits::data_bytes_max) return std::nullopt;
  return Code::bad_arguments;
}

// ZooKeeper checks the path before the ACL (PrepRequestProcessor): an ACL over Volery's limits
// on a request whose path is also wrong answers the path's error.
std::optional<Code> over_limit_acl(const std::vector<Acl>& acl, const std::string& path, bool sequential) {
  bool over = acl.size() > limits::acl_entries_max;
  for (const Acl& a : acl) {
    over = over || a.id.scheme.size() > limits::scheme_bytes_max || a.id.id.size() > limits::id_bytes_max;
  }
  if (!over) return std::nullopt;
  return path_error(path, sequential) ? Code::bad_arguments : Code::invalid_acl;
}

// PERSISTENT_WITH_TTL (5), PERSISTENT_SEQUENTIAL_WITH_TTL (6).
bool is_ttl_mode(std::int32_t flags) { return flags == 5 || flags == 6; }

// CreateMode.fromFlag, without TTLs.
Mapped<CreateMode> create_mode(std::int32_t flags) {
  if (flags >= 0 && flags <= static_cast<std::int32_t>(CreateMode::container)) return static_cast<CreateMode>(flags);
  if (is_ttl_mode(flags)) return Code::unimplemented;
  return Code::bad_arguments;
}

Mapped<Create> make_create(const CreateRequest& r, CreateMode mode) {
  const bool sequential = is_sequential(mode);
  if (const auto c = over_limit_path(r.path)) return *c;
  if (const auto c = over_limit_acl(r.acl, r.path, sequential)) return *c;
  if (const auto c = over_limit_data(r.data)) return *c;
  return Create{r.path, r.data, r.acl, mode};
}

template <typename T>
Mapped<T> checked(T op, const std::string& path) {
  if (const auto c = over_limit_path(path)) return *c;
  return op;
}

template <typename T>
RequestBody body_of(Mapped<T> mapped) {
  if (const Code* c = std::get_if<Code>(&mapped)) return Refusal{*c, false};
  return Op{std::move(std::get<T>(mapped))};
}

// One operation of a multi (MultiOperationRecord): its create's mode comes from its flags,
// whatever its type among create, create2 and createContainer.
Mapped<MultiOp> read_multi_op(JuteReader& in, std::int32_t type) {
  switch (static_cast<OpCode>(type)) {
    case OpCode::create:
    case OpCode::create2:
    case OpCode::create_container:
    case OpCode::create_ttl: {
      CreateRequest r;
      read(in, r, type == static_cast<std::int32_t>(OpCode::create_ttl));
      if (type == static_cast<std::int32_t>(OpCode::create_ttl)) return Code::unimplemented;
      // ZooKeeper 3.8 makes a createTTL operation of a create with a TTL mode, then reads its
      // CreateRequest as a CreateTTLRequest: the ClassCastException fails the whole request
      // (read_multi marks the refusal `whole`).
      if (is_ttl_mode(r.flags)) return Code::marshalling_error;
      const Mapped<CreateMode> mode = create_mode(r.flags);
      if (const Code* c = std::get_if<Code>(&mode)) return *c;
      const Mapped<Create> create = make_create(r, std::get<CreateMode>(mode));
      if (const Code* c = std::get_if<Code>(&create)) return *c;
      return MultiOp{std::get<Create>(create)};
    }
    case OpCode::remove: {
      PathVersionRequest r;
      read(in, r);
      return checked<MultiOp>(Delete{r.path, r.version}, r.path);
    }
    case OpCode::set_data: {
      SetDataRequest r;
      read(in, r);
      if (const auto c = over_limit_data(r.data)) return *c;
      return checked<MultiOp>(SetData{r.path, r.data, r.version}, r.path);
    }
    case OpCode::check: {
      PathVersionRequest r;
      read(in, r);
      return checked<MultiOp>(Check{r.path, r.version}, r.path);
    }
    default:
      // multiRead's getData and getChildren too: a multi (14) holds only writes and checks.
      in.fail("multi operation type " + std::to_string(type));
      return Code::marshalling_error;
  }
}

RequestBody read_multi(JuteReader& in) {
  Multi multi;
  std::optional<MultiRefusal> refusal;
  std::size_t count = 0;
  MultiHeader h;
  read(in, h);
  while (!in.failed() && !h.done) {
    // Every operation takes at least a MultiHeader (9 bytes): the loop ends with the frame.
    const Mapped<MultiOp> op = read_multi_op(in, h.type);
    if (in.failed()) break;
    if (const Code* c = std::get_if<Code>(&op)) {
      if (!refusal) refusal = MultiRefusal{count, 0, *c, *c == Code::marshalling_error, multi};
    } else if (!refusal) {
      multi.ops.push_back(std::get<MultiOp>(op));
    }
    ++count;
    read(in, h);
  }
  if (in.failed()) return Refusal{Code::marshalling_error, false};
  if (count > limits::multi_ops_max) return Refusal{Code::bad_arguments, false};
  if (refusal) {
    refusal->count = count;
    return *refusal;
  }
  return Op{std::move(multi)};
}

// The body of a request the replicas run (or a refusal of it); the reader says if it decoded.
RequestBody read_operation(JuteReader& in, OpCode type) {
  switch (type) {
    case OpCode::create:
    case OpCode::create2:
    case OpCode::create_container: {
      CreateRequest r;
      read(in, r, false);
      return body_of(to_create(r, type));
    }
    case OpCode::remove: {
      PathVersionRequest r;
      read(in, r);
      return body_of(checked(Delete{r.path, r.version}, r.path));
    }
    case OpCode::check: {
      PathVersionRequest r;
      read(in, r);
      return body_of(checked(Check{r.path, r.version}, r.path));
    }
    case OpCode::exists:
    case OpCode::get_data:
    case OpCode::get_children:
    case OpCode::get_children2: {
      PathWatchRequest r;
      read(in, r);
      if (type == OpCode::exists) return body_of(checked(Exists{r.path, r.watch}, r.path));
      if (type == OpCode::get_data) return body_of(checked(GetData{r.path, r.watch}, r.path));
      return body_of(checked(GetChildren{r.path, r.watch}, r.path));
    }
    case OpCode::set_data: {
      SetDataRequest r;
      read(in, r);
      if (const auto c = over_limit_data(r.data)) return Refusal{*c, false};
      return body_of(checked(SetData{r.path, r.data, r.version}, r.path));
    }
    case OpCode::get_acl: {
      // A null path fails the request (MarshallingError), as ZooKeeper's processing of it does.
      const std::string path = in.read_path();
      return body_of(checked(GetAcl{path}, path));
    }
    case OpCode::sync: {
      // ZooKeeper answers a sync with its path as given, unchecked, a null one included.
      if (in.next_is_null()) {
        (void)in.read_buffer();
        return NullPathSync{};
      }
      const std::string path = in.read_buffer();
      return body_of(checked(Sync{path}, path));
    }
    case OpCode::set_acl: {
      SetAclRequest r;
      read(in, r);
      if (const auto c = over_limit_path(r.path)) return Refusal{*c, false};
      if (const auto c = over_limit_acl(r.acl, r.path, false)) return Refusal{*c, false};
      return Op{SetAcl{r.path, r.acl, r.version}};
    }
    case OpCode::multi: return read_multi(in);
    default: break;
  }
  return Refusal{Code::unimplemented, true};
}

bool is_known_unsupported(OpCode type) {
  switch (type) {
    case OpCode::check_watches:
    case OpCode::remove_watches:
    case OpCode::delete_container:
    case OpCode::create_ttl:
    case OpCode::multi_read:
    case OpCode::get_ephemerals:
    case OpCode::get_all_children_number:
    case OpCode::add_watch:
    case OpCode::who_am_i: return true;
    default: return false;
  }
}

}  // namespace

std::variant<Create, Code> to_create(const CreateRequest& request, OpCode type) {
  const Mapped<CreateMode> mode = create_mode(request.flags);
  if (const Code* c = std::get_if<Code>(&mode)) return *c;
  CreateMode m = std::get<CreateMode>(mode);
  if (type == OpCode::create_container) {
    // ZooKeeper makes a container from any flags here (CreateContainerTxn).
    if (is_sequential(m)) return Code::bad_arguments;
    m = CreateMode::container;
  }
  return make_create(request, m);
}

std::optional<ClientRequest> parse_request(std::span<const std::byte> frame, std::string* error) {
  JuteReader in(frame);
  ClientRequest request;
  read(in, request.header);
  if (in.failed()) {
    if (error) *error = "request header: " + in.error();
    return std::nullopt;
  }
  const auto type = static_cast<OpCode>(request.header.type);
  switch (type) {
    case OpCode::ping: request.body = Ping{}; return request;
    case OpCode::close_session: request.body = CloseRequest{}; return request;
    case OpCode::auth: {
      AuthPacket packet;
      read(in, packet);
      if (in.failed()) {
        if (error) *error = "auth packet: " + in.error();
        return std::nullopt;
      }
      request.body = std::move(packet);
      return request;
    }
    case OpCode::set_watches:
    case OpCode::set_watches2: {
      SetWatches w;
      read(in, w, type == OpCode::set_watches2);
      if (in.failed()) {
        request.body = Refusal{Code::marshalling_error, false};
      } else {
        request.body = std::move(w);
      }
      return request;
    }
    case OpCode::reconfig: request.body = Refusal{kReconfigDisabled, false}; return request;
    case OpCode::sasl: request.body = Refusal{Code::auth_failed, true}; return request;
    default: break;
  }
  if (is_known_unsupported(type)) {
    request.body = Refusal{Code::unimplemented, false};
    return request;
  }
  request.body = read_operation(in, type);
  if (in.failed()) request.body = Refusal{Code::marshalling_error, false};
  return request;
}

std::optional<ConnectRequest> parse_connect_request(std::span<const std::byte> frame, std::string* error) {
  JuteReader in(frame);
  ConnectRequest request;
  read(in, request);
  if (in.failed()) {
    if (error) *error = "connect request: " + in.error();
    return std::nullopt;
  }
  return request;
}

// ---- replies ------------------------------------------------------------------------------------

namespace {

JuteWriter reply_writer(std::int32_t xid, Zxid zxid, Code code) {
  JuteWriter out = JuteWriter::frame();
  write(out, ReplyHeader{xid, zxid, static_cast<std::int32_t>(code)});
  return out;
}

Stat stat_of(const Result& r) { return r.stat.value_or(Stat{}); }

void write_multi_results(JuteWriter& out, std::span<const OpCode> types, const Result& result) {
  for (std::size_t i = 0; i < result.results.size(); ++i) {
    const Result& r = result.results[i];
    if (result.code != Code::ok) {
      const auto err = static_cast<std::int32_t>(r.code);
      write(out, MultiHeader{static_cast<std::int32_t>(OpCode::error), false, err});
      out.write_int(err);  // ErrorResponse
      continue;
    }
    const OpCode type = i < types.size() ? types[i] : OpCode::check;
    write(out, MultiHeader{static_cast<std::int32_t>(type), false, 0});
    switch (type) {
      case OpCode::create: out.write_buffer(r.path); break;
      case OpCode::create2:
        out.write_buffer(r.path);
        write(out, stat_of(r));
        break;
      case OpCode::set_data: write(out, stat_of(r)); break;
      default: break;  // delete, check
    }
  }
  write(out, MultiHeader{-1, true, -1});
}

}  // namespace

Bytes error_frame(std::int32_t xid, Zxid zxid, Code code) { return std::move(reply_writer(xid, zxid, code)).finish(); }

std::vector<OpCode> multi_result_types(const Multi& multi) {
  std::vector<OpCode> types;
  types.reserve(multi.ops.size());
  for (const MultiOp& op : multi.ops) {
    if (const auto* c = std::get_if<Create>(&op)) {
      // FinalRequestProcessor: a container's CreateResult carries its stat (type create2).
      types.push_back(c->mode == CreateMode::container ? OpCode::create2 : OpCode::create);
    } else if (std::holds_alternative<Delete>(op)) {
      types.push_back(OpCode::remove);
    } else if (std::holds_alternative<SetData>(op)) {
      types.push_back(OpCode::set_data);
    } else {
      types.push_back(OpCode::check);
    }
  }
  return types;
}

Bytes reply_frame(const RequestHeader& request, std::span<const OpCode> multi_types, Zxid zxid, const Result& result) {
  const auto type = static_cast<OpCode>(request.type);
  if (type == OpCode::multi && (result.code == Code::ok || !result.results.empty())) {
    // A failed multi still answers 0: its results say what failed.
    JuteWriter out = reply_writer(request.xid, zxid, Code::ok);
    write_multi_results(out, multi_types, result);
    return std::move(out).finish();
  }
  if (result.code != Code::ok) return error_frame(request.xid, zxid, result.code);
  JuteWriter out = reply_writer(request.xid, zxid, Code::ok);
  switch (type) {
    case OpCode::create: out.write_buffer(result.path); break;
    case OpCode::create2:
    case OpCode::create_container:
      out.write_buffer(result.path);
      write(out, stat_of(result));
      break;
    case OpCode::exists:
    case OpCode::set_data:
    case OpCode::set_acl: write(out, stat_of(result)); break;
    case OpCode::get_data:
      out.write_buffer(result.data);
      write(out, stat_of(result));
      break;
    case OpCode::get_acl:
      write(out, result.acl);
      write(out, stat_of(result));
      break;
    case OpCode::get_children: out.write_strings(result.children); break;
    case OpCode::get_children2:
      out.write_strings(result.children);
      write(out, stat_of(result));
      break;
    case OpCode::sync: out.write_buffer(result.path); break;
    default: break;  // delete, check, closeSession, setWatches: the header alone
  }
  return std::move(out).finish();
}

Bytes refused_multi_frame(std::int32_t xid, Zxid zxid, const MultiRefusal& refusal) {
  Result failed;
  failed.code = refusal.code;
  for (std::size_t i = 0; i < refusal.count; ++i) {
    Result r;
    r.code = i < refusal.index ? Code::ok : i == refusal.index ? refusal.code : Code::runtime_inconsistency;
    failed.results.push_back(r);
  }
  JuteWriter out = reply_writer(xid, zxid, Code::ok);
  write_multi_results(out, {}, failed);
  return std::move(out).finish();
}

Bytes null_path_sync_frame(std::int32_t xid, Zxid zxid) {
  JuteWriter out = reply_writer(xid, zxid, Code::ok);
  out.write_null();
  return std::move(out).finish();
}

Bytes notification_frame(Zxid zxid, EventType type, std::string_view path) {
  JuteWriter out = reply_writer(kNotificationXid, zxid, Code::ok);
  write(out, WatcherEvent{static_cast<std::int32_t>(type), kSyncConnected, std::string(path)});
  return std::move(out).finish();
}

Bytes connect_response_frame(const ConnectResponse& response) {
  JuteWriter out = JuteWriter::frame();
  write(out, response);
  return std::move(out).finish();
}

}  // namespace eyrie::volery::zk
