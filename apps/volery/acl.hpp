#pragma once
// ZooKeeper's access control as Volery implements it: the "world" and "digest" schemes (plus
// "auth" in ACLs given to create/setACL), digest identities, ACL validation and expansion
// (PrepRequestProcessor.fixupACL) and permission checks (ZooKeeperServer.checkACL).
// Other schemes (ip, x509, sasl, ...) are not supported: ACLs naming them are invalid.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apps/volery/types.hpp"

namespace eyrie::volery {

// DigestAuthenticationProvider.generateDigest: "user:" + base64(SHA-1("user:password")), where
// user is what precedes the first ':' (all of it when there is none). The hash covers the whole
// argument, password included. digest_id("super:admin") == "super:xQJmxLMiHGwaqBvst5y6rkB6HQs=".
std::string digest_id(std::string_view user_password);

// The identity `addauth digest user:password` adds: ("digest", digest_id(credentials)).
// nullopt (answered auth_failed) when the credentials hold no ':'. ZooKeeper accepts those too,
// making an identity no ACL written as digest:user:hash could name; Volery refuses them so that
// a typo is reported rather than silently authenticating nobody useful.
std::optional<Id> auth_digest(std::string_view credentials);

// DigestAuthenticationProvider.isValid: Java's id.split(":") has exactly two parts. Java drops
// trailing empty parts, so "user:hash" and ":hash" and "user:hash:" are valid, "user:" and
// "a:b:c" are not.
bool is_valid_digest_id(std::string_view id);

// The ACL to store for a create or setACL, or nullopt for invalid_acl. As fixupACL: duplicate
// entries (same perms and id) are dropped keeping the first; then each entry must be
// world:anyone, or digest with a valid id (is_valid_digest_id), or auth (its id is ignored),
// which becomes one entry with the same perms per digest identity of the session (invalid when
// the session has none). Expanded entries are not deduplicated again, as in ZooKeeper.
// Volery's additions: an empty ACL is invalid (as ZooKeeper), perms outside 0..31 (perms::all)
// are invalid (ZooKeeper stores any int), and so is a result longer than limits::acl_entries_max.
std::optional<std::vector<Acl>> fix_acl(const std::vector<Acl>& acl, const std::vector<Id>& session_auth);

// Whether a session with identities `session_auth` may do what `wanted_perms` (perms bits) needs
// on a node with `acl`: an empty ACL permits everything; otherwise some entry must share a bit
// with wanted_perms and match: world:anyone matches everyone, a digest entry matches the
// session's identical digest identity.
bool permitted(const std::vector<Acl>& acl, std::int32_t wanted_perms, const std::vector<Id>& session_auth);

// The ACL getACL shows a session without ADMIN permission: every digest id's hash replaced by
// "x" ("user:hash" -> "user:x"; an id with no ':' is left alone).
std::vector<Acl> redact_digests(std::vector<Acl> acl);

}  // namespace eyrie::volery
