@0xc7d1a3e5f2b40981;
# The Paxos messages inside one Ridge ensemble (Bezerra, Scalable State Machine Replication,
# USI 2016, §5.2-5.3.3) and learner catch-up. Every message names its ensemble first, so that a
# node hosting several ensembles routes it before reading anything else. Message types
# 1020..1079 (multicast/ensemble_wire.hpp maps types to these structs).

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("eyrie::multicast::wire");

using Ridge = import "/multicast/ridge.capnp";

# Coordinator -> every acceptor: promise `round` and report votes of [firstInstance, endInstance).
struct Phase1A {
  ensemble @0 :UInt32;
  round @1 :UInt64;
  firstInstance @2 :UInt64;
  endInstance @3 :UInt64;
}

struct Vote {
  instance @0 :UInt64;
  round @1 :UInt64;
  value @2 :Ridge.Batch;
  decided @3 :Bool;          # the acceptor knows this vote is the decided value
}

# Acceptor -> coordinator. With promised = false, promisedRound says what beat the request.
# Votes are complete for [firstInstance, reportedEnd): a reply may stop early to stay small.
struct Phase1B {
  ensemble @0 :UInt32;
  round @1 :UInt64;
  promised @2 :Bool;
  promisedRound @3 :UInt64;
  firstInstance @4 :UInt64;
  reportedEnd @5 :UInt64;
  trimmedBelow @6 :UInt64;   # instances below are decided and forgotten by this acceptor
  votes @7 :List(Vote);
}

# Phase 2 along the chain (Algorithm 3, Task 4): `votes` acceptors of `chain` voted so far.
struct Phase2 {
  ensemble @0 :UInt32;
  round @1 :UInt64;
  instance @2 :UInt64;
  value @3 :Ridge.Batch;
  chain @4 :List(UInt64);
  votes @5 :UInt32;
}

# Classic Paxos Phase 2A, the fallback when the chain is stuck (§5.3.3).
struct Phase2Classic {
  ensemble @0 :UInt32;
  round @1 :UInt64;
  instance @2 :UInt64;
  value @3 :Ridge.Batch;
}

# Acceptor -> coordinator: voted for (round, instance) of a classic Phase 2.
struct Phase2B {
  ensemble @0 :UInt32;
  round @1 :UInt64;
  instance @2 :UInt64;
}

# Instance decided in round with a value of that digest; carries no value (§5.3.2).
struct Decision {
  ensemble @0 :UInt32;
  instance @1 :UInt64;
  round @2 :UInt64;
  digest @3 :UInt64;
}

# A decided value. As a Distribute message (last acceptor -> distributing learner), `quorum`
# lists the acceptors that already hold it; as a Value message it is empty.
# Lean (optimistic delivery on): the messages' payloads are left out, since senders pushed them
# to the learners; `digest` is then the decided value's digest (a learner completes the batch
# from its pushes, or fetches it from the acceptors).
struct Value {
  ensemble @0 :UInt32;
  instance @1 :UInt64;
  round @2 :UInt64;
  value @3 :Ridge.Batch;
  quorum @4 :List(UInt64);
  lean @5 :Bool;
  digest @6 :UInt64;
}

# Learner -> acceptor: send me your votes from firstInstance on.
struct Fetch {
  ensemble @0 :UInt32;
  firstInstance @1 :UInt64;
  countMax @2 :UInt32;
}

# The acceptor's votes from the requested instance on, each flagged when known decided. A
# learner also counts an instance decided once f+1 acceptors report the same round and value
# (Paxos' definition of chosen), so lost Decision messages cannot strand it.
struct FetchReply {
  ensemble @0 :UInt32;
  trimmedBelow @1 :UInt64;
  votes @2 :List(Vote);
}

# Candidate -> other candidates, every coordinator_heartbeat.
struct Heartbeat {
  ensemble @0 :UInt32;
  round @1 :UInt64;          # the sender's round (coordinating) or the highest it has seen
  coordinating @2 :Bool;
  decidedBelow @3 :UInt64;   # every instance below is known decided by the sender
}

# Acceptor -> coordinator of `rejected`: a higher round was promised.
struct Nack {
  ensemble @0 :UInt32;
  rejected @1 :UInt64;
  promised @2 :UInt64;
}

# Learner -> coordinator candidates: this learner has made no progress past `instance` for
# several fetch rounds. The leading coordinator re-decides the instance in its own round
# (Phase 1 for that instance, then classic Phase 2 with the highest vote), for when the vote
# of a decided instance lives on only at acceptors that never heard its Decision.
struct Redecide {
  ensemble @0 :UInt32;
  instance @1 :UInt64;
}

# Learner -> acceptors: this learner's upper layer no longer needs instances below `below`
# (it delivered them and keeps what it needs, e.g. in a checkpoint). Acceptors drop what every
# learner of the ensemble has let go of.
struct Trim {
  ensemble @0 :UInt32;
  below @1 :UInt64;
}
