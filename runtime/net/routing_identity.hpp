#pragma once
// ZeroMQ routing identities. Every DEALER announces its owner's NodeId as its routing identity,
// spelled exactly as to_string(NodeId) spells it ("n3" for cluster node 3, "x1a2b..." for an
// external endpoint), so that a ROUTER knows who sent each frame and can address replies.
//
// Parsing is strict: one spelling per id (no leading zeros, lowercase hex, cluster ids only
// with "n" and external ids only with "x"), so two identities can never name the same node.

#include <optional>
#include <string>
#include <string_view>

#include "runtime/types.hpp"

namespace eyrie::net {

std::string encode_identity(NodeId id);
std::optional<NodeId> parse_identity(std::string_view text);

}  // namespace eyrie::net
