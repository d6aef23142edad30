#include "cli/image_cmd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "base/file.hpp"
#include "base/temp_dir.hpp"
#include "base/unique_fd.hpp"
#include "cli/help.hpp"
#include "cli/output.hpp"
#include "images/reference.hpp"
#include "images/store.hpp"
#include "runtime/container_store.hpp"

namespace brick::cli {
namespace {

using images::Store;

struct ImageOptions {
  std::string input;
  std::string output;
  std::string format;
  std::vector<std::string> names;
  std::vector<std::string> changes;
  bool force = false;
  bool quiet = false;
};

// The familiar form docker prints: busybox:latest, ghcr.io/a/b:1.
std::string familiar(const std::string& name) {
  auto ref = images::parse_reference(name);
  if (!ref) return name;
  std::string out = ref->familiar_repository();
  if (!ref->tag.empty()) out += ":" + ref->tag;
  if (!ref->digest.empty()) out += "@" + ref->digest;
  return out;
}

// docker's units.HumanDuration, for "CREATED".
std::string human_since(const std::string& rfc3339) {
  std::tm tm{};
  if (rfc3339.size() < 19 || !::strptime(rfc3339.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return "N/A";
  double seconds = std::difftime(std::time(nullptr), ::timegm(&tm));
  auto n = [](double v) { return std::to_string(static_cast<long long>(v)); };
  double minutes = seconds / 60, hours = minutes / 60;
  std::string d;
  if (seconds < 1)
    d = "Less than a second";
  else if (seconds < 2)
    d = "1 second";
  else if (seconds < 60)
    d = n(seconds) + " seconds";
  else if (minutes < 2)
    d = "About a minute";
  else if (minutes < 60)
    d = n(minutes) + " minutes";
  else if (hours < 1.5)
    d = "About an hour";
  else if (hours < 48)
    d = n(hours + 0.5) + " hours";
  else if (hours < 24 * 7 * 2)
    d = n(hours / 24) + " days";
  else if (hours < 24 * 30 * 2)
    d = n(hours / 24 / 7) + " weeks";
  else if (hours < 24 * 365 * 2)
    d = n(hours / 24 / 30) + " months";
  else
    d = n(hours / 24 / 365) + " years";
  return d + " ago";
}

Status copy_fd(int from, int to) {
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0) return fail_errno("reading");
    if (n == 0) return {};
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
      if (w < 0) return fail_errno("writing");
      off += w;
    }
  }
}

Status run_load(const ImageOptions& o, Store& store) {
  std::string path = o.input;
  std::unique_ptr<TempDir> scratch;
  if (path.empty() || path == "-") {
    if (::isatty(STDIN_FILENO)) return fail("requested load from stdin, but stdin is a terminal; use -i FILE");
    scratch = std::make_unique<TempDir>(BRICK_TRY(TempDir::create("brick-load")));
    path = scratch->path() + "/stdin.tar";
    UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!out) return fail_errno("creating `" + path + "`");
    BRICK_TRY_CTX(copy_fd(STDIN_FILENO, out.get()), "reading the archive from stdin");
  }
  auto names = BRICK_TRY(store.load_archive(path));
  for (const auto& n : names)
    std::cout << (n.starts_with("sha256:") ? "Loaded image ID: " + n : "Loaded image: " + familiar(n)) << "\n";
  return {};
}

Status run_save(const ImageOptions& o, const Store& store) {
  if (!o.output.empty() && o.output != "-") return store.save(o.names, o.output);
  if (::isatty(STDOUT_FILENO)) return fail("refusing to write an archive to a terminal; use -o FILE or redirect");
  TempDir scratch = BRICK_TRY(TempDir::create("brick-save"));
  std::string path = scratch.path() + "/out.tar";
  BRICK_TRY(store.save(o.names, path));
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) return fail_errno("opening `" + path + "`");
  std::cout.flush();
  BRICK_TRY_CTX(copy_fd(in.get(), STDOUT_FILENO), "writing the archive to stdout");
  return {};
}

Status run_ls(const ImageOptions& o, const Store& store) {
  auto images = BRICK_TRY(store.list());
  std::sort(images.begin(), images.end(), [](const auto& a, const auto& b) { return a.created > b.created; });
  if (o.quiet) {
    std::vector<std::string> seen;
    for (const auto& i : images) {
      std::string id = i.id.substr(7, 12);
      if (std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
      seen.push_back(id);
      std::cout << id << "\n";
    }
    return {};
  }
  if (o.format == "json") {
    for (const auto& i : images) {
      nlohmann::json j = {{"Repository", i.repository}, {"Tag", i.tag},
                          {"ID", i.id.substr(7, 12)},   {"Digest", i.manifest_digest},
                          {"CreatedAt", i.created},     {"CreatedSince", human_since(i.created)},
                          {"Size", human_size(i.size)}};
      std::cout << j.dump() << "\n";
    }
    return {};
  }
  if (!o.format.empty() && o.format != "table") return fail("unknown --format `" + o.format + "` (table or json)");
  std::vector<std::vector<std::string>> rows = {{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}};
  for (const auto& i : images)
    rows.push_back({i.repository, i.tag, i.id.substr(7, 12), human_since(i.created), human_size(i.size)});
  std::cout << table(rows);
  return {};
}

Status run_inspect(const ImageOptions& o, const Store& store) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& name : o.names) {
    std::string text = BRICK_TRY(store.inspect(name));
    out.push_back(nlohmann::json::parse(text, nullptr, false));
  }
  std::cout << out.dump(4) << "\n";
  return {};
}

Status run_rm(const ImageOptions& o, Store& store, const images::InUse& in_use) {
  Status status;
  for (const auto& name : o.names) {
    auto lines = store.remove(name, o.force, in_use);
    if (!lines) {
      if (!status) std::cerr << "brick: " << status.error().full() << "\n";
      status = fail(lines.error());
      continue;
    }
    for (const auto& l : *lines) std::cout << l << "\n";
  }
  return status;
}

Status run_prune(Store& store, const images::InUse& in_use) {
  auto report = BRICK_TRY(store.prune(in_use));
  if (!report.deleted_images.empty()) {
    std::cout << "Deleted Images:\n";
    for (const auto& id : report.deleted_images) std::cout << "deleted: " << id << "\n";
    std::cout << "\n";
  }
  if (report.deleted_staging > 0)
    std::cout << "Deleted " << report.deleted_staging << " staging director"
              << (report.deleted_staging == 1 ? "y" : "ies") << " of interrupted loads\n";
  std::cout << "Total reclaimed space: " << human_size(static_cast<double>(report.reclaimed_bytes)) << "\n";
  return {};
}

}  // namespace

CLI::App* add_image_command(CLI::App& app, Context& ctx) {
  CLI::App* cmd = app.add_subcommand("image", "Manage images");
  auto o = std::make_shared<ImageOptions>();
  // Each subcommand leaves an action that opens the store under --root.
  auto on = [o, &ctx](CLI::App* sub, std::function<Status(const ImageOptions&, Store&)> fn) {
    sub->callback([o, &ctx, fn] {
      ctx.action = [o, &ctx, fn]() -> Status {
        Store store = BRICK_TRY(Store::open(ctx.global.root));
        return fn(*o, store);
      };
    });
  };

  auto* load = cmd->add_subcommand("load", "Load images from a tar archive (docker save or OCI) or STDIN");
  load->add_option("-i,--input", o->input, "Read from tar archive file, instead of STDIN")->type_name("string");
  load->add_flag("-q,--quiet", o->quiet, "Suppress the load output");
  on(load, [](const ImageOptions& opt, Store& s) { return run_load(opt, s); });

  auto* import = cmd->add_subcommand("import", "Import the contents from a tarball or directory to create an image");
  import->add_option("source", o->input, "Tarball or directory")->required();
  import->add_option("name", o->output, "REPOSITORY[:TAG]")->required();
  import->add_option("-c,--change", o->changes, "Apply Dockerfile instruction to the created image")->type_name("list");
  on(import, [](const ImageOptions& opt, Store& s) -> Status {
    std::cout << BRICK_TRY(s.import_rootfs(opt.input, opt.output, opt.changes)) << "\n";
    return {};
  });

  auto* save =
      cmd->add_subcommand("save", "Save one or more images to an OCI tar archive (streamed to STDOUT by default)");
  save->add_option("-o,--output", o->output, "Write to a file, instead of STDOUT")->type_name("string");
  save->add_option("names", o->names, "IMAGE...")->required();
  on(save, [](const ImageOptions& opt, Store& s) { return run_save(opt, s); });

  auto* ls = cmd->add_subcommand("ls", "List images");
  ls->alias("list");
  ls->add_option("--format", o->format, "Format output using \"table\" or \"json\"")->type_name("string");
  ls->add_flag("-q,--quiet", o->quiet, "Only show image IDs");
  on(ls, [](const ImageOptions& opt, Store& s) { return run_ls(opt, s); });

  auto* inspect = cmd->add_subcommand("inspect", "Display detailed information on one or more images");
  inspect->add_option("names", o->names, "IMAGE...")->required();
  on(inspect, [](const ImageOptions& opt, Store& s) { return run_inspect(opt, s); });

  auto* tag = cmd->add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
  tag->add_option("source", o->input, "SOURCE_IMAGE[:TAG]")->required();
  tag->add_option("target", o->output, "TARGET_IMAGE[:TAG]")->required();
  on(tag, [](const ImageOptions& opt, Store& s) { return s.tag(opt.input, opt.output); });

  auto* rm = cmd->add_subcommand("rm", "Remove one or more images");
  rm->alias("remove");
  rm->add_flag("-f,--force", o->force, "Force removal of the image");
  rm->add_option("names", o->names, "IMAGE...")->required();
  on(rm, [&ctx](const ImageOptions& opt, Store& s) -> Status {
    images::InUse in_use = BRICK_TRY(images_of_containers(ctx));
    return run_rm(opt, s, in_use);
  });

  auto* prune = cmd->add_subcommand("prune", "Remove untagged images and unused blobs and layers");
  prune->add_flag("-f,--force", o->force, "Do not prompt for confirmation (brick never prompts)");
  on(prune, [&ctx](const ImageOptions&, Store& s) -> Status {
    images::InUse in_use = BRICK_TRY(images_of_containers(ctx));
    return run_prune(s, in_use);
  });

  show_help_without_subcommand(cmd, ctx);
  return cmd;
}

Result<images::InUse> images_of_containers(const Context& ctx) {
  // Reading the images must not create the container store.
  if (::access((ctx.global.root + "/containers").c_str(), F_OK) != 0) return images::InUse();
  auto containers = BRICK_TRY(runtime::ContainerStore::open(ctx.global.root, ctx.global.run_root));
  std::set<std::string> ids;
  for (const auto& c : BRICK_TRY(containers.list())) ids.insert(c.image_id);
  return images::InUse([ids = std::move(ids)](const std::string& image_id) { return ids.contains(image_id); });
}

}  // namespace brick::cli
