#include "runtime/net/routing_identity.hpp"

namespace eyrie::net {

namespace {

// Digits in `base` (10 or 16, lowercase), no sign, no leading zero, no overflow.
std::optional<std::uint64_t> parse_digits(std::string_view digits, unsigned base) {
  if (digits.empty() || digits.size() > 20 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : digits) {
    unsigned digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    if (value > (UINT64_MAX - digit) / base) return std::nullopt;
    value = value * base + digit;
  }
  return value;
}

}  // namespace

std::string encode_identity(NodeId id) { return to_string(id); }

std::optional<NodeId> parse_identity(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  const char kind = text[0];
  if (kind != 'n' && kind != 'x') return std::nullopt;
  const auto value = parse_digits(text.substr(1), kind == 'n' ? 10 : 16);
  if (!value) return std::nullopt;
  const NodeId id{*value};
  // Node 0 does not exist, and each id has exactly one spelling.
  if (id.value == 0 || id.is_external() != (kind == 'x')) return std::nullopt;
  return id;
}

}  // namespace eyrie::net
