#include "compose/merge.hpp"

#include "loader_test_util.hpp"

using namespace brick::compose;
using brick::compose::testing::dump;
using brick::compose::testing::yaml;

namespace {

struct Case {
  const char* name;
  const char* base;
  const char* over;
  const char* expected;
};

// Each case is one rule of 13-merge.md or one compose-go special case.
const Case kCases[] = {
    {"mappings merge recursively, scalars replace", "services: {foo: {key1: value1, key2: value2}}",
     "services: {foo: {key2: VALUE, key3: value3}}", "services: {foo: {key1: value1, key2: VALUE, key3: value3}}"},
    {"new services and top-level keys are added", "services: {a: {image: x}}",
     "services: {b: {image: y}}\nvolumes: {data: {}}", "services: {a: {image: x}, b: {image: y}}\nvolumes: {data: {}}"},
    {"sequences append", "services: {foo: {security_opt: [a]}}", "services: {foo: {security_opt: [b]}}",
     "services: {foo: {security_opt: [a, b]}}"},
    {"command replaces", "services: {foo: {command: [echo, foo]}}", "services: {foo: {command: [echo, bar]}}",
     "services: {foo: {command: [echo, bar]}}"},
    {"entrypoint replaces, string over list", "services: {foo: {entrypoint: [sh, -c]}}",
     "services: {foo: {entrypoint: bash}}", "services: {foo: {entrypoint: bash}}"},
    {"healthcheck.test replaces, other healthcheck keys merge",
     "services: {foo: {healthcheck: {test: [CMD, a], interval: 5s}}}",
     "services: {foo: {healthcheck: {test: [CMD, b], retries: 3}}}",
     "services: {foo: {healthcheck: {test: [CMD, b], interval: 5s, retries: 3}}}"},
    {"ports unique by host_ip, published, target, protocol",
     "services: {foo: {ports: ['8080:80', '127.0.0.1:9000:90', '53:53/udp']}}",
     "services: {foo: {ports: ['8080:80', '9000:90', '53:53/udp', '53:53']}}",
     "services: {foo: {ports: ['8080:80', '127.0.0.1:9000:90', '53:53/udp', '9000:90', '53:53']}}"},
    {"ports long syntax matches short syntax", "services: {foo: {ports: ['8080:80']}}",
     "services: {foo: {ports: [{target: 80, published: 8080, mode: host}]}}",
     "services: {foo: {ports: [{target: 80, published: 8080, mode: host}]}}"},
    {"volumes unique by target, later wins in place",
     "services: {foo: {volumes: ['./a:/data', 'cache:/cache', '/anon']}}",
     "services: {foo: {volumes: ['./b:/data:ro', {type: tmpfs, target: /tmp}]}}",
     "services: {foo: {volumes: ['./b:/data:ro', 'cache:/cache', /anon, {type: tmpfs, target: /tmp}]}}"},
    {"secrets unique by target, short form is /run/secrets/NAME",
     "services: {foo: {secrets: [a, {source: b, target: x}]}}",
     "services: {foo: {secrets: [{source: a, mode: 0400}, {source: c, target: /run/secrets/x}]}}",
     "services: {foo: {secrets: [{source: a, mode: 0400}, {source: c, target: /run/secrets/x}]}}"},
    {"configs unique by target", "services: {foo: {configs: [{source: a, target: /etc/a}]}}",
     "services: {foo: {configs: [{source: b, target: /etc/a}, c]}}",
     "services: {foo: {configs: [{source: b, target: /etc/a}, c]}}"},
    {"environment list and map merge by key", "services: {foo: {environment: [A=1, B=2, C]}}",
     "services: {foo: {environment: {B: 3, D: 4}}}", "services: {foo: {environment: {A: 1, B: 3, C: ~, D: 4}}}"},
    {"environment lists stay lists, unique by key", "services: {foo: {environment: [A=1, B=2]}}",
     "services: {foo: {environment: [B=3, C=4]}}", "services: {foo: {environment: [A=1, B=3, C=4]}}"},
    {"labels map over map", "services: {foo: {labels: {a: '1', b: '2'}}}", "services: {foo: {labels: {b: x}}}",
     "services: {foo: {labels: {a: 1, b: x}}}"},
    {"extra_hosts merge by host name, host:ip and host=ip alike",
     "services: {foo: {extra_hosts: ['db:10.0.0.1', 'x=1.1.1.1']}}", "services: {foo: {extra_hosts: {db: 10.0.0.2}}}",
     "services: {foo: {extra_hosts: {db: 10.0.0.2, x: 1.1.1.1}}}"},
    {"sysctls and build.args are dictionaries",
     "services: {foo: {sysctls: [net.core.somaxconn=1024], build: {context: ., args: [A=1]}}}",
     "services: {foo: {sysctls: {net.core.somaxconn: 2048}, build: {args: {B: 2}}}}",
     "services: {foo: {sysctls: {net.core.somaxconn: 2048}, build: {context: ., args: {A: 1, B: 2}}}}"},
    {"dns and dns_search append without duplicates; a scalar is a one-item list",
     "services: {foo: {dns: 8.8.8.8, dns_search: [a.com]}}",
     "services: {foo: {dns: [8.8.8.8, 1.1.1.1], dns_search: [a.com, b.com]}}",
     "services: {foo: {dns: [8.8.8.8, 1.1.1.1], dns_search: [a.com, b.com]}}"},
    {"cap_add, profiles, expose unique", "services: {foo: {cap_add: [NET_ADMIN], profiles: [dev], expose: ['80']}}",
     "services: {foo: {cap_add: [NET_ADMIN, SYS_TIME], profiles: [dev, debug], expose: ['80', '81']}}",
     "services: {foo: {cap_add: [NET_ADMIN, SYS_TIME], profiles: [dev, debug], expose: [80, 81]}}"},
    {"tmpfs unique by path", "services: {foo: {tmpfs: /run}}", "services: {foo: {tmpfs: ['/run:size=64m', /tmp]}}",
     "services: {foo: {tmpfs: ['/run:size=64m', /tmp]}}"},
    {"env_file unique by path", "services: {foo: {env_file: [a.env, b.env]}}",
     "services: {foo: {env_file: [{path: a.env, required: false}, c.env]}}",
     "services: {foo: {env_file: [{path: a.env, required: false}, b.env, c.env]}}"},
    {"depends_on lists union", "services: {foo: {depends_on: [db]}}", "services: {foo: {depends_on: [db, cache]}}",
     "services: {foo: {depends_on: [db, cache]}}"},
    {"depends_on list under map becomes long form", "services: {foo: {depends_on: [db, cache]}}",
     "services: {foo: {depends_on: {db: {condition: service_healthy}}}}",
     "services: {foo: {depends_on: {db: {condition: service_healthy}, cache: {condition: service_started}}}}"},
    {"service networks list and map merge by name", "services: {foo: {networks: [front]}}",
     "services: {foo: {networks: {back: {aliases: [b]}}}}",
     "services: {foo: {networks: {front: ~, back: {aliases: [b]}}}}"},
    {"network aliases unique", "services: {foo: {networks: {n: {aliases: [a, b]}}}}",
     "services: {foo: {networks: {n: {aliases: [b, c], ipv4_address: 10.0.0.5}}}}",
     "services: {foo: {networks: {n: {aliases: [a, b, c], ipv4_address: 10.0.0.5}}}}"},
    {"build string merges as context", "services: {foo: {build: ./app}}",
     "services: {foo: {build: {dockerfile: Dockerfile.dev}}}",
     "services: {foo: {build: {context: ./app, dockerfile: Dockerfile.dev}}}"},
    {"build mapping over string", "services: {foo: {build: {context: ., target: prod}}}",
     "services: {foo: {build: ./other}}", "services: {foo: {build: {context: ./other, target: prod}}}"},
    {"logging with the same driver merges options",
     "services: {foo: {logging: {driver: json-file, options: {max-size: 1m}}}}",
     "services: {foo: {logging: {options: {max-file: '3'}}}}",
     "services: {foo: {logging: {driver: json-file, options: {max-size: 1m, max-file: 3}}}}"},
    {"logging with another driver replaces", "services: {foo: {logging: {driver: json-file, options: {max-size: 1m}}}}",
     "services: {foo: {logging: {driver: syslog, options: {tag: x}}}}",
     "services: {foo: {logging: {driver: syslog, options: {tag: x}}}}"},
    {"ulimits: a number replaces a mapping", "services: {foo: {ulimits: {nofile: {soft: 10, hard: 20}}}}",
     "services: {foo: {ulimits: {nofile: 30}}}", "services: {foo: {ulimits: {nofile: 30}}}"},
    {"an empty value keeps the base", "services: {foo: {image: x, environment: {A: 1}}}",
     "services: {foo: {environment: }}", "services: {foo: {image: x, environment: {A: 1}}}"},
    {"!reset removes a key", "services: {foo: {image: x, ports: ['80:80'], environment: {A: 1}}}",
     "services: {foo: {ports: !reset [], environment: !reset {}}}", "services: {foo: {image: x}}"},
    {"!reset removes a whole service", "services: {foo: {image: x}, bar: {image: y}}", "services: {bar: !reset null}",
     "services: {foo: {image: x}}"},
    {"!override replaces instead of merging", "services: {foo: {ports: ['80:80'], environment: {A: 1, B: 2}}}",
     "services: {foo: {ports: !override ['8080:80'], environment: !override {C: 3}}}",
     "services: {foo: {ports: ['8080:80'], environment: {C: 3}}}"},
    {"!override of a whole service", "services: {foo: {image: x, command: run}}",
     "services: {foo: !override {image: y}}", "services: {foo: {image: y}}"},
    {"ipam config unique by subnet", "networks: {n: {ipam: {config: [{subnet: 10.1.0.0/16}]}}}",
     "networks: {n: {ipam: {config: [{subnet: 10.1.0.0/16, gateway: 10.1.0.1}, {subnet: 10.2.0.0/16}]}}}",
     "networks: {n: {ipam: {config: [{subnet: 10.1.0.0/16, gateway: 10.1.0.1}, {subnet: 10.2.0.0/16}]}}}"},
    {"top-level network labels are a dictionary", "networks: {n: {labels: [a=1]}}",
     "networks: {n: {labels: [a=2, b=3]}}", "networks: {n: {labels: [a=2, b=3]}}"},
    {"extension fields merge like any mapping", "x-common: {a: 1, list: [1]}", "x-common: {b: 2, list: [2]}",
     "x-common: {a: 1, list: [1, 2], b: 2}"},
};

}  // namespace

TEST_CASE("merge: compose-spec rules, base + override → expected", "[merge]") {
  for (const auto& c : kCases) {
    SECTION(c.name) {
      Node merged = merge_nodes(yaml(c.base), yaml(c.over));
      finalize_tags(merged);
      CHECK(dump(merged) == dump(yaml(c.expected)));
    }
  }
}

TEST_CASE("merge: three files apply in order, a reset in the middle clears", "[merge]") {
  Node a = yaml("services: {foo: {ports: ['80:80'], dns: [1.1.1.1]}}");
  Node b = yaml("services: {foo: {ports: !reset []}}");
  Node c = yaml("services: {foo: {ports: ['81:81']}}");
  Node merged = merge_nodes(merge_nodes(a, b), c);
  finalize_tags(merged);
  CHECK(dump(merged) == "{services: {foo: {dns: [1.1.1.1], ports: [81:81]}}}");
}

TEST_CASE("merge: !reset in the first file leaves nothing behind", "[merge]") {
  Node a = yaml("services: {foo: {image: x, ports: !reset ['80:80']}}");
  finalize_tags(a);
  CHECK(dump(a) == "{services: {foo: {image: x}}}");
}

TEST_CASE("merge: the result keeps the override's marks for replaced values", "[merge]") {
  Node a = *parse_yaml("services:\n  foo:\n    image: x\n", "a.yaml");
  Node b = *parse_yaml("services:\n  foo:\n    image: y\n", "b.yaml");
  Node merged = merge_nodes(a, b);
  const Node* image = merged.find("services")->find("foo")->find("image");
  REQUIRE(image);
  CHECK(image->mark.str() == "b.yaml:3:12");
}

TEST_CASE("merge: extends uses the same rules on one service", "[merge]") {
  Node base = yaml("{image: x, command: [a], environment: [A=1], ports: ['80:80']}");
  Node over = yaml("{command: [b], environment: {B: 2}, ports: ['80:80', '81:81']}");
  CHECK(dump(merge_service(base, over)) ==
        "{image: x, command: [b], environment: {A: 1, B: 2}, ports: [80:80, 81:81]}");
}

TEST_CASE("merge: same_tree ignores marks", "[merge]") {
  Node a = *parse_yaml("a: {b: [1, 2]}", "x.yaml");
  Node b = *parse_yaml("\n\na:\n  b:\n    - 1\n    - 2\n", "y.yaml");
  CHECK(same_tree(a, b));
  CHECK_FALSE(same_tree(a, yaml("a: {b: [1, 3]}")));
}
