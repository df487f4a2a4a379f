#pragma once
// ZooKeeper requests as Volery operations, and Volery results as ZooKeeper replies, in the
// shapes a 3.8 server gives them (FinalRequestProcessor): the gateway's translation, sans-IO.
//
// Requests. A frame holds a RequestHeader {xid, type} and the body its type names:
//   create (1), create2 (15), createContainer (19) -> Create; delete (2) -> Delete; exists (3),
//   getData (4), getChildren (8), getChildren2 (12) -> the watched reads; setData (5), getACL
//   (6), setACL (7), sync (9), check (13), multi (14) -> the same operations;
//   ping (11), auth (100), setWatches (101), setWatches2 (105), closeSession (-11) -> handled by
//   the connection itself (apps/volery/gateway/connection.hpp).
// Create modes come from the flags (CreateMode.fromFlag): 0..3 and 4 = container; createContainer
// makes a container whatever mode its flags name (as ZooKeeper), except sequential ones, which
// Volery has no container form for (bad_arguments). TTL modes (5, 6) answer unimplemented, as a
// ZooKeeper without extended types does; other flags bad_arguments.
//
// What Volery does not run is answered here, in the client's order, as ZooKeeper would:
//   - opcodes a 3.8 server knows but Volery does not support: reconfig (16) answers
//     ReconfigDisabled (-123), as a 3.8 server with reconfig disabled (its default); checkWatches
//     (17), removeWatches (18), deleteContainer (20), createTTL (21), multiRead (22),
//     getEphemerals (103), getAllChildrenNumber (104), addWatch (106), whoAmI (107) answer
//     unimplemented (-6) and the connection stays open, so that a client probing a feature (Curator
//     tries createTTL, whoAmI) gets an error it handles;
//   - sasl (102): AuthFailed (-115), then the connection closes (no SASL: as an unknown auth scheme);
//   - any other opcode: unimplemented, then the connection closes (UnimplementedRequestProcessor);
//   - a body that does not decode: MarshallingError (-5), as ZooKeeper's request processors
//     answer a body they cannot read; the connection stays open;
//   - values over Volery's limits (apps/volery/types.hpp): a path over 4096 bytes bad_arguments
//     (after ZooKeeper's own path check), data over 1 MiB bad_arguments, an ACL over 64 entries
//     or with an over-long scheme or id invalid_acl, a multi over 1024 operations bad_arguments.
// A multi with an operation refused above fails there only if the operations before it succeed
// (ZooKeeper runs them in order and stops at the first failure): those run first, without effect
// (MultiRefusal), and the answer has ZooKeeper's shape for a failed multi at the first operation
// that fails. A create inside a multi with a TTL mode fails the whole request with
// MarshallingError when reached (ZooKeeper 3.8 trips on it: a ClassCastException in
// PrepRequestProcessor), and a createTTL inside one answers unimplemented there.
// sync answers the path it was given, unchecked, a null one too (FinalRequestProcessor).

#include <optional>
#include <span>
#include <string>
#include <variant>

#include "apps/volery/gateway/jute.hpp"

namespace eyrie::volery::zk {

struct Ping {
  friend bool operator==(const Ping&, const Ping&) = default;
};
struct CloseRequest {
  friend bool operator==(const CloseRequest&, const CloseRequest&) = default;
};
// Answered here: a reply header with `code` and no body; then the connection closes if `close`.
struct Refusal {
  Code code = Code::unimplemented;
  bool close = false;
  friend bool operator==(const Refusal&, const Refusal&) = default;
};
// A multi refused here: results [ok..., code at `index`, runtime_inconsistency...] of `count`,
// unless one of the operations `before` it fails first (the connection runs them to find out,
// followed by a check that always fails, so that none takes effect). `whole`: when the refused
// operation is reached, the whole request answers `code` (no results).
struct MultiRefusal {
  std::size_t index = 0;
  std::size_t count = 0;
  Code code = Code::unimplemented;
  bool whole = false;
  Multi before;
  friend bool operator==(const MultiRefusal&, const MultiRefusal&) = default;
};
// A sync of a null path: ZooKeeper answers it with a null path. Runs as a sync of "/".
struct NullPathSync {
  friend bool operator==(const NullPathSync&, const NullPathSync&) = default;
};

using RequestBody = std::variant<Ping, AuthPacket, SetWatches, CloseRequest, Op, Refusal, MultiRefusal, NullPathSync>;
struct ClientRequest {
  RequestHeader header;
  RequestBody body;
};

// The request one frame holds (the bytes after the frame's length). nullopt, with the reason
// in *error, when the connection must close without answering: fewer than 8 bytes for the
// header, or an auth packet that does not decode (ZooKeeper reads those on the connection and
// closes it). Every other outcome, refusals included, is answered.
std::optional<ClientRequest> parse_request(std::span<const std::byte> frame, std::string* error);

// The ConnectRequest a connection's first frame holds; nullopt (close) when it does not decode.
std::optional<ConnectRequest> parse_connect_request(std::span<const std::byte> frame, std::string* error);

// Whether a create refused here (flags, limits) or the Create to run.
std::variant<Create, Code> to_create(const CreateRequest& request, OpCode type);

// ---- reply frames (a length, a ReplyHeader, a body) -----------------------------------------------

// The reply to `request` (its xid and type) carrying its operation's result: a header with the result's
// code and, when it is ok, the body of the request's type (getChildren: the names; getChildren2:
// names and stat; create: the path; create2 and createContainer: path and stat; exists, setData,
// setACL: the stat; getData: data and stat; getACL: ACL and stat; sync: the path; delete and check:
// nothing). A multi's reply has code 0 and its results, each a MultiHeader and its body
// (CreateResponse for a create, Create2Response for a container's, SetDataResponse, nothing for
// delete and check; after a failure every result is an ErrorResponse: 0 before the failed
// operation, its code, then RuntimeInconsistency), ending with {-1, done, -1}.
// `multi_types`: for a multi, multi_result_types() of its operations.
Bytes reply_frame(const RequestHeader& request, std::span<const OpCode> multi_types, Zxid zxid, const Result& result);
// The type each result of `multi` answers with: create (a container's: create2, with its stat),
// delete, setData, check.
std::vector<OpCode> multi_result_types(const Multi& multi);
Bytes error_frame(std::int32_t xid, Zxid zxid, Code code);
Bytes refused_multi_frame(std::int32_t xid, Zxid zxid, const MultiRefusal& refusal);
// The reply to a sync of a null path: a null path.
Bytes null_path_sync_frame(std::int32_t xid, Zxid zxid);
// A watch event (xid -1, state SyncConnected).
Bytes notification_frame(Zxid zxid, EventType type, std::string_view path);
Bytes connect_response_frame(const ConnectResponse& response);

}  // namespace eyrie::volery::zk
