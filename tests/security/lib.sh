# Sourced by tests/security/*.sh (already inside sandbox.sh: private net+mount
# namespace, $BRICK_ROOT and $BRICK_RUN_ROOT of its own).
#   attack_init NAME     sets up fail/b/cleanup; every container is removed on exit
#   build_attack PROG    compiles attacks/PROG.c into a static binary, prints its path
#   busybox_image REF    imports the busybox test image as REF
set -euo pipefail
: "${BRICK:?set BRICK to the brick binary}"
security_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(cd "$security_dir/../.." && pwd)
attack_tmp=$(mktemp -d /tmp/brick-attack.XXXXXX)

b() { "$BRICK" --root "$BRICK_ROOT" --run-root "$BRICK_RUN_ROOT" "$@"; }

attack_init() {
  attack_name=$1
  trap attack_cleanup EXIT
}

fail() { echo "${attack_name:-security}: FAIL: $*" >&2; exit 1; }

attack_cleanup() {
  for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1 || true; done
  rm -rf "$attack_tmp"
}

build_attack() {
  local src="$security_dir/attacks/$1.c" out="$attack_tmp/$1"
  cc -static -O1 -Wall -o "$out" "$src" >&2 || fail "cannot build $src"
  echo "$out"
}

busybox_image() {
  BRICK="$BRICK" BRICK_ROOT="$BRICK_ROOT" sh "$source_dir/samples/images/build-busybox" "$1" >/dev/null
}
