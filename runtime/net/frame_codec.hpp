#pragma once
// The transport's frame codec: how messages become ZeroMQ frames and back.
//
// A frame is a sequence of envelopes (envelope.capnp), each a flat-array Cap'n Proto message.
// Small messages to one peer share a frame (up to pack_bytes_max bytes), so a loop turn that
// sends many small messages costs a few ZeroMQ frames instead of one per message; a message
// whose envelope alone reaches pack_bytes_max travels in a frame of its own.
//
// Decoding treats every frame as hostile: a frame is accepted whole or dropped whole (truncated,
// garbage, oversized, type 0, or an envelope whose `from` is not the authenticated sender),
// each rejection counted and logged at a bounded rate, so a broken peer can never crash the
// node nor feed a role half of a frame.

#include <zmq.hpp>

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "runtime/env.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/payload.hpp"

namespace eyrie::net {

struct OutgoingMessage {
  MessageType type;
  Payload payload;
};

// Envelope framing: segment table (1 word), root pointer (1), struct data (2), payload pointer (1).
inline constexpr std::size_t kEnvelopeHeaderBytes = 5 * 8;

inline constexpr std::size_t envelope_bytes(std::size_t payload_bytes) {
  return kEnvelopeHeaderBytes + (payload_bytes + 7) / 8 * 8;
}

// Writes the canonical single-segment encoding of Envelope{type, from, payload} at `out`, which
// must hold envelope_bytes(payload.size()) bytes. Written by hand because building each
// envelope through a MessageBuilder costs more than the rest of the send path; a test checks
// that the bytes equal what Cap'n Proto itself produces.
void write_envelope(std::byte* out, MessageType type, NodeId from, std::span<const std::byte> payload);

// Packs `messages`, in order, into frames of at most `pack_bytes_max` bytes (a single larger
// message gets its own frame) and calls emit(frame, messages_in_frame) for each. The frame is a
// zero-copy ZeroMQ message over a buffer filled once: each payload is copied exactly once.
template <typename Emit>
void pack_frames(NodeId from, std::span<const OutgoingMessage> messages, std::size_t pack_bytes_max, Emit&& emit);

// A frame's bytes as a word-aligned Payload: the ZeroMQ buffer itself when it happens to be
// aligned (kept alive by the Payload), else one aligned copy.
Payload frame_payload(zmq::message_t&& frame);

enum class FrameError { none, empty, oversized, malformed, bad_type, wrong_sender };
std::string_view to_string(FrameError error);

// Decodes frames from authenticated senders, counting and logging what it rejects:
// transport.frames_received, transport.messages_received, transport.malformed_frames,
// transport.oversized_frames, transport.bad_type_frames, transport.wrong_sender_frames.
class FrameDecoder {
 public:
  FrameDecoder(Metrics& metrics, Logger log, std::size_t frame_bytes_max);

  // Appends the frame's messages to `out` and returns true, or leaves `out` as it was, counts
  // and logs the reason and returns false. Payloads are slices of `frame` (no copies), so a
  // role that keeps one message keeps its whole frame alive; a role that stores small parts
  // of many messages for long should copy them (Payload::copy_of).
  bool decode(const Payload& frame, NodeId sender, std::vector<Message>& out);
  // The same checks without counting or logging (for tests and for the counting wrapper).
  static FrameError decode_quietly(const Payload& frame, NodeId sender, std::size_t frame_bytes_max,
                                   std::vector<Message>& out, std::string* detail);

  // A frame the transport refused before decoding (bad identity, extra parts): counted as
  // malformed under the same rate limit.
  void reject(NodeId sender_or_zero, std::string_view why);

 private:
  Logger log_;
  std::size_t frame_bytes_max_;
  LogLimiter limiter_;
  Counter& frames_;
  Counter& messages_;
  Counter& malformed_;
  Counter& oversized_;
  Counter& bad_type_;
  Counter& wrong_sender_;
};

// ---- template implementation ----

namespace detail {
// A heap buffer for one outgoing frame, owned by ZeroMQ once sent (freed by its I/O thread).
std::byte* allocate_frame(std::size_t bytes);
void free_frame(void* data, void* hint);
}  // namespace detail

template <typename Emit>
void pack_frames(NodeId from, std::span<const OutgoingMessage> messages, std::size_t pack_bytes_max, Emit&& emit) {
  std::size_t begin = 0;
  while (begin < messages.size()) {
    // Take messages while the frame stays within the packing limit; always take at least one.
    std::size_t end = begin;
    std::size_t bytes = 0;
    while (end < messages.size()) {
      const std::size_t next = envelope_bytes(messages[end].payload.size());
      if (end > begin && bytes + next > pack_bytes_max) break;
      bytes += next;
      ++end;
    }
    std::byte* buffer = detail::allocate_frame(bytes);
    std::byte* out = buffer;
    for (std::size_t i = begin; i < end; ++i) {
      write_envelope(out, messages[i].type, from, messages[i].payload.bytes());
      out += envelope_bytes(messages[i].payload.size());
    }
    emit(zmq::message_t(buffer, bytes, &detail::free_frame, nullptr), end - begin);
    begin = end;
  }
}

}  // namespace eyrie::net
