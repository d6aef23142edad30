#include "compose/node.hpp"

namespace brick::compose {

std::string Mark::str() const {
  std::string out = file ? *file : std::string();
  if (line > 0) {
    out += ':' + std::to_string(line);
    if (column > 0) out += ':' + std::to_string(column);
  }
  return out;
}

Node Node::null(Mark m) {
  Node n;
  n.mark = std::move(m);
  return n;
}

Node Node::make_scalar(std::string value, Mark m, bool quoted) {
  Node n;
  n.kind = Kind::Scalar;
  n.scalar = std::move(value);
  n.mark = std::move(m);
  n.quoted = quoted;
  return n;
}

Node Node::sequence(Mark m) {
  Node n;
  n.kind = Kind::Sequence;
  n.mark = std::move(m);
  return n;
}

Node Node::mapping(Mark m) {
  Node n;
  n.kind = Kind::Mapping;
  n.mark = std::move(m);
  return n;
}

const Entry* Node::find_entry(std::string_view key) const {
  if (kind != Kind::Mapping) return nullptr;
  for (const auto& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

const Node* Node::find(std::string_view key) const {
  const Entry* e = find_entry(key);
  return e ? &e->value : nullptr;
}

Node* Node::find(std::string_view key) { return const_cast<Node*>(std::as_const(*this).find(key)); }

Node& Node::set(std::string key, Node value, Mark key_mark) {
  if (kind != Kind::Mapping) {
    kind = Kind::Mapping;
    scalar.clear();
    items.clear();
  }
  for (auto& e : entries) {
    if (e.key == key) {
      e.value = std::move(value);
      return e.value;
    }
  }
  entries.push_back(Entry{std::move(key), std::move(key_mark), std::move(value)});
  return entries.back().value;
}

bool Node::erase(std::string_view key) {
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->key == key) {
      entries.erase(it);
      return true;
    }
  }
  return false;
}

std::string_view Node::kind_name() const {
  switch (kind) {
    case Kind::Null: return "null";
    case Kind::Scalar: return "string";
    case Kind::Sequence: return "sequence";
    case Kind::Mapping: return "mapping";
  }
  return "?";
}

}  // namespace brick::compose
