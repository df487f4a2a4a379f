#include "runtime/net/frame_codec.hpp"

#include <capnp/serialize.h>

#include <bit>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "runtime/assert.hpp"
#include "runtime/capnp_codec.hpp"
#include "runtime/net/envelope.capnp.h"

namespace eyrie::net {

static_assert(std::endian::native == std::endian::little, "the envelope writer assumes a little-endian host");

namespace {

void put_u64(std::byte* out, std::uint64_t value) { std::memcpy(out, &value, sizeof value); }

// Cap'n Proto pointer words (encoding spec, "Structs" and "Lists"), with offset 0: the target
// starts right after the pointer.
constexpr std::uint64_t struct_pointer(std::uint16_t data_words, std::uint16_t pointer_count) {
  return (std::uint64_t{data_words} << 32) | (std::uint64_t{pointer_count} << 48);
}
constexpr std::uint64_t byte_list_pointer(std::size_t count) {
  constexpr std::uint64_t kListTag = 1;
  constexpr std::uint64_t kByteElements = 2;
  return kListTag | (kByteElements << 32) | (static_cast<std::uint64_t>(count) << 35);
}

}  // namespace

void write_envelope(std::byte* out, MessageType type, NodeId from, std::span<const std::byte> payload) {
  EYRIE_ASSERT(payload.size() < (std::size_t{1} << 29), "a Cap'n Proto Data holds less than 512 MiB");
  const std::size_t payload_words = (payload.size() + 7) / 8;
  const std::uint64_t segment_words = 4 + payload_words;  // root pointer + struct + payload
  put_u64(out, segment_words << 32);                      // one segment (count - 1 = 0), its size
  put_u64(out + 8, struct_pointer(2, 1));
  put_u64(out + 16, type.value);                          // data word 0: type in bits 0..15
  put_u64(out + 24, from.value);                          // data word 1: from
  put_u64(out + 32, byte_list_pointer(payload.size()));
  if (!payload.empty()) std::memcpy(out + kEnvelopeHeaderBytes, payload.data(), payload.size());
  const std::size_t padding = payload_words * 8 - payload.size();
  if (padding > 0) std::memset(out + kEnvelopeHeaderBytes + payload.size(), 0, padding);
}

namespace detail {

std::byte* allocate_frame(std::size_t bytes) {
  // malloc's alignment (16 on Linux x86-64) is enough for Cap'n Proto words.
  void* buffer = std::malloc(bytes == 0 ? 1 : bytes);
  if (buffer == nullptr) throw std::bad_alloc();
  return static_cast<std::byte*>(buffer);
}

void free_frame(void* data, void*) { std::free(data); }

}  // namespace detail

Payload frame_payload(zmq::message_t&& frame) {
  auto owner = std::make_shared<zmq::message_t>(std::move(frame));
  const auto* data = static_cast<const std::byte*>(owner->data());
  const std::size_t size = owner->size();
  // Small frames live inside the zmq_msg_t itself and large ones may point into ZeroMQ's
  // receive buffer at any offset: only a frame that is already aligned avoids the copy.
  if (reinterpret_cast<std::uintptr_t>(data) % 8 == 0) {
    return Payload(std::shared_ptr<const void>(owner, data), data, size);
  }
  return Payload::copy_of(std::span<const std::byte>(data, size));
}

std::string_view to_string(FrameError error) {
  switch (error) {
    case FrameError::none: return "none";
    case FrameError::empty: return "empty frame";
    case FrameError::oversized: return "oversized frame";
    case FrameError::malformed: return "malformed frame";
    case FrameError::bad_type: return "envelope with message type 0";
    case FrameError::wrong_sender: return "envelope sender differs from the routing identity";
  }
  return "?";
}

FrameError FrameDecoder::decode_quietly(const Payload& frame, NodeId sender, std::size_t frame_bytes_max,
                                        std::vector<Message>& out, std::string* detail) {
  const std::size_t kept = out.size();
  auto fail = [&](FrameError error, std::string why) {
    out.resize(kept);
    if (detail) *detail = std::move(why);
    return error;
  };
  if (frame.empty()) return fail(FrameError::empty, "no bytes");
  if (frame.size() > frame_bytes_max) return fail(FrameError::oversized, std::to_string(frame.size()) + " bytes");
  if (frame.size() % 8 != 0 || !frame.word_aligned()) {
    return fail(FrameError::malformed, "size " + std::to_string(frame.size()) + " is not a whole number of words");
  }
  const auto* words = reinterpret_cast<const capnp::word*>(frame.data());
  const auto* const end = words + frame.size() / 8;
  const auto* const base = reinterpret_cast<const capnp::byte*>(frame.data());
  try {
    while (words < end) {
      kj::ArrayPtr<const capnp::word> rest(words, end);
      capnp::FlatArrayMessageReader reader(rest, untrusted_reader_options(rest.size()));
      auto envelope = reader.getRoot<Envelope>();
      const MessageType type{envelope.getType()};
      const NodeId from{envelope.getFrom()};
      const capnp::Data::Reader body = envelope.getPayload();  // bounds-checked by Cap'n Proto
      if (type.value == 0) return fail(FrameError::bad_type, "type 0");
      if (from != sender) return fail(FrameError::wrong_sender, "envelope says " + to_string(from));
      Payload payload;
      if (body.size() > 0) payload = frame.slice(static_cast<std::size_t>(body.begin() - base), body.size());
      out.push_back(Message{from, type, std::move(payload)});
      words = reader.getEnd();
    }
  } catch (const kj::Exception& e) {
    return fail(FrameError::malformed, e.getDescription().cStr());
  }
  return FrameError::none;
}

FrameDecoder::FrameDecoder(Metrics& metrics, Logger log, std::size_t frame_bytes_max)
    : log_(std::move(log)),
      frame_bytes_max_(frame_bytes_max),
      frames_(metrics.counter("transport.frames_received")),
      messages_(metrics.counter("transport.messages_received")),
      malformed_(metrics.counter("transport.malformed_frames")),
      oversized_(metrics.counter("transport.oversized_frames")),
      bad_type_(metrics.counter("transport.bad_type_frames")),
      wrong_sender_(metrics.counter("transport.wrong_sender_frames")) {}

bool FrameDecoder::decode(const Payload& frame, NodeId sender, std::vector<Message>& out) {
  frames_.add();
  std::string detail;
  const std::size_t before = out.size();
  const FrameError error = decode_quietly(frame, sender, frame_bytes_max_, out, &detail);
  switch (error) {
    case FrameError::none:
      messages_.add(out.size() - before);
      return true;
    case FrameError::oversized: oversized_.add(); break;
    case FrameError::bad_type: bad_type_.add(); break;
    case FrameError::wrong_sender: wrong_sender_.add(); break;
    case FrameError::empty:
    case FrameError::malformed: malformed_.add(); break;
  }
  if (limiter_.should_log()) {
    log_.warn("dropped a {}-byte frame from {}: {}: {} ({} rejected so far)", frame.size(), to_string(sender),
              to_string(error), detail, limiter_.seen());
  }
  return false;
}

void FrameDecoder::reject(NodeId sender_or_zero, std::string_view why) {
  malformed_.add();
  if (limiter_.should_log()) {
    log_.warn("dropped a frame from {}: {} ({} rejected so far)",
              sender_or_zero.value == 0 ? std::string("an unknown sender") : to_string(sender_or_zero), why,
              limiter_.seen());
  }
}

}  // namespace eyrie::net
