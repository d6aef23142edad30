// Volume requests: docker's -v/--mount/--tmpfs syntaxes, and their
// resolution into runtime mounts (binds, volumes, tmpfs) without root.
#include "volumes/mounts.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "base/file.hpp"
#include "base/temp_dir.hpp"

using namespace brick;
using namespace brick::volumes;
namespace fs = std::filesystem;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct Fixture {
  TempDir root = std::move(TempDir::create("brick-mounts").value());
  VolumeStore store = std::move(VolumeStore::open(root.path() + "/state").value());
  MountContext ctx;
  Fixture() {
    ctx.store = &store;
    ctx.base_dir = root.path() + "/project";
    ctx.home = root.path() + "/home";
    ctx.labels = {{"com.docker.compose.project", "demo"}};
    fs::create_directories(ctx.base_dir);
  }
  Result<ResolvedMounts> add(const MountRequest& r) {
    ResolvedMounts out;
    auto added = add_mount(r, ctx, out);
    if (!added) return std::unexpected(added.error());
    return out;
  }
};

}  // namespace

TEST_CASE("docker -v: bind, named and anonymous volumes with their options", "[mounts]") {
  auto bind = parse_volume_flag("./data:/data:ro,rslave");
  REQUIRE(bind);
  CHECK(bind->kind == MountKind::bind);
  CHECK(bind->source == "./data");
  CHECK(bind->target == "/data");
  CHECK(bind->read_only);
  CHECK(bind->propagation == "rslave");
  CHECK(bind->create_host_path);

  auto home = parse_volume_flag("~/ds:/ds:z");
  REQUIRE(home);
  CHECK(home->kind == MountKind::bind);
  CHECK(home->selinux == "z");

  auto named = parse_volume_flag("ckpt:/ckpt:nocopy,cached");
  REQUIRE(named);
  CHECK(named->kind == MountKind::volume);
  CHECK(named->source == "ckpt");
  CHECK(named->nocopy);
  CHECK_FALSE(named->read_only);

  auto anon = parse_volume_flag("/var/lib/postgresql/data");
  REQUIRE(anon);
  CHECK(anon->kind == MountKind::volume);
  CHECK(anon->source.empty());
  CHECK(anon->target == "/var/lib/postgresql/data");

  struct Bad {
    const char* spec;
    const char* says;
  };
  for (const Bad& bad : {Bad{"a:b:c:d", "[SOURCE:]TARGET"}, Bad{"/h:rel", "absolute"}, Bad{"/h:/c:bogus", "bogus"},
                         Bad{"x:/c", "invalid volume name"}, Bad{"vol:/c:rshared", "bind mounts only"},
                         Bad{"/h:/c:nocopy", "volumes, not bind"}, Bad{":/c", "empty"}}) {
    auto r = parse_volume_flag(bad.spec);
    INFO(bad.spec);
    REQUIRE_FALSE(r);
    CHECK(has(r.error().message(), bad.says));
  }
}

TEST_CASE("docker --mount: every type and key, strictly", "[mounts]") {
  auto bind = parse_mount_flag("type=bind,src=/srv,dst=/srv,readonly,bind-propagation=shared,bind-recursive=disabled");
  REQUIRE(bind);
  CHECK(bind->kind == MountKind::bind);
  CHECK(bind->read_only);
  CHECK(bind->propagation == "shared");
  CHECK_FALSE(bind->recursive);
  CHECK_FALSE(bind->create_host_path);

  auto vol = parse_mount_flag(
      "source=models,target=/models,volume-subpath=llama,volume-nocopy=true,volume-opt=type=tmpfs,volume-label=a=b,"
      "readonly=false");
  REQUIRE(vol);
  CHECK(vol->kind == MountKind::volume);
  CHECK(vol->subpath == "llama");
  CHECK(vol->nocopy);
  CHECK_FALSE(vol->read_only);
  CHECK(vol->volume_opts == Options{{"type", "tmpfs"}});
  CHECK(vol->volume_labels == Options{{"a", "b"}});

  auto tmp = parse_mount_flag("type=tmpfs,destination=/dev/shm,tmpfs-size=8g,tmpfs-mode=1777");
  REQUIRE(tmp);
  CHECK(tmp->kind == MountKind::tmpfs);
  CHECK(tmp->tmpfs_size == 8ULL << 30);
  CHECK(tmp->tmpfs_mode == 01777u);

  for (const char* bad :
       {"type=nfs,dst=/x", "type=bind,dst=/x", "type=tmpfs,src=a,dst=/x", "type=volume,dst=/x,tmpfs-size=1m",
        "type=bind,src=/a,dst=/x,volume-nocopy", "dst=/x,bogus=1", "type=volume,dst=/x,volume-driver=nfs",
        "type=tmpfs,dst=/x,tmpfs-mode=999", "type=volume,src=v,dst=rel", "type=bind,src=/a,dst=/x,ro=maybe"}) {
    INFO(bad);
    CHECK_FALSE(parse_mount_flag(bad));
  }
}

TEST_CASE("docker --tmpfs and sizes", "[mounts]") {
  auto t = parse_tmpfs_flag("/run:size=64m,mode=755,exec,uid=1000");
  REQUIRE(t);
  CHECK(t->kind == MountKind::tmpfs);
  CHECK(t->target == "/run");
  CHECK(t->tmpfs_size == 64ULL << 20);
  CHECK(t->tmpfs_mode == 0755u);
  CHECK(t->tmpfs_options == std::vector<std::string>{"exec", "uid=1000"});
  CHECK_FALSE(parse_tmpfs_flag("run"));
  CHECK_FALSE(parse_tmpfs_flag("/run:size=lots"));

  CHECK(parse_size("1048576").value() == 1048576);
  CHECK(parse_size("512k").value() == 512 * 1024);
  CHECK(parse_size("2GB").value() == 2ULL << 30);
  CHECK(parse_size("1MiB").value() == 1ULL << 20);
  CHECK_FALSE(parse_size(""));
  CHECK_FALSE(parse_size("1x"));
  CHECK_FALSE(parse_size("99999999999t"));
}

TEST_CASE("bind sources resolve against the project and home, short syntax creates, long refuses", "[mounts]") {
  Fixture f;
  auto rel = f.add(*parse_volume_flag("./data/../data/train:/train:ro"));
  REQUIRE(rel);
  REQUIRE(rel->mounts.size() == 1);
  const auto& m = rel->mounts[0];
  CHECK(m.source == f.ctx.base_dir + "/data/train");
  CHECK(m.type == "bind");
  CHECK(m.options == std::vector<std::string>{"rbind", "ro", "rprivate"});
  CHECK(fs::is_directory(m.source));  // created, as compose's short syntax does

  auto home = f.add(*parse_volume_flag("~/ds:/ds:Z"));
  REQUIRE(home);
  CHECK(home->mounts[0].source == f.ctx.home + "/ds");
  REQUIRE(home->warnings.size() == 1);
  CHECK(has(home->warnings[0], "SELinux"));

  auto missing = f.add(*parse_mount_flag("type=bind,src=./nothing,dst=/n"));
  REQUIRE_FALSE(missing);
  CHECK(has(missing.error().message(), "does not exist"));
  CHECK_FALSE(fs::exists(f.ctx.base_dir + "/nothing"));

  auto shared = f.add(*parse_mount_flag("type=bind,src=.,dst=/p,bind-propagation=rshared,bind-recursive=disabled"));
  REQUIRE(shared);
  CHECK(shared->mounts[0].options == std::vector<std::string>{"bind", "rshared"});
}

TEST_CASE("named volumes: created on first use with labels, external must exist, driver_opts mount directly",
          "[mounts]") {
  Fixture f;
  auto first = f.add(*parse_volume_flag("demo_ckpt:/ckpt"));
  REQUIRE(first);
  CHECK(first->created == std::vector<std::string>{"demo_ckpt"});
  CHECK(first->volumes == std::vector<std::string>{"demo_ckpt"});
  auto v = f.store.get("demo_ckpt");
  REQUIRE(v);
  CHECK(v->labels.at("com.docker.compose.project") == "demo");
  CHECK(first->mounts[0].source == v->mountpoint);
  CHECK(first->mounts[0].options == std::vector<std::string>{"rbind", "rprivate"});

  auto again = f.add(*parse_volume_flag("demo_ckpt:/other:ro"));
  REQUIRE(again);
  CHECK(again->created.empty());
  CHECK(again->mounts[0].options == std::vector<std::string>{"rbind", "ro", "rprivate"});

  f.ctx.declared["shared_data"] = VolumeDecl{true, {}, {}};
  auto external = f.add(*parse_volume_flag("shared_data:/d"));
  REQUIRE_FALSE(external);
  CHECK(has(external.error().message(), "external volume `shared_data` does not exist"));

  f.ctx.declared["demo_shm"] = VolumeDecl{false, {{"type", "tmpfs"}, {"o", "size=1m"}}, {{"tier", "fast"}}};
  auto tmpfs = f.add(*parse_volume_flag("demo_shm:/shm"));
  REQUIRE(tmpfs);
  CHECK(tmpfs->mounts[0].type == "tmpfs");
  CHECK(tmpfs->mounts[0].options == std::vector<std::string>{"size=1m"});
  CHECK(f.store.get("demo_shm")->labels.at("tier") == "fast");

  auto host = f.root.path() + "/dev-data";
  fs::create_directories(host);
  f.ctx.declared["demo_bound"] = VolumeDecl{false, {{"type", "none"}, {"o", "bind"}, {"device", host}}, {}};
  auto bound = f.add(*parse_volume_flag("demo_bound:/b"));
  REQUIRE(bound);
  CHECK(bound->mounts[0].type == "bind");
  CHECK(bound->mounts[0].source == host);

  auto anon = f.add(*parse_volume_flag("/var/lib/db"));
  REQUIRE(anon);
  REQUIRE(anon->anonymous.size() == 1);
  CHECK(anon->anonymous == anon->volumes);
  CHECK(f.store.get(anon->anonymous[0])->anonymous);

  // The in-use hook keeps a used volume from rm and prune.
  auto used = in_use_by(first->volumes);
  CHECK(used("demo_ckpt"));
  CHECK_FALSE(used("demo_shm"));
  auto rm = f.store.remove("demo_ckpt", false, used);
  REQUIRE_FALSE(rm);
  CHECK(rm.error().errno_value() == EBUSY);
}

TEST_CASE("a subpath is resolved beneath the volume and must exist", "[mounts]") {
  Fixture f;
  auto v = f.store.create("models");
  REQUIRE(v);
  fs::create_directories(v->mountpoint + "/llama/7b");
  fs::create_symlink("/etc", v->mountpoint + "/escape");
  fs::create_symlink("../../..", v->mountpoint + "/up");

  auto ok = f.add(*parse_mount_flag("src=models,dst=/m,volume-subpath=llama/7b"));
  REQUIRE(ok);
  CHECK(ok->mounts[0].source == v->mountpoint + "/llama/7b");

  // `escape -> /etc` is read inside the volume, where there is no etc.
  auto escape = f.add(*parse_mount_flag("src=models,dst=/m,volume-subpath=escape"));
  REQUIRE_FALSE(escape);
  CHECK(has(escape.error().message(), "subpath `escape`"));
  // `up -> ../../..` stops at the volume's own root.
  auto up = f.add(*parse_mount_flag("src=models,dst=/m,volume-subpath=up"));
  REQUIRE(up);
  CHECK(up->mounts[0].source == v->mountpoint);
  CHECK_FALSE(f.add(*parse_mount_flag("src=models,dst=/m,volume-subpath=missing")));
}

TEST_CASE("tmpfs mounts carry docker's defaults, size and mode", "[mounts]") {
  Fixture f;
  auto t = f.add(*parse_tmpfs_flag("/scratch:size=1m,mode=1777,exec"));
  REQUIRE(t);
  CHECK(t->mounts[0].type == "tmpfs");
  CHECK(t->mounts[0].options ==
        std::vector<std::string>{"nosuid", "nodev", "noexec", "exec", "size=1048576", "mode=1777"});
}

TEST_CASE("secret and config names cannot walk out of their directory", "[mounts]") {
  Fixture f;
  f.ctx.files_dir = f.root.path() + "/run/c1";
  ResolvedMounts out;
  for (const char* name : {"..", "a/b", ""}) {
    INFO(name);
    CHECK_FALSE(add_config({name, std::nullopt, std::string("x"), "", {}, {}, {}}, f.ctx, out));
  }
  CHECK(out.mounts.empty());
  REQUIRE(add_config({"app.yaml", std::nullopt, std::string("x: 1\n"), "", {}, {}, 0640}, f.ctx, out));
  REQUIRE(out.mounts.size() == 1);
  CHECK(out.mounts[0].destination == "/app.yaml");
  CHECK(out.mounts[0].source == f.ctx.files_dir + "/configs/app.yaml");
  CHECK((fs::status(out.mounts[0].source).permissions() & fs::perms::all) == static_cast<fs::perms>(0640));
  CHECK(read_file(out.mounts[0].source).value() == "x: 1\n");
}
