// ZooKeeper's path rules and the names Volery derives from paths (apps/volery/path.hpp): the
// cases of PathUtils.validatePath, UTF-8 handling, the length limit, parents and names, the
// %010d sequence suffix (negative counters included) and the placement key that makes a
// sequential node land where its create was sent.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <climits>
#include <string>

#include "apps/volery/path.hpp"
#include "apps/volery/types.hpp"
#include "runtime/rng.hpp"

namespace eyrie::volery {
namespace {

using ::testing::HasSubstr;

// "" when `path` is valid, else the reason.
std::string verdict(std::string_view path, bool sequential = false) {
  return path_error(path, sequential).value_or("");
}

TEST(VoleryPath, pathError_acceptsOrdinaryPaths) {
  for (const char* path : {"/", "/a", "/a/b", "/zookeeper", "/a/b/c/d/e", "/a.b", "/.a", "/a.", "/...", "/a/...",
                           "/a/..b", "/..a", "/a b", "/a-b_c~d", "/0000000001", "/a/job-0000000042", "/:", "/a=b"}) {
    EXPECT_EQ(verdict(path), "") << path;
  }
}

TEST(VoleryPath, pathError_refusesEmptyAndRelativePaths) {
  EXPECT_EQ(verdict(""), "Path length must be > 0");
  EXPECT_EQ(verdict("a"), "Path must start with / character");
  EXPECT_EQ(verdict("a/b"), "Path must start with / character");
  EXPECT_EQ(verdict(" /a"), "Path must start with / character");
}

TEST(VoleryPath, pathError_refusesATrailingSlashExceptAtTheRoot) {
  EXPECT_EQ(verdict("/"), "");
  EXPECT_EQ(verdict("/a/"), "Path must not end with / character");
  EXPECT_EQ(verdict("/a/b/"), "Path must not end with / character");
  EXPECT_EQ(verdict("//"), "Path must not end with / character");
}

TEST(VoleryPath, pathError_refusesEmptyComponents) {
  EXPECT_EQ(verdict("//a"), "empty node name specified @1");
  EXPECT_EQ(verdict("/a//b"), "empty node name specified @3");
  EXPECT_EQ(verdict("/a/b//c"), "empty node name specified @5");
}

TEST(VoleryPath, pathError_refusesDotAndDotDotComponents) {
  EXPECT_EQ(verdict("/."), "relative paths not allowed @1");
  EXPECT_EQ(verdict("/.."), "relative paths not allowed @2");
  EXPECT_EQ(verdict("/a/."), "relative paths not allowed @3");
  EXPECT_EQ(verdict("/a/.."), "relative paths not allowed @4");
  EXPECT_EQ(verdict("/./a"), "relative paths not allowed @1");
  EXPECT_EQ(verdict("/../a"), "relative paths not allowed @2");
  EXPECT_EQ(verdict("/a/./b"), "relative paths not allowed @3");
  EXPECT_EQ(verdict("/a/../b"), "relative paths not allowed @4");
}

TEST(VoleryPath, pathError_refusesNul) {
  EXPECT_EQ(verdict(std::string_view("/a\0b", 4)), "null character not allowed @2");
  EXPECT_EQ(verdict(std::string_view("/\0", 2)), "null character not allowed @1");
}

TEST(VoleryPath, pathError_refusesControlCharacters) {
  for (int c = 1; c <= 0x1f; ++c) {
    const std::string path = std::string("/a") + static_cast<char>(c);
    EXPECT_EQ(verdict(path), "invalid character @2") << c;
  }
  EXPECT_EQ(verdict("/a\x7f"), "invalid character @2");
  EXPECT_EQ(verdict("/\xc2\x80"), "invalid character @1");  // U+0080
  EXPECT_EQ(verdict("/\xc2\x9f"), "invalid character @1");  // U+009F
  EXPECT_EQ(verdict("/\xc2\xa0"), "");                      // U+00A0: allowed again
  EXPECT_EQ(verdict("/~"), "");                             // U+007E
}

TEST(VoleryPath, pathError_refusesPrivateUseSpecialsAndCharactersBeyondTheBmp) {
  EXPECT_EQ(verdict("/\xed\x9f\xbf"), "");                      // U+D7FF
  EXPECT_EQ(verdict("/\xee\x80\x80"), "invalid character @1");  // U+E000 (private use)
  EXPECT_EQ(verdict("/\xef\xa3\xbf"), "invalid character @1");  // U+F8FF
  EXPECT_EQ(verdict("/\xef\xa4\x80"), "");                      // U+F900
  EXPECT_EQ(verdict("/\xef\xbf\xaf"), "");                      // U+FFEF
  EXPECT_EQ(verdict("/\xef\xbf\xb0"), "invalid character @1");  // U+FFF0
  EXPECT_EQ(verdict("/\xef\xbf\xbd"), "invalid character @1");  // U+FFFD
  EXPECT_EQ(verdict("/\xef\xbf\xbf"), "invalid character @1");  // U+FFFF
  // A surrogate pair in Java's UTF-16, which ZooKeeper refuses.
  EXPECT_EQ(verdict("/\xf0\x9f\x98\x80"), "invalid character @1");  // U+1F600
  EXPECT_EQ(verdict("/a/\xf4\x8f\xbf\xbf"), "invalid character @3");  // U+10FFFF
}

TEST(VoleryPath, pathError_acceptsOrdinaryUnicode) {
  EXPECT_EQ(verdict("/caf\xc3\xa9"), "");              // café
  EXPECT_EQ(verdict("/\xe6\x97\xa5\xe6\x9c\xac"), "");  // 日本
  EXPECT_EQ(verdict("/\xd0\xb4/\xce\xb1"), "");         // д/α
}

TEST(VoleryPath, pathError_refusesInvalidUtf8) {
  EXPECT_EQ(verdict("/\x80"), "invalid UTF-8 @1");              // a lone continuation byte
  EXPECT_EQ(verdict("/a\xc3"), "invalid UTF-8 @2");             // cut short
  EXPECT_EQ(verdict("/\xc3/"), "Path must not end with / character");
  EXPECT_EQ(verdict("/\xc3/a"), "invalid UTF-8 @1");
  EXPECT_EQ(verdict("/\xc0\xaf"), "invalid UTF-8 @1");          // overlong '/'
  EXPECT_EQ(verdict("/\xe0\x80\xaf"), "invalid UTF-8 @1");      // overlong
  EXPECT_EQ(verdict("/\xed\xa0\x80"), "invalid UTF-8 @1");      // an encoded surrogate
  EXPECT_EQ(verdict("/\xf4\x90\x80\x80"), "invalid UTF-8 @1");  // past U+10FFFF
  EXPECT_EQ(verdict("/\xf5\x80\x80\x80"), "invalid UTF-8 @1");
  EXPECT_EQ(verdict("/\xff"), "invalid UTF-8 @1");
}

TEST(VoleryPath, pathError_sequentialPathsAreCheckedWithASuffix) {
  EXPECT_EQ(verdict("/a/", true), "");
  EXPECT_EQ(verdict("/", true), "");
  EXPECT_EQ(verdict("/a/job-", true), "");
  EXPECT_EQ(verdict("/a", true), "");
  EXPECT_EQ(verdict("/a//", true), "empty node name specified @3");
  EXPECT_EQ(verdict("/a/.", true), "");   // "/a/.1"
  EXPECT_EQ(verdict("/a/..", true), "");  // "/a/..1"
  EXPECT_EQ(verdict("", true), "Path must start with / character");  // "1"
  EXPECT_EQ(verdict("a", true), "Path must start with / character");
}

TEST(VoleryPath, pathError_boundsTheLength) {
  const std::string longest = "/" + std::string(limits::path_bytes_max - 1, 'a');
  EXPECT_EQ(verdict(longest), "");
  EXPECT_THAT(verdict(longest + "a"), HasSubstr("longer than 4096 bytes"));
  const std::string longest_prefix = "/" + std::string(limits::path_bytes_max - 12, 'a');
  EXPECT_EQ(verdict(longest_prefix, true), "");
  EXPECT_THAT(verdict(longest_prefix + "a", true), HasSubstr("longer than 4085 bytes"));
  // The node a sequential create makes from the longest prefix is itself a valid path, whatever
  // the counter (the widest suffixes have eleven characters).
  EXPECT_EQ(verdict(sequential_name(longest_prefix, INT32_MIN)), "");
  EXPECT_EQ(verdict(sequential_name(longest_prefix, -1000000000)), "");
  EXPECT_EQ(verdict(sequential_name(longest_prefix, INT32_MAX)), "");
}

TEST(VoleryPath, parentOf) {
  EXPECT_EQ(parent_of("/a/b"), "/a");
  EXPECT_EQ(parent_of("/a/b/c"), "/a/b");
  EXPECT_EQ(parent_of("/a"), "/");
  EXPECT_EQ(parent_of("/"), "");
  EXPECT_EQ(parent_of("/a/"), "/a");  // a sequential create's path
  EXPECT_EQ(parent_of("/"), "");
}

TEST(VoleryPath, nameOf) {
  EXPECT_EQ(name_of("/a/b"), "b");
  EXPECT_EQ(name_of("/a"), "a");
  EXPECT_EQ(name_of("/"), "");
  EXPECT_EQ(name_of("/a/job-0000000001"), "job-0000000001");
  EXPECT_EQ(name_of("/a/"), "");
}

TEST(VoleryPath, sequentialName_isJavasPercent010d) {
  EXPECT_EQ(sequential_name("/a/job-", 0), "/a/job-0000000000");
  EXPECT_EQ(sequential_name("/a/job-", 42), "/a/job-0000000042");
  EXPECT_EQ(sequential_name("/a/", 1), "/a/0000000001");
  EXPECT_EQ(sequential_name("/x", 1234567890), "/x1234567890");
  EXPECT_EQ(sequential_name("/x", INT32_MAX), "/x2147483647");
  EXPECT_EQ(sequential_name("/x", -1), "/x-000000001");
  EXPECT_EQ(sequential_name("/x", -42), "/x-000000042");
  EXPECT_EQ(sequential_name("/x", -123456789), "/x-123456789");
  EXPECT_EQ(sequential_name("/x", -1234567890), "/x-1234567890");  // wider than ten: as Java
  EXPECT_EQ(sequential_name("/x", INT32_MIN), "/x-2147483648");
}

TEST(VoleryPath, placementKey_dropsASequenceSuffix) {
  EXPECT_EQ(placement_key("/a/job-0000000042"), "/a/job-");
  EXPECT_EQ(placement_key("/a/job-"), "/a/job-");
  EXPECT_EQ(placement_key("/a/0000000001"), "/a/");
  EXPECT_EQ(placement_key("/0000000001"), "/");
  EXPECT_EQ(placement_key("/a/job--000000001"), "/a/job-");
  EXPECT_EQ(placement_key("/a/job--2147483648"), "/a/job-");
  EXPECT_EQ(placement_key("/a/x12345678901"), "/a/x1");  // the last ten digits only
}

TEST(VoleryPath, placementKey_keepsOtherPaths) {
  EXPECT_EQ(placement_key("/"), "/");
  EXPECT_EQ(placement_key("/a"), "/a");
  EXPECT_EQ(placement_key("/a/b"), "/a/b");
  EXPECT_EQ(placement_key("/a/job-00000042"), "/a/job-00000042");       // eight digits
  EXPECT_EQ(placement_key("/a/job000000042"), "/a/job000000042");       // nine digits
  EXPECT_EQ(placement_key("/a/job-000000042"), "/a/job");  // "/a/job" with counter -42
  EXPECT_EQ(placement_key("/a/job-00000a0042"), "/a/job-00000a0042");   // not all digits
  EXPECT_EQ(placement_key("/a/--00000001"), "/a/--00000001");           // '-' then eight digits
  EXPECT_EQ(placement_key("/0000000001/a"), "/0000000001/a");           // not the last component
  EXPECT_EQ(placement_key("/a/000000001"), "/a/000000001");
}

TEST(VoleryPath, placementKey_ofASequentialCreateIsItsPath) {
  EXPECT_EQ(placement_key("/a/job-", true), "/a/job-");
  EXPECT_EQ(placement_key("/a/0123456789", true), "/a/0123456789");
  EXPECT_EQ(placement_key("/a/", true), "/a/");
}

// The property the oracle relies on: the node a sequential create makes has the key its create
// was routed by, for every counter %010d prints in ten characters, and for INT32_MIN.
TEST(VoleryPath, placementKey_ofEverySequentialNodeIsItsCreatesKey) {
  Rng rng(20240611);
  const std::vector<std::string> prefixes{"/a/job-", "/", "/a/", "/x1", "/a/0123456789", "/a/-12345678", "/q-",
                                          "/a/b/lock-"};
  std::vector<std::int32_t> counters{0, 1, 9, 10, -1, -9, -10, INT32_MAX, INT32_MIN, 999999999, -999999999,
                                     1000000000};
  for (int i = 0; i < 2000; ++i) {
    counters.push_back(static_cast<std::int32_t>(rng.range(-999'999'999, INT32_MAX)));
  }
  for (const std::string& prefix : prefixes) {
    for (std::int32_t counter : counters) {
      EXPECT_EQ(placement_key(sequential_name(prefix, counter)), placement_key(prefix, true))
          << prefix << " " << counter;
    }
  }
}

// Counters -2147483647..-1000000000 print in eleven characters, and such a name reads just as
// well as a positive counter after a '-': "/x-1234567890" is "/x" with -1234567890 or "/x-" with
// 1234567890. The key takes the positive reading, so the state machine must refuse to make such a
// node (it needs a parent whose cversion wrapped around and then fell by a further billion).
TEST(VoleryPath, placementKey_readsAnElevenCharacterNegativeSuffixAsAPositiveOne) {
  EXPECT_EQ(placement_key(sequential_name("/x-", 1234567890)), "/x-");
  EXPECT_EQ(placement_key(sequential_name("/x", -1234567890)), "/x-");
  EXPECT_NE(placement_key(sequential_name("/x", -1000000000)), placement_key("/x", true));
  EXPECT_EQ(placement_key(sequential_name("/x", INT32_MIN)), "/x");  // unambiguous: 2147483648 > INT32_MAX
}

}  // namespace
}  // namespace eyrie::volery
