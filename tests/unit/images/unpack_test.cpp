#include "images/unpack.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "base/file.hpp"
#include "base/temp_dir.hpp"
#include "images/unpack_fs.hpp"
#include "unit/images/tar_builder.hpp"

using namespace brick;
using namespace brick::testing;
using brick::images::layer_digests;
using brick::images::unpack_layer;
namespace fs = std::filesystem;

namespace {

// Tests that need root return early with a warning; the privileged suite and
// CI (which runs as root) cover them.
bool have_root() {
  if (::geteuid() == 0) return true;
  WARN("skipped: needs root");
  return false;
}

// Keeping the archive's (root) ownership needs root; as anyone else unpack
// as the caller, as rootless engines do.
images::UnpackOptions as_caller() { return {.preserve_ownership = ::geteuid() == 0}; }

struct Layout {
  TempDir tmp = TempDir::create("brick-unpack").value();
  std::string dest = tmp.path() + "/root/dest";
  std::string sentinel = tmp.path() + "/sentinel";
  std::string tar = tmp.path() + "/layer.tar";
  Layout() {
    fs::create_directories(dest);
    fs::create_directories(sentinel);
    REQUIRE(write_file_atomic(sentinel + "/secret", "untouched"));
  }
  // Everything under tmp that is neither the layer, dest's tree nor the
  // sentinel's own secret: must stay empty whatever the archive said.
  std::vector<std::string> outside_dest() const {
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(tmp.path()); it != fs::recursive_directory_iterator(); ++it) {
      std::string p = it->path().string();
      if (p.starts_with(dest)) {
        if (it->is_directory() && !it->is_symlink()) it.disable_recursion_pending();
        continue;
      }
      if (p == tar || p == tmp.path() + "/root" || p == sentinel || p == sentinel + "/secret") continue;
      found.push_back(p);
    }
    if (read_file(sentinel + "/secret").value_or("") != "untouched") found.push_back(sentinel + "/secret (changed)");
    return found;
  }
};

struct stat lstat_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

}  // namespace

TEST_CASE("clean_entry_path keeps names inside the root", "[images][unpack]") {
  using images::detail::clean_entry_path;
  using V = std::vector<std::string>;
  CHECK(clean_entry_path("a/b/c").value() == V{"a", "b", "c"});
  CHECK(clean_entry_path("./a//b/./").value() == V{"a", "b"});
  CHECK(clean_entry_path("a/../b").value() == V{"b"});
  CHECK(clean_entry_path("./").value().empty());
  CHECK_FALSE(clean_entry_path("../x"));
  CHECK_FALSE(clean_entry_path("a/../../x"));
  CHECK_FALSE(clean_entry_path("/.."));
  CHECK_FALSE(clean_entry_path("/etc/x"));
}

TEST_CASE("sha256_file matches the FIPS 180-2 vector", "[images][unpack]") {
  Layout l;
  REQUIRE(write_file_atomic(l.tmp.path() + "/abc", "abc"));
  CHECK(images::sha256_file(l.tmp.path() + "/abc").value() ==
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_FALSE(images::sha256_file(l.tmp.path() + "/missing"));
}

TEST_CASE("unpack_layer recreates files, links, modes and times", "[images][unpack]") {
  auto [compression, decompress] = GENERATE(table<Compression, std::string>(
      {{Compression::none, "cat"}, {Compression::gzip, "gzip -dc"}, {Compression::zstd, "zstd -dcq"}}));
  Layout l;
  TarEntry setuid = make_file("usr/bin/su", "#!/bin/true\n", 04755);
  TarEntry fifo;
  fifo.name = "run/fifo";
  fifo.type = AE_IFIFO;
  fifo.perm = 0620;
  TarEntry tagged = make_file("etc/tagged", "x");
  tagged.xattrs = {{"user.brick", "yes"}, {"trusted.overlay.redirect", "/elsewhere"}};
  TarEntry ro_dir = make_dir("ro", 0555);
  ro_dir.mtime = 1500000000;
  std::vector<TarEntry> entries = {
      make_dir("./"),
      make_dir("etc"),
      make_file("etc/hostname", "brick\n"),
      tagged,
      setuid,
      make_symlink("etc/link", "hostname"),
      make_symlink("etc/abs", "/etc/hostname"),
      make_hardlink("etc/hard", "etc/hostname"),
      fifo,
      ro_dir,
      make_file("ro/inside", "data", 0444),  // a 0555 dir still takes its contents
      make_file("a/b/implied", "parents made on the way"),
      make_file("etc/hostname2", "first"),
      make_file("etc/hostname2", "second wins"),
  };
  REQUIRE(write_tar(l.tar, entries, compression));

  auto result = unpack_layer(l.tar, l.dest, as_caller());
  INFO((result ? std::string() : result.error().full()));
  REQUIRE(result);
  CHECK(result->entries == entries.size());
  CHECK(result->compressed_digest == sha256_of_command("cat " + l.tar));
  CHECK(result->diff_id == sha256_of_command(decompress + " " + l.tar));
  CHECK(result->compressed_size == fs::file_size(l.tar));
  if (compression == Compression::none) CHECK(result->diff_id == result->compressed_digest);
  auto digests = layer_digests(l.tar);  // the same digests without unpacking
  REQUIRE(digests);
  CHECK(digests->digest == result->compressed_digest);
  CHECK(digests->diff_id == result->diff_id);
  CHECK(digests->size == result->compressed_size);

  CHECK(read_file(l.dest + "/etc/hostname").value() == "brick\n");
  CHECK(read_file(l.dest + "/etc/hostname2").value() == "second wins");
  CHECK(read_file(l.dest + "/a/b/implied").value() == "parents made on the way");
  CHECK((lstat_of(l.dest + "/usr/bin/su").st_mode & 07777) == 04755);
  CHECK(lstat_of(l.dest + "/etc/hostname").st_mtime == 1600000000);
  CHECK(fs::read_symlink(l.dest + "/etc/link") == "hostname");
  CHECK(fs::read_symlink(l.dest + "/etc/abs") == "/etc/hostname");
  CHECK(lstat_of(l.dest + "/etc/hard").st_ino == lstat_of(l.dest + "/etc/hostname").st_ino);
  CHECK(S_ISFIFO(lstat_of(l.dest + "/run/fifo").st_mode));
  CHECK((lstat_of(l.dest + "/run/fifo").st_mode & 07777) == 0620);
  // Directory metadata is set after its contents, so the times stick.
  CHECK((lstat_of(l.dest + "/ro").st_mode & 07777) == 0555);
  CHECK(lstat_of(l.dest + "/ro").st_mtime == 1500000000);
  CHECK(lstat_of(l.dest + "/etc").st_mtime == 1600000000);
  CHECK(read_file(l.dest + "/ro/inside").value() == "data");
  char value[16] = {};
  CHECK(::getxattr((l.dest + "/etc/tagged").c_str(), "user.brick", value, sizeof value) == 3);
  CHECK(std::string(value) == "yes");
  // A layer cannot forge overlayfs metadata.
  CHECK(::getxattr((l.dest + "/etc/tagged").c_str(), "trusted.overlay.redirect", value, sizeof value) < 0);
  CHECK(l.outside_dest().empty());
  fs::permissions(l.dest + "/ro", fs::perms::owner_all);  // let TempDir clean up as non-root
}

TEST_CASE("unpack_layer handles empty and corrupt layers", "[images][unpack]") {
  Layout l;
  REQUIRE(write_file_atomic(l.tar, ""));
  auto empty = unpack_layer(l.tar, l.dest, as_caller());
  REQUIRE(empty);
  CHECK(empty->entries == 0);
  CHECK(empty->diff_id == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  // Incompressible, so the cut falls inside the entry's data, not in a
  // header libarchive reads ahead while opening.
  std::string noise(1 << 20, '\0');
  uint32_t state = 1;
  for (char& c : noise) c = static_cast<char>((state = state * 1664525 + 1013904223) >> 24);
  REQUIRE(write_tar(l.tar, {make_file("big", noise)}, Compression::gzip));
  std::string bytes = read_file(l.tar).value();
  REQUIRE(write_file_atomic(l.tar, bytes.substr(0, bytes.size() / 2)));
  auto truncated = unpack_layer(l.tar, l.dest, as_caller());
  REQUIRE_FALSE(truncated);
  CHECK_THAT(truncated.error().message(), Catch::Contains("big"));

  REQUIRE(write_file_atomic(l.tar, std::string(2000, 'z')));
  CHECK_FALSE(unpack_layer(l.tar, l.dest, as_caller()));
  CHECK_FALSE(unpack_layer(l.tar + ".missing", l.dest, as_caller()));
}

// umoci 0.4.7's `insert` writes layers that stop right after the last
// entry's data: no block padding, no end marker. Go's archive/tar (Docker,
// containerd, umoci) reads them; libarchive calls them truncated.
TEST_CASE("a layer ending right after its last data byte unpacks", "[images][unpack]") {
  Layout l;
  const std::string mark = "LAST-ENTRY-DATA";
  REQUIRE(write_tar(l.tar, {make_file("first", "1"), make_file("last", mark)}));
  std::string bytes = read_file(l.tar).value();
  size_t end = bytes.find(mark) + mark.size();
  REQUIRE(write_file_atomic(l.tar, bytes.substr(0, end)));
  auto result = unpack_layer(l.tar, l.dest, as_caller());
  INFO((result ? std::string() : result.error().full()));
  REQUIRE(result);
  CHECK(read_file(l.dest + "/last").value() == mark);
  CHECK(result->diff_id == sha256_of_command("cat " + l.tar));

  SECTION("but not one cut inside the data") {
    REQUIRE(write_file_atomic(l.tar, bytes.substr(0, end - 3)));
    Layout again;
    CHECK_FALSE(unpack_layer(l.tar, again.dest, as_caller()));
  }
}

TEST_CASE("hostile layers never write outside the destination", "[images][unpack][hostile]") {
  Layout l;
  const std::string out = l.sentinel;  // an absolute path outside dest
  struct Case {
    const char* what;
    std::vector<TarEntry> entries;
    bool must_fail;
  };
  std::vector<Case> cases = {
      {"dot-dot climb", {make_file("../../etc/passwd", "owned")}, true},
      {"dot-dot into the sentinel", {make_file("../../sentinel/owned", "owned")}, true},
      {"absolute path", {make_file(out + "/owned", "owned")}, false},
      {"symlink to the outside, then a file through it",
       {make_symlink("evil", out), make_file("evil/owned", "owned")},
       false},
      {"symlink to /, then a file through it",
       {make_symlink("evil", "/"), make_file("evil" + out + "/owned", "owned")},
       false},
      {"symlink climbing out, then a file through it",
       {make_symlink("evil", "../../../../../../.."), make_file("evil" + out + "/owned", "owned")},
       false},
      {"symlink chain",
       {make_symlink("a", "b"), make_symlink("b", "c"), make_symlink("c", out), make_file("a/owned", "owned")},
       false},
      {"file over a symlink to the outside",
       {make_symlink("evil", out + "/secret"), make_file("evil", "owned")},
       false},
      {"directory over a symlink to the outside",
       {make_symlink("evil", out), make_dir("evil"), make_file("evil/owned", "x")},
       false},
      {"hardlink to an absolute outside file", {make_hardlink("stolen", out + "/secret")}, true},
      {"hardlink climbing out", {make_hardlink("stolen", "../../sentinel/secret")}, true},
      {"absolute name", {make_file(out + "/owned", "owned")}, true},
      {"hardlink through a symlink to the outside",
       {make_symlink("evil", out), make_hardlink("stolen", "evil/secret")},
       true},
      {"whiteout climbing out", {make_file("../.wh.sentinel", "")}, true},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      REQUIRE(write_tar(l.tar, c.entries));
      auto result = unpack_layer(l.tar, l.dest, as_caller());
      INFO(c.what << ": " << (result ? std::string("succeeded") : result.error().full()));
      if (c.must_fail) CHECK_FALSE(result);
      CHECK(l.outside_dest() == std::vector<std::string>{});
      CHECK_FALSE(fs::exists("/tmp/etc/passwd"));
    }
  }
}

// A write through a symlink the layer itself planted is how real images use
// links (`lib -> usr/lib`, then `lib/x`): it is resolved inside the root, as
// Docker resolves it, and never reaches the host.
TEST_CASE("writes through the layer's own symlinks are contained, as Docker contains them",
          "[images][unpack][hostile]") {
  Layout l;
  REQUIRE(write_tar(l.tar, {make_dir("usr/lib"), make_symlink("lib", "usr/lib"), make_file("lib/x", "relative"),
                            make_symlink("evil", "/"), make_file("evil/etc/y", "through")}));
  auto result = unpack_layer(l.tar, l.dest, as_caller());
  REQUIRE(result);
  CHECK(read_file(l.dest + "/usr/lib/x").value() == "relative");
  CHECK(read_file(l.dest + "/etc/y").value() == "through");
}

TEST_CASE("errors name the entry at fault", "[images][unpack]") {
  Layout l;
  REQUIRE(write_tar(l.tar, {make_file("ok", "1"), make_hardlink("bad", "missing/target")}));
  auto result = unpack_layer(l.tar, l.dest, as_caller());
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message(), Catch::Contains("entry `bad`") && Catch::Contains("missing/target"));
  CHECK(result.error().errno_value() == ENOENT);
}

// Kernel quirk: since Linux 5.8 (a3c751a50fe6) a 0:0 character device, the
// overlayfs whiteout, needs no CAP_MKNOD, so rootless unpacking keeps them.
TEST_CASE("whiteouts need no privilege", "[images][unpack]") {
  Layout l;
  REQUIRE(write_tar(l.tar, {make_file("etc/.wh.gone", "")}));
  auto result = unpack_layer(l.tar, l.dest, as_caller());
  INFO((result ? std::string() : result.error().full()));
  REQUIRE(result);
  struct stat st = lstat_of(l.dest + "/etc/gone");
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(0, 0));
}

TEST_CASE("overlay whiteouts become 0:0 devices and opaque xattrs", "[images][unpack][root]") {
  if (!have_root()) return;
  Layout l;
  REQUIRE(write_tar(l.tar, {make_dir("etc"), make_file("etc/gone", "here first"), make_file("etc/.wh.gone", ""),
                            make_file(".wh.lower-only", ""), make_dir("opaque"), make_file("opaque/.wh..wh..opq", ""),
                            make_file("opaque/kept", "new"), make_file(".wh..wh.plnk", "")}));
  auto result = unpack_layer(l.tar, l.dest, as_caller());
  INFO((result ? std::string() : result.error().full()));
  REQUIRE(result);
  for (const char* name : {"/etc/gone", "/lower-only"}) {
    struct stat st = lstat_of(l.dest + name);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(0, 0));
  }
  char value[4] = {};
  CHECK(::getxattr((l.dest + "/opaque").c_str(), "trusted.overlay.opaque", value, sizeof value) == 1);
  CHECK(value[0] == 'y');
  CHECK(read_file(l.dest + "/opaque/kept").value() == "new");
  CHECK_FALSE(fs::exists(fs::symlink_status(l.dest + "/opaque/.wh..wh..opq")));
  CHECK_FALSE(fs::exists(fs::symlink_status(l.dest + "/.wh..wh.plnk")));

  SECTION("kept as plain files when asked") {
    Layout raw;
    REQUIRE(write_tar(raw.tar, {make_file("etc/.wh.gone", ""), make_file("d/.wh..wh..opq", "")}));
    REQUIRE(unpack_layer(raw.tar, raw.dest, {.preserve_ownership = true, .overlay_whiteouts = false}));
    CHECK(fs::is_regular_file(raw.dest + "/etc/.wh.gone"));
    CHECK(fs::is_regular_file(raw.dest + "/d/.wh..wh..opq"));
  }
}

TEST_CASE("ownership and device nodes need root", "[images][unpack][root]") {
  if (!have_root()) return;
  Layout l;
  TarEntry owned = make_file("owned", "x", 06755);
  owned.uid = 1234;
  owned.gid = 2345;
  TarEntry null_dev;
  null_dev.name = "dev/null";
  null_dev.type = AE_IFCHR;
  null_dev.perm = 0666;
  null_dev.rdev_major = 1;
  null_dev.rdev_minor = 3;
  TarEntry link = make_symlink("owned-link", "owned");
  link.uid = 1234;
  REQUIRE(write_tar(l.tar, {owned, null_dev, link}));
  REQUIRE(unpack_layer(l.tar, l.dest, as_caller()));
  struct stat st = lstat_of(l.dest + "/owned");
  CHECK(st.st_uid == 1234);
  CHECK(st.st_gid == 2345);
  CHECK((st.st_mode & 07777) == 06755);  // chmod after chown keeps setuid
  st = lstat_of(l.dest + "/dev/null");
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(1, 3));
  CHECK((st.st_mode & 0777) == 0666);
  CHECK(lstat_of(l.dest + "/owned-link").st_uid == 1234);

  Layout mine;
  REQUIRE(write_tar(mine.tar, {owned}));
  REQUIRE(unpack_layer(mine.tar, mine.dest, {.preserve_ownership = false}));
  CHECK(lstat_of(mine.dest + "/owned").st_uid == ::geteuid());
}
