#include "apps/volery/acl.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <array>

namespace eyrie::volery {

namespace {

constexpr std::string_view kWorld = "world";
constexpr std::string_view kAnyone = "anyone";
constexpr std::string_view kDigest = "digest";
constexpr std::string_view kAuth = "auth";

// RFC 4648 base64, standard alphabet, '=' padding (java.util.Base64's basic encoder).
std::string base64(const unsigned char* bytes, std::size_t size) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (std::size_t i = 0; i < size; i += 3) {
    const std::size_t left = std::min<std::size_t>(3, size - i);
    std::uint32_t group = static_cast<std::uint32_t>(bytes[i]) << 16;
    if (left > 1) group |= static_cast<std::uint32_t>(bytes[i + 1]) << 8;
    if (left > 2) group |= bytes[i + 2];
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += left > 1 ? kAlphabet[(group >> 6) & 63] : '=';
    out += left > 2 ? kAlphabet[group & 63] : '=';
  }
  return out;
}

bool is_world_anyone(const Id& id) { return id.scheme == kWorld && id.id == kAnyone; }

}  // namespace

std::string digest_id(std::string_view user_password) {
  std::array<unsigned char, SHA_DIGEST_LENGTH> hash{};
  SHA1(reinterpret_cast<const unsigned char*>(user_password.data()), user_password.size(), hash.data());
  const std::string_view user = user_password.substr(0, user_password.find(':'));
  return std::string(user) + ":" + base64(hash.data(), hash.size());
}

std::optional<Id> auth_digest(std::string_view credentials) {
  if (credentials.find(':') == std::string_view::npos) return std::nullopt;
  return Id{std::string(kDigest), digest_id(credentials)};
}

bool is_valid_digest_id(std::string_view id) {
  // Java's split: the parts between ':'s, trailing empty parts dropped (a leading one kept).
  std::size_t parts = 0;  // parts up to and including the last non-empty one
  std::size_t seen = 0;   // parts so far
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = id.find(':', start);
    const std::size_t end = colon == std::string_view::npos ? id.size() : colon;
    ++seen;
    if (end > start) parts = seen;
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  return parts == 2;
}

std::optional<std::vector<Acl>> fix_acl(const std::vector<Acl>& acl, const std::vector<Id>& session_auth) {
  std::vector<Acl> unique;
  for (const Acl& a : acl) {
    if (std::find(unique.begin(), unique.end(), a) == unique.end()) unique.push_back(a);
  }
  if (unique.empty()) return std::nullopt;
  std::vector<Acl> out;
  for (const Acl& a : unique) {
    if (a.perms < 0 || a.perms > perms::all) return std::nullopt;
    if (is_world_anyone(a.id)) {
      out.push_back(a);
    } else if (a.id.scheme == kAuth) {
      bool expanded = false;
      for (const Id& identity : session_auth) {
        if (identity.scheme != kDigest) continue;  // only digest identities are authenticated ones here
        out.push_back(Acl{a.perms, identity});
        expanded = true;
      }
      if (!expanded) return std::nullopt;
    } else if (a.id.scheme == kDigest && is_valid_digest_id(a.id.id)) {
      out.push_back(a);
    } else {
      return std::nullopt;  // world with another id, a bad digest id, or an unsupported scheme
    }
    if (out.size() > limits::acl_entries_max) return std::nullopt;
  }
  return out;
}

bool permitted(const std::vector<Acl>& acl, std::int32_t wanted_perms, const std::vector<Id>& session_auth) {
  if (acl.empty()) return true;
  for (const Acl& a : acl) {
    if ((a.perms & wanted_perms) == 0) continue;
    if (is_world_anyone(a.id)) return true;
    if (a.id.scheme != kDigest) continue;
    if (std::find(session_auth.begin(), session_auth.end(), a.id) != session_auth.end()) return true;
  }
  return false;
}

std::vector<Acl> redact_digests(std::vector<Acl> acl) {
  for (Acl& a : acl) {
    if (a.id.scheme != kDigest) continue;
    const std::size_t colon = a.id.id.find(':');
    if (colon != std::string::npos) a.id.id.replace(colon + 1, std::string::npos, "x");
  }
  return acl;
}

}  // namespace eyrie::volery
