#include "compose/dotenv.hpp"

#include <catch2/catch.hpp>

#include "base/file.hpp"
#include "base/temp_dir.hpp"

using namespace brick::compose;

namespace {

const StringMap kEnv = {{"HOME", "/home/me"}, {"FROM_ENV", "env"}, {"EMPTY", ""}, {"A", "env-a"}};

std::vector<DotenvEntry> parse_ok(std::string_view text, const StringMap& env = kEnv) {
  auto r = parse_dotenv(text, ".env", env);
  INFO(text);
  if (!r) FAIL(r.error().message());
  return *r;
}

// The value of the last entry named `key`; "<none>" for a bare unset key.
std::string value_of(std::string_view text, const std::string& key) {
  auto entries = parse_ok(text);
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->key == key) return it->value.value_or("<none>");
  }
  FAIL("no entry " << key << " in " << text);
  return "";
}

std::string parse_err(std::string_view text) {
  auto r = parse_dotenv(text, "dir/.env", kEnv);
  INFO(text);
  REQUIRE_FALSE(r.has_value());
  return r.error().message();
}

}  // namespace

TEST_CASE("parse_dotenv reads values as docker compose does", "[dotenv]") {
  struct Case {
    const char* text;
    const char* want;  // value of FOO
  };
  const Case cases[] = {
      {"FOO=bar", "bar"},
      {"FOO =bar", "bar"},
      {"FOO= bar", "bar"},
      {"  FOO = bar  ", "bar"},
      {"\tFOO=bar\t", "bar"},
      {"FOO=bar\r\n", "bar"},
      {"FOO=", ""},
      {"FOO=   ", ""},
      {"FOO=foobar=", "foobar="},
      {"FOO=1:B", "1:B"},
      {"FOO: 1", "1"},
      {"FOO: Foo=bar", "Foo=bar"},
      {"export FOO=2", "2"},
      {"export\tFOO=2", "2"},
      {"  export FOO=2", "2"},
      // inline comments only after whitespace on unquoted values
      {"FOO=bar # this is foo", "bar"},
      {"FOO=bar\t# tab too", "bar"},
      {"FOO=bar#baz", "bar#baz"},
      {"FOO=a b  c", "a b  c"},
      // single quotes: literal
      {"FOO='bar'", "bar"},
      {"FOO='ba#r' # comment", "ba#r"},
      {"FOO='$HOME ${X:?x} \\n'", "$HOME ${X:?x} \\n"},
      {"FOO='it\\'s'", "it's"},
      {"FOO=''", ""},
      // double quotes: escapes and interpolation
      {"FOO=\"bar\"", "bar"},
      {"FOO=\"\"", ""},
      {"FOO=\"bar#baz\" # comment", "bar#baz"},
      {"FOO=\"bar\"# comment", "bar"},
      {"FOO=\"escaped\\\"bar\"", "escaped\"bar"},
      {"FOO=\"'d'\"", "'d'"},
      {"FOO=\"bar\\nbaz\"", "bar\nbaz"},
      {"FOO=\"a\\tb\\rc\"", "a\tb\rc"},
      {"FOO=\"back\\\\slash\"", "back\\slash"},
      {"FOO=\"ends in backslash\\\\\"", "ends in backslash\\"},
      {"FOO=\"bar\\\\nbaz\"", "bar\\nbaz"},
      {"FOO=\"keep \\x and \\ \"", "keep \\x and \\ "},
      {"FOO=\"octal \\0101\"", "octal A"},
      {"FOO=\"not octal \\012\"", "not octal \\012"},
      {"FOO=\"$HOME/x\"", "/home/me/x"},
      {"FOO=\"foo\\$HOME\"", "foo$HOME"},
      {"FOO=\"foo\\${HOME}\"", "foo${HOME}"},
      {"FOO=\"$$HOME\"", "$HOME"},
      {"FOO=\"first line\nsecond line\n  third\"", "first line\nsecond line\n  third"},
      // unquoted interpolation with the full syntax
      {"FOO=$HOME", "/home/me"},
      {"FOO=${HOME}/bin", "/home/me/bin"},
      {"FOO=${UNSET:-dflt}", "dflt"},
      {"FOO=${EMPTY-dflt}", ""},
      {"FOO=${HOME:+yes}", "yes"},
      {"FOO=${UNSET}", ""},
      {"FOO=$$HOME", "$HOME"},
      // earlier keys win over the environment
      {"A=file-a\nFOO=$A", "file-a"},
      {"FOO=$A\nA=file-a", "env-a"},
      {"BAR=test\nFOO=\"quote $BAR\"", "quote test"},
      {"BAR=1\nBAR=${BAR}1\nFOO=$BAR", "11"},
      {"BAR='$HOME'\nFOO=$BAR", "$HOME"},
      // bare keys come from the environment
      {"FOO", "<none>"},
      {"FROM_ENV\nFOO=$FROM_ENV", "env"},
      // UTF-8 byte-order mark
      {"\xEF\xBB\xBF"
       "FOO=bom",
       "bom"},
  };
  for (const auto& c : cases) CHECK(value_of(c.text, "FOO") == c.want);
}

TEST_CASE("parse_dotenv keeps order, marks and key spellings", "[dotenv]") {
  auto entries = parse_ok(R"(# a comment
   # an indented comment

export OPTION_A=1
exportFOO=2
export_B =3
a.prop-key[1]=4
árvíztűrő=5
FROM_ENV
NOT_IN_ENV
MULTI="one
two"
AFTER=6)");
  std::vector<std::string> keys;
  for (auto& e : entries) keys.push_back(e.key);
  CHECK(keys == std::vector<std::string>{"OPTION_A", "exportFOO", "export_B", "a.prop-key[1]", "árvíztűrő", "FROM_ENV",
                                         "NOT_IN_ENV", "MULTI", "AFTER"});
  CHECK(entries[0].mark.str() == ".env:4:8");
  CHECK(entries[1].mark.str() == ".env:5:1");
  CHECK(entries[5].value == std::optional<std::string>("env"));
  CHECK(entries[6].value == std::nullopt);
  CHECK(entries[7].value == std::optional<std::string>("one\ntwo"));
  CHECK(entries[8].mark.line == 13);
  CHECK(entries[8].value == std::optional<std::string>("6"));
}

TEST_CASE("parse_dotenv accepts empty and comment-only input", "[dotenv]") {
  CHECK(parse_ok("").empty());
  CHECK(parse_ok("\n\r\n\t \n").empty());
  CHECK(parse_ok("# only\n  # comments").empty());
}

TEST_CASE("parse_dotenv errors name the file and line", "[dotenv]") {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"=x", "dir/.env:1: missing variable name before `=x`"},
      {"OK=1\n\n  =\"value\"", "dir/.env:3: missing variable name before `=\"value\"`"},
      {"export =x", "dir/.env:1: missing variable name before `export =x`"},
      {"MY KEY=x", "dir/.env:1: variable name `MY KEY` contains a space"},
      {"lol$wut",
       "dir/.env:1: unexpected character `$` in variable name `lol$wut` (names use letters, digits, `_`, `.`, `-`, "
       "`[`, `]`)"},
      {"A=1\n%!(EXTRA string)=foo",
       "dir/.env:2: unexpected character `%` in variable name `%!(EXTRA string)=foo` (names use letters, digits, `_`, "
       "`.`, `-`, `[`, `]`)"},
      {"A=1\nKEY=\"value", "dir/.env:2: unterminated quoted value `\"value`: the closing `\"` is missing"},
      {"KEY='value\nmore\n", "dir/.env:1: unterminated quoted value `'value`: the closing `'` is missing"},
      {"KEY=\"", "dir/.env:1: unterminated quoted value `\"`: the closing `\"` is missing"},
      {"KEY=\"a\nb\" trailing",
       "dir/.env:2: unexpected text `trailing` after the closing quote of `KEY` (quote the whole value, or start a "
       "comment with ` #`)"},
      {"A=1\nB=${NEED:?set NEED}", "dir/.env:2: required variable `NEED` is missing a value: set NEED"},
      {"B=\"${NEED?}\"", "dir/.env:1: required variable `NEED` is missing a value"},
      {"B=${broken", "dir/.env:1: invalid interpolation format in `${broken`"},
  };
  for (const auto& c : cases) CHECK(parse_err(c.text) == c.want);
}

TEST_CASE("a `$` that starts no variable is kept in .env values, as compose-go does", "[dotenv]") {
  CHECK(value_of("\n\nB=price $5", "B") == "price $5");
  CHECK(value_of("B=\"$(date) $\"", "B") == "$(date) $");
}

TEST_CASE("read_dotenv_file maps keys, later lines overriding earlier ones", "[dotenv]") {
  auto tmp = brick::TempDir::create();
  REQUIRE(tmp.has_value());
  const brick::TempDir& dir = *tmp;
  std::string path = dir.path() + "/app.env";
  REQUIRE(brick::write_file_atomic(path, "A=1\nB=2\nA=3\nFROM_ENV\nUNSET_BARE\nB\n"));
  auto m = read_dotenv_file(path, {{"FROM_ENV", "x"}});
  REQUIRE(m.has_value());
  // A bare unset key (`B` on the last line) keeps the earlier definition.
  CHECK(*m == StringMap{{"A", "3"}, {"B", "2"}, {"FROM_ENV", "x"}});

  REQUIRE(brick::write_file_atomic(path, "OK=1\nBAD LINE=2\n"));
  auto bad = read_dotenv_file(path, {});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message() == path + ":2: variable name `BAD LINE` contains a space");

  auto missing = read_dotenv_file(dir.path() + "/nope.env", {});
  REQUIRE_FALSE(missing.has_value());
  CHECK_THAT(missing.error().message(), Catch::Contains(dir.path() + "/nope.env"));
}
