@0xc1f0a3b2d4e5f607;
# Wire format of the ZeroMQ transport (runtime/net/frame_codec.hpp).
#
# One ZeroMQ frame carries one or more envelopes back to back, each a complete Cap'n Proto
# message in flat-array form (segment table included), so each starts at a word boundary and
# the payload bytes of each start at a word boundary too: a receiver can hand roles slices of
# the frame that Cap'n Proto reads in place.

struct Envelope {
  type @0 :UInt16;     # MessageType; 0 is never valid
  from @1 :UInt64;     # NodeId of the sender; must match the transport's routing identity
  payload @2 :Data;    # the role's message body (usually itself a Cap'n Proto message)
}
