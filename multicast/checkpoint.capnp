@0xf521bebd530e52b2;
# A learner checkpoint (multicast/checkpoint.hpp): where a learner's conservative delivery
# stands, as its upper layer keeps it durable and hands it back at a restart. Not a wire
# message: bytes at rest, read back by decode_checkpoint, which validates them.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("eyrie::multicast::wire");

struct LearnerCheckpoint {
  position @0 :UInt64;                 # deliveries so far; the next one has position + 1
  streams @1 :List(StreamCheckpoint);  # one per subscribed ensemble, ascending ensemble ids
}

# One subscribed ensemble: its place in the merge (counted in what left the merger) and its
# duplicate filter.
struct StreamCheckpoint {
  ensemble @0 :UInt32;
  nextInstance @1 :UInt64;             # the first instance not entirely merged
  poppedInNextInstance @2 :UInt64;     # messages of nextInstance already merged
  lastFinalTimestampNs @3 :Int64;      # final timestamp of the last entry merged
  filterAdmissions @4 :UInt64;         # messages the filter judged so far
  filterSenders @5 :List(FilterSender);  # ascending sender ids
}

struct FilterSender {
  sender @0 :UInt64;
  lastActive @1 :UInt64;               # the admission that last saw this sender (eviction)
  forgottenBelowLife @2 :UInt64;       # the sender's lives below count as entirely decided
  claims @3 :List(LifeClaim);          # ascending lives, at most 8 (SenderClaims)
  seen @4 :List(UInt64);               # decided seqs no claim covers, ascending
}

# The seqs of one life of a sender in [life << 40, below) are decided earlier in the stream.
struct LifeClaim {
  life @0 :UInt64;
  below @1 :UInt64;
}
