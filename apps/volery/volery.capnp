@0xc0ed72cfed00b633;
# Volery's native protocol (apps/volery/types.hpp): the requests the client library sends as
# S-SMR commands, the replies the state machine answers with, and the notifications partitions
# emit to gateways. apps/volery/codec.cpp converts, and validates what the schema cannot say
# (enum ranges, size limits, a multi result inside a multi result).
#
# Strings are Data, not Text: paths and names are bytes here (the state machine, not the codec,
# checks that they are valid UTF-8 paths, and answers badArguments otherwise). ZooKeeper's
# numeric values (error codes, create modes, event types, permissions) travel as Int32 unchanged.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("eyrie::volery::wire");

struct Id {
  scheme @0 :Data;
  id @1 :Data;
}

struct Acl {
  perms @0 :Int32;
  id @1 :Id;
}

struct Stat {
  czxid @0 :Int64;
  mzxid @1 :Int64;
  ctime @2 :Int64;
  mtime @3 :Int64;
  version @4 :Int32;
  cversion @5 :Int32;
  aversion @6 :Int32;
  ephemeralOwner @7 :Int64;
  dataLength @8 :Int32;
  numChildren @9 :Int32;
  pzxid @10 :Int64;
}

# ---- operations ----

struct Create {
  path @0 :Data;
  data @1 :Data;
  acl @2 :List(Acl);
  mode @3 :Int32;                       # CreateMode: 0..4
}

struct Delete {
  path @0 :Data;
  version @1 :Int32;
}

struct SetData {
  path @0 :Data;
  data @1 :Data;
  version @2 :Int32;
}

struct Check {
  path @0 :Data;
  version @1 :Int32;
}

struct PathWatch {                      # getData, exists, getChildren
  path @0 :Data;
  watch @1 :Bool;
}

struct SetAcl {
  path @0 :Data;
  acl @1 :List(Acl);
  version @2 :Int32;
}

struct MultiOp {
  union {
    create @0 :Create;
    delete @1 :Delete;
    setData @2 :SetData;
    check @3 :Check;
  }
}

struct Request {
  session @0 :Int64;
  seq @1 :UInt64;
  previous @2 :UInt64;
  gateway @3 :UInt64;
  auth @4 :List(Id);
  op :union {
    create @5 :Create;
    delete @6 :Delete;
    setData @7 :SetData;
    check @8 :Check;
    getData @9 :PathWatch;
    exists @10 :PathWatch;
    getChildren @11 :PathWatch;
    getAcl @12 :Data;                   # path
    setAcl @13 :SetAcl;
    sync @14 :Data;                     # path
    multi @15 :List(MultiOp);
    createSession :group {
      timeoutMs @16 :Int32;
      password @17 :Data;
    }
    tick @18 :List(Int64);              # the sessions to renew
    closeSession @19 :Void;
    reattach @20 :Data;                 # password
  }
}

# ---- results ----

struct Result {
  code @0 :Int32;                       # KeeperException.Code: any value is carried
  path @1 :Data;
  hasStat @2 :Bool;
  stat @3 :Stat;
  data @4 :Data;
  children @5 :List(Data);
  acl @6 :List(Acl);
  results @7 :List(Result);             # a multi's; those hold no results of their own
  session @8 :Int64;
  timeoutMs @9 :Int32;
  expired @10 :List(Int64);
}

struct EventMark {
  partition @0 :UInt32;
  events @1 :UInt64;
}

struct Reply {
  enum Status {
    done @0;
    outOfOrder @1;
  }
  status @0 :Status;
  zxid @1 :Int64;
  marks @2 :List(EventMark);
  result @3 :Result;
}

# ---- notifications ----

struct WatchEvent {
  session @0 :Int64;
  type @1 :Int32;                       # EventType: 1..4
  path @2 :Data;
  partition @3 :UInt32;
  number @4 :UInt64;
  zxid @5 :Int64;
  acl @6 :List(Acl);                    # the node's (the parent's for NodeChildrenChanged)
}

struct SessionExpired {
  session @0 :Int64;
  zxid @1 :Int64;
  marks @2 :List(EventMark);   # events emitted to the session before its expiry
}

struct Notification {
  union {
    watchEvent @0 :WatchEvent;
    sessionExpired @1 :SessionExpired;
  }
}
