#!/bin/bash
# brick image load against the generated corpus of hostile and broken
# archives (tests/fixtures/hostile/make-corpus): each is refused with an error
# naming the archive and what is wrong, exits 1, writes nothing outside the
# store, and leaves the store as it was.
set -u
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
b() { "$BRICK" --root "$tmp/root" "$@"; }
die() { echo "FAIL: $*"; exit 1; }

mkdir -p "$tmp/outside" && echo victim >"$tmp/outside/victim"
cases=$(python3 "$BRICK_SOURCE_DIR/tests/fixtures/hostile/make-corpus" "$tmp/corpus" "$tmp/outside") || die "make-corpus"
[[ $(wc -l <<<"$cases") -ge 12 ]] || die "corpus too small: $cases"

store_state() { (cd "$tmp/root" && find . -path ./images/tmp -prune -o -print | sort); }
# A store with one good image in it, which every refusal must leave alone.
mkdir -p "$tmp/good/etc" && echo ok >"$tmp/good/etc/motd"
b image import "$tmp/good" good:1 >/dev/null || die "import"
before=$(store_state)

while IFS=$'\t' read -r name must; do
  archive="$tmp/corpus/$name.tar"
  out=$(b image load -i "$archive" 2>&1)
  rc=$?
  if [[ $must == LOADS ]]; then
    [[ $rc == 0 ]] || die "$name: should load: $out"
    b image rm hostile:latest >/dev/null && b image prune >/dev/null || die "$name: cleanup"
  else
    [[ $rc == 1 ]] || die "$name: exit $rc, want 1: $out"
    [[ $out == "brick: loading \`$archive\`"* ]] || die "$name: error does not name the archive: $out"
    [[ $out == *"$must"* ]] || die "$name: error does not mention \`$must\`: $out"
    [[ $(store_state) == "$before" ]] || die "$name: the store changed: $(diff <(echo "$before") <(store_state))"
  fi
  [[ $(ls -A "$tmp/outside") == victim ]] || die "$name: wrote outside the store: $(ls -A "$tmp/outside")"
  [[ $(stat -c %h "$tmp/outside/victim") == 1 ]] || die "$name: the victim file was hardlinked"
  [[ -z $(ls -A "$tmp/root/images/tmp" 2>/dev/null) ]] || die "$name: temporary files left: $(ls -A "$tmp/root/images/tmp")"
done <<<"$cases"
[[ $(b image ls --format json) == *'"good"'* ]] || die "the good image is gone"
echo "hostile_archives: $(wc -l <<<"$cases") cases ok"
