@0xb4c6f0a1d2e38957;
# Volery's replicated objects as they travel between partitions and into state snapshots
# (apps/volery/objects.hpp). Not a client protocol: requests and replies are in volery.capnp.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("eyrie::volery::state");

struct AclEntry {
  perms @0 :Int32;
  scheme @1 :Text;
  id @2 :Text;
}

struct ZNode {
  data @0 :Data;
  acl @1 :List(AclEntry);
  czxid @2 :Int64;
  mzxid @3 :Int64;
  ctime @4 :Int64;
  mtime @5 :Int64;
  version @6 :Int32;
  cversion @7 :Int32;
  aversion @8 :Int32;
  ephemeralOwner @9 :Int64;
  pzxid @10 :Int64;
  children @11 :List(Text);   # names, sorted
}

struct Watches {
  data @0 :List(Int64);       # sessions watching data or existence
  child @1 :List(Int64);      # sessions watching the children
}

struct SessionRecord {
  lastSeq @0 :UInt64;
  gateway @1 :UInt64;
  events @2 :UInt64;
  watched @3 :List(Text);
}

struct Ephemerals {
  paths @0 :List(Text);
}

struct SessionEntry {
  session @0 :Int64;
  timeoutMs @1 :Int32;
  renewedNs @2 :Int64;
  password @3 :Data;
}

struct SessionTable {
  sessions @0 :List(SessionEntry);
}

struct Object {
  union {
    znode @0 :ZNode;
    watches @1 :Watches;
    sessionRecord @2 :SessionRecord;
    ephemerals @3 :Ephemerals;
    sessionTable @4 :SessionTable;
  }
}
