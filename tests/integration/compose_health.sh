#!/bin/bash
# `brick compose up` with healthchecks, inside sandbox.sh: service_healthy
# dependents wait for `Healthy`, an unhealthy dependency fails `up` naming
# it, --wait returns once every service is healthy, and the samples
# (quickstart, demo-env) come up with -d and go with down -v. Needs the
# monitor's healthchecks (state.health); until they land in main this
# script fails at the first wait for `Healthy`. Run as:
# sandbox.sh bash compose_health.sh.
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

fail() { echo "compose_health: FAIL: $*" >&2; exit 1; }
b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
# up waits for healthy services as long as compose does (for ever): bound it here.
tb() { timeout 120 "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }
# Only this sandbox's: other tests may run beside this one.
monitors() { grep -l "[c]ontainer-monitor" /proc/[0-9]*/cmdline 2>/dev/null | xargs -r grep -l "$BRICK_ROOT" 2>/dev/null | wc -l; }
dir=$(mktemp -d /tmp/brick-compose-health.XXXXXX)
cleanup() {
  b compose -f "$dir/compose.yaml" down -v -t 1 >/dev/null 2>&1 || true
  for s in quickstart demo-env; do b compose --project-directory "$repo/samples/$s" down -v -t 1 >/dev/null 2>&1 || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$repo/samples/images/build-busybox" test/busybox >/dev/null
BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$repo/samples/images/build-busybox" brick.local/busybox:latest >/dev/null

cat >"$dir/compose.yaml" <<'YAML'
name: ihealth
services:
  db:
    image: test/busybox
    command: [sh, -c, "sleep 2; touch /tmp/ready; exec sleep 1000"]
    init: true
    healthcheck:
      test: [CMD, test, -f, /tmp/ready]
      interval: 1s
      retries: 30
  app:
    image: test/busybox
    command: [sleep, "1000"]
    init: true
    depends_on:
      db: {condition: service_healthy}
  sick:
    image: test/busybox
    command: [sleep, "1000"]
    init: true
    profiles: [sick]
    healthcheck:
      test: [CMD, "false"]
      interval: 1s
      retries: 2
  victim:
    image: test/busybox
    command: [sleep, "1000"]
    profiles: [sick]
    depends_on:
      sick: {condition: service_healthy}
YAML
c() { b compose -f "$dir/compose.yaml" "$@"; }
tc() { tb compose -f "$dir/compose.yaml" "$@"; }

tc up -d >"$dir/out" 2>&1 || fail "up -d: $(cat "$dir/out")"
grep -qF "Container ihealth-db-1  Healthy" "$dir/out" || fail "no Healthy line: $(cat "$dir/out")"
[ "$(grep -n 'ihealth-db-1  Healthy' "$dir/out" | cut -d: -f1)" -lt "$(grep -n 'ihealth-app-1  Started' "$dir/out" | cut -d: -f1)" ] ||
  fail "app started before db was healthy: $(cat "$dir/out")"
c ps | grep -q '(healthy)' || fail "ps shows no health: $(c ps)"
# From the records: app started after db's first successful probe ended, and
# db turned healthy 2 s or more after it started.
b inspect ihealth-db-1 ihealth-app-1 | python3 -c '
import json, sys
from datetime import datetime
def t(s):  # RFC 3339 with nanoseconds: to microseconds for fromisoformat
    s = s.rstrip("Z"); head, _, frac = s.partition(".")
    return datetime.fromisoformat(head + "." + (frac + "000000")[:6])
db, app = json.load(sys.stdin)
log = db["State"]["Health"]["Log"]
ok = [i for i, e in enumerate(log) if e["ExitCode"] == 0]
assert ok, db["State"]["Health"]
db_start, app_start = t(db["State"]["StartedAt"]), t(app["State"]["StartedAt"])
# db cannot pass its probe before its command touched the file, 2 s in.
assert (app_start - db_start).total_seconds() >= 2, (db_start, app_start)
if ok[0] > 0:  # a failure before it: this is the first success (the log keeps 5)
    healthy = t(log[ok[0]]["End"])
    assert (healthy - db_start).total_seconds() >= 2, (db_start, healthy)
    assert app_start >= healthy, (app_start, healthy)
' || fail "the records do not show app starting after db was healthy"

set +e
tc --profile sick up -d >"$dir/out" 2>&1; rc=$?
set -e
[ $rc != 0 ] || fail "up with an unhealthy dependency exited 0"
grep -q "sick.*unhealthy" "$dir/out" || fail "the error does not name sick: $(cat "$dir/out")"
[ -z "$(c --profile sick ps -q victim)" ] || fail "victim started"
c --profile sick down -v -t 1 >/dev/null 2>&1

# --wait: returns once healthy.
tc up -d --wait --wait-timeout 60 >"$dir/out" 2>&1 || fail "up --wait: $(cat "$dir/out")"
c down -v -t 1 >/dev/null 2>&1

# The samples: up -d, everything running, down -v leaves nothing. Whether
# their pages answer is compose_network.sh's to check.
for s in quickstart demo-env; do
  sc() { b compose --project-directory "$repo/samples/$s" "$@"; }
  tb compose --project-directory "$repo/samples/$s" up -d >"$dir/out" 2>&1 || fail "$s: up -d: $(cat "$dir/out")"
  [ -n "$(sc ps -q)" ] || fail "$s: nothing runs"
  sc down -v -t 1 >"$dir/out" 2>&1 || fail "$s: down -v: $(cat "$dir/out")"
done
[ -z "$(b ps -aq)" ] || fail "records left: $(b ps -a)"
[ "$(monitors)" = 0 ] || fail "monitors left"
echo "compose_health: ok"
