#include "runtime/capabilities.hpp"

#include <sys/capability.h>

#include <algorithm>
#include <cctype>

namespace brick::runtime {

namespace {

bool is_all(std::string_view name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper == "ALL" || upper == "CAP_ALL";
}

Result<int> capability_number(std::string_view name) {
  std::string lower = BRICK_TRY(normalize_capability(name));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  cap_value_t value = 0;
  if (::cap_from_name(lower.c_str(), &value) < 0) return fail("unknown capability `" + std::string(name) + "`");
  return static_cast<int>(value);
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

Result<std::string> normalize_capability(std::string_view name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!upper.starts_with("CAP_")) upper = "CAP_" + upper;
  cap_value_t value = 0;
  // libcap wants lower case and knows every capability of its release, by
  // number beyond that ("42").
  std::string lower;
  for (char c : upper) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (upper == "CAP_ALL" || ::cap_from_name(lower.c_str(), &value) < 0 || value > last_capability())
    return fail("unknown capability `" + std::string(name) + "`");
  return upper;
}

int last_capability() {
  static const int last = [] {
    int bits = static_cast<int>(::cap_max_bits());
    return bits > 0 ? bits - 1 : CAP_LAST_CAP;
  }();
  return last;
}

const std::vector<std::string>& all_capabilities() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (int i = 0; i <= last_capability(); ++i) {
      char* text = ::cap_to_name(static_cast<cap_value_t>(i));
      if (text == nullptr) continue;
      std::string name = text;
      ::cap_free(text);
      // A capability newer than libcap's table comes back as its number;
      // such a name could not be read back, so it is left out.
      if (name.empty() || (name[0] >= '0' && name[0] <= '9')) continue;
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.push_back(std::move(name));
    }
    return out;
  }();
  return names;
}

Result<uint64_t> capability_mask(const std::vector<std::string>& names) {
  uint64_t mask = 0;
  for (const std::string& name : names) mask |= uint64_t{1} << BRICK_TRY(capability_number(name));
  return mask;
}

Result<std::vector<std::string>> effective_capabilities(const CapabilityOptions& options) {
  if (options.privileged) return all_capabilities();
  std::vector<std::string> add, drop;
  bool add_all = false, drop_all = false;
  for (const std::string& name : options.add) {
    if (is_all(name))
      add_all = true;
    else
      add.push_back(BRICK_TRY_CTX(normalize_capability(name), "cap_add"));
  }
  for (const std::string& name : options.drop) {
    if (is_all(name))
      drop_all = true;
    else
      drop.push_back(BRICK_TRY_CTX(normalize_capability(name), "cap_drop"));
  }
  std::vector<std::string> out;
  auto push = [&](const std::string& name) {
    if (!contains(out, name)) out.push_back(name);
  };
  if (add_all) {
    for (const std::string& name : all_capabilities())
      if (!contains(drop, name)) push(name);
  } else if (drop_all) {
    for (const std::string& name : add) push(name);
  } else {
    for (const std::string& name : default_capabilities())
      if (!contains(drop, name)) push(name);
    for (const std::string& name : add) push(name);
  }
  return out;
}

Result<CapabilityMasks> capability_masks(const Capabilities& caps) {
  CapabilityMasks m;
  m.bounding = BRICK_TRY_CTX(capability_mask(caps.bounding), "bounding capabilities");
  m.effective = BRICK_TRY_CTX(capability_mask(caps.effective), "effective capabilities");
  m.permitted = BRICK_TRY_CTX(capability_mask(caps.permitted), "permitted capabilities");
  m.inheritable = BRICK_TRY_CTX(capability_mask(caps.inheritable), "inheritable capabilities");
  m.ambient = BRICK_TRY_CTX(capability_mask(caps.ambient), "ambient capabilities");
  // The kernel's own rules, checked here so a bad spec fails with a message
  // rather than an EPERM from capset in the child.
  if (m.effective & ~m.permitted) return fail("effective capabilities must be a subset of the permitted ones");
  if (m.ambient & ~(m.permitted & m.inheritable))
    return fail("ambient capabilities must be both permitted and inheritable");
  return m;
}

}  // namespace brick::runtime
