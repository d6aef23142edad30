#include "compose/interpolate.hpp"

#include <catch2/catch.hpp>
#include <map>

#include "compose/node.hpp"

using namespace brick::compose;

namespace {

// SET=value, EMPTY="", UNSET absent.
const std::map<std::string, std::string, std::less<>> kVars = {
    {"SET", "value"}, {"EMPTY", ""}, {"FOO", "first"}, {"lower_case", "lc"}, {"A1", "a-one"}};

std::optional<std::string> lookup_vars(std::string_view name) {
  if (auto it = kVars.find(name); it != kVars.end()) return it->second;
  return std::nullopt;
}

const Lookup kLookup = lookup_vars;

std::string ok(std::string_view text, std::vector<std::string>* unset = nullptr) {
  auto r = interpolate_string(text, kLookup, unset);
  INFO(text);
  REQUIRE(r.has_value());
  return *r;
}

std::string err(std::string_view text) {
  auto r = interpolate_string(text, kLookup);
  INFO(text);
  REQUIRE_FALSE(r.has_value());
  return r.error().message();
}

}  // namespace

TEST_CASE("interpolate_string expands every operator for set, empty and unset variables", "[interpolate]") {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"plain text", "plain text"},
      {"", ""},
      {"$SET", "value"},
      {"${SET}", "value"},
      {"$EMPTY", ""},
      {"${UNSET}", ""},
      {"a${SET}b$SET.c", "avaluebvalue.c"},
      {"$lower_case", "lc"},
      {"$A1", "a-one"},
      {"$FOO-bar", "first-bar"},  // docker/compose#8601: `-` ends an unbraced name
      // :- unset or empty
      {"${SET:-d}", "value"},
      {"${EMPTY:-d}", "d"},
      {"${UNSET:-d}", "d"},
      // - unset only
      {"${SET-d}", "value"},
      {"${EMPTY-d}", ""},
      {"${UNSET-d}", "d"},
      // :+ set and non-empty
      {"${SET:+r}", "r"},
      {"${EMPTY:+r}", ""},
      {"${UNSET:+r}", ""},
      // + set
      {"${SET+r}", "r"},
      {"${EMPTY+r}", "r"},
      {"${UNSET+r}", ""},
      // ? and :? pass through when satisfied
      {"${SET:?e}", "value"},
      {"${SET?e}", "value"},
      {"${EMPTY?e}", ""},
      // empty arguments
      {"${UNSET:-}", ""},
      {"${UNSET-}", ""},
      {"${SET:+}", ""},
      // defaults may hold any text, including operators and colons
      {"${EMPTY:-/non:-alphanumeric}", "/non:-alphanumeric"},
      {"${UNSET-myerror?msg}", "myerror?msg"},
      {"${UNSET?bar-baz}x", nullptr},  // error, checked below
      {"${UNSET:-a b {c}", "a b {c"},
      {"${UNSET:-{x}}", "{x}"},  // a bare `{` does not nest; the first `}` closes
      // nesting
      {"${UNSET:-${FOO}}", "first"},
      {"${UNSET:-$FOO}", "first"},
      {"${UNSET-${FOO} ${FOO}}", "first first"},
      {"${UNSET:-${ALSO_UNSET:-x}}", "x"},
      {"${UNSET:-${EMPTY:-${SET}}}!", "value!"},
      {"${SET:+<${FOO}>}", "<first>"},
      {"${SET:-${UNSET:?never evaluated}}", "value"},
      // $$
      {"$$", "$"},
      {"$$SET", "$SET"},
      {"$${SET}", "${SET}"},
      {"$$$SET", "$value"},
      {"cost: $$5", "cost: $5"},
      {"${UNSET:-$$}", "$"},
      {"${UNSET:-a$$b}", "a$b"},
  };
  for (const auto& c : cases) {
    if (c.want == nullptr) continue;
    CHECK(ok(c.text) == c.want);
  }
}

TEST_CASE("interpolate_string reports unset variables that became blank", "[interpolate]") {
  std::vector<std::string> unset;
  CHECK(ok("$A ${B} ${C:-x} ${D-y} ${E:+z} ${F+w} $SET ${EMPTY} ${UNSET:-${G}}", &unset) == "  x y   value  ");
  CHECK(unset == std::vector<std::string>{"A", "B", "G"});

  // A branch that is not taken is never looked up, so it cannot warn.
  unset.clear();
  CHECK(ok("${SET:-${NOPE}}", &unset) == "value");
  CHECK(unset.empty());
}

TEST_CASE("interpolate_string fails on required variables with their message", "[interpolate]") {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"not ok ${UNSET:?Mandatory Variable Unset}",
       "required variable `UNSET` is missing a value: Mandatory Variable Unset"},
      {"${EMPTY:?must not be empty}", "required variable `EMPTY` is missing a value: must not be empty"},
      {"${UNSET:?}", "required variable `UNSET` is missing a value"},
      {"${UNSET?unset}", "required variable `UNSET` is missing a value: unset"},
      {"${UNSET?}", "required variable `UNSET` is missing a value"},
      {"${UNSET?bar-baz}", "required variable `UNSET` is missing a value: bar-baz"},
      {"${UNSET:?val?ue}", "required variable `UNSET` is missing a value: val?ue"},
      {"${UNSET:?Mandatory ${FOO}}", "required variable `UNSET` is missing a value: Mandatory first"},
      {"${UNSET:-${INNER:?inner}}", "required variable `INNER` is missing a value: inner"},
  };
  for (const auto& c : cases) CHECK(err(c.text) == c.want);
}

TEST_CASE("interpolate_string rejects malformed syntax", "[interpolate]") {
  const char* malformed[] = {
      "${",          "${SET", "${SET:-abc", "${SET:",  "${UNSET:-${FOO}", "${}",    "${ }",
      "${ foo}",     "${1A}", "${foo }",    "${foo!}", "${A:}",           "${A:x}", "${A.B}",
      "${SET:-${}}",  // malformed text in an unused branch is still malformed
  };
  for (const char* text : malformed) CHECK(err(text) == "invalid interpolation format in `" + std::string(text) + "`");
}

TEST_CASE("interpolate_string keeps a `$` that starts no variable, as compose-go does", "[interpolate]") {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"$}", "$}"},
      {"cost $5", "cost $5"},
      {"a $ b", "a $ b"},
      {"awk '{print $0}'", "awk '{print $0}'"},
      {"ends with $", "ends with $"},
      {"$", "$"},
      {"echo $(date) $'a\tb'", "echo $(date) $'a\tb'"},
      {"^/(.*)$ /$1", "^/(.*)$ /$1"},
      {"${UNSET:-$}", "$"},
      {"${UNSET:-a $1}", "a $1"},
      {"$$(x) $SET$", "$(x) value$"},
  };
  for (const auto& c : cases) CHECK(ok(c.text) == c.want);
  // Only `${` that is malformed stays an error.
  CHECK(err("$( ${") == "invalid interpolation format in `$( ${`");
}

TEST_CASE("interpolate_string bounds nesting and stays fast on hostile input", "[interpolate]") {
  std::string ok_nested;
  for (int i = 0; i < 64; ++i) ok_nested += "${UNSET:-";
  ok_nested += "x" + std::string(64, '}');
  CHECK(ok(ok_nested) == "x");

  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "${A:-";
  std::string message = err(deep);
  CHECK_THAT(message, Catch::StartsWith("invalid interpolation format in `${A:-${A:-") &&
                          Catch::EndsWith("...`: `${...}` nested more than 64 levels deep"));
  // The quoted value is cut short instead of echoing 500 KB.
  CHECK(message.size() < 400);

  // Long flat inputs are one linear pass.
  std::string flat;
  for (int i = 0; i < 200000; ++i) flat += "$SET$$";
  CHECK(ok(flat).size() == 200000 * 6);
}

TEST_CASE("interpolate_node rewrites scalar values, never keys, with diagnostics", "[interpolate]") {
  auto file = std::make_shared<const std::string>("compose.yaml");
  auto doc = parse_yaml(R"(services:
  web:
    image: "${FOO}:${TAG:-latest}"
    $SET: key-is-left-alone
    environment:
      OK: $SET
      BAD: ${A:?set A first}
      MISSING: $NOT_SET
    ports:
      - "${NOT_SET}8080"
      - ${broken
    command: ["$NOT_SET", "$$HOME"]
)",
                        "compose.yaml");
  REQUIRE(doc.has_value());
  Node root = *doc;
  Diagnostics diags;
  interpolate_node(root, kLookup, diags);

  const Node* web = root.find("services")->find("web");
  CHECK(web->find("image")->scalar == "first:latest");
  CHECK(web->find("$SET") != nullptr);
  CHECK(web->find("$SET")->scalar == "key-is-left-alone");
  CHECK(web->find("environment")->find("OK")->scalar == "value");
  CHECK(web->find("environment")->find("BAD")->scalar == "${A:?set A first}");  // left as it was
  CHECK(web->find("environment")->find("MISSING")->scalar == "");
  CHECK(web->find("ports")->items[0].scalar == "8080");
  CHECK(web->find("command")->items[1].scalar == "$HOME");

  REQUIRE(diags.errors().size() == 2);
  CHECK(diags.errors()[0].str() ==
        "compose.yaml:7:12: services.web.environment.BAD: required variable `A` is missing a value: set A first");
  CHECK(diags.errors()[1].str() ==
        "compose.yaml:11:9: services.web.ports[1]: invalid interpolation format in `${broken`");
  // One warning per variable, at its first use.
  REQUIRE(diags.warnings().size() == 1);
  CHECK(diags.warnings()[0].str() ==
        "compose.yaml:8:16: services.web.environment.MISSING: The \"NOT_SET\" variable is not set. Defaulting to a "
        "blank string.");
}

TEST_CASE("interpolate_node prefixes the given path and keeps plain scalars plain", "[interpolate]") {
  Node n = Node::mapping();
  n.set("port", Node::make_scalar("${PORT:-80}"));
  Node list = Node::sequence();
  list.items.push_back(Node::make_scalar("$UNSET_X"));
  n.set("list", std::move(list));
  Diagnostics diags;
  interpolate_node(n, kLookup, diags, "services.web");
  CHECK(n.find("port")->scalar == "80");
  CHECK_FALSE(n.find("port")->quoted);
  REQUIRE(diags.warnings().size() == 1);
  CHECK(diags.warnings()[0].path == "services.web.list[0]");
  CHECK_FALSE(diags.has_errors());
}
