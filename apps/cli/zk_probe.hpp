#pragma once
// A ZooKeeper handshake with one client port, for `volery start|status`: connects, sends a
// ConnectRequest, reads the ConnectResponse, closes the session it got (closeSession) and the
// socket. A port that only accepts TCP connections is not enough: the gateway must answer as
// a ZooKeeper server does.

#include <chrono>
#include <cstdint>
#include <string>

namespace eyrie::cli {

// True when `host:port` answered a ConnectRequest with a live session (timeout > 0, session id
// not 0) within `timeout`.
bool zk_handshake(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace eyrie::cli
