#include "compose/merge.hpp"

#include <functional>
#include <initializer_list>
#include <string_view>
#include <unordered_map>

namespace brick::compose {
namespace {

using Path = std::vector<std::string>;

// `pattern` is dotted, `*` matching any one segment ("services.*.command").
bool matches(const Path& path, std::string_view pattern) {
  size_t i = 0;
  while (!pattern.empty()) {
    size_t dot = pattern.find('.');
    std::string_view seg = pattern.substr(0, dot);
    if (i >= path.size()) return false;
    if (seg != "*" && seg != path[i]) return false;
    ++i;
    pattern = dot == std::string_view::npos ? std::string_view() : pattern.substr(dot + 1);
  }
  return i == path.size();
}

bool matches_any(const Path& path, std::initializer_list<std::string_view> patterns) {
  for (auto p : patterns)
    if (matches(path, p)) return true;
  return false;
}

Path child(const Path& path, const std::string& key) {
  Path out = path;
  out.push_back(key);
  return out;
}

const std::string* scalar_of(const Node& n, std::string_view key) {
  const Node* v = n.find(key);
  return v && v->is_scalar() ? &v->scalar : nullptr;
}

std::string scalar_or(const Node& n, std::string_view key, std::string fallback) {
  const std::string* s = scalar_of(n, key);
  return s ? *s : fallback;
}

// A sequence written as a single scalar (`dns: 8.8.8.8`) merges like a
// one-element sequence.
Node as_sequence(const Node& n) {
  if (n.is_sequence()) return n;
  Node seq = Node::sequence(n.mark);
  if (!n.is_null()) seq.items.push_back(n);
  return seq;
}

// ---- identity of sequence items: compose-go's "unicity" indexers ----

using Indexer = std::function<std::string(const Node&)>;

std::string fallback_key(const Node& n);

std::string whole_value(const Node& n) { return n.is_scalar() ? n.scalar : fallback_key(n); }

// `K=V` → K (environment, labels, args...). extra_hosts also writes `host:ip`.
std::string key_of_assignment(const Node& n, bool colon_too) {
  if (!n.is_scalar()) return fallback_key(n);
  size_t eq = n.scalar.find('=');
  if (eq == std::string::npos && colon_too) eq = n.scalar.find(':');
  return n.scalar.substr(0, eq);
}

// Ports are the same binding when host_ip, published, target and protocol
// match; short syntax `[ip:][published:]target[/proto]` is read into those.
std::string port_key(const Node& n) {
  std::string ip, published, target, proto = "tcp";
  if (n.is_mapping()) {
    ip = scalar_or(n, "host_ip", "");
    published = scalar_or(n, "published", "");
    target = scalar_or(n, "target", "");
    proto = scalar_or(n, "protocol", "tcp");
  } else if (n.is_scalar()) {
    std::string s = n.scalar;
    if (size_t slash = s.rfind('/'); slash != std::string::npos) {
      proto = s.substr(slash + 1);
      s.resize(slash);
    }
    size_t colon = s.rfind(':');
    target = colon == std::string::npos ? s : s.substr(colon + 1);
    std::string rest = colon == std::string::npos ? "" : s.substr(0, colon);
    if (rest.starts_with('[')) {  // [::1]:8080
      size_t close = rest.find(']');
      ip = rest.substr(1, close == std::string::npos ? std::string::npos : close - 1);
      if (close != std::string::npos && close + 1 < rest.size()) published = rest.substr(close + 2);
    } else if (size_t c = rest.rfind(':'); c != std::string::npos) {
      ip = rest.substr(0, c);
      published = rest.substr(c + 1);
    } else {
      published = rest;
    }
  } else {
    return fallback_key(n);
  }
  if (ip == "0.0.0.0") ip.clear();
  return ip + "|" + published + "|" + target + "|" + proto;
}

// Volumes and devices are the same mount when their container path matches.
std::string mount_target_key(const Node& n) {
  if (n.is_mapping()) return scalar_or(n, "target", fallback_key(n));
  if (!n.is_scalar()) return fallback_key(n);
  size_t colon = n.scalar.find(':');
  if (colon == std::string::npos) return n.scalar;
  std::string rest = n.scalar.substr(colon + 1);
  return rest.substr(0, rest.find(':'));
}

// Secrets and configs: the path they appear at inside the container.
Indexer file_mount_key(std::string default_dir) {
  return [default_dir](const Node& n) -> std::string {
    std::string where;
    if (n.is_scalar()) {
      where = n.scalar;
    } else if (n.is_mapping()) {
      if (const std::string* t = scalar_of(n, "target"); t && t->starts_with('/')) return *t;
      where = scalar_or(n, "target", scalar_or(n, "source", fallback_key(n)));
    } else {
      return fallback_key(n);
    }
    return default_dir + "/" + where;
  };
}

std::string env_file_key(const Node& n) {
  if (n.is_mapping()) return scalar_or(n, "path", fallback_key(n));
  return whole_value(n);
}

std::string tmpfs_key(const Node& n) {
  if (!n.is_scalar()) return fallback_key(n);
  return n.scalar.substr(0, n.scalar.find(':'));
}

std::string subnet_key(const Node& n) {
  if (n.is_mapping()) return scalar_or(n, "subnet", fallback_key(n));
  return whole_value(n);
}

// Concatenates and keeps one item per key: a later item replaces the earlier
// one in the earlier one's position (compose-go's EnforceUnicity).
Node append_unique(const Node& base, const Node& over, const Indexer& key) {
  Node out = as_sequence(base);
  Node extra = as_sequence(over);
  out.mark = over.is_null() ? base.mark : over.mark;
  std::unordered_map<std::string, size_t> seen;
  Node result = Node::sequence(out.mark);
  auto add = [&](const Node& item) {
    std::string k = key(item);
    if (auto it = seen.find(k); it != seen.end()) {
      result.items[it->second] = item;
      return;
    }
    seen.emplace(k, result.items.size());
    result.items.push_back(item);
  };
  for (const auto& item : out.items) add(item);
  for (const auto& item : extra.items) add(item);
  return result;
}

// `[K=V, K2]` → {K: V, K2: null}; `sep_colon` for extra_hosts' `host:ip`.
Node assignments_to_mapping(const Node& n, bool colon_too) {
  if (!n.is_sequence()) return n;
  Node map = Node::mapping(n.mark);
  for (const auto& item : n.items) {
    if (!item.is_scalar()) continue;  // not an assignment: validation reports it
    std::string key = key_of_assignment(item, colon_too);
    if (key.size() == item.scalar.size())
      map.set(key, Node::null(item.mark), item.mark);
    else
      map.set(key, Node::make_scalar(item.scalar.substr(key.size() + 1), item.mark, true), item.mark);
  }
  return map;
}

// Environment, labels and the like: the list form and the map form are the
// same dictionary, merged by key. Two lists stay a list, otherwise a map.
Node merge_assignments(const Node& base, const Node& over, bool colon_too) {
  if (base.is_sequence() && over.is_sequence())
    return append_unique(base, over, [colon_too](const Node& n) { return key_of_assignment(n, colon_too); });
  Node out = assignments_to_mapping(base, colon_too);
  Node top = assignments_to_mapping(over, colon_too);
  if (!out.is_mapping() || !top.is_mapping()) return over;
  for (const auto& e : top.entries) {
    if (e.value.tag == "!reset")
      out.erase(e.key);
    else
      out.set(e.key, e.value, e.key_mark);
  }
  return out;
}

// depends_on and a service's networks: a list names entries, a map
// configures them; mixing the two merges by name.
Node names_to_mapping(const Node& n, bool depends_on) {
  if (!n.is_sequence()) return n;
  Node map = Node::mapping(n.mark);
  for (const auto& item : n.items) {
    if (!item.is_scalar()) continue;
    Node value = Node::null(item.mark);
    if (depends_on) {
      // compose-go's canonical form of a short depends_on entry.
      value = Node::mapping(item.mark);
      value.set("condition", Node::make_scalar("service_started", item.mark), item.mark);
    }
    map.set(item.scalar, std::move(value), item.mark);
  }
  return map;
}

enum class Rule {
  Default,
  Replace,       // command, entrypoint, healthcheck.test
  Assignments,   // environment, labels...: merged by key
  ExtraHosts,    // as Assignments, `host:ip` too
  NamedEntries,  // depends_on, service networks
  Build,         // `build: ./dir` is `build: {context: ./dir}`
  Logging,       // a different driver drops the base's options
  Unique,        // sequences without duplicates, by an indexer
};

struct RuleMatch {
  Rule rule = Rule::Default;
  Indexer key;
};

RuleMatch rule_for(const Path& p) {
  if (p.size() < 3) return {};
  if (p[0] == "services") {
    if (matches_any(p, {"services.*.command", "services.*.entrypoint", "services.*.healthcheck.test"}))
      return {Rule::Replace, {}};
    if (matches_any(p, {"services.*.environment", "services.*.labels", "services.*.annotations", "services.*.sysctls",
                        "services.*.build.args", "services.*.build.labels", "services.*.build.additional_contexts",
                        "services.*.deploy.labels", "services.*.volumes.*.volume.labels"}))
      return {Rule::Assignments, {}};
    if (matches_any(p, {"services.*.extra_hosts", "services.*.build.extra_hosts"})) return {Rule::ExtraHosts, {}};
    if (matches_any(p, {"services.*.depends_on", "services.*.networks"})) return {Rule::NamedEntries, {}};
    if (matches(p, "services.*.build")) return {Rule::Build, {}};
    if (matches(p, "services.*.logging")) return {Rule::Logging, {}};
    if (matches(p, "services.*.ports")) return {Rule::Unique, port_key};
    if (matches_any(p, {"services.*.volumes", "services.*.devices"})) return {Rule::Unique, mount_target_key};
    if (matches(p, "services.*.secrets")) return {Rule::Unique, file_mount_key("/run/secrets")};
    if (matches(p, "services.*.configs")) return {Rule::Unique, file_mount_key("")};
    if (matches_any(p, {"services.*.env_file", "services.*.label_file"})) return {Rule::Unique, env_file_key};
    if (matches(p, "services.*.tmpfs")) return {Rule::Unique, tmpfs_key};
    if (matches_any(p, {"services.*.dns", "services.*.dns_opt", "services.*.dns_search", "services.*.cap_add",
                        "services.*.cap_drop", "services.*.profiles", "services.*.links", "services.*.expose",
                        "services.*.networks.*.aliases", "services.*.networks.*.link_local_ips",
                        "services.*.build.tags", "services.*.build.platforms"}))
      return {Rule::Unique, whole_value};
    return {};
  }
  if (matches_any(p, {"networks.*.labels", "volumes.*.labels", "networks.*.ipam.options"}))
    return {Rule::Assignments, {}};
  if (matches(p, "networks.*.ipam.config")) return {Rule::Unique, subnet_key};
  return {};
}

Node merge_mappings(const Node& base, const Node& over, const Path& path);

Node merge_at(const Node& base, const Node& over, const Path& path) {
  if (over.tag == "!override") return over;  // finalize_tags drops the tag
  if (base.tag == "!reset" || base.is_null()) return over;
  if (over.is_null() && over.tag.empty()) return base;  // an empty key adds nothing

  RuleMatch m = rule_for(path);
  switch (m.rule) {
    case Rule::Replace: return over;
    case Rule::Assignments: return merge_assignments(base, over, false);
    case Rule::ExtraHosts: return merge_assignments(base, over, true);
    case Rule::NamedEntries: {
      bool depends_on = path.back() == "depends_on";
      if (base.is_sequence() && over.is_sequence()) return append_unique(base, over, whole_value);
      return merge_mappings(names_to_mapping(base, depends_on), names_to_mapping(over, depends_on), path);
    }
    case Rule::Build: {
      auto as_map = [](const Node& n) {
        if (!n.is_scalar()) return n;
        Node m = Node::mapping(n.mark);
        m.set("context", n, n.mark);
        return m;
      };
      return merge_mappings(as_map(base), as_map(over), path);
    }
    case Rule::Logging: {
      const std::string* a = scalar_of(base, "driver");
      const std::string* b = scalar_of(over, "driver");
      if (a && b && *a != *b) return over;
      break;
    }
    case Rule::Unique: return append_unique(base, over, m.key);
    case Rule::Default: break;
  }
  if (base.is_mapping() && over.is_mapping()) return merge_mappings(base, over, path);
  if (base.is_sequence() && over.is_sequence()) {
    Node out = base;
    out.items.insert(out.items.end(), over.items.begin(), over.items.end());
    return out;
  }
  return over;
}

Node merge_mappings(const Node& base, const Node& over, const Path& path) {
  if (!base.is_mapping() || !over.is_mapping()) return over;
  Node out = base;
  for (const auto& e : over.entries) {
    if (e.value.tag == "!reset") {
      out.erase(e.key);
      continue;
    }
    if (Node* existing = out.find(e.key)) {
      *existing = merge_at(*existing, e.value, child(path, e.key));
    } else {
      out.entries.push_back(e);
    }
  }
  return out;
}

std::string fallback_key(const Node& n) {
  // Items that are neither scalars nor indexable mappings stay distinct
  // unless they are structurally the same.
  std::string out = std::string(n.kind_name()) + "{";
  for (const auto& e : n.entries) out += e.key + ":" + fallback_key(e.value) + ",";
  for (const auto& i : n.items) out += fallback_key(i) + ",";
  if (n.is_scalar()) out += n.scalar;
  return out + "}";
}

}  // namespace

Node merge_nodes(const Node& base, const Node& over, const std::vector<std::string>& path) {
  if (path.empty()) {
    if (over.tag == "!override") return over;
    return merge_mappings(base, over, path);
  }
  return merge_at(base, over, path);
}

Node merge_service(const Node& base, const Node& over) { return merge_at(base, over, {"services", "*"}); }

void finalize_tags(Node& node) {
  if (node.tag == "!override") node.tag.clear();
  if (node.is_mapping()) {
    std::erase_if(node.entries, [](const Entry& e) { return e.value.tag == "!reset"; });
    for (auto& e : node.entries) finalize_tags(e.value);
  } else if (node.is_sequence()) {
    std::erase_if(node.items, [](const Node& n) { return n.tag == "!reset"; });
    for (auto& i : node.items) finalize_tags(i);
  }
}

bool same_tree(const Node& a, const Node& b) {
  if (a.kind != b.kind || a.scalar != b.scalar) return false;
  if (a.items.size() != b.items.size() || a.entries.size() != b.entries.size()) return false;
  for (size_t i = 0; i < a.items.size(); ++i)
    if (!same_tree(a.items[i], b.items[i])) return false;
  for (size_t i = 0; i < a.entries.size(); ++i) {
    const Node* other = b.find(a.entries[i].key);
    if (!other || !same_tree(a.entries[i].value, *other)) return false;
  }
  return true;
}

}  // namespace brick::compose
