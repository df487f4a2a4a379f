// Routing identities: one spelling per id, parsed strictly.

#include "runtime/net/routing_identity.hpp"

#include <gtest/gtest.h>

namespace eyrie::net {
namespace {

TEST(RoutingIdentity, encode_spellsIdsAsToStringDoes) {
  EXPECT_EQ(encode_identity(NodeId{3}), "n3");
  EXPECT_EQ(encode_identity(NodeId{65535}), "n65535");
  EXPECT_EQ(encode_identity(NodeId{0x10000}), "x10000");
  EXPECT_EQ(encode_identity(NodeId{UINT64_MAX}), "xffffffffffffffff");
}

TEST(RoutingIdentity, parse_roundTrips) {
  for (std::uint64_t v : std::initializer_list<std::uint64_t>{1, 42, 65535, 65536, 0xabcdef12345, UINT64_MAX}) {
    EXPECT_EQ(parse_identity(encode_identity(NodeId{v})), NodeId{v}) << v;
  }
}

TEST(RoutingIdentity, parse_rejectsEveryOtherSpelling) {
  for (const char* bad : {"", "n", "x", "3", "n0", "n03", "n-3", "n+3", "N3", "n3 ", "n65536", "x1", "xffff",
                          "x0abcdef", "xABCDEF", "x10000000000000000", "n99999999999999999999", "y3", "n3\n"}) {
    EXPECT_EQ(parse_identity(bad), std::nullopt) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace eyrie::net
