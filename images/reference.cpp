#include "images/reference.hpp"

#include <algorithm>
#include <cctype>

#include "base/strings.hpp"

namespace brick::images {
namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr size_t kMaxNameLength = 255;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// One path component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool valid_path_component(std::string_view c) {
  size_t i = 0;
  auto run = [&] {
    size_t start = i;
    while (i < c.size() && is_lower_alnum(c[i])) ++i;
    return i > start;
  };
  if (!run()) return false;
  while (i < c.size()) {
    if (c[i] == '.') {
      ++i;
    } else if (c[i] == '_') {
      ++i;
      if (i < c.size() && c[i] == '_') ++i;
    } else if (c[i] == '-') {
      while (i < c.size() && c[i] == '-') ++i;
    } else {
      return false;
    }
    if (!run()) return false;
  }
  return true;
}

// host component: [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_host_component(std::string_view c) {
  if (c.empty() || !is_alnum(c.front()) || !is_alnum(c.back())) return false;
  return std::all_of(c.begin(), c.end(), [](char ch) { return is_alnum(ch) || ch == '-'; });
}

bool valid_domain(std::string_view d) {
  std::string_view host = d;
  std::string_view port;
  if (!d.empty() && d.front() == '[') {  // IPv6 literal
    size_t close = d.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view inner = d.substr(1, close - 1);
    if (inner.empty() || !std::all_of(inner.begin(), inner.end(),
                                      [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':'; }))
      return false;
    std::string_view rest = d.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    port = rest.substr(1);
    host = {};
  } else if (size_t colon = d.find(':'); colon != std::string_view::npos) {
    host = d.substr(0, colon);
    port = d.substr(colon + 1);
    if (port.empty()) return false;
  }
  if (!port.empty() || d.find(':') != std::string_view::npos) {
    if (port.empty() || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
  }
  if (host.empty()) return d.front() == '[';
  for (const auto& part : split(host, '.'))
    if (!valid_host_component(part)) return false;
  return true;
}

std::string quoted(std::string_view s) { return "`" + std::string(s) + "`"; }

}  // namespace

bool is_valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) { return is_alnum(c) || c == '_'; };
  if (!word(tag.front())) return false;
  return std::all_of(tag.begin(), tag.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

bool is_valid_digest(std::string_view digest) {
  return digest.size() == 71 && digest.starts_with("sha256:") && is_hex(digest.substr(7));
}

std::string Reference::str() const {
  std::string out = repository();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

std::string Reference::familiar_repository() const {
  if (domain != kDefaultDomain) return repository();
  if (path.starts_with("library/") && path.find('/', 8) == std::string::npos) return path.substr(8);
  return path;
}

Result<Reference> parse_reference(std::string_view text) {
  auto bad = [&](std::string why) { return fail("invalid reference " + quoted(text) + ": " + why); };
  if (text.empty()) return fail("invalid reference: the name is empty");
  if (text.size() == 64 && is_hex(text)) return bad("cannot specify 64-byte hexadecimal strings as a repository name");

  Reference ref;
  std::string_view name = text;
  if (size_t at = name.find('@'); at != std::string_view::npos) {
    std::string_view digest = name.substr(at + 1);
    name = name.substr(0, at);
    if (!digest.starts_with("sha256:")) return bad("digest " + quoted(digest) + " is not sha256:<64 hex digits>");
    if (!is_valid_digest(digest)) return bad("digest " + quoted(digest) + " is not sha256:<64 lowercase hex digits>");
    ref.digest = std::string(digest);
  }
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view tag = name.substr(colon + 1);
    name = name.substr(0, colon);
    if (!is_valid_tag(tag)) return bad("tag " + quoted(tag) + " must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    ref.tag = std::string(tag);
  }
  if (name.empty()) return bad("the repository name is empty");

  // splitDockerDomain: the first component is a registry only if it looks
  // like a host (has `.` or `:`, is `localhost`, or has capitals).
  std::string_view remainder = name;
  size_t first = name.find('/');
  std::string domain(kDefaultDomain);
  if (first != std::string_view::npos) {
    std::string_view head = name.substr(0, first);
    if (head.find_first_of(".:") != std::string_view::npos || head == "localhost" || to_lower(head) != head) {
      domain = std::string(head);
      remainder = name.substr(first + 1);
    }
  }
  if (domain == "index.docker.io") domain = kDefaultDomain;
  if (!valid_domain(domain)) return bad("registry " + quoted(domain) + " is not a valid host[:port]");
  if (remainder.empty()) return bad("the repository name is empty");
  if (to_lower(remainder) != remainder) return bad("repository name must be lowercase");
  std::string path(remainder);
  if (domain == kDefaultDomain && path.find('/') == std::string::npos) path = "library/" + path;
  for (const auto& component : split(path, '/')) {
    if (component.empty()) return bad("repository name has an empty path component");
    if (!valid_path_component(component))
      return bad("path component " + quoted(component) +
                 " must be lowercase letters and digits, separated by `.`, `_`, `__` or dashes");
  }
  if (domain.size() + 1 + path.size() > kMaxNameLength)
    return bad("repository name must not be more than 255 characters");
  ref.domain = std::move(domain);
  ref.path = std::move(path);
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

Result<std::optional<TransportRef>> parse_transport(std::string_view text) {
  struct Known {
    std::string_view prefix;
    Transport transport;
  };
  static constexpr Known kKnown[] = {{"oci-archive:", Transport::OciArchive},
                                     {"docker-archive:", Transport::DockerArchive},
                                     {"oci:", Transport::OciLayout}};
  for (const auto& known : kKnown) {
    if (!text.starts_with(known.prefix)) continue;
    std::string_view rest = text.substr(known.prefix.size());
    TransportRef out{known.transport, std::string(rest), ""};
    if (size_t colon = rest.find(':'); colon != std::string_view::npos) {
      out.path = std::string(rest.substr(0, colon));
      out.ref = std::string(rest.substr(colon + 1));
      if (out.ref.empty()) return fail(quoted(text) + ": the reference after `:` is empty");
    }
    if (out.path.empty()) return fail(quoted(text) + ": `" + std::string(known.prefix) + "` needs a path");
    return std::optional<TransportRef>(std::move(out));
  }
  static constexpr std::string_view kUnsupported[] = {"docker://", "docker-daemon:", "containers-storage:", "dir:"};
  for (auto prefix : kUnsupported)
    if (text.starts_with(prefix))
      return fail(quoted(text) + ": transport `" + std::string(prefix) +
                  "` is not supported (use oci-archive:, docker-archive: or oci:)");
  return std::optional<TransportRef>();
}

}  // namespace brick::images
