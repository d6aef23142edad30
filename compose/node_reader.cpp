#include "compose/node_reader.hpp"

#include <charconv>
#include <cmath>

#include "base/strings.hpp"
#include "compose/units.hpp"

namespace brick::compose {

std::string key_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, size_t index) { return parent + "[" + std::to_string(index) + "]"; }

namespace {

std::string describe(const Node& n) {
  if (n.is_scalar()) return "`" + n.scalar + "`";
  return "a " + std::string(n.kind_name());
}

template <class T>
std::optional<T> parse_whole(std::string_view s) {
  T value{};
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

}  // namespace

bool Reader::expect_mapping(const Node& n, const std::string& path) {
  if (n.is_mapping()) return true;
  error(n.mark, path, "expected a mapping, got " + describe(n));
  return false;
}

bool Reader::expect_sequence(const Node& n, const std::string& path) {
  if (n.is_sequence()) return true;
  error(n.mark, path, "expected a list, got " + describe(n));
  return false;
}

void Reader::unknown_key(const Entry& entry, const std::string& path, const std::vector<std::string>& known) {
  std::string message = "unknown key `" + entry.key + "`";
  std::string guess = closest_match(entry.key, known);
  if (!guess.empty()) message += " (did you mean `" + guess + "`?)";
  error(entry.key_mark, path, std::move(message));
}

void Reader::dispatch(const Node& map, const std::string& path, const std::vector<Field>& fields) {
  if (!expect_mapping(map, path)) return;
  for (const Entry& e : map.entries) {
    if (starts_with(e.key, "x-")) continue;
    const Field* field = nullptr;
    for (const Field& f : fields)
      if (f.key == e.key) field = &f;
    if (field) {
      field->handle(e.value, key_path(path, e.key));
      continue;
    }
    std::vector<std::string> known;
    for (const Field& f : fields) known.emplace_back(f.key);
    unknown_key(e, path, known);
  }
}

std::optional<std::string> Reader::str(const Node& n, const std::string& path) {
  if (n.is_null()) return std::nullopt;
  if (!n.is_scalar()) {
    error(n.mark, path, "expected a string, got " + describe(n));
    return std::nullopt;
  }
  return n.scalar;
}

std::optional<bool> Reader::boolean(const Node& n, const std::string& path) {
  if (n.is_null()) return std::nullopt;
  if (n.is_scalar()) {
    std::string v = to_lower(n.scalar);
    if (v == "true") return true;
    if (v == "false") return false;
    // YAML 1.1 spellings: compose-go's toBoolean converts them and warns,
    // in these words, rather than rejecting files written for docker-compose v1.
    const bool yes = v == "yes" || v == "on" || v == "y";
    if (yes || v == "no" || v == "off" || v == "n") {
      warning(n.mark, path,
              "\"" + n.scalar + "\" for boolean is not supported by YAML 1.2, please use `" + (yes ? "true" : "false") +
                  "`");
      return yes;
    }
  }
  error(n.mark, path, "expected a boolean (true or false), got " + describe(n));
  return std::nullopt;
}

std::optional<int64_t> Reader::integer(const Node& n, const std::string& path) {
  if (n.is_null()) return std::nullopt;
  if (n.is_scalar())
    if (auto v = parse_whole<int64_t>(n.scalar)) return v;
  error(n.mark, path, "expected an integer, got " + describe(n));
  return std::nullopt;
}

std::optional<uint64_t> Reader::uinteger(const Node& n, const std::string& path) {
  if (n.is_null()) return std::nullopt;
  if (n.is_scalar())
    if (auto v = parse_whole<uint64_t>(n.scalar)) return v;
  error(n.mark, path, "expected a non-negative integer, got " + describe(n));
  return std::nullopt;
}

std::optional<double> Reader::number(const Node& n, const std::string& path) {
  if (n.is_null()) return std::nullopt;
  if (n.is_scalar())
    if (auto v = parse_whole<double>(n.scalar); v && std::isfinite(*v)) return v;
  error(n.mark, path, "expected a number, got " + describe(n));
  return std::nullopt;
}

std::optional<int64_t> Reader::bytes(const Node& n, const std::string& path) {
  if (n.is_null()) return std::nullopt;
  if (!n.is_scalar()) {
    error(n.mark, path, "expected a byte size such as `512m`, got " + describe(n));
    return std::nullopt;
  }
  // A plain YAML integer is a count of bytes; parse it here so sizes work
  // even where units would read a suffix-less string differently.
  if (auto v = parse_whole<int64_t>(n.scalar); v && *v >= 0) return v;
  auto parsed = parse_bytes(n.scalar);
  if (!parsed) {
    error(n.mark, path, describe(n) + " is not a size");
    return std::nullopt;
  }
  return *parsed;
}

std::optional<Duration> Reader::duration(const Node& n, const std::string& path) {
  if (n.is_null()) return std::nullopt;
  if (!n.is_scalar()) {
    error(n.mark, path, "expected a duration such as `30s`, got " + describe(n));
    return std::nullopt;
  }
  auto parsed = parse_duration(n.scalar);
  if (!parsed) {
    // A bare number is the usual slip: compose wants a unit.
    bool bare = parse_whole<int64_t>(n.scalar).has_value();
    error(n.mark, path,
          describe(n) + " is not a duration" + (bare ? " (did you mean `" + n.scalar + "s`?)" : std::string()));
    return std::nullopt;
  }
  return *parsed;
}

std::optional<double> Reader::cpus(const Node& n, const std::string& path) {
  if (n.is_null()) return std::nullopt;
  if (n.is_scalar())
    if (auto v = parse_whole<double>(n.scalar); v && std::isfinite(*v) && *v >= 0) return v;
  if (!n.is_scalar()) {
    error(n.mark, path, "expected a CPU count such as `0.5`, got " + describe(n));
    return std::nullopt;
  }
  auto parsed = parse_cpus(n.scalar);
  if (!parsed) {
    error(n.mark, path, parsed.error().message());
    return std::nullopt;
  }
  return *parsed;
}

std::vector<std::string> Reader::string_list(const Node& n, const std::string& path) {
  std::vector<std::string> out;
  if (n.is_null() || !expect_sequence(n, path)) return out;
  for (size_t i = 0; i < n.items.size(); ++i) {
    const Node& item = n.items[i];
    if (item.is_scalar())
      out.push_back(item.scalar);
    else
      error(item.mark, index_path(path, i), "expected a string, got " + describe(item));
  }
  return out;
}

std::vector<std::string> Reader::string_or_list(const Node& n, const std::string& path) {
  if (n.is_scalar()) return {n.scalar};
  if (n.is_null() || n.is_sequence()) return string_list(n, path);
  error(n.mark, path, "expected a string or a list of strings, got " + describe(n));
  return {};
}

OptionalStringMap Reader::list_or_dict(const Node& n, const std::string& path) {
  OptionalStringMap out;
  if (n.is_null()) return out;
  if (n.is_mapping()) {
    for (const Entry& e : n.entries) {
      const Node& v = e.value;
      if (v.is_null())
        out[e.key] = std::nullopt;
      else if (v.is_scalar())
        out[e.key] = v.scalar;
      else
        error(v.mark, key_path(path, e.key), "expected a string, number or boolean, got " + describe(v));
    }
    return out;
  }
  if (n.is_sequence()) {
    for (size_t i = 0; i < n.items.size(); ++i) {
      const Node& item = n.items[i];
      if (!item.is_scalar()) {
        error(item.mark, index_path(path, i), "expected a `KEY=VALUE` string, got " + describe(item));
        continue;
      }
      size_t eq = item.scalar.find('=');
      std::string key = item.scalar.substr(0, eq);
      if (key.empty()) {
        error(item.mark, index_path(path, i), describe(item) + " has no key before `=`");
        continue;
      }
      if (eq == std::string::npos)
        out[key] = std::nullopt;
      else
        out[key] = item.scalar.substr(eq + 1);
    }
    return out;
  }
  error(n.mark, path, "expected a mapping or a list of `KEY=VALUE` strings, got " + describe(n));
  return out;
}

StringMap Reader::string_map(const Node& n, const std::string& path) {
  StringMap out;
  for (auto& [k, v] : list_or_dict(n, path)) out[k] = v.value_or("");
  return out;
}

Result<std::vector<std::string>> split_shell_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
      else
        word += c;
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= text.size()) return fail("a trailing backslash escapes nothing");
      char next = text[++i];
      // Inside double quotes a backslash escapes only what the shell would
      // treat specially there; elsewhere it keeps itself.
      if (quote == '"' && next != '"' && next != '\\' && next != '$' && next != '`') word += '\\';
      word += next;
      in_word = true;
      continue;
    }
    if (quote == '"') {
      if (c == '"')
        quote = 0;
      else
        word += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    word += c;
    in_word = true;
  }
  if (quote) return fail(std::string("unterminated ") + (quote == '"' ? "double" : "single") + " quote");
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::optional<uint32_t> Reader::file_mode(const Node& n, const std::string& path) {
  auto s = str(n, path);
  if (!s) return std::nullopt;
  // `0o440` is YAML 1.2's octal integer, which compose-go's parser reads.
  std::string_view digits = *s;
  const bool go_octal = !n.quoted && starts_with(*s, "0o") && s->size() > 2;
  if (go_octal) digits.remove_prefix(2);
  bool decimal = !go_octal && !n.quoted && !starts_with(*s, "0");
  auto mode = parse_file_mode(digits, decimal);
  if (!mode) {
    error(n.mark, path, "`" + *s + "` is not a file mode: " + mode.error().message());
    return std::nullopt;
  }
  return *mode;
}

}  // namespace brick::compose
