// Payload sharing and the Cap'n Proto codec's handling of malformed bytes.

#include <gtest/gtest.h>

#include <cstring>

#include "apps/echo/echo.capnp.h"
#include "runtime/capnp_codec.hpp"
#include "runtime/payload.hpp"

namespace eyrie {
namespace {

Payload encoded_ping(std::uint64_t seq, std::size_t body_bytes) {
  capnp::MallocMessageBuilder b;
  auto ping = b.initRoot<echo::wire::Ping>();
  ping.setSeq(seq);
  ping.initBody(static_cast<unsigned>(body_bytes));
  return encode_capnp(b);
}

TEST(Payload, copiesShareBytes_andSlicesStayInRange) {
  const Payload p = Payload::copy_of("hello world");
  const Payload q = p;  // NOLINT: copy on purpose
  EXPECT_EQ(p.data(), q.data());
  EXPECT_EQ(p.slice(6, 5).as_string_view(), "world");
  EXPECT_EQ(p, Payload::copy_of("hello world"));
  EXPECT_FALSE(p == Payload::copy_of("hello"));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p.data()) % 8, 0u);
}

TEST(CapnpCodec, roundTrip_readsWhatWasWritten) {
  const Payload p = encoded_ping(42, 100);
  EXPECT_TRUE(p.word_aligned());
  std::uint64_t seq = 0;
  std::size_t body = 0;
  std::string error;
  ASSERT_TRUE(read_capnp<echo::wire::Ping>(p, [&](echo::wire::Ping::Reader r) {
    seq = r.getSeq();
    body = r.getBody().size();
  }, &error)) << error;
  EXPECT_EQ(seq, 42u);
  EXPECT_EQ(body, 100u);
}

TEST(CapnpCodec, misalignedPayload_isCopiedAndStillRead) {
  const Payload p = encoded_ping(7, 3);
  std::byte* out = nullptr;
  Payload shifted = Payload::allocate(p.size() + 1, out);
  std::memcpy(out + 1, p.data(), p.size());
  const Payload misaligned = shifted.slice(1, p.size());
  ASSERT_FALSE(misaligned.word_aligned());
  std::uint64_t seq = 0;
  EXPECT_TRUE(read_capnp<echo::wire::Ping>(misaligned, [&](echo::wire::Ping::Reader r) { seq = r.getSeq(); }, nullptr));
  EXPECT_EQ(seq, 7u);
}

TEST(CapnpCodec, truncatedGarbageAndEmpty_areRejectedWithAReason) {
  const Payload p = encoded_ping(1, 64);
  std::string error;
  bool visited = false;
  auto visit = [&](echo::wire::Ping::Reader) { visited = true; };
  EXPECT_FALSE(read_capnp<echo::wire::Ping>(p.slice(0, p.size() - 8), visit, &error));
  EXPECT_NE(error.find("malformed"), std::string::npos) << error;
  EXPECT_FALSE(read_capnp<echo::wire::Ping>(p.slice(0, p.size() - 3), visit, &error));
  EXPECT_NE(error.find("multiple of 8"), std::string::npos) << error;
  std::string garbage(64, '\xff');
  EXPECT_FALSE(read_capnp<echo::wire::Ping>(Payload::copy_of(garbage), visit, &error));
  EXPECT_FALSE(read_capnp<echo::wire::Ping>(Payload{}, visit, &error));
  EXPECT_FALSE(visited);
}

TEST(CapnpCodec, trailingBytes_areRejected) {
  const Payload p = encoded_ping(1, 8);
  std::byte* out = nullptr;
  Payload longer = Payload::allocate(p.size() + 8, out);
  std::memcpy(out, p.data(), p.size());
  std::string error;
  EXPECT_FALSE(read_capnp<echo::wire::Ping>(longer, [](echo::wire::Ping::Reader) {}, &error));
  EXPECT_NE(error.find("trailing"), std::string::npos) << error;
}

TEST(CapnpCodec, exceptionInVisitor_isReportedNotPropagated) {
  std::string error;
  EXPECT_FALSE(read_capnp<echo::wire::Ping>(encoded_ping(1, 1), [](echo::wire::Ping::Reader) {
    throw std::invalid_argument("too big");
  }, &error));
  EXPECT_NE(error.find("too big"), std::string::npos);
}

}  // namespace
}  // namespace eyrie
