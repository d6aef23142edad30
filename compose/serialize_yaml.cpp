// A YAML emitter that writes what go-yaml v3 writes for `docker compose
// config` (encoder indent 2). yaml-cpp's emitter quotes by other rules and
// indents sequences differently, so users diffing against compose would see
// noise; this follows libyaml's scalar analysis instead.
#include <charconv>
#include <limits>
#include <regex>
#include <string_view>

#include "compose/serialize.hpp"

namespace brick::compose {
namespace {

using Json = nlohmann::ordered_json;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// go-yaml's resolve(): would this plain text read back as something other
// than a string (null, bool, int, float, timestamp)?
bool resolves_to_non_string(std::string_view s) {
  static const char* const specials[] = {
      "",      "~",    "null", "Null", "NULL",  "true",  "True",  "TRUE",  "false", "False",
      "FALSE", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
      ".nan",  ".NaN", ".NAN", "y",    "Y",     "yes",   "Yes",   "YES",   "n",     "N",
      "no",    "No",   "NO",   "on",   "On",    "ON",    "off",   "Off",   "OFF",   "<<",
  };
  for (const char* sp : specials)
    if (s == sp) return true;
  if (s.empty()) return true;
  char c = s[0];
  if (!(is_digit(c) || c == '+' || c == '-' || c == '.')) return false;
  std::string plain;
  for (char ch : s)
    if (ch != '_') plain += ch;
  static const std::regex int_re(R"(^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[0-9]+)$)");
  static const std::regex float_re(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  static const std::regex base60_re(R"(^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$)");
  static const std::regex time_re(
      R"(^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]*)?(Z|[-+][0-9]{1,2}(:[0-9]{2})?)?)?$)");
  std::string str(s);
  return std::regex_match(plain, int_re) || std::regex_match(plain, float_re) || std::regex_match(str, base60_re) ||
         std::regex_match(str, time_re);
}

// libyaml's IS_PRINTABLE, for the bytes we can judge one at a time.
bool printable(unsigned char c) { return c == '\n' || (c >= 0x20 && c != 0x7f); }

bool is_blank_or_end(std::string_view s, size_t i) {
  return i >= s.size() || s[i] == ' ' || s[i] == '\t' || s[i] == '\n';
}

// libyaml's analysis for block context: can the text be written plain?
bool plain_allowed(std::string_view s) {
  if (s.empty()) return false;
  if (s.starts_with("---") || s.starts_with("...")) return false;
  if (s.front() == ' ' || s.back() == ' ') return false;
  std::string_view first_indicators = "#,[]{}&*!|>'\"%@`";
  if (first_indicators.find(s[0]) != std::string_view::npos) return false;
  if ((s[0] == '-' || s[0] == '?' || s[0] == ':') && is_blank_or_end(s, 1)) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!printable(c) || c == '\n') return false;
    if (i > 0 && c == ':' && is_blank_or_end(s, i + 1)) return false;
    if (i > 0 && c == '#' && (s[i - 1] == ' ' || s[i - 1] == '\t')) return false;
  }
  return true;
}

bool has_special_characters(std::string_view s) {
  for (unsigned char c : s)
    if (!printable(c)) return true;
  return false;
}

std::string double_quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\0': out += "\\0"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static const char hex[] = "0123456789ABCDEF";
          out += "\\x";
          out += hex[c >> 4];
          out += hex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string single_quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// A literal block (`|-`) for multi-line text, unless a line ends in a space
// or the text holds control characters (libyaml then double-quotes).
bool literal_allowed(std::string_view s) {
  if (has_special_characters(s)) return false;
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if ((s[i] == ' ' || s[i] == '\t') && s[i + 1] == '\n') return false;
  return s.back() != ' ';
}

std::string literal_block(std::string_view s, int content_indent) {
  std::string out = "|";
  if (s.front() == ' ' || s.front() == '\n') out += "2";
  size_t trailing = 0;
  while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
  out += trailing == 0 ? "-" : trailing == 1 ? "" : "+";
  std::string_view body = s.substr(0, s.size() - trailing);
  std::string pad(content_indent, ' ');
  size_t start = 0;
  while (true) {
    size_t nl = body.find('\n', start);
    std::string_view line = body.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    out += '\n';
    if (!line.empty()) out += pad + std::string(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  for (size_t i = 1; i < trailing; ++i) out += '\n';
  return out;
}

std::string string_text(std::string_view s, int content_indent) {
  if (s.find('\n') != std::string_view::npos) {
    return literal_allowed(s) ? literal_block(s, content_indent) : double_quoted(s);
  }
  if (resolves_to_non_string(s) || has_special_characters(s)) return double_quoted(s);
  if (plain_allowed(s)) return std::string(s);
  return single_quoted(s);
}

std::string float_text(double d) {
  if (d != d) return ".nan";
  if (d == std::numeric_limits<double>::infinity()) return ".inf";
  if (d == -std::numeric_limits<double>::infinity()) return "-.inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  if (ec != std::errc()) return "0";
  return std::string(buf, end);
}

std::string scalar_text(const Json& v, int content_indent) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer: return std::to_string(v.get<int64_t>());
    case Json::value_t::number_unsigned: return std::to_string(v.get<uint64_t>());
    case Json::value_t::number_float: return float_text(v.get<double>());
    case Json::value_t::string: return string_text(v.get_ref<const std::string&>(), content_indent);
    default: return "null";
  }
}

bool is_container(const Json& v) { return v.is_object() || v.is_array(); }

void emit_map(std::string& out, const Json& node, int indent, bool first_inline);
void emit_seq(std::string& out, const Json& node, int indent, bool first_inline);

// After `key:` or `-`: the value on the same line, or a block below at `child_indent`.
void emit_after(std::string& out, const Json& v, int child_indent) {
  if (!is_container(v)) {
    out += ' ';
    out += scalar_text(v, child_indent);
    out += '\n';
  } else if (v.empty()) {
    out += v.is_object() ? " {}\n" : " []\n";
  } else if (v.is_object()) {
    out += '\n';
    emit_map(out, v, child_indent, false);
  } else {
    out += '\n';
    emit_seq(out, v, child_indent, false);
  }
}

void emit_map(std::string& out, const Json& node, int indent, bool first_inline) {
  bool first = true;
  for (const auto& [key, value] : node.items()) {
    if (!(first && first_inline)) out.append(indent, ' ');
    first = false;
    out += string_text(key, indent + 2);
    out += ':';
    emit_after(out, value, indent + 2);
  }
}

void emit_seq(std::string& out, const Json& node, int indent, bool first_inline) {
  bool first = true;
  for (const auto& item : node) {
    if (!(first && first_inline)) out.append(indent, ' ');
    first = false;
    out += '-';
    if (is_container(item) && !item.empty()) {
      out += ' ';
      if (item.is_object())
        emit_map(out, item, indent + 2, true);
      else
        emit_seq(out, item, indent + 2, true);
    } else {
      emit_after(out, item, indent + 2);
    }
  }
}

}  // namespace

std::string to_yaml(const nlohmann::ordered_json& value) {
  std::string out;
  if (value.is_object() && !value.empty()) {
    emit_map(out, value, 0, false);
  } else if (value.is_array() && !value.empty()) {
    emit_seq(out, value, 0, false);
  } else if (is_container(value)) {
    out = value.is_object() ? "{}\n" : "[]\n";
  } else {
    out = scalar_text(value, 2) + "\n";
  }
  return out;
}

}  // namespace brick::compose
