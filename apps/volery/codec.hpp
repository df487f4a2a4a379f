#pragma once
// Volery's native protocol on the wire (apps/volery/volery.capnp): requests (the S-SMR command's
// bytes), replies, and notifications (watch events and session expiries emitted to gateways).
//
// Encoders take any value. Decoders take any bytes: they never crash or assert, and return
// nullopt with a one-line reason in *error for bytes that are no message of the kind, and for
// messages the types cannot hold or Volery must not accept (limits in apps/volery/types.hpp):
//   - enum values out of range: CreateMode 0..4, EventType 1..4, Reply::Status (Code carries
//     any int32, so that codes from elsewhere pass through);
//   - sizes: paths, children names <= 4096 bytes; data <= 1 MiB; <= 1024 operations in a multi
//     and results in a multi result; <= 64 ACL entries and auth ids; Id scheme <= 64 and id <=
//     1024 bytes; passwords <= 64 bytes; <= 100,000 sessions in a tick or a tick's result;
//     <= 2^20 children; <= 1024 event marks;
//   - a multi result inside a multi result (a multi holds no multi);
//   - values that cannot be: a negative session id, zxid or CreateSession timeout (0 too), a
//     `previous` request number not below `seq`, a session id 0 in a tick, a watch event or an
//     expiry, and event number 0.
// Decoders do not check path syntax (apps/volery/path.hpp) or ACL validity (acl.hpp): those are
// ZooKeeper errors that the state machine answers (bad_arguments, invalid_acl), not malformed
// commands.

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "apps/volery/types.hpp"
#include "runtime/payload.hpp"

namespace eyrie::volery {

Payload encode(const Request& request);
std::optional<Request> decode_request(std::span<const std::byte> bytes, std::string* error);

Payload encode(const Reply& reply);
std::optional<Reply> decode_reply(std::span<const std::byte> bytes, std::string* error);

Payload encode(const Notification& notification);
std::optional<Notification> decode_notification(std::span<const std::byte> bytes, std::string* error);

}  // namespace eyrie::volery
