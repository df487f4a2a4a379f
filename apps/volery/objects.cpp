#include "apps/volery/objects.hpp"

#include <capnp/message.h>

#include <stdexcept>

#include "apps/volery/state.capnp.h"
#include "runtime/capnp_codec.hpp"

namespace eyrie::volery {

namespace {

capnp::Data::Reader data_of(const std::string& s) {
  return capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(s.data()), s.size());
}
std::string string_of(capnp::Data::Reader d) { return std::string(reinterpret_cast<const char*>(d.begin()), d.size()); }
std::string string_of(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

template <typename Fill>
void build(std::string& out, Fill&& fill) {
  capnp::MallocMessageBuilder builder(256);
  fill(builder.initRoot<state::Object>());
  const Payload encoded = encode_capnp(builder);
  out.assign(encoded.as_string_view());
}

template <typename List, typename Set>
void fill_text(List list, const Set& values) {
  unsigned i = 0;
  for (const auto& v : values) list.set(i++, v);
}

}  // namespace

Stat ZNode::stat_now() const {
  Stat s = stat;
  s.data_length = static_cast<std::int32_t>(data.size());
  s.num_children = static_cast<std::int32_t>(children.size());
  // ZooKeeper stores the number of children created and shows the number of changes: every
  // child not present any more was created and deleted (DataNode.copyStat).
  s.cversion = static_cast<std::int32_t>(std::int64_t{stat.cversion} * 2 - s.num_children);
  if (is_container()) s.ephemeral_owner = 0;  // clients see 0 for containers, as in ZooKeeper
  return s;
}

void ZNode::serialize(std::string& out) const {
  build(out, [&](state::Object::Builder root) {
    auto n = root.initZnode();
    n.setData(data_of(data));
    auto acl_list = n.initAcl(static_cast<unsigned>(acl.size()));
    for (unsigned i = 0; i < acl.size(); ++i) {
      acl_list[i].setPerms(acl[i].perms);
      acl_list[i].setScheme(acl[i].id.scheme);
      acl_list[i].setId(acl[i].id.id);
    }
    n.setCzxid(stat.czxid);
    n.setMzxid(stat.mzxid);
    n.setCtime(stat.ctime);
    n.setMtime(stat.mtime);
    n.setVersion(stat.version);
    n.setCversion(stat.cversion);
    n.setAversion(stat.aversion);
    n.setEphemeralOwner(stat.ephemeral_owner);
    n.setPzxid(stat.pzxid);
    fill_text(n.initChildren(static_cast<unsigned>(children.size())), children);
  });
}

void Watches::serialize(std::string& out) const {
  build(out, [&](state::Object::Builder root) {
    auto w = root.initWatches();
    fill_text(w.initData(static_cast<unsigned>(data.size())), data);
    fill_text(w.initChild(static_cast<unsigned>(child.size())), child);
  });
}

void SessionRecord::serialize(std::string& out) const {
  build(out, [&](state::Object::Builder root) {
    auto r = root.initSessionRecord();
    r.setLastSeq(last_seq);
    r.setGateway(gateway.value);
    r.setEvents(events);
    fill_text(r.initWatched(static_cast<unsigned>(watched.size())), watched);
  });
}

void Ephemerals::serialize(std::string& out) const {
  build(out, [&](state::Object::Builder root) {
    fill_text(root.initEphemerals().initPaths(static_cast<unsigned>(paths.size())), paths);
  });
}

void SessionTable::serialize(std::string& out) const {
  build(out, [&](state::Object::Builder root) {
    auto list = root.initSessionTable().initSessions(static_cast<unsigned>(sessions.size()));
    unsigned i = 0;
    for (const auto& [id, e] : sessions) {
      list[i].setSession(id);
      list[i].setTimeoutMs(e.timeout_ms);
      list[i].setRenewedNs(e.renewed_ns);
      list[i].setPassword(data_of(e.password));
      ++i;
    }
  });
}

std::unique_ptr<partition::Object> decode_object(std::span<const std::byte> bytes) {
  std::unique_ptr<partition::Object> out;
  std::string error;
  const Payload payload = Payload::copy_of(bytes);
  const bool ok = read_capnp<state::Object>(payload, [&](state::Object::Reader in) {
    switch (in.which()) {
      case state::Object::ZNODE: {
        const auto n = in.getZnode();
        auto z = std::make_unique<ZNode>();
        z->data = string_of(n.getData());
        for (auto a : n.getAcl()) z->acl.push_back(Acl{a.getPerms(), Id{string_of(a.getScheme()), string_of(a.getId())}});
        z->stat.czxid = n.getCzxid();
        z->stat.mzxid = n.getMzxid();
        z->stat.ctime = n.getCtime();
        z->stat.mtime = n.getMtime();
        z->stat.version = n.getVersion();
        z->stat.cversion = n.getCversion();
        z->stat.aversion = n.getAversion();
        z->stat.ephemeral_owner = n.getEphemeralOwner();
        z->stat.pzxid = n.getPzxid();
        for (auto c : n.getChildren()) z->children.insert(string_of(c));
        out = std::move(z);
        break;
      }
      case state::Object::WATCHES: {
        auto w = std::make_unique<Watches>();
        for (auto s : in.getWatches().getData()) w->data.insert(s);
        for (auto s : in.getWatches().getChild()) w->child.insert(s);
        out = std::move(w);
        break;
      }
      case state::Object::SESSION_RECORD: {
        const auto r = in.getSessionRecord();
        auto s = std::make_unique<SessionRecord>();
        s->last_seq = r.getLastSeq();
        s->gateway = NodeId{r.getGateway()};
        s->events = r.getEvents();
        for (auto p : r.getWatched()) s->watched.insert(string_of(p));
        out = std::move(s);
        break;
      }
      case state::Object::EPHEMERALS: {
        auto e = std::make_unique<Ephemerals>();
        for (auto p : in.getEphemerals().getPaths()) e->paths.insert(string_of(p));
        out = std::move(e);
        break;
      }
      case state::Object::SESSION_TABLE: {
        auto t = std::make_unique<SessionTable>();
        for (auto e : in.getSessionTable().getSessions()) {
          t->sessions[e.getSession()] = SessionTable::Entry{e.getTimeoutMs(), e.getRenewedNs(), string_of(e.getPassword())};
        }
        out = std::move(t);
        break;
      }
      default: throw std::invalid_argument("unknown Volery object kind");
    }
  }, &error);
  if (!ok) throw std::invalid_argument("malformed Volery object: " + error);
  return out;
}

}  // namespace eyrie::volery
