@0x982ae305b699ab26;
# Wire format of the echo role (apps/echo/echo_role.hpp): pings and their pongs.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("eyrie::echo::wire");

struct Ping {
  seq @0 :UInt64;            # per sender incarnation, from 1
  incarnation @1 :UInt64;    # the sender's boot number (durable, grows at every restart)
  sentAtNs @2 :Int64;        # sender's monotonic clock; only the sender interprets it
  body @3 :Data;             # filler so that message size can be chosen
}

struct Pong {
  seq @0 :UInt64;                  # the ping's
  pingIncarnation @1 :UInt64;      # the ping's sender incarnation
  responderIncarnation @2 :UInt64; # the answering node's boot number
  sentAtNs @3 :Int64;              # echoed from the ping
  body @4 :Data;                   # echoed from the ping
}
