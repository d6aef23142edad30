// Volumes, binds, tmpfs and secrets in real containers (root, inside
// sandbox.sh): requests resolved by volumes/mounts.hpp, mounted by
// spawn_container beneath a busybox rootfs.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "base/file.hpp"
#include "base/scope_exit.hpp"
#include "base/temp_dir.hpp"
#include "integration/busybox.hpp"
#include "runtime/spawn.hpp"
#include "volumes/mounts.hpp"

using namespace brick;
using namespace brick::testing;
using namespace brick::runtime;
using namespace brick::volumes;
namespace fs = std::filesystem;

namespace {

ContainerSpec spec_for(const TempDir& rootfs, const std::string& script, const std::vector<Mount>& mounts) {
  ContainerSpec spec = default_spec();
  spec.root.path = rootfs.path();
  spec.process.args = {"sh", "-c", script};
  for (const Mount& m : mounts) spec.mounts.push_back(m);
  return spec;
}

Result<Ran> run(const TempDir& rootfs, const std::string& script, const std::vector<Mount>& mounts) {
  auto s = start_container(spec_for(rootfs, script, mounts));
  if (!s) return std::unexpected(s.error());
  return finish(*s);
}

struct Fixture {
  TempDir root = must(TempDir::create("brick-vol-store"));
  TempDir run_root = must(TempDir::create("brick-vol-run"));
  VolumeStore store = must(VolumeStore::open(root.path()));

  template <class T>
  static T must(Result<T> r) {
    REQUIRE(r);
    return std::move(*r);
  }
  MountContext context(const TempDir& rootfs) {
    MountContext ctx;
    ctx.store = &store;
    ctx.rootfs = rootfs.path();
    ctx.files_dir = run_root.path() + "/c1";
    ctx.labels = {{"com.docker.compose.project", "demo"}};
    return ctx;
  }
  std::vector<Mount> resolve(const TempDir& rootfs, const std::string& flag) {
    auto request = flag.starts_with("type=") ? parse_mount_flag(flag) : parse_volume_flag(flag);
    REQUIRE(request);
    ResolvedMounts out;
    auto added = add_mount(*request, context(rootfs), out);
    INFO(flag);
    REQUIRE(added);
    return out.mounts;
  }
};

std::vector<Mount> both(std::vector<Mount> a, const std::vector<Mount>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string slurp(const std::string& path) {
  auto text = read_file(path);
  REQUIRE(text);
  return *text;
}

}  // namespace

TEST_CASE("a named volume keeps its data for the next container, and two containers share it", "[volumes]") {
  Fixture f;
  TempDir rootfs = busybox_rootfs();
  auto first = run(rootfs, "echo kept > /ckpt/model.bin", f.resolve(rootfs, "ckpt:/ckpt"));
  REQUIRE(first);
  CHECK(first->status == ExitStatus{0, 0});
  auto v = f.store.get("ckpt");
  REQUIRE(v);
  CHECK(v->labels.at("com.docker.compose.project") == "demo");
  CHECK(slurp(v->mountpoint + "/model.bin") == "kept\n");

  auto second = run(rootfs, "cat /data/model.bin", f.resolve(rootfs, "ckpt:/data"));
  REQUIRE(second);
  CHECK(second->output == "kept\n");

  // Both alive at once: each waits for the other's file.
  auto wait_for = [](const std::string& peer) {
    return "i=0; while [ ! -f /shared/" + peer + " ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; ";
  };
  auto a = start_container(spec_for(rootfs, "echo from-a > /shared/a; " + wait_for("b") + "cat /shared/b",
                                    f.resolve(rootfs, "ckpt:/shared")));
  REQUIRE(a);
  auto b = start_container(spec_for(rootfs, "echo from-b > /shared/b; " + wait_for("a") + "cat /shared/a",
                                    f.resolve(rootfs, "ckpt:/shared")));
  REQUIRE(b);
  Ran ra = finish(*a), rb = finish(*b);
  CHECK(ra.output == "from-b\n");
  CHECK(rb.output == "from-a\n");
}

TEST_CASE("writing to a read-only bind fails with EROFS and leaves the host file alone", "[volumes]") {
  Fixture f;
  TempDir rootfs = busybox_rootfs();
  auto host = TempDir::create("brick-vol-host");
  REQUIRE(host);
  REQUIRE(write_file_atomic(host->path() + "/weights.txt", "original\n"));
  auto ran = run(rootfs, "cat /data/weights.txt; echo changed > /data/weights.txt; echo rc=$?; touch /data/new",
                 f.resolve(rootfs, host->path() + ":/data:ro"));
  REQUIRE(ran);
  INFO(ran->output);
  CHECK(ran->output.starts_with("original\n"));
  CHECK(ran->output.find("Read-only file system") != std::string::npos);
  CHECK(ran->output.find("rc=1") != std::string::npos);
  CHECK(slurp(host->path() + "/weights.txt") == "original\n");
  CHECK_FALSE(fs::exists(host->path() + "/new"));

  // The same bind read-write: the write lands on the host.
  auto rw = run(rootfs, "echo changed > /data/weights.txt", f.resolve(rootfs, host->path() + ":/data"));
  REQUIRE(rw);
  CHECK(slurp(host->path() + "/weights.txt") == "changed\n");
}

TEST_CASE("a read-only bind keeps the source's nosuid/nodev/noexec and is read-only all the way down", "[volumes]") {
  Fixture f;
  TempDir rootfs = busybox_rootfs();
  auto host = TempDir::create("brick-vol-host");
  REQUIRE(host);
  // The source is a nosuid,nodev,noexec filesystem with another one mounted
  // below it (a dataset disk), all inside the test's own mount namespace.
  REQUIRE(::mount("tmpfs", host->path().c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m") == 0);
  ScopeExit unmount_host([&] { ::umount2(host->path().c_str(), MNT_DETACH); });
  fs::create_directories(host->path() + "/disk");
  REQUIRE(::mount("tmpfs", (host->path() + "/disk").c_str(), "tmpfs", 0, "size=1m") == 0);
  ScopeExit unmount_disk([&] { ::umount2((host->path() + "/disk").c_str(), MNT_DETACH); });

  auto ran = run(rootfs, "grep ' /data' /proc/self/mounts | cut -d' ' -f2,4 | cut -d, -f1-4; echo x > /data/disk/f",
                 f.resolve(rootfs, host->path() + ":/data:ro"));
  REQUIRE(ran);
  INFO(ran->output);
  CHECK(ran->output.starts_with("/data ro,nosuid,nodev,noexec\n/data/disk ro,"));
  CHECK(ran->output.find("Read-only file system") != std::string::npos);
  CHECK_FALSE(fs::exists(host->path() + "/disk/f"));
}

TEST_CASE("bind propagation: rslave sees what the host mounts later, the rprivate default does not", "[volumes]") {
  Fixture f;
  TempDir rootfs = busybox_rootfs();
  auto host = TempDir::create("brick-vol-host");
  REQUIRE(host);
  const std::string late = host->path() + "/late";
  fs::create_directories(late);
  REQUIRE(::mount(host->path().c_str(), host->path().c_str(), nullptr, MS_BIND, nullptr) == 0);
  ScopeExit unmount_host([&] { ::umount2(host->path().c_str(), MNT_DETACH); });
  REQUIRE(::mount(nullptr, host->path().c_str(), nullptr, MS_SHARED, nullptr) == 0);

  const std::string wait =
      "i=0; while [ ! -f /data/late/marker ] && [ $i -lt $0 ]; do sleep 0.05; i=$((i+1)); done; "
      "test -f /data/late/marker && echo seen || echo unseen";
  auto slave_spec = spec_for(rootfs, wait, f.resolve(rootfs, host->path() + ":/data:rslave"));
  slave_spec.process.args.push_back("100");
  auto private_spec = spec_for(rootfs, wait, f.resolve(rootfs, host->path() + ":/data"));
  private_spec.process.args.push_back("20");
  auto slave = start_container(slave_spec);
  REQUIRE(slave);
  auto priv = start_container(private_spec);
  REQUIRE(priv);
  REQUIRE(::mount("tmpfs", late.c_str(), "tmpfs", 0, "size=1m") == 0);
  ScopeExit unmount_late([&] { ::umount2(late.c_str(), MNT_DETACH); });
  REQUIRE(write_file_atomic(late + "/marker", "x"));
  CHECK(finish(*slave).output == "seen\n");
  CHECK(finish(*priv).output == "unseen\n");
}

TEST_CASE("symlinks in the image cannot make a bind or volume land outside the root", "[volumes]") {
  Fixture f;
  TempDir rootfs = busybox_rootfs();
  auto host = TempDir::create("brick-vol-host");
  REQUIRE(host);
  auto victim = TempDir::create("brick-vol-victim");
  REQUIRE(victim);
  REQUIRE(write_file_atomic(host->path() + "/payload", "payload\n"));
  fs::create_symlink("/", rootfs.path() + "/target");
  fs::create_symlink("../../..", rootfs.path() + "/up");
  fs::create_symlink(victim->path(), rootfs.path() + "/parent");
  fs::create_symlink(victim->path() + "/file", rootfs.path() + "/file");

  for (const std::string& flag : {host->path() + ":/target", host->path() + ":/up", std::string("vol1:/target")}) {
    INFO(flag);
    auto ran = run(rootfs, "true", f.resolve(rootfs, flag));
    REQUIRE_FALSE(ran);
    CHECK(ran.error().message().find("resolves to the container root") != std::string::npos);
  }
  // A parent that is a symlink to a host path, or a dangling file link to
  // one: read inside the root, where the mount lands; the host is untouched.
  auto parent =
      run(rootfs, "cat " + victim->path() + "/sub/payload /parent/sub/payload /file",
          both(f.resolve(rootfs, host->path() + ":/parent/sub"), f.resolve(rootfs, host->path() + "/payload:/file")));
  REQUIRE(parent);
  CHECK(parent->output == "payload\npayload\npayload\n");
  CHECK(fs::is_directory(rootfs.path() + victim->path() + "/sub"));
  CHECK(fs::is_regular_file(rootfs.path() + victim->path() + "/file"));
  CHECK(fs::is_empty(victim->path()));
  CHECK(slurp(host->path() + "/payload") == "payload\n");

  // Legitimate in-root links still work: /var/run -> ../run.
  fs::create_directories(rootfs.path() + "/var");
  fs::create_directories(rootfs.path() + "/run");
  fs::create_symlink("../run", rootfs.path() + "/var/run");
  auto ok =
      run(rootfs, "cat /var/run/app/payload; cat /run/app/payload", f.resolve(rootfs, host->path() + ":/var/run/app"));
  REQUIRE(ok);
  CHECK(ok->output == "payload\npayload\n");
  CHECK(fs::is_directory(rootfs.path() + "/run/app"));
}

TEST_CASE("a new volume is filled from the image, keeping owner, mode, xattrs and links", "[volumes]") {
  Fixture f;
  TempDir rootfs = busybox_rootfs();
  const std::string data = rootfs.path() + "/var/lib/db";
  fs::create_directories(data + "/sub");
  REQUIRE(write_file_atomic(data + "/sub/conf", "conf\n", 0640));
  REQUIRE(::chown((data + "/sub/conf").c_str(), 999, 998) == 0);
  REQUIRE(::chown(data.c_str(), 999, 999) == 0);
  REQUIRE(::chmod(data.c_str(), 0750) == 0);
  REQUIRE(::chmod((data + "/sub/conf").c_str(), 04640) == 0);
  fs::create_symlink("/etc/passwd", data + "/link");
  fs::create_hard_link(data + "/sub/conf", data + "/hard");
  bool xattrs = ::setxattr((data + "/sub/conf").c_str(), "user.brick", "yes", 3, 0) == 0;

  auto ran = run(rootfs, "stat -c '%u:%g %a' /var/lib/db /var/lib/db/sub/conf; cat /var/lib/db/hard",
                 f.resolve(rootfs, "dbdata:/var/lib/db"));
  REQUIRE(ran);
  INFO(ran->output);
  CHECK(ran->output == "999:999 750\n999:998 4640\nconf\n");
  auto v = f.store.get("dbdata");
  REQUIRE(v);
  struct stat a {
  }, b{};
  REQUIRE(::lstat((v->mountpoint + "/link").c_str(), &a) == 0);
  CHECK(S_ISLNK(a.st_mode));
  CHECK(fs::read_symlink(v->mountpoint + "/link") == "/etc/passwd");
  REQUIRE(::stat((v->mountpoint + "/hard").c_str(), &a) == 0);
  REQUIRE(::stat((v->mountpoint + "/sub/conf").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);
  if (xattrs) {
    char value[8] = {};
    CHECK(::getxattr((v->mountpoint + "/sub/conf").c_str(), "user.brick", value, sizeof value) == 3);
    CHECK(std::string(value) == "yes");
  }

  // Not empty any more: a changed image does not overwrite it; nocopy skips the copy.
  REQUIRE(write_file_atomic(data + "/sub/conf", "new image\n"));
  auto again = run(rootfs, "cat /var/lib/db/sub/conf", f.resolve(rootfs, "dbdata:/var/lib/db"));
  REQUIRE(again);
  CHECK(again->output == "conf\n");
  auto nocopy = run(rootfs, "ls -A /var/lib/db | grep -c . ; true", f.resolve(rootfs, "fresh:/var/lib/db:nocopy"));
  REQUIRE(nocopy);
  CHECK(nocopy->output == "0\n");
}

TEST_CASE("a tmpfs gets the size and mode asked for", "[volumes]") {
  Fixture f;
  TempDir rootfs = busybox_rootfs();
  auto request = parse_tmpfs_flag("/scratch:size=2m,mode=1770");
  REQUIRE(request);
  ResolvedMounts out;
  REQUIRE(add_mount(*request, f.context(rootfs), out));
  auto ran = run(rootfs, "stat -c %a /scratch; grep ' /scratch ' /proc/self/mounts", out.mounts);
  REQUIRE(ran);
  INFO(ran->output);
  CHECK(ran->output.starts_with("1770\ntmpfs /scratch tmpfs rw,nosuid,nodev,noexec"));
  CHECK(ran->output.find("size=2048k") != std::string::npos);
  CHECK(ran->output.find("mode=1770") != std::string::npos);
}

TEST_CASE("secrets and configs are readable, read-only and carry their owner and mode", "[volumes]") {
  Fixture f;
  TempDir rootfs = busybox_rootfs();
  auto host = TempDir::create("brick-vol-host");
  REQUIRE(host);
  REQUIRE(write_file_atomic(host->path() + "/token.txt", "s3cret\n", 0600));
  ResolvedMounts out;
  MountContext ctx = f.context(rootfs);
  REQUIRE(add_secret({"token", host->path() + "/token.txt", std::nullopt, "", 1000, 1001, 0400}, ctx, out));
  REQUIRE(
      add_config({"app.conf", std::nullopt, std::string("debug = true\n"), "/etc/app/app.conf", {}, {}, {}}, ctx, out));
  auto ran = run(rootfs,
                 "cat /run/secrets/token /etc/app/app.conf; stat -c '%u:%g %a' /run/secrets/token /etc/app/app.conf; "
                 "echo x > /run/secrets/token; echo rc=$?",
                 out.mounts);
  REQUIRE(ran);
  INFO(ran->output);
  CHECK(ran->output.starts_with("s3cret\ndebug = true\n1000:1001 400\n0:0 444\n"));
  CHECK(ran->output.find("Read-only file system") != std::string::npos);
  CHECK(ran->output.ends_with("rc=1\n"));
  CHECK(slurp(host->path() + "/token.txt") == "s3cret\n");
}

TEST_CASE("driver_opts volumes, subpaths and read-only volumes mount for real", "[volumes]") {
  Fixture f;
  TempDir rootfs = busybox_rootfs();
  auto host = TempDir::create("brick-vol-host");
  REQUIRE(host);
  REQUIRE(write_file_atomic(host->path() + "/dataset.csv", "a,b\n"));
  MountContext ctx = f.context(rootfs);
  ctx.declared["demo_shm"] =
      VolumeDecl{false, {{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=3m,mode=1770"}}, {}};
  ctx.declared["demo_ds"] = VolumeDecl{false, {{"type", "none"}, {"o", "bind"}, {"device", host->path()}}, {}};
  auto models = f.store.create("models");
  REQUIRE(models);
  fs::create_directories(models->mountpoint + "/llama/7b");
  REQUIRE(write_file_atomic(models->mountpoint + "/llama/7b/weights", "w\n"));

  ResolvedMounts out;
  for (const char* flag : {"demo_shm:/shm", "demo_ds:/ds:ro", "models:/all:ro"})
    REQUIRE(add_mount(*parse_volume_flag(flag), ctx, out));
  REQUIRE(add_mount(*parse_mount_flag("src=models,dst=/m,volume-subpath=llama/7b"), ctx, out));
  auto ran = run(rootfs,
                 "grep ' /shm ' /proc/self/mounts | cut -d' ' -f3,4; cat /ds/dataset.csv /m/weights; "
                 "echo x > /ds/new; echo x > /all/new; ls /all",
                 out.mounts);
  REQUIRE(ran);
  INFO(ran->output);
  CHECK(ran->output.starts_with("tmpfs rw,relatime,size=3072k,mode=1770\na,b\nw\n"));
  CHECK(ran->output.ends_with("llama\n"));
  CHECK_FALSE(fs::exists(host->path() + "/new"));
  CHECK_FALSE(fs::exists(models->mountpoint + "/new"));
}
