// Variable interpolation with docker compose's semantics (compose-go's
// template package), written as a single left-to-right scan instead of
// compose-go's regex-and-recurse approach so hostile values stay linear and
// the recursion depth is bounded.
#include "compose/interpolate.hpp"

#include <set>

namespace brick::compose {
namespace {

// Deeper `${A:-${B:-...}}` nesting than this is certainly not a real stack
// file; refusing it keeps the recursion (two frames per level) bounded.
constexpr int kMaxDepth = 64;
// Error messages quote the value; a megabyte-long value is cut to this.
constexpr size_t kMaxQuoted = 200;

bool is_name_start(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

class Interpolator {
 public:
  Interpolator(std::string_view text, const Lookup& lookup, std::vector<std::string>* unset, size_t max_size)
      : text_(text), lookup_(lookup), unset_(unset), max_size_(max_size) {}

  Result<std::string> run() {
    std::string out;
    out.reserve(text_.size());
    BRICK_TRY(parse(out, 0, /*active=*/true, /*nested=*/false));
    return out;
  }

 private:
  // Copies text into `out`, expanding `$` forms, up to the end of the input
  // or, when `nested`, up to (and consuming) the `}` that closes the current
  // `${...}`. When `active` is false the text is only checked for syntax: it
  // belongs to a branch that is not taken (`${SET:-unused ${X?}}`), so it
  // must neither look variables up, warn, nor fail on `?`. compose-go
  // evaluates unused branches eagerly; bash does not, and neither do we.
  Status parse(std::string& out, int depth, bool active, bool nested) {
    while (pos_ < text_.size()) {
      // Each step appends at most one variable's value, so `out` never
      // passes the bound by more than that.
      if (out.size() > max_size_) return too_long();
      char c = text_[pos_];
      if (nested && c == '}') {
        ++pos_;
        return {};
      }
      if (c != '$') {
        size_t next = text_.find_first_of(nested ? "$}" : "$", pos_);
        if (next == std::string_view::npos) next = text_.size();
        if (active) out.append(text_.substr(pos_, next - pos_));
        pos_ = next;
        continue;
      }
      // A `$` that starts no variable (`$(date)`, `$1`, `$ `, a trailing
      // `$`) is kept as written: compose-go's pattern only matches `$$`,
      // `$NAME` and `${`, and only a malformed `${` is an error
      // (docker/compose#12287 shows `$}` printed back as `$$}`).
      if (pos_ + 1 == text_.size()) {
        if (active) out += '$';
        ++pos_;
        continue;
      }
      char n = text_[pos_ + 1];
      if (n == '$') {
        if (active) out += '$';
        pos_ += 2;
      } else if (is_name_start(n)) {
        size_t start = ++pos_;
        while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
        if (active) substitute(text_.substr(start, pos_ - start), out);
      } else if (n == '{') {
        pos_ += 2;
        BRICK_TRY(parse_braced(out, depth + 1, active));
      } else {
        if (active) out += '$';
        ++pos_;
      }
    }
    if (nested) return invalid();
    if (out.size() > max_size_) return too_long();
    return {};
  }

  // pos_ is just past "${".
  Status parse_braced(std::string& out, int depth, bool active) {
    if (depth > kMaxDepth) return too_deep();
    size_t start = pos_;
    while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
    std::string_view name = text_.substr(start, pos_ - start);
    if (pos_ == text_.size()) return invalid();
    if (name.empty() || !is_name_start(name[0])) {
      return invalid();
    }
    char c = text_[pos_];
    if (c == '}') {
      ++pos_;
      if (active) substitute(name, out);
      return {};
    }
    bool colon = c == ':';
    if (colon) {
      if (++pos_ == text_.size()) return invalid();
      c = text_[pos_];
    }
    if (c != '-' && c != '?' && c != '+') {
      return invalid();
    }
    ++pos_;

    std::optional<std::string> value;
    if (active) value = lookup_(name);
    // With a colon an empty value counts as missing, as in the shell.
    bool present = value.has_value() && (!colon || !value->empty());
    switch (c) {
      case '-':
        if (active && present) out += *value;
        return parse(out, depth, active && !present, /*nested=*/true);
      case '+': return parse(out, depth, active && present, /*nested=*/true);
      default: {  // '?'
        if (active && present) out += *value;
        std::string message;
        BRICK_TRY(parse(message, depth, active && !present, /*nested=*/true));
        if (!active || present) return {};
        std::string what = "required variable `" + std::string(name) + "` is missing a value";
        if (!message.empty()) what += ": " + message;
        return fail(std::move(what));
      }
    }
  }

  void substitute(std::string_view name, std::string& out) {
    if (auto value = lookup_(name)) {
      out += *value;
    } else if (unset_ != nullptr) {
      unset_->emplace_back(name);
    }
  }

  // The wording matches the golden corpus (tests/fixtures/invalid); the
  // quoted value mostly shows what is wrong, so a reason is added only
  // where it does not.
  std::unexpected<Error> invalid(std::string_view why = {}) const {
    std::string message = "invalid interpolation format in `" + std::string(text_.substr(0, kMaxQuoted));
    message += text_.size() > kMaxQuoted ? "...`" : "`";
    if (!why.empty()) message += ": " + std::string(why);
    return fail(std::move(message));
  }

  std::unexpected<Error> too_long() const {
    std::string message = "`" + std::string(text_.substr(0, kMaxQuoted));
    message += text_.size() > kMaxQuoted ? "...`" : "`";
    return fail(message + " grows past " + std::to_string(max_size_) + " bytes when interpolated");
  }

  std::unexpected<Error> too_deep() const {
    return invalid("`${...}` nested more than " + std::to_string(kMaxDepth) + " levels deep");
  }

  std::string_view text_;
  const Lookup& lookup_;
  std::vector<std::string>* unset_;
  size_t max_size_;
  size_t pos_ = 0;
};

void interpolate_walk(Node& node, const Lookup& lookup, Diagnostics& diags, std::string& path,
                      std::set<std::string>& warned) {
  switch (node.kind) {
    case Node::Kind::Null: return;
    case Node::Kind::Scalar: {
      if (node.scalar.find('$') == std::string::npos) return;
      std::vector<std::string> unset;
      auto result = interpolate_string(node.scalar, lookup, &unset);
      if (!result) {
        diags.error(node.mark, path, result.error().message());
        return;
      }
      node.scalar = std::move(*result);
      // docker compose repeats the warning at every use; once is enough.
      for (auto& name : unset) {
        if (warned.insert(name).second) {
          diags.warning(node.mark, path, "The \"" + name + "\" variable is not set. Defaulting to a blank string.");
        }
      }
      return;
    }
    case Node::Kind::Sequence: {
      size_t base = path.size();
      for (size_t i = 0; i < node.items.size(); ++i) {
        path += '[' + std::to_string(i) + ']';
        interpolate_walk(node.items[i], lookup, diags, path, warned);
        path.resize(base);
      }
      return;
    }
    case Node::Kind::Mapping: {
      size_t base = path.size();
      for (auto& entry : node.entries) {
        if (base != 0) path += '.';
        path += entry.key;
        interpolate_walk(entry.value, lookup, diags, path, warned);
        path.resize(base);
      }
      return;
    }
  }
}

}  // namespace

Result<std::string> interpolate_string(std::string_view text, const Lookup& lookup, std::vector<std::string>* unset,
                                       size_t max_size) {
  if (text.find('$') == std::string_view::npos) return std::string(text);
  return Interpolator(text, lookup, unset, max_size).run();
}

void interpolate_node(Node& node, const Lookup& lookup, Diagnostics& diags, const std::string& path) {
  std::string current = path;
  std::set<std::string> warned;
  interpolate_walk(node, lookup, diags, current, warned);
}

}  // namespace brick::compose
