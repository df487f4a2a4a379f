#pragma once
// ZooKeeper's path rules (org.apache.zookeeper.common.PathUtils) and the names Volery derives
// from a path: its parent, its last component, a sequential node's name, and the key that places
// it in a partition (docs/volery.md, Placement).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eyrie::volery {

// Why `path` is not a valid znode path, or nullopt when it is. ZooKeeper's rules: not empty,
// starts with '/', no trailing '/' (except the root "/"), no empty component ("//"), no "." or
// ".." component, no NUL, and no character in U+0001..U+001F, U+007F..U+009F, U+D800..U+F8FF or
// U+FFF0..U+FFFF. ZooKeeper checks UTF-16 code units, so a character above U+FFFF (a surrogate
// pair there) is refused too; and the path must be valid UTF-8. A sequential create's path is
// checked as if "1" were appended, so it may end with '/' ("/jobs/" creates "/jobs/0000000001").
// Volery adds one rule: a path has at most limits::path_bytes_max (4096) bytes, and a
// sequential one leaves room for its suffix, which has up to 11 characters (at most 4085 bytes).
// Positions in the reasons ("@3") are byte offsets.
std::optional<std::string> path_error(std::string_view path, bool sequential);

// The parent of a valid path: "/a/b" -> "/a", "/a" -> "/". The root has none: "/" -> "".
// A sequential create's path ending in '/' works too: "/a/" -> "/a".
std::string parent_of(std::string_view path);
// The last component of a valid path: "/a/b" -> "b"; "/" -> "".
std::string name_of(std::string_view path);

// The name of the node a sequential create makes: `path` followed by the counter as Java's
// String.format("%010d", counter) prints it: "0000000042", and for a negative counter (cversion
// overflows in a long-lived parent) "-000000001": ten characters with the sign, zeros after it.
// Only Integer.MIN_VALUE needs eleven: "-2147483648".
std::string sequential_name(std::string_view path, std::int32_t counter);

// The key whose owner holds the node at `path`: the path itself, except that the last
// component loses a trailing sequence suffix (its last ten characters when they are ten decimal
// digits, or '-' followed by nine digits, or "-2147483648"), so that "/a/job-" and "/a/job-0000000042" give the
// same key and a sequential create's partition is known before its suffix is.
// One ambiguity remains: a counter in -2147483647..-1000000000 prints in eleven characters
// ("-1234567890"), and "/x-1234567890" is read as "/x-" with 1234567890, not "/x" with the
// negative counter; the state machine must refuse to make a node whose key differs from its
// create's (placement_key(sequential_name(p, n)) != placement_key(p, true)).
// For a sequential create pass sequential = true: the key is then `path` unchanged, because the
// node it makes, sequential_name(path, n), has exactly that key (even when `path` itself ends
// in ten digits, which the non-sequential form would strip).
std::string placement_key(std::string_view path, bool sequential = false);

}  // namespace eyrie::volery
