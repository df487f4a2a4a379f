#pragma once
// This machine's side of TCP endpoints: which hosts are local, which ports are free, whether a
// port accepts connections. Used by `eyrie cluster` and by tests that choose ports at run time.

#include <cstdint>
#include <string>
#include <vector>

namespace eyrie::net {

// True when `host` names an address of this machine (loopback or a local interface).
bool is_local_host(const std::string& host);

// `count` distinct TCP ports on `host` that were free a moment ago (the kernel picks them;
// another process may still take one before the caller binds it).
std::vector<std::uint16_t> pick_free_ports(const std::string& host, std::size_t count);

// True when something accepts TCP connections on host:port.
bool port_accepts(const std::string& host, std::uint16_t port);

}  // namespace eyrie::net
