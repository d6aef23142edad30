#include "images/image_config.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/strings.hpp"

namespace brick::images {
namespace {

using nlohmann::json;

Result<std::vector<std::string>> string_list(const json& obj, const char* key, const std::string& where) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) return fail(where + key + ": must be a list of strings");
  for (const auto& item : *it) {
    if (!item.is_string()) return fail(where + key + ": must be a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::string> string_field(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return fail(where + key + ": must be a string");
  return it->get<std::string>();
}

// ExposedPorts and Volumes are objects whose keys matter and values are {}.
Result<std::vector<std::string>> key_set(const json& obj, const char* key, const std::string& where) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_object()) return fail(where + key + ": must be an object");
  for (const auto& [k, v] : it->items()) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

Result<int64_t> int_field(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return 0;
  if (!it->is_number_integer()) return fail(where + key + ": must be an integer");
  return it->get<int64_t>();
}

Result<ImageConfig> parse(const json& doc) {
  if (!doc.is_object()) return fail("image config is not a JSON object");
  ImageConfig out;
  out.architecture = BRICK_TRY(string_field(doc, "architecture", ""));
  out.os = BRICK_TRY(string_field(doc, "os", ""));
  out.created = BRICK_TRY(string_field(doc, "created", ""));
  if (auto c = doc.find("config"); c != doc.end() && !c->is_null()) {
    if (!c->is_object()) return fail("config: must be an object");
    const std::string w = "config.";
    out.env = BRICK_TRY(string_list(*c, "Env", w));
    out.cmd = BRICK_TRY(string_list(*c, "Cmd", w));
    out.entrypoint = BRICK_TRY(string_list(*c, "Entrypoint", w));
    out.working_dir = BRICK_TRY(string_field(*c, "WorkingDir", w));
    out.user = BRICK_TRY(string_field(*c, "User", w));
    out.exposed_ports = BRICK_TRY(key_set(*c, "ExposedPorts", w));
    out.volumes = BRICK_TRY(key_set(*c, "Volumes", w));
    out.stop_signal = BRICK_TRY(string_field(*c, "StopSignal", w));
    if (auto l = c->find("Labels"); l != c->end() && !l->is_null()) {
      if (!l->is_object()) return fail("config.Labels: must be an object");
      for (const auto& [k, v] : l->items()) {
        if (!v.is_string()) return fail("config.Labels." + k + ": must be a string");
        out.labels[k] = v.get<std::string>();
      }
    }
    if (auto h = c->find("Healthcheck"); h != c->end() && !h->is_null()) {
      if (!h->is_object()) return fail("config.Healthcheck: must be an object");
      const std::string hw = "config.Healthcheck.";
      Healthcheck hc;
      hc.test = BRICK_TRY(string_list(*h, "Test", hw));
      hc.interval_ns = BRICK_TRY(int_field(*h, "Interval", hw));
      hc.timeout_ns = BRICK_TRY(int_field(*h, "Timeout", hw));
      hc.start_period_ns = BRICK_TRY(int_field(*h, "StartPeriod", hw));
      hc.start_interval_ns = BRICK_TRY(int_field(*h, "StartInterval", hw));
      hc.retries = static_cast<int>(BRICK_TRY(int_field(*h, "Retries", hw)));
      out.healthcheck = std::move(hc);
    }
  }
  auto rootfs = doc.find("rootfs");
  if (rootfs == doc.end() || !rootfs->is_object()) return fail("rootfs: missing");
  std::string type = BRICK_TRY(string_field(*rootfs, "type", "rootfs."));
  if (type != "layers") return fail("rootfs.type: `" + type + "` is not `layers`");
  out.diff_ids = BRICK_TRY(string_list(*rootfs, "diff_ids", "rootfs."));
  return out;
}

// The exec form if `args` is a JSON array of strings, else the shell form.
std::vector<std::string> command_form(std::string_view args) {
  json parsed = json::parse(args, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_array() && std::all_of(parsed.begin(), parsed.end(), [](const json& j) { return j.is_string(); }))
    return parsed.get<std::vector<std::string>>();
  return {"/bin/sh", "-c", std::string(args)};
}

std::string unquote(std::string_view s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front())
    return std::string(s.substr(1, s.size() - 2));
  return std::string(s);
}

// `K=V K2="v 2"` split on spaces outside quotes.
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  char quote = 0;
  for (char c : s) {
    if (quote) {
      if (c == quote) quote = 0;
      cur += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      cur += c;
    } else if (c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> key_values(std::string_view args, bool legacy_space_form) {
  std::vector<std::pair<std::string, std::string>> out;
  auto ws = words(args);
  if (legacy_space_form && !ws.empty() && ws[0].find('=') == std::string::npos) {
    std::string_view rest = trim(args.substr(args.find(ws[0]) + ws[0].size()));
    out.emplace_back(ws[0], std::string(rest));
    return out;
  }
  for (const auto& w : ws) {
    size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0) return fail("`" + w + "` is not KEY=VALUE");
    out.emplace_back(w.substr(0, eq), unquote(std::string_view(w).substr(eq + 1)));
  }
  return out;
}

Status apply_one(json& cfg, std::string_view change) {
  change = trim(change);
  size_t space = change.find_first_of(" \t");
  std::string op = to_lower(change.substr(0, space));
  std::string_view args = space == std::string_view::npos ? std::string_view() : trim(change.substr(space));
  if (args.empty()) return fail("`" + op + "` needs an argument");
  if (op == "cmd") {
    cfg["Cmd"] = command_form(args);
  } else if (op == "entrypoint") {
    cfg["Entrypoint"] = command_form(args);
  } else if (op == "workdir") {
    cfg["WorkingDir"] = unquote(args);
  } else if (op == "user") {
    cfg["User"] = unquote(args);
  } else if (op == "stopsignal") {
    cfg["StopSignal"] = unquote(args);
  } else if (op == "env") {
    auto pairs = BRICK_TRY(key_values(args, true));
    json env = cfg.value("Env", json::array());
    if (!env.is_array()) env = json::array();
    for (const auto& [k, v] : pairs) {
      auto same = [&](const json& e) { return e.is_string() && e.get<std::string>().starts_with(k + "="); };
      env.erase(std::remove_if(env.begin(), env.end(), same), env.end());
      env.push_back(k + "=" + v);
    }
    cfg["Env"] = env;
  } else if (op == "label") {
    auto pairs = BRICK_TRY(key_values(args, true));
    for (const auto& [k, v] : pairs) cfg["Labels"][unquote(k)] = v;
  } else if (op == "expose") {
    for (auto port : words(args)) {
      if (port.find('/') == std::string::npos) port += "/tcp";
      cfg["ExposedPorts"][port] = json::object();
    }
  } else if (op == "volume") {
    json parsed = json::parse(args, nullptr, false);
    std::vector<std::string> vols;
    if (parsed.is_array()) {
      for (const auto& v : parsed)
        if (v.is_string()) vols.push_back(v.get<std::string>());
    } else {
      vols = words(args);
    }
    for (const auto& v : vols) cfg["Volumes"][unquote(v)] = json::object();
  } else {
    return fail("`" + op + "` is not a supported change (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, " +
                "VOLUME, WORKDIR)");
  }
  return {};
}

}  // namespace

Result<ImageConfig> parse_image_config(std::string_view json_text) {
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail("image config is not valid JSON");
  try {
    return parse(doc);
  } catch (const json::exception& e) {  // get<> on a value checked above; belt and braces
    return fail(std::string("image config: ") + e.what());
  }
}

Result<std::string> apply_changes(std::string_view config_json, const std::vector<std::string>& changes) {
  json doc = json::parse(config_json, nullptr, false);
  if (!doc.is_object()) return fail("image config is not a JSON object");
  try {
    json& cfg = doc["config"];
    if (!cfg.is_object()) cfg = json::object();
    for (const auto& change : changes) BRICK_TRY_CTX(apply_one(cfg, change), "applying change `" + change + "`");
    return doc.dump();
  } catch (const json::exception& e) {
    return fail(std::string("applying changes: ") + e.what());
  }
}

}  // namespace brick::images
