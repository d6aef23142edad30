#include "compose/utf8.hpp"

#include <cstdio>

namespace brick::compose {
namespace {

// Table 3-7 of the Unicode standard: the second byte's range depends on the
// first, which is what rules out overlong forms and surrogates.
size_t sequence_length(std::string_view s, size_t i) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = at(i);
  if (b < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  return n;
}

std::string hex_byte(unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02X", b);
  return buf;
}

void walk(const Node& node, Diagnostics& diags, std::string& path) {
  switch (node.kind) {
    case Node::Kind::Null: return;
    case Node::Kind::Scalar:
      if (invalid_utf8_at(node.scalar))
        diags.error(node.mark, escape_invalid_utf8(path),
                    "value " + why_not_utf8(node.scalar) + ": save the file (or set the variable) as UTF-8");
      return;
    case Node::Kind::Sequence: {
      const size_t base = path.size();
      for (size_t i = 0; i < node.items.size(); ++i) {
        path += '[' + std::to_string(i) + ']';
        walk(node.items[i], diags, path);
        path.resize(base);
      }
      return;
    }
    case Node::Kind::Mapping: {
      const size_t base = path.size();
      for (const Entry& e : node.entries) {
        if (base != 0) path += '.';
        path += e.key;
        if (invalid_utf8_at(e.key))
          diags.error(e.key_mark, escape_invalid_utf8(path), "key " + why_not_utf8(e.key) + ": save the file as UTF-8");
        walk(e.value, diags, path);
        path.resize(base);
      }
      return;
    }
  }
}

}  // namespace

std::optional<size_t> invalid_utf8_at(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = sequence_length(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

std::string escape_invalid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t n = sequence_length(s, i);
    if (n == 0) {
      out += "\\x" + hex_byte(static_cast<unsigned char>(s[i]));
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string why_not_utf8(std::string_view s) {
  const auto at = invalid_utf8_at(s);
  if (!at) return "";
  return "is not valid UTF-8 (byte 0x" + hex_byte(static_cast<unsigned char>(s[*at])) + " at offset " +
         std::to_string(*at) + ")";
}

void check_utf8(const Node& node, Diagnostics& diags, const std::string& path) {
  std::string current = path;
  walk(node, diags, current);
}

}  // namespace brick::compose
