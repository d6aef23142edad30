#include "runtime/user.hpp"

#include <fcntl.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "base/read_beneath.hpp"
#include "base/strings.hpp"
#include "base/unique_fd.hpp"

namespace brick::runtime {

namespace {

// docker's limit: ids above 2^31-1 are refused (they are -1 in many places).
constexpr uint64_t kMaxId = 2147483647;

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0, gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

std::optional<uint64_t> parse_number(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Result<uint32_t> parse_id(std::string_view text, std::string_view what) {
  auto value = parse_number(text);
  if (!value || *value > kMaxId)
    return fail(std::string(what) + " `" + std::string(text) + "` is out of range 0-" + std::to_string(kMaxId));
  return static_cast<uint32_t>(*value);
}

bool is_numeric(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Far above any real image's files (docker's own images: a few KiB), far
// below what would let a container make us allocate without bound.
constexpr size_t kMaxAccountFile = 8 * 1024 * 1024;

// The file's text, or nullopt when the image has none (a scratch image
// still runs with numeric ids). The container may have made it anything: a
// FIFO, /dev/zero, a huge file; only a regular file under the cap is read.
Result<std::optional<std::string>> read_beneath(int rootfs_fd, const char* path) {
  auto text = read_regular_beneath(rootfs_fd, path, kMaxAccountFile);
  if (!text) {
    if (text.error().errno_value() == ENOENT) return std::optional<std::string>();
    return fail(std::move(text.error()).context(std::string("reading the container's ") + path));
  }
  return std::optional<std::string>(std::move(*text));
}

// Lines that do not parse are skipped, as libc's getpwent does.
std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (const std::string& line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = split(line, ':');
    if (f.size() < 4) continue;
    auto uid = parse_number(f[2]), gid = parse_number(f[3]);
    if (!uid || !gid || *uid > kMaxId || *gid > kMaxId) continue;
    out.push_back({f[0], static_cast<uint32_t>(*uid), static_cast<uint32_t>(*gid), f.size() > 5 ? f[5] : ""});
  }
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for (const std::string& line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = split(line, ':');
    if (f.size() < 3) continue;
    auto gid = parse_number(f[2]);
    if (!gid || *gid > kMaxId) continue;
    GroupEntry g{f[0], static_cast<uint32_t>(*gid), {}};
    if (f.size() > 3)
      for (std::string& m : split(f[3], ','))
        if (!m.empty()) g.members.push_back(std::move(m));
    out.push_back(std::move(g));
  }
  return out;
}

Result<uint32_t> group_id(const std::vector<GroupEntry>& groups, bool have_file, std::string_view group) {
  for (const GroupEntry& g : groups)
    if (g.name == group) return g.gid;
  if (is_numeric(group)) return parse_id(group, "gid");
  if (!have_file) return fail("group `" + std::string(group) + "` not found: the image has no /etc/group");
  return fail("group `" + std::string(group) + "` not found in the image's /etc/group");
}

}  // namespace

Result<ResolvedUser> resolve_user(int rootfs_fd, std::string_view user, const std::vector<std::string>& group_add) {
  std::string_view user_part = user, group_part;
  bool explicit_group = false;
  if (size_t colon = user.find(':'); colon != std::string_view::npos) {
    user_part = user.substr(0, colon);
    group_part = user.substr(colon + 1);
    explicit_group = !group_part.empty();
  }
  auto passwd_text = BRICK_TRY(read_beneath(rootfs_fd, "/etc/passwd"));
  std::vector<PasswdEntry> passwd = passwd_text ? parse_passwd(*passwd_text) : std::vector<PasswdEntry>{};

  ResolvedUser out;
  std::optional<PasswdEntry> matched;
  if (user_part.empty()) user_part = "0";
  // A name wins over a number that happens to be a name too, as in docker.
  for (const PasswdEntry& e : passwd) {
    if (e.name == user_part || (is_numeric(user_part) && parse_number(user_part) == e.uid)) {
      matched = e;
      break;
    }
  }
  if (matched) {
    out.uid = matched->uid;
    out.gid = matched->gid;
    if (!matched->home.empty()) out.home = matched->home;
  } else if (is_numeric(user_part)) {
    out.uid = BRICK_TRY(parse_id(user_part, "uid"));
  } else if (!passwd_text) {
    return fail("user `" + std::string(user_part) + "` not found: the image has no /etc/passwd");
  } else {
    return fail("user `" + std::string(user_part) + "` not found in the image's /etc/passwd");
  }

  std::optional<std::vector<GroupEntry>> groups;
  std::optional<bool> have_group_file;
  auto load_groups = [&]() -> Status {
    if (groups) return {};
    auto text = BRICK_TRY(read_beneath(rootfs_fd, "/etc/group"));
    have_group_file = text.has_value();
    groups = text ? parse_group(*text) : std::vector<GroupEntry>{};
    return {};
  };
  if (explicit_group) {
    BRICK_TRY(load_groups());
    out.gid = BRICK_TRY(group_id(*groups, *have_group_file, group_part));
  } else if (matched) {
    BRICK_TRY(load_groups());
    for (const GroupEntry& g : *groups)
      if (std::find(g.members.begin(), g.members.end(), matched->name) != g.members.end() &&
          std::find(out.additional_gids.begin(), out.additional_gids.end(), g.gid) == out.additional_gids.end())
        out.additional_gids.push_back(g.gid);
  }
  for (const std::string& extra : group_add) {
    BRICK_TRY(load_groups());
    uint32_t gid = BRICK_TRY_CTX(group_id(*groups, *have_group_file, extra), "group_add");
    if (std::find(out.additional_gids.begin(), out.additional_gids.end(), gid) == out.additional_gids.end())
      out.additional_gids.push_back(gid);
  }
  return out;
}

Result<ResolvedUser> resolve_user(const std::string& rootfs, std::string_view user,
                                  const std::vector<std::string>& group_add) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("opening rootfs `" + rootfs + "`");
  return resolve_user(root.get(), user, group_add);
}

Status apply_user(ContainerSpec& spec, std::string_view user, const std::vector<std::string>& group_add) {
  ResolvedUser resolved = BRICK_TRY_CTX(resolve_user(spec.root.path, user, group_add), "resolving user");
  spec.process.user.uid = resolved.uid;
  spec.process.user.gid = resolved.gid;
  spec.process.user.additional_gids = resolved.additional_gids;
  bool has_home = std::any_of(spec.process.env.begin(), spec.process.env.end(),
                              [](const std::string& e) { return e.starts_with("HOME="); });
  if (!has_home) spec.process.env.push_back("HOME=" + resolved.home);
  return {};
}

}  // namespace brick::runtime
