#include "images/store.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "base/file.hpp"
#include "store_test_util.hpp"

using namespace brick;
using namespace brick::images;
using namespace brick::images::test;

namespace {

size_t count_entries(const std::string& dir) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    ++n;
  return n;
}

Store open_store(const TempDir& tmp) {
  auto store = Store::open(tmp.path() + "/root");
  REQUIRE(store);
  return std::move(*store);
}

std::string read(const std::string& path) {
  auto data = read_file(path);
  REQUIRE(data);
  return *data;
}

// Nothing was stored: no blob, no layer, no name, no staging left over.
void check_empty(const Store& store) {
  CHECK(count_entries(store.dir() + "/blobs/sha256") == 0);
  CHECK(count_entries(store.dir() + "/layers") == 0);
  CHECK(count_entries(store.dir() + "/tmp") == 0);
  auto list = store.list();
  REQUIRE(list);
  CHECK(list->empty());
}

}  // namespace

TEST_CASE("a docker save archive loads, with its layers unpacked in order", "[store]") {
  TempDir tmp = temp_dir();
  std::string base = make_layer(tmp.path() + "/base.tar", {{"etc/hello", "base"}, {"bin/sh", "#!"}});
  std::string top = make_layer(tmp.path() + "/top.tar", {{"etc/hello", "top"}});
  docker_archive(tmp.path() + "/img.tar", {{{"busybox:latest"}, config_for({base, top}), {base, top}}});

  Store store = open_store(tmp);
  auto names = store.load_archive(tmp.path() + "/img.tar");
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"docker.io/library/busybox:latest"});

  auto info = store.resolve("busybox");
  REQUIRE(info);
  REQUIRE(info->layer_dirs.size() == 2);
  CHECK(read(info->layer_dirs[0] + "/etc/hello") == "base");
  CHECK(read(info->layer_dirs[1] + "/etc/hello") == "top");
  CHECK(info->config.cmd == std::vector<std::string>{"sh"});
  CHECK(info->config.env == std::vector<std::string>{"PATH=/bin"});
  CHECK(count_entries(store.dir() + "/tmp") == 0);

  auto list = store.list();
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  CHECK(list->front().repository == "busybox");
  CHECK(list->front().tag == "latest");
  CHECK(list->front().id == info->id);

  // Loading again changes nothing and unpacks nothing new.
  REQUIRE(store.load_archive(tmp.path() + "/img.tar"));
  CHECK(count_entries(store.dir() + "/layers") == 2);
  CHECK(store.list()->size() == 1);

  // By ID prefix and by manifest digest too.
  CHECK(store.resolve(info->id.substr(7, 12)));
  CHECK(store.resolve("busybox@" + info->manifest_digest));
  auto missing = store.resolve("nothere");
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message(), Catch::Contains("no such image: `nothere`"));
}

TEST_CASE("an OCI archive with gzip and zstd layers loads", "[store]") {
  TempDir tmp = temp_dir();
  std::string a = make_layer(tmp.path() + "/a.tar", {{"a", "1"}}, "gzip");
  std::string b = make_layer(tmp.path() + "/b.tar", {{"b", "2"}}, "zstd");
  std::string c = make_layer(tmp.path() + "/c.tar", {{"c", "3"}});
  oci_archive(tmp.path() + "/oci.tar", {{"ghcr.io/me/app:1", config_for({a, b, c}), {a, b, c}}});

  Store store = open_store(tmp);
  auto names = store.load_archive(tmp.path() + "/oci.tar");
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"ghcr.io/me/app:1"});
  auto info = store.resolve("ghcr.io/me/app:1");
  REQUIRE(info);
  REQUIRE(info->layer_dirs.size() == 3);
  CHECK(read(info->layer_dirs[0] + "/a") == "1");
  CHECK(read(info->layer_dirs[1] + "/b") == "2");
  CHECK(read(info->layer_dirs[2] + "/c") == "3");
  // The original blobs are kept, compressed as they came.
  CHECK(read(store.dir() + "/blobs/sha256/" + file_digest(a).substr(7)) == read(a));
}

TEST_CASE("a transport reference loads and resolves in one step", "[store]") {
  TempDir tmp = temp_dir();
  std::string a = make_layer(tmp.path() + "/a.tar", {{"a", "1"}});
  oci_archive(tmp.path() + "/oci.tar",
              {{"one", config_for({a}), {a}}, {"two", config_for({a}, {{"Cmd", {"x"}}}), {a}}});
  Store store = open_store(tmp);
  auto info = store.resolve("oci-archive:" + tmp.path() + "/oci.tar:two");
  REQUIRE(info);
  CHECK(info->config.cmd == std::vector<std::string>{"x"});
  CHECK(info->name == "docker.io/library/two:latest");
  auto both = store.resolve("oci-archive:" + tmp.path() + "/oci.tar");
  REQUIRE_FALSE(both);
  CHECK_THAT(both.error().message(), Catch::Contains("holds 2 images"));
}

TEST_CASE("a digest mismatch stores nothing", "[store]") {
  TempDir tmp = temp_dir();
  std::string a = make_layer(tmp.path() + "/a.tar", {{"a", "1"}});
  std::string b = make_layer(tmp.path() + "/b.tar", {{"b", "2"}});
  Store store = open_store(tmp);

  SECTION("layer content differs from rootfs.diff_ids") {
    // The config claims b's diff_id for the second layer, but a is there.
    docker_archive(tmp.path() + "/bad.tar", {{{"bad:1"}, config_for({a, b}), {a, a}}});
    auto r = store.load_archive(tmp.path() + "/bad.tar");
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::Contains("layer 2") && Catch::Contains("rootfs.diff_ids[1]"));
    check_empty(store);
  }
  SECTION("an OCI blob does not hash to its digest") {
    oci_archive(tmp.path() + "/oci.tar", {{"x", config_for({a, b}), {a, b}}});
    // Rewrite the archive with b's blob replaced by other bytes.
    TempDir work = temp_dir();
    REQUIRE(extract_archive(tmp.path() + "/oci.tar", work.path()));
    REQUIRE(write_file_atomic(work.path() + "/blobs/sha256/" + file_digest(b).substr(7), "tampered"));
    auto r = store.load_archive(work.path());
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::Contains("the blob's digest is"));
    check_empty(store);
  }
  SECTION("a docker config that does not hash to its name") {
    TempDir work = temp_dir();
    docker_archive(tmp.path() + "/d.tar", {{{"x:1"}, config_for({a}), {a}}});
    REQUIRE(extract_archive(tmp.path() + "/d.tar", work.path()));
    std::string config_name = sha256_bytes(config_for({a})).substr(7) + ".json";
    REQUIRE(write_file_atomic(work.path() + "/" + config_name, config_for({b})));
    auto r = store.load_archive(work.path());
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::Contains("has digest"));
    check_empty(store);
  }
  SECTION("an archive member escaping the archive") {
    REQUIRE(write_tar(tmp.path() + "/evil.tar", {{"../evil", "x", ""}, {"manifest.json", "[]", ""}}));
    auto r = store.load_archive(tmp.path() + "/evil.tar");
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::Contains("outside the archive"));
    check_empty(store);
  }
}

TEST_CASE("a stored layer vouches only for the blob it was checked with", "[store]") {
  TempDir tmp = temp_dir();
  std::string a = make_layer(tmp.path() + "/a.tar", {{"a", "1"}});
  std::string b = make_layer(tmp.path() + "/b.tar", {{"b", "2"}}, "gzip");
  Store store = open_store(tmp);
  docker_archive(tmp.path() + "/good.tar", {{{"good:1"}, config_for({a, b}), {a, b}}});
  REQUIRE(store.load_archive(tmp.path() + "/good.tar"));
  REQUIRE(store.load_archive(tmp.path() + "/good.tar"));  // again: already checked
  CHECK(store.resolve("good:1"));

  // Blob b and layer a are both stored, but never as a pair.
  docker_archive(tmp.path() + "/bad.tar", {{{"bad:1"}, config_for({a, a}), {a, b}}});
  auto r = store.load_archive(tmp.path() + "/bad.tar");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message(), Catch::Contains("layer 2") && Catch::Contains("rootfs.diff_ids[1]"));
  CHECK_FALSE(store.resolve("bad:1"));
}

TEST_CASE("a multi-image archive loads every image, sharing layers", "[store]") {
  TempDir tmp = temp_dir();
  std::string base = make_layer(tmp.path() + "/base.tar", {{"os", "base"}});
  std::string app = make_layer(tmp.path() + "/app.tar", {{"app", "x"}});
  docker_archive(tmp.path() + "/multi.tar", {{{"base:1", "base:latest"}, config_for({base}), {base}},
                                             {{"me/app:2"}, config_for({base, app}), {base, app}}});
  Store store = open_store(tmp);
  auto names = store.load_archive(tmp.path() + "/multi.tar");
  REQUIRE(names);
  CHECK(*names ==
        std::vector<std::string>{"docker.io/library/base:1", "docker.io/library/base:latest", "docker.io/me/app:2"});
  CHECK(count_entries(store.dir() + "/layers") == 2);
  auto app_info = store.resolve("me/app:2");
  REQUIRE(app_info);
  CHECK(app_info->layer_dirs.front() == store.resolve("base:1")->layer_dirs.front());
}

TEST_CASE("tag, rm and prune behave as docker's do", "[store]") {
  TempDir tmp = temp_dir();
  std::string a = make_layer(tmp.path() + "/a.tar", {{"a", "1"}});
  std::string b = make_layer(tmp.path() + "/b.tar", {{"b", "2"}});
  docker_archive(tmp.path() + "/img.tar",
                 {{{"busybox:latest"}, config_for({a}), {a}}, {{"other:1"}, config_for({a, b}), {a, b}}});
  Store store = open_store(tmp);
  REQUIRE(store.load_archive(tmp.path() + "/img.tar"));
  const std::string id = store.resolve("busybox")->id;

  REQUIRE(store.tag("busybox", "mine:1"));
  CHECK(store.resolve("mine:1")->id == id);
  CHECK_FALSE(store.tag("busybox", "Bad Name"));

  // Removing one of two names only untags.
  auto r = store.remove("busybox", false);
  REQUIRE(r);
  CHECK(*r == std::vector<std::string>{"Untagged: busybox:latest"});
  CHECK(store.resolve("mine:1"));

  // An image a container uses is kept unless forced.
  InUse used = [&](const std::string& image_id) { return image_id == id; };
  auto refused = store.remove("mine:1", false, used);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message(), Catch::Contains("is used by a container"));
  auto forced = store.remove("mine:1", true, used);
  REQUIRE(forced);
  CHECK(*forced == std::vector<std::string>{"Untagged: mine:1"});
  REQUIRE(store.list()->size() == 2);  // kept, untagged
  CHECK(store.list()->at(1).repository == "<none>");
  auto pruned = store.prune(used);
  REQUIRE(pruned);
  CHECK(pruned->deleted_images.empty());
  REQUIRE(store.list()->size() == 2);

  // Unused, the untagged image goes on prune; shared layer a stays for other:1.
  pruned = store.prune();
  REQUIRE(pruned);
  CHECK(pruned->deleted_images == std::vector<std::string>{id});
  CHECK(store.list()->size() == 1);
  CHECK(count_entries(store.dir() + "/layers") == 2);
  CHECK(store.resolve("other:1"));

  // The last name goes: the image and its blobs and layers go with it.
  r = store.remove("other:1", false);
  REQUIRE(r);
  CHECK(r->size() == 2);
  CHECK(r->back().starts_with("Deleted: sha256:"));
  check_empty(store);
  CHECK_FALSE(store.remove("other:1", false));
}

TEST_CASE("a retag moves the name and leaves the old image untagged", "[store]") {
  TempDir tmp = temp_dir();
  std::string a = make_layer(tmp.path() + "/a.tar", {{"a", "1"}});
  std::string b = make_layer(tmp.path() + "/b.tar", {{"b", "1"}});
  docker_archive(tmp.path() + "/1.tar", {{{"app:latest"}, config_for({a}), {a}}});
  docker_archive(tmp.path() + "/2.tar", {{{"app:latest"}, config_for({b}), {b}}});
  Store store = open_store(tmp);
  REQUIRE(store.load_archive(tmp.path() + "/1.tar"));
  REQUIRE(store.load_archive(tmp.path() + "/2.tar"));
  auto list = store.list();
  REQUIRE(list->size() == 2);
  CHECK(list->at(0).tag == "<none>");
  CHECK(read(store.resolve("app")->layer_dirs[0] + "/b") == "1");
  auto pruned = store.prune();
  REQUIRE(pruned);
  CHECK(pruned->deleted_images.size() == 1);
  CHECK(count_entries(store.dir() + "/layers") == 1);
}

TEST_CASE("import makes a one-layer image from a directory or a tar", "[store]") {
  TempDir tmp = temp_dir();
  std::filesystem::create_directories(tmp.path() + "/rootfs/etc");
  REQUIRE(write_file_atomic(tmp.path() + "/rootfs/etc/motd", "hi"));
  Store store = open_store(tmp);
  auto id = store.import_rootfs(tmp.path() + "/rootfs", "local/base:1",
                                {"CMD [\"sh\"]", "ENV A=b", "WORKDIR /x", "ENTRYPOINT [\"/init\"]"});
  REQUIRE(id);
  auto info = store.resolve("local/base:1");
  REQUIRE(info);
  CHECK(info->id == *id);
  REQUIRE(info->layer_dirs.size() == 1);
  CHECK(read(info->layer_dirs[0] + "/etc/motd") == "hi");
  CHECK(info->config.cmd == std::vector<std::string>{"sh"});
  CHECK(info->config.env == std::vector<std::string>{"A=b"});
  CHECK(info->config.working_dir == "/x");
  CHECK(info->config.entrypoint == std::vector<std::string>{"/init"});
  CHECK(info->config.os == "linux");

  std::string tar = make_layer(tmp.path() + "/r.tar", {{"x", "y"}}, "gzip");
  REQUIRE(store.import_rootfs(tar, "fromtar"));
  CHECK(read(store.resolve("fromtar")->layer_dirs[0] + "/x") == "y");

  auto bad = store.import_rootfs(tar, "x", {"RUN make"});
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("`run` is not a supported change"));
}

TEST_CASE("save writes an OCI archive that loads back", "[store]") {
  TempDir tmp = temp_dir();
  std::string a = make_layer(tmp.path() + "/a.tar", {{"a", "1"}}, "gzip");
  docker_archive(tmp.path() + "/img.tar", {{{"busybox:latest"}, config_for({a}), {a}}});
  Store store = open_store(tmp);
  REQUIRE(store.load_archive(tmp.path() + "/img.tar"));
  REQUIRE(store.save({"busybox"}, tmp.path() + "/out.tar"));

  auto second = Store::open(tmp.path() + "/root2");
  REQUIRE(second);
  auto names = second->load_archive(tmp.path() + "/out.tar");
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"docker.io/library/busybox:latest"});
  CHECK(second->resolve("busybox")->manifest_digest == store.resolve("busybox")->manifest_digest);
  CHECK_FALSE(store.save({"nothere"}, tmp.path() + "/x.tar"));
}

TEST_CASE("concurrent loads of the same layers both succeed", "[store]") {
  TempDir tmp = temp_dir();
  std::string a = make_layer(tmp.path() + "/a.tar", {{"a", "1"}}, "gzip");
  docker_archive(tmp.path() + "/1.tar", {{{"one"}, config_for({a}), {a}}});
  docker_archive(tmp.path() + "/2.tar", {{{"two"}, config_for({a}, {{"Cmd", {"x"}}}), {a}}});
  Store first = open_store(tmp);
  Store second = open_store(tmp);
  for (int round = 0; round < 5; ++round) {
    Result<std::vector<std::string>> r1 = fail("not run"), r2 = fail("not run");
    std::thread t1([&] { r1 = first.load_archive(tmp.path() + "/1.tar"); });
    std::thread t2([&] { r2 = second.load_archive(tmp.path() + "/2.tar"); });
    t1.join();
    t2.join();
    REQUIRE(r1);
    REQUIRE(r2);
    CHECK(first.list()->size() == 2);
    CHECK(count_entries(first.dir() + "/layers") == 1);
    CHECK(count_entries(first.dir() + "/tmp") == 0);
    REQUIRE(first.prune());
    REQUIRE(first.remove("one", false));
    REQUIRE(first.remove("two", false));
    check_empty(first);
  }
}

TEST_CASE("what a crashed load leaves is invisible, and prune removes it", "[store]") {
  TempDir tmp = temp_dir();
  std::string a = make_layer(tmp.path() + "/a.tar", {{"a", "1"}});
  docker_archive(tmp.path() + "/1.tar", {{{"one"}, config_for({a}), {a}}});
  Store store = open_store(tmp);
  REQUIRE(store.load_archive(tmp.path() + "/1.tar"));
  // A load that died after staging and after renaming a blob, before index.json.
  std::filesystem::create_directories(store.dir() + "/tmp/load-dead/image-0/layer-x");
  REQUIRE(write_file_atomic(store.dir() + "/blobs/sha256/" + std::string(64, 'e'), "orphan"));
  CHECK(store.list()->size() == 1);
  auto report = store.prune();
  REQUIRE(report);
  CHECK(report->deleted_blobs == 1);
  // The staging directory is counted, so `image prune` can say what it freed.
  CHECK(report->deleted_staging == 1);
  CHECK(report->reclaimed_bytes >= 6);
  CHECK(count_entries(store.dir() + "/tmp") == 0);
  CHECK(store.resolve("one"));
}
