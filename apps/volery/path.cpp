#include "apps/volery/path.hpp"

#include <cstdlib>

#include "apps/volery/types.hpp"

namespace eyrie::volery {

namespace {

// The sequence suffix's width, as %010d prints it: ten characters, and eleven for the counters
// -2147483648..-1000000000 (the width is a minimum).
constexpr std::size_t kSuffixChars = 10;
constexpr std::size_t kWidestSuffixChars = 11;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Decodes the UTF-8 character at path[i], setting `length` to its byte count; nullopt when the
// bytes there are not well-formed UTF-8 (overlong forms, surrogates and values past U+10FFFF
// included, as Unicode's table of well-formed byte sequences says).
std::optional<char32_t> decode_utf8(std::string_view path, std::size_t i, std::size_t& length) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(path[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    length = 1;
    return lead;
  }
  char32_t value = 0;
  unsigned char low = 0x80, high = 0xbf;  // the range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    value = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    value = lead & 0x0f;
    if (lead == 0xe0) low = 0xa0;   // no overlong forms
    if (lead == 0xed) high = 0x9f;  // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    value = lead & 0x07;
    if (lead == 0xf0) low = 0x90;   // no overlong forms
    if (lead == 0xf4) high = 0x8f;  // nothing past U+10FFFF
  } else {
    return std::nullopt;
  }
  if (i + length > path.size()) return std::nullopt;
  for (std::size_t k = 1; k < length; ++k) {
    const unsigned char b = byte(i + k);
    if (k == 1 ? (b < low || b > high) : (b < 0x80 || b > 0xbf)) return std::nullopt;
    value = (value << 6) | (b & 0x3f);
  }
  return value;
}

// The characters ZooKeeper refuses. Java strings are UTF-16, so everything above U+FFFF arrives
// there as a surrogate pair (U+D800..U+DFFF), which the U+D800..U+F8FF range refuses.
bool is_refused(char32_t c) {
  return (c >= 0x01 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) ||
         (c >= 0xfff0 && c <= 0xffff) || c > 0xffff;
}

std::string at(std::string_view reason, std::size_t i) { return std::string(reason) + " @" + std::to_string(i); }

// PathUtils.validatePath(String) on `path` (the sequential form already has its "1").
std::optional<std::string> check(std::string_view path) {
  if (path.empty()) return "Path length must be > 0";
  if (path[0] != '/') return "Path must start with / character";
  if (path.size() == 1) return std::nullopt;  // the root
  if (path.back() == '/') return "Path must not end with / character";
  for (std::size_t i = 1; i < path.size();) {
    const char c = path[i];
    const bool component_ends = i + 1 == path.size() || path[i + 1] == '/';
    if (c == '\0') return at("null character not allowed", i);
    if (c == '/' && path[i - 1] == '/') return at("empty node name specified", i);
    if (c == '.' && path[i - 1] == '/' && component_ends) return at("relative paths not allowed", i);
    if (c == '.' && path[i - 1] == '.' && path[i - 2] == '/' && component_ends) {
      return at("relative paths not allowed", i);
    }
    std::size_t length = 0;
    const std::optional<char32_t> decoded = decode_utf8(path, i, length);
    if (!decoded) return at("invalid UTF-8", i);
    if (is_refused(*decoded)) return at("invalid character", i);
    i += length;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> path_error(std::string_view path, bool sequential) {
  const std::size_t room = sequential ? limits::path_bytes_max - kWidestSuffixChars : limits::path_bytes_max;
  if (path.size() > room) {
    return "Path must not be longer than " + std::to_string(room) + " bytes" +
           (sequential ? " (11 more for the sequence suffix)" : "");
  }
  if (!sequential) return check(path);
  std::string completed(path);
  completed += '1';
  return check(completed);
}

std::string parent_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (path.size() <= 1 || slash == std::string_view::npos) return "";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string name_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return std::string(path);
  return std::string(path.substr(slash + 1));
}

std::string sequential_name(std::string_view path, std::int32_t counter) {
  const std::int64_t value = counter;  // |INT32_MIN| fits
  const bool negative = value < 0;
  const std::string digits = std::to_string(negative ? -value : value);
  const std::size_t width = negative ? kSuffixChars - 1 : kSuffixChars;
  std::string out(path);
  if (negative) out += '-';
  if (digits.size() < width) out.append(width - digits.size(), '0');
  return out + digits;
}

std::string placement_key(std::string_view path, bool sequential) {
  if (sequential) return std::string(path);
  const std::size_t slash = path.rfind('/');
  const std::size_t name_start = slash == std::string_view::npos ? 0 : slash + 1;
  const std::string_view name = path.substr(name_start);
  // The one suffix wider than ten characters; no other counter's suffix ends like it.
  constexpr std::string_view kMinSuffix = "-2147483648";
  if (name.ends_with(kMinSuffix)) return std::string(path.substr(0, path.size() - kMinSuffix.size()));
  if (name.size() < kSuffixChars) return std::string(path);
  const std::string_view suffix = path.substr(path.size() - kSuffixChars);
  bool is_suffix = suffix[0] == '-' || is_digit(suffix[0]);
  for (std::size_t i = 1; i < suffix.size() && is_suffix; ++i) is_suffix = is_digit(suffix[i]);
  if (!is_suffix) return std::string(path);
  return std::string(path.substr(0, path.size() - kSuffixChars));
}

}  // namespace eyrie::volery
