@0xd4b1f0e2a7c39b15;
# The S-SMR runtime's wire formats (Bezerra, Scalable State Machine Replication, USI 2016,
# ch. 4, Algorithm 1): commands (the payload of a Ridge multicast), the messages replicas of
# different partitions exchange about one command, and replies to clients. Message types
# 2000..2099 (partition/message_types.hpp).

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("eyrie::partition::wire");

# A client's command, multicast to the destination partitions' groups.
struct Command {
  clientId @0 :UInt64;      # unique per client start
  seq @1 :UInt64;           # the client's sequence number for this command (from 1)
  ackedBelow @2 :UInt64;    # the client holds the replies of every seq below (replicas forget them)
  replyTo @3 :UInt64;       # the client's endpoint (NodeId)
  request @4 :Data;         # application bytes
}
# (The destination partitions are the Ridge message's destination groups.)

# The command's identity between partitions: the Ridge message that carried it.
struct CommandKey {
  sender @0 :UInt64;
  seq @1 :UInt64;
}

struct ObjectValue {
  id @0 :Data;
  present @1 :Bool;         # false: the object does not exist (as of the command)
  bytes @2 :Data;           # Object::serialize output
  cached @3 :Bool;          # instead of bytes: the receiver's cached copy is current (§4.3.1)
}

enum VerdictKind {
  none @0;                  # no verdict in this message
  ok @1;                    # executed; writes apply once every destination says ok
  retry @2;                 # an access needed a partition outside the destinations
  failed @3;                # the application raised an error: nothing applies
}

# Partition -> replicas of the other destination partitions of one command: the signal
# (sent when the command starts executing), object values (sent at the owner's first access,
# or at start when the oracle lists them), and the verdict (sent at the end). A pull is
# answered with everything sent so far, merged into one message.
struct Exchange {
  command @0 :CommandKey;
  partition @1 :UInt32;     # the sender's partition
  signal @2 :Bool;
  values @3 :List(ObjectValue);
  verdict @4 :VerdictKind;
  missing @5 :List(UInt32); # with retry: the partitions that were missing
  error @6 :Text;           # with failed: the application's message
}

# A replica waiting on `partitions` for `command` asks their replicas to send again.
struct Pull {
  command @0 :CommandKey;
  partition @1 :UInt32;     # the asking replica's partition
}

enum ReplyStatus {
  ok @0;
  retry @1;                 # re-multicast to `destinations`
  failed @2;                # the application raised an error (message in body)
}

# A message a command emitted to a client or gateway (CommandContext::emit). Its id
# (partition, position, index) is the same at every replica, so receivers drop duplicates.
struct Emitted {
  partition @0 :UInt32;
  position @1 :UInt64;      # the command's delivery position in that partition
  index @2 :UInt32;         # the emit's order within the command
  body @3 :Data;
}

# Receiver -> every replica of the partition: that emitted message arrived.
struct EmitAck {
  partition @0 :UInt32;
  position @1 :UInt64;
  index @2 :UInt32;
}

# A partition's whole state: every committed object.
struct State {
  objects @0 :List(ObjectValue);
}

struct Reply {
  clientId @0 :UInt64;
  seq @1 :UInt64;
  status @2 :ReplyStatus;
  body @3 :Data;
  destinations @4 :List(UInt32);  # with retry: the larger set to use
  partition @5 :UInt32;           # who answered
}
