@0x89f53867165fa91d;
# Ridge's shared wire structures, and the messages between senders and coordinators.
# The Paxos messages of an ensemble live in multicast/ensemble.capnp.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("eyrie::multicast::wire");

struct MessageId {
  sender @0 :UInt64;
  seq @1 :UInt64;
}

struct MulticastMessage {
  id @0 :MessageId;
  destinations @1 :List(UInt32);   # group ids, sorted, unique, non-empty
  timestampNs @2 :Int64;           # initial timestamp, sender's wall clock
  payload @3 :Data;
  senderAckedBelow @4 :UInt64;
}

struct Batch {
  messages @0 :List(MulticastMessage);
  nullTimestampNs @1 :Int64;       # only for an empty batch (a null message)
}

# Sender -> coordinator (candidate) of an ensemble: please order these messages.
struct Propose {
  ensemble @0 :UInt32;
  messages @1 :List(MulticastMessage);
}

# Coordinator -> sender: these messages are decided (the sender stops retransmitting them).
struct ProposeAck {
  ensemble @0 :UInt32;
  ids @1 :List(MessageId);
}

# A candidate that is not the current coordinator, to a sender: try `leader` instead
# (0 when it does not know one).
struct NotLeader {
  ensemble @0 :UInt32;
  leader @1 :UInt64;
}
