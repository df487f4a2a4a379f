// KeyValueMap, the in-memory half of every Storage: ordered prefix scans and byte accounting.

#include <gtest/gtest.h>

#include <vector>

#include "runtime/storage.hpp"

namespace eyrie {
namespace {

TEST(KeyValueMap, scan_visitsPrefixInByteOrder_only) {
  KeyValueMap m;
  for (std::string k : {"b/2", "a/1", "b/10", "b/1", "c", "b"}) m.put(k, Payload::copy_of(k));
  std::vector<std::string> keys;
  m.scan("b/", [&](std::string_view k, const Payload& v) {
    keys.emplace_back(k);
    EXPECT_EQ(v.as_string_view(), k);
  });
  EXPECT_EQ(keys, (std::vector<std::string>{"b/1", "b/10", "b/2"}));
}

TEST(KeyValueMap, putEraseOverwrite_keepByteCount) {
  KeyValueMap m;
  m.put("k", Payload::copy_of("12345"));
  EXPECT_EQ(m.bytes(), 6u);
  m.put("k", Payload::copy_of("1"));
  EXPECT_EQ(m.bytes(), 2u);
  EXPECT_EQ(m.get("k")->as_string_view(), "1");
  m.erase("k");
  m.erase("absent");
  EXPECT_EQ(m.bytes(), 0u);
  EXPECT_FALSE(m.get("k").has_value());
}

}  // namespace
}  // namespace eyrie
