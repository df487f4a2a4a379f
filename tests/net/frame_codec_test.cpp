// The frame codec: the hand-written envelope matches Cap'n Proto's own encoding, frames round
// trip and pack, and every kind of malformed frame is rejected whole, counted, never a crash.

#include "runtime/net/frame_codec.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <cstring>

#include "runtime/net/envelope.capnp.h"

namespace eyrie::net {
namespace {

const NodeId kSender{3};
constexpr std::size_t kFrameMax = 1 << 20;

Payload bytes_of(std::size_t size, std::uint8_t seed) {
  std::string text(size, '\0');
  for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>(seed + i * 7);
  return Payload::copy_of(text);
}

// Packs `messages` and returns the frames as aligned payloads, as a receiver would see them.
std::vector<std::pair<Payload, std::size_t>> pack(const std::vector<OutgoingMessage>& messages, std::size_t pack_max) {
  std::vector<std::pair<Payload, std::size_t>> frames;
  pack_frames(kSender, messages, pack_max, [&](zmq::message_t&& frame, std::size_t count) {
    frames.emplace_back(frame_payload(std::move(frame)), count);
  });
  return frames;
}

TEST(FrameCodec, writeEnvelope_matchesCapnpEncoding) {
  for (std::size_t size : {0u, 1u, 7u, 8u, 9u, 100u, 4096u}) {
    capnp::MallocMessageBuilder builder;
    auto envelope = builder.initRoot<Envelope>();
    envelope.setType(4242);
    envelope.setFrom(kSender.value);
    const Payload body = bytes_of(size, 1);
    envelope.initPayload(static_cast<unsigned>(size));
    if (size > 0) std::memcpy(envelope.getPayload().begin(), body.data(), size);
    const kj::Array<capnp::word> flat = capnp::messageToFlatArray(builder);
    const auto expected = flat.asBytes();

    std::vector<std::byte> actual(envelope_bytes(size));
    write_envelope(actual.data(), MessageType{4242}, kSender, body.bytes());
    ASSERT_EQ(actual.size(), expected.size()) << "payload of " << size << " bytes";
    EXPECT_EQ(0, std::memcmp(actual.data(), expected.begin(), actual.size())) << "payload of " << size << " bytes";
  }
}

TEST(FrameCodec, decode_roundTripsEveryMessageInOrderWithAlignedPayloads) {
  std::vector<OutgoingMessage> sent;
  for (std::uint16_t i = 1; i <= 50; ++i) sent.push_back({MessageType{i}, bytes_of(i * 3 % 41, static_cast<std::uint8_t>(i))});
  auto frames = pack(sent, 64 << 10);
  ASSERT_EQ(frames.size(), 1u);
  std::vector<Message> received;
  ASSERT_EQ(FrameDecoder::decode_quietly(frames[0].first, kSender, kFrameMax, received, nullptr), FrameError::none);
  ASSERT_EQ(received.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(received[i].type, sent[i].type);
    EXPECT_EQ(received[i].from, kSender);
    EXPECT_EQ(received[i].payload, sent[i].payload);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(received[i].payload.data()) % 8, 0u);
  }
}

TEST(FrameCodec, packFrames_respectsPackLimitAndSendsLargeMessagesAlone) {
  std::vector<OutgoingMessage> sent;
  for (int i = 0; i < 10; ++i) sent.push_back({MessageType{7}, bytes_of(100, 0)});  // 144 bytes each
  sent.push_back({MessageType{8}, bytes_of(5000, 0)});
  sent.push_back({MessageType{9}, bytes_of(10, 0)});
  auto frames = pack(sent, 1000);
  // 6 small envelopes fit in 1000 bytes, then 4, then the large one alone, then the last.
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0].second, 6u);
  EXPECT_EQ(frames[1].second, 4u);
  EXPECT_EQ(frames[2].second, 1u);
  EXPECT_EQ(frames[3].second, 1u);
  for (const auto& [frame, count] : frames) EXPECT_LE(frame.size() <= 1000 || count == 1, true);
  std::vector<Message> received;
  for (const auto& [frame, count] : frames) {
    ASSERT_EQ(FrameDecoder::decode_quietly(frame, kSender, kFrameMax, received, nullptr), FrameError::none);
  }
  ASSERT_EQ(received.size(), sent.size());
  EXPECT_EQ(received[10].payload, sent[10].payload);
}

class FrameDecoderRejects : public ::testing::Test {
 protected:
  Payload valid_frame() {
    return pack({{MessageType{100}, bytes_of(64, 5)}, {MessageType{101}, bytes_of(16, 6)}}, 64 << 10)[0].first;
  }
  // Decodes through the counting decoder and checks that nothing was delivered.
  bool decode(const Payload& frame, NodeId sender = kSender) {
    std::vector<Message> out;
    const bool ok = decoder.decode(frame, sender, out);
    if (!ok) {
      EXPECT_TRUE(out.empty());
    }
    return ok;
  }
  std::uint64_t counter(std::string_view name) const { return metrics.counter_value(name); }

  Metrics metrics;
  NullLogSink sink;
  FrameDecoder decoder{metrics, Logger(sink, "test"), 4096};
};

TEST_F(FrameDecoderRejects, truncatedFrame) {
  const Payload frame = valid_frame();
  const std::size_t boundary = envelope_bytes(64);  // a cut there leaves one whole envelope
  for (std::size_t cut = 8; cut < frame.size(); cut += 8) {
    if (cut == boundary) continue;
    EXPECT_FALSE(decode(Payload::copy_of(frame.bytes().first(cut)))) << "cut at " << cut;
  }
  EXPECT_EQ(counter("transport.malformed_frames"), frame.size() / 8 - 2);
  EXPECT_TRUE(decode(frame));  // the decoder is still fine
}

TEST_F(FrameDecoderRejects, garbage) {
  std::uint64_t state = 12345;
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::byte> junk(8 * (1 + splitmix64(state) % 64));
    for (auto& b : junk) b = static_cast<std::byte>(splitmix64(state));
    std::vector<Message> out;
    decoder.decode(Payload::copy_of(junk), kSender, out);  // may by chance be valid; must not crash
  }
  EXPECT_FALSE(decode(Payload::copy_of(std::string_view("not a multiple of eight"))));
  EXPECT_FALSE(decode(Payload{}));
  EXPECT_GT(counter("transport.malformed_frames"), 1900u);
}

TEST_F(FrameDecoderRejects, wrongType) {
  std::vector<std::byte> frame(envelope_bytes(8));
  write_envelope(frame.data(), MessageType{0}, kSender, bytes_of(8, 1).bytes());
  EXPECT_FALSE(decode(Payload::copy_of(frame)));
  EXPECT_EQ(counter("transport.bad_type_frames"), 1u);

  // A message of another shape: the payload pointer is a struct pointer, not Data.
  write_envelope(frame.data(), MessageType{100}, kSender, bytes_of(8, 1).bytes());
  const std::uint64_t struct_pointer = std::uint64_t{1} << 32;  // struct, one data word
  std::memcpy(frame.data() + 32, &struct_pointer, sizeof struct_pointer);
  EXPECT_FALSE(decode(Payload::copy_of(frame)));
  EXPECT_EQ(counter("transport.malformed_frames"), 1u);
}

TEST_F(FrameDecoderRejects, oversizedFrame) {
  std::vector<OutgoingMessage> big{{MessageType{100}, bytes_of(5000, 1)}};
  const Payload frame = pack(big, 64 << 10)[0].first;
  EXPECT_FALSE(decode(frame));
  EXPECT_EQ(counter("transport.oversized_frames"), 1u);
}

TEST_F(FrameDecoderRejects, envelopeFromAnotherSender) {
  EXPECT_FALSE(decode(valid_frame(), NodeId{4}));
  EXPECT_EQ(counter("transport.wrong_sender_frames"), 1u);
}

TEST_F(FrameDecoderRejects, oneBadEnvelopeDropsTheWholeFrame) {
  const Payload good = valid_frame();
  std::vector<std::byte> frame(good.bytes().begin(), good.bytes().end());
  frame.resize(frame.size() + 16, std::byte{0xff});  // a second, broken envelope
  EXPECT_FALSE(decode(Payload::copy_of(frame)));
  EXPECT_EQ(counter("transport.messages_received"), 0u);
}

}  // namespace
}  // namespace eyrie::net
