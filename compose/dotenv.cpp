// A dotenv parser that follows compose-go's (a godotenv fork), which is what
// docker compose uses for `.env` and `env_file:`. Deliberate differences:
// a line with no variable name (`=x`) and text after a closing quote are
// errors here, where compose-go silently makes a key "" or a second entry.
#include "compose/dotenv.hpp"

#include <map>
#include <memory>

#include "base/file.hpp"
#include "compose/input_file.hpp"
#include "compose/interpolate.hpp"
#include "compose/utf8.hpp"

namespace brick::compose {
namespace {

// Longest excerpt of a source line quoted in an error message.
constexpr size_t kMaxExcerpt = 80;
// The values of one file together, after interpolation. Each value is
// bounded by interpolate_string, but every line may copy the biggest so far.
constexpr size_t kMaxTotalSize = size_t{16} << 20;

// Spaces that separate tokens on one line; a newline ends the statement.
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

bool is_key_char(char c) {
  auto u = static_cast<unsigned char>(c);
  // compose-go accepts any Unicode letter; bytes of multi-byte UTF-8 stand in.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-' || c == '[' || c == ']' || u >= 0x80;
}

bool is_octal(char c) { return c >= '0' && c <= '7'; }

std::string excerpt(std::string_view s) {
  std::string out(s.substr(0, kMaxExcerpt));
  if (s.size() > kMaxExcerpt) out += "...";
  return out;
}

// Backslash escapes of double-quoted values, as compose-go expands them:
// \a \b \f \n \r \t \v \\ and \0NNN (octal) become the character; `\$`
// becomes `$$` so the interpolation that follows yields a literal `$`; any
// other backslash is kept as written. (`\"` was already handled while
// finding the closing quote.)
std::string expand_escapes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char d = s[i + 1];
    switch (d) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '$': out += "$$"; break;
      case '0':
        // Go's octal escapes take exactly three digits and stop at \377.
        if (i + 4 < s.size() && is_octal(s[i + 2]) && is_octal(s[i + 3]) && is_octal(s[i + 4]) && s[i + 2] <= '3') {
          out += static_cast<char>((s[i + 2] - '0') * 64 + (s[i + 3] - '0') * 8 + (s[i + 4] - '0'));
          i += 3;
          break;
        }
        [[fallthrough]];
      default: out += '\\'; out += d;
    }
    ++i;
  }
  return out;
}

class DotenvParser {
 public:
  DotenvParser(std::string_view text, const std::string& file_name, const StringMap& lookup)
      : text_(text), file_(std::make_shared<const std::string>(file_name)), lookup_(lookup) {
    // A UTF-8 byte-order mark from a Windows editor is not part of the first key.
    if (text_.starts_with("\xEF\xBB\xBF")) pos_ = line_start_ = 3;
  }

  Result<std::vector<DotenvEntry>> run() {
    while (true) {
      skip_blank_and_comments();
      if (pos_ == text_.size()) break;
      BRICK_TRY(statement());
    }
    return std::move(entries_);
  }

 private:
  void skip_blank_and_comments() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\n') {
        newline();
      } else if (is_space(c)) {
        ++pos_;
      } else if (c == '#') {
        skip_to_eol();
      } else {
        return;
      }
    }
  }

  // Consumes the newline at pos_.
  void newline() {
    ++pos_;
    ++line_;
    line_start_ = pos_;
  }

  void skip_to_eol() {
    size_t eol = text_.find('\n', pos_);
    pos_ = eol == std::string_view::npos ? text_.size() : eol;
  }

  void skip_spaces() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }

  std::string_view rest_of_line() const {
    size_t eol = text_.find('\n', pos_);
    return text_.substr(pos_, (eol == std::string_view::npos ? text_.size() : eol) - pos_);
  }

  std::unexpected<Error> error_at(int line, const std::string& message) const {
    return fail(*file_ + ":" + std::to_string(line) + ": " + message);
  }

  Status statement() {
    const int line = line_;
    const std::string_view line_text = rest_of_line();
    if (text_.substr(pos_).starts_with("export") && pos_ + 6 < text_.size() && is_space(text_[pos_ + 6])) {
      pos_ += 6;
      skip_spaces();
    }
    const Mark mark{file_, line, static_cast<int>(pos_ - line_start_ + 1)};

    size_t key_start = pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '=' || c == ':' || c == '\n') break;
      if (!is_space(c) && !is_key_char(c)) {
        return error_at(line, "unexpected character `" + std::string(1, c) + "` in variable name `" +
                                  excerpt(line_text) + "` (names use letters, digits, `_`, `.`, `-`, `[`, `]`)");
      }
      ++pos_;
    }
    std::string_view key = text_.substr(key_start, pos_ - key_start);
    while (!key.empty() && is_space(key.back())) key.remove_suffix(1);
    if (key.empty()) return error_at(line, "missing variable name before `" + excerpt(line_text) + "`");
    for (char c : key) {
      if (is_space(c)) return error_at(line, "variable name `" + excerpt(key) + "` contains a space");
    }
    if (invalid_utf8_at(key))
      return error_at(line, "variable name `" + escape_invalid_utf8(excerpt(key)) + "` " + why_not_utf8(key) +
                                ": save the file as UTF-8");

    // A bare `KEY` passes the variable through from the environment, if set.
    if (pos_ == text_.size() || text_[pos_] == '\n') {
      std::optional<std::string> value;
      if (auto it = lookup_.find(std::string(key)); it != lookup_.end()) value = it->second;
      if (value) BRICK_TRY(check_value(line, key, *value, "its value in the environment"));
      if (value) defined_[std::string(key)] = *value;
      entries_.push_back(DotenvEntry{std::string(key), std::move(value), mark});
      return {};
    }

    ++pos_;  // `=`, or `:` for the YAML-style `KEY: value` compose-go accepts
    skip_spaces();
    std::string value;
    char quote = pos_ < text_.size() ? text_[pos_] : '\0';
    if (quote == '"' || quote == '\'') {
      std::string raw = BRICK_TRY(quoted(quote, line));
      value = quote == '"' ? BRICK_TRY(expand(expand_escapes(raw), line)) : std::move(raw);
      skip_spaces();
      if (pos_ < text_.size() && text_[pos_] != '\n' && text_[pos_] != '#') {
        return error_at(line_, "unexpected text `" + excerpt(rest_of_line()) + "` after the closing quote of `" +
                                   std::string(key) + "` (quote the whole value, or start a comment with ` #`)");
      }
    } else {
      std::string_view raw = rest_of_line();
      // As in compose-go, `#` starts a comment only after whitespace, so
      // `KEY=a#b` keeps its `#`.
      for (size_t i = 1; i < raw.size(); ++i) {
        if (raw[i] == '#' && is_space(raw[i - 1])) {
          raw = raw.substr(0, i);
          break;
        }
      }
      while (!raw.empty() && is_space(raw.back())) raw.remove_suffix(1);
      value = BRICK_TRY(expand(raw, line));
    }
    skip_to_eol();
    BRICK_TRY(check_value(line, key, value, "its value"));
    total_size_ += value.size();
    if (total_size_ > kMaxTotalSize)
      return error_at(line, "variable `" + std::string(key) + "`: the values of this file add up to more than " +
                                std::to_string(kMaxTotalSize >> 20) + " MiB after interpolation");
    defined_[std::string(key)] = value;
    entries_.push_back(DotenvEntry{std::string(key), std::move(value), mark});
    return {};
  }

  // pos_ is on the opening quote. Returns the text between the quotes with
  // `\<quote>` unescaped; other backslashes are left for expand_escapes.
  Result<std::string> quoted(char quote, int line) {
    const std::string_view first_line = rest_of_line();
    std::string out;
    bool escaped = false;
    for (++pos_; pos_ < text_.size(); ++pos_) {
      char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        line_start_ = pos_ + 1;
      }
      if (escaped) {
        escaped = false;
        if (c != quote) out += '\\';
        out += c;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == quote) {
        ++pos_;
        return out;
      } else {
        out += c;
      }
    }
    return error_at(line, "unterminated quoted value `" + excerpt(first_line) + "`: the closing `" +
                              std::string(1, quote) + "` is missing");
  }

  // Values end up in JSON records, which hold only UTF-8: a Latin-1 file
  // is refused here rather than half-way through `up`.
  Status check_value(int line, std::string_view key, std::string_view value, const char* what) const {
    if (!invalid_utf8_at(value)) return {};
    return error_at(
        line, "variable `" + std::string(key) + "`: " + what + " " + why_not_utf8(value) + ": save the file as UTF-8");
  }

  Result<std::string> expand(std::string_view value, int line) {
    Lookup lookup = [this](std::string_view name) -> std::optional<std::string> {
      if (auto it = defined_.find(name); it != defined_.end()) return it->second;
      if (auto it = lookup_.find(std::string(name)); it != lookup_.end()) return it->second;
      return std::nullopt;
    };
    auto result = interpolate_string(value, lookup);
    if (!result) return error_at(line, result.error().message());
    return std::move(*result);
  }

  std::string_view text_;
  std::shared_ptr<const std::string> file_;
  const StringMap& lookup_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  int line_ = 1;
  std::vector<DotenvEntry> entries_;
  // Values defined so far: they win over `lookup_` in interpolation.
  std::map<std::string, std::string, std::less<>> defined_;
  size_t total_size_ = 0;
};

}  // namespace

Result<std::vector<DotenvEntry>> parse_dotenv(std::string_view text, const std::string& file_name,
                                              const StringMap& lookup) {
  return DotenvParser(text, file_name, lookup).run();
}

Result<StringMap> read_dotenv_file(const std::string& path, const StringMap& lookup) {
  std::string text = BRICK_TRY(read_input_file(path, path, "env file"));
  auto entries = BRICK_TRY(parse_dotenv(text, path, lookup));
  StringMap out;
  // A bare `KEY` whose variable is unset keeps an earlier definition, as in compose-go.
  for (auto& e : entries) {
    if (e.value) out[e.key] = std::move(*e.value);
  }
  return out;
}

}  // namespace brick::compose
