// Finds which cgroup hierarchies are mounted where, and where this process
// sits in each, from /proc/self/mountinfo and /proc/self/cgroup.
#include <algorithm>
#include <array>
#include <utility>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "runtime/cgroup.hpp"
#include "runtime/cgroup_backend.hpp"

namespace brick::runtime {
namespace {

// The v1 controllers the kernel knows. Mount options of a v1 hierarchy mix
// controller names with flags (rw, clone_children, name=systemd, ...); only
// these names are controllers.
constexpr std::array<std::string_view, 14> kV1Controllers = {"cpu",     "cpuacct", "cpuset",     "memory",  "devices",
                                                             "freezer", "blkio",   "perf_event", "net_cls", "net_prio",
                                                             "hugetlb", "pids",    "rdma",       "misc"};

bool is_v1_controller(std::string_view name) {
  return std::find(kV1Controllers.begin(), kV1Controllers.end(), name) != kV1Controllers.end();
}

// mountinfo escapes space, tab, newline and backslash as \ooo octal.
std::string unescape_mountinfo(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      bool octal = true;
      int value = 0;
      for (size_t k = 1; k <= 3; ++k) {
        char c = s[i + k];
        if (c < '0' || c > '7') octal = false;
        value = value * 8 + (c - '0');
      }
      if (octal) {
        out += static_cast<char>(value);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

struct MountEntry {
  std::string root;
  std::string mount_point;
  std::string fstype;
  std::vector<std::string> super_options;
};

std::vector<std::string> fields_of(std::string_view line) {
  std::vector<std::string> fields;
  for (const std::string& f : split(line, ' '))
    if (!f.empty()) fields.push_back(f);
  return fields;
}

Result<std::vector<MountEntry>> parse_mountinfo(std::string_view text) {
  std::vector<MountEntry> entries;
  size_t line_no = 0;
  for (const std::string& raw : split(text, '\n')) {
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    std::vector<std::string> f = fields_of(line);
    // id parent major:minor root mount_point options [optional...] - fstype source super_options
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 6 || dash == f.end() || f.end() - dash < 3 || dash - f.begin() < 6)
      return fail(
          Error("mountinfo line " + std::to_string(line_no) + ": `" + std::string(line) + "` is malformed", EINVAL));
    MountEntry e;
    e.root = unescape_mountinfo(f[3]);
    e.mount_point = unescape_mountinfo(f[4]);
    e.fstype = *(dash + 1);
    e.super_options = split(*(dash + 3), ',');
    entries.push_back(std::move(e));
  }
  return entries;
}

struct ProcCgroups {
  std::map<std::string, std::string> v1;  // controller -> path
  std::optional<std::string> unified;
};

Result<ProcCgroups> parse_proc_cgroup(std::string_view text) {
  ProcCgroups out;
  for (const std::string& raw : split(text, '\n')) {
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    // hierarchy-id:controller-list:path; the path may itself contain ':'.
    size_t a = line.find(':');
    size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b == std::string_view::npos)
      return fail(Error("/proc/self/cgroup: `" + std::string(line) + "` is malformed", EINVAL));
    std::string_view controllers = line.substr(a + 1, b - a - 1);
    std::string path(line.substr(b + 1));
    if (line.substr(0, a) == "0" && controllers.empty()) {
      out.unified = path;
      continue;
    }
    for (const std::string& c : split(controllers, ','))
      if (!c.empty()) out.v1[c] = path;
  }
  return out;
}

// The own cgroup relative to what the mount shows: a mount whose root is
// /docker/x shows /docker/x/a as /a.
std::string relative_to_mount(const std::string& own, const std::string& mount_root) {
  if (mount_root == "/" || mount_root.empty()) return own;
  if (own == mount_root) return "/";
  if (own.starts_with(mount_root + "/")) return own.substr(mount_root.size());
  return own;  // a cgroup namespace already made it relative
}

}  // namespace

Result<CgroupLayout> detect_cgroup_layout(std::string_view mountinfo, std::string_view proc_self_cgroup,
                                          const std::string& fs_root) {
  std::vector<MountEntry> mounts = BRICK_TRY_CTX(parse_mountinfo(mountinfo), "detecting cgroup layout");
  ProcCgroups own = BRICK_TRY_CTX(parse_proc_cgroup(proc_self_cgroup), "detecting cgroup layout");

  CgroupLayout layout;
  layout.fs_root = fs_root;
  for (const MountEntry& m : mounts) {
    if (m.fstype == "cgroup2") {
      if (layout.unified) continue;  // the first mount wins; later ones are binds
      CgroupV2Mount v2;
      v2.mount_point = m.mount_point;
      v2.root = m.root;
      v2.own_path = relative_to_mount(own.unified.value_or("/"), m.root);
      layout.unified = std::move(v2);
    } else if (m.fstype == "cgroup") {
      CgroupV1Mount v1;
      v1.mount_point = m.mount_point;
      v1.root = m.root;
      for (const std::string& opt : m.super_options)
        if (is_v1_controller(opt)) v1.controllers.push_back(opt);
      if (v1.controllers.empty()) continue;  // name=systemd and friends hold no controller
      std::string own_path = "/";
      for (const std::string& c : v1.controllers)
        if (auto it = own.v1.find(c); it != own.v1.end()) own_path = it->second;
      v1.own_path = relative_to_mount(own_path, m.root);
      for (const std::string& c : v1.controllers)
        if (!layout.v1.contains(c)) layout.v1[c] = v1;
    }
  }

  if (layout.v1.empty() && !layout.unified)
    return fail(Error("detecting cgroup layout: no cgroup filesystem is mounted", ENOENT));
  if (layout.v1.empty())
    layout.mode = CgroupMode::unified;
  else
    layout.mode = layout.unified ? CgroupMode::hybrid : CgroupMode::legacy;

  if (layout.unified) {
    // What the own cgroup may hand down; the mount root's list is the fallback
    // when the own directory is not visible (e.g. a bind of a sub-tree).
    std::string base = cgroup_fs::join(fs_root, layout.unified->mount_point);
    std::string file = cgroup_fs::join(cgroup_fs::join(base, layout.unified->own_path), "cgroup.controllers");
    if (!cgroup_fs::exists(file)) file = cgroup_fs::join(base, "cgroup.controllers");
    std::string text = BRICK_TRY_CTX(cgroup_fs::read(file), "detecting cgroup layout");
    for (const std::string& c : split(text, ' '))
      if (!trim(c).empty()) layout.unified->controllers.emplace_back(trim(c));
  }
  return layout;
}

Result<CgroupLayout> detect_host_cgroup_layout() {
  std::string mountinfo = BRICK_TRY_CTX(read_file("/proc/self/mountinfo"), "detecting cgroup layout");
  std::string cgroup = BRICK_TRY_CTX(read_file("/proc/self/cgroup"), "detecting cgroup layout");
  return detect_cgroup_layout(mountinfo, cgroup, "");
}

}  // namespace brick::runtime
