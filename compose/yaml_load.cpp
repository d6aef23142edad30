// yaml-cpp → Node, expanding aliases and merge keys under a node budget.
//
// yaml-cpp 0.7 keeps an alias as a second reference to the anchored node, so
// parsing a "billion laughs" document is cheap; it is the expansion into an
// owned tree that would explode. Counting every node we create bounds both
// time and memory. yaml-cpp's own tree (over 1 KiB a node) is bounded first:
// an event pass counts the document's nodes, keeping none, before Load
// builds it (an 8 MiB file of 800k nodes took 2.1 s and 430 MB to refuse).

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>
#include <unordered_set>

#include "compose/node.hpp"

namespace brick::compose {

namespace {

class Converter {
 public:
  Converter(std::string_view text, std::shared_ptr<const std::string> file, const YamlLimits& limits)
      : text_(text), file_(std::move(file)), limits_(limits) {}

  Result<Node> convert(const YAML::Node& in, size_t depth) {
    if (++count_ > limits_.max_nodes)
      return fail(mark_of(in).str() + ": document expands to more than " + std::to_string(limits_.max_nodes) +
                  " nodes (an alias bomb?); refusing to load it");
    if (depth > limits_.max_depth)
      return fail(mark_of(in).str() + ": document nests deeper than " + std::to_string(limits_.max_depth) + " levels");
    Node out;
    out.mark = mark_of(in);
    const std::string& tag = in.Tag();
    if (tag != "?" && tag != "!") out.tag = tag;
    switch (in.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null: out.kind = Node::Kind::Null; return out;
      case YAML::NodeType::Scalar:
        out.kind = Node::Kind::Scalar;
        out.scalar = in.Scalar();
        out.quoted = tag == "!";
        if (out.quoted) BRICK_TRY(check_terminated(in));
        return out;
      case YAML::NodeType::Sequence:
        out.kind = Node::Kind::Sequence;
        out.items.reserve(in.size());
        for (const auto& item : in) out.items.push_back(BRICK_TRY(convert(item, depth + 1)));
        return out;
      case YAML::NodeType::Map:
        out.kind = Node::Kind::Mapping;
        BRICK_TRY(convert_mapping(in, depth, out));
        return out;
    }
    return out;
  }

 private:
  Mark mark_of(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return Mark{file_, 0, 0};
    return Mark{file_, m.line + 1, m.column + 1};
  }

  // Explicit keys win over merged ones; among merged sources the first wins
  // (YAML merge key spec). Merged entries come after explicit ones.
  Status convert_mapping(const YAML::Node& in, size_t depth, Node& out) {
    std::vector<YAML::Node> merges;  // handles, not pointers: the iterator's pair is a temporary
    std::unordered_set<std::string> seen;
    for (auto it = in.begin(); it != in.end(); ++it) {
      const YAML::Node key = it->first;  // a copy: `first` is a temporary handle
      if (!key.IsScalar())
        return fail(mark_of(key).str() + ": mapping keys must be strings, not a " +
                    (key.IsMap()        ? "mapping"
                     : key.IsSequence() ? "sequence"
                                        : "null"));
      const std::string& k = key.Scalar();
      if (k == "<<" && key.Tag() == "?") {
        merges.push_back(it->second);
        continue;
      }
      if (!seen.insert(k).second)
        return fail(mark_of(key).str() + ": mapping key `" + k + "` already defined in this mapping");
      ++count_;
      const YAML::Node value = it->second;
      // Convert before building the Entry: a BRICK_TRY that returns from the
      // middle of an aggregate initializer skips the destructors of the
      // members already built (GCC), leaking them.
      Node converted = BRICK_TRY(convert(value, depth + 1));
      out.entries.push_back(Entry{k, mark_of(key), std::move(converted)});
    }
    for (const YAML::Node& m : merges) {
      if (m.IsMap()) {
        BRICK_TRY(merge_from(m, depth, out, seen));
      } else if (m.IsSequence()) {
        for (const auto& src : m) {
          if (!src.IsMap()) return fail(mark_of(src).str() + ": merge key `<<` takes a mapping or a list of mappings");
          BRICK_TRY(merge_from(src, depth, out, seen));
        }
      } else {
        return fail(mark_of(m).str() + ": merge key `<<` takes a mapping or a list of mappings");
      }
    }
    return {};
  }

  Status merge_from(const YAML::Node& src, size_t depth, Node& out, std::unordered_set<std::string>& seen) {
    Node merged = BRICK_TRY(convert(src, depth + 1));
    for (auto& e : merged.entries) {
      if (!seen.insert(e.key).second) continue;
      out.entries.push_back(std::move(e));
    }
    return {};
  }

  // yaml-cpp 0.7 accepts a quoted scalar left open at the end of the stream
  // (`- "80:80` swallows the rest of the file). Find the closing quote
  // ourselves; block scalars (| >) have no quote and are skipped.
  Status check_terminated(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null() || m.pos < 0 || static_cast<size_t>(m.pos) >= text_.size()) return {};
    const char quote = text_[static_cast<size_t>(m.pos)];
    if (quote != '"' && quote != '\'') return {};
    for (size_t i = static_cast<size_t>(m.pos) + 1; i < text_.size(); ++i) {
      if (quote == '"' && text_[i] == '\\') {
        ++i;
      } else if (text_[i] == quote) {
        if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
          ++i;  // '' is an escaped single quote
          continue;
        }
        return {};
      }
    }
    return fail(mark_of(n).str() + ": unterminated quoted string: add the closing " + (quote == '"' ? "`\"`" : "`'`"));
  }

  std::string_view text_;
  std::shared_ptr<const std::string> file_;
  YamlLimits limits_;
  size_t count_ = 0;
};

// Counts what yaml-cpp would make a node of (an alias counts once: the
// Converter bounds its expansion) and stops the parse past the budget.
class NodeCounter : public YAML::EventHandler {
 public:
  struct TooMany {
    YAML::Mark mark;
  };
  explicit NodeCounter(size_t max) : max_(max) {}
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { count(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { count(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { count(m); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    count(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    count(m);
  }
  void OnMapEnd() override {}

 private:
  void count(const YAML::Mark& m) {
    if (++count_ > max_) throw TooMany{m};
  }
  size_t max_;
  size_t count_ = 0;
};

}  // namespace

Result<std::vector<Node>> parse_yaml_documents(std::string_view text, const std::string& file,
                                               const YamlLimits& limits) {
  auto file_name = std::make_shared<const std::string>(file);
  std::vector<YAML::Node> docs;
  try {
    std::string copy(text);
    // The counting pass is a second parse, so only a text that could hold
    // more nodes than the budget gets it: no construct makes more than two
    // nodes per byte (a lone `?` is a key and its value), so a text under
    // half the budget cannot exceed it. Real stacks (a few KiB to a few
    // hundred) are parsed once.
    if (copy.size() >= limits.max_nodes / 2) {
      // One counter for the whole stream: the budget bounds the file, not
      // each of its documents.
      std::istringstream in(copy);
      YAML::Parser parser(in);
      NodeCounter counter(limits.max_nodes);
      while (parser.HandleNextDocument(counter)) {
      }
    }
    docs = YAML::LoadAll(copy);
  } catch (const NodeCounter::TooMany& e) {
    Mark m{file_name, e.mark.line + 1, e.mark.column + 1};
    return fail(m.str() + ": document has more than " + std::to_string(limits.max_nodes) +
                " nodes; refusing to load it");
  } catch (const YAML::DeepRecursion& e) {
    Mark m{file_name, e.mark.line + 1, e.mark.column + 1};
    // yaml-cpp's parser has its own, deeper limit; say so rather than ours.
    return fail(m.str() + ": document nests too deeply (yaml-cpp stops at 2000 levels)");
  } catch (const YAML::Exception& e) {
    Mark m{file_name, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1};
    return fail(m.str() + ": " + e.msg);
  } catch (const std::exception& e) {
    return fail(file + ": " + e.what());
  }
  // yaml-cpp's marks count from the start of the stream, so a later
  // document's errors name its real line. One Converter: the expansion
  // budget is the file's too.
  Converter conv(text, file_name, limits);
  std::vector<Node> out;
  try {
    for (const YAML::Node& doc : docs) out.push_back(BRICK_TRY(conv.convert(doc, 0)));
  } catch (const YAML::Exception& e) {
    return fail(file + ": " + e.msg);
  }
  // An empty stream is one null document, as a single-document read says.
  if (out.empty()) out.push_back(Node::null(Mark{file_name, 0, 0}));
  return out;
}

Result<Node> parse_yaml(std::string_view text, const std::string& file, const YamlLimits& limits) {
  std::vector<Node> docs = BRICK_TRY(parse_yaml_documents(text, file, limits));
  return std::move(docs.front());
}

}  // namespace brick::compose
