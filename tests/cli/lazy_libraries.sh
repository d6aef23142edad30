#!/bin/bash
# The heavy libraries (libarchive, libcrypto, libnftables and all they pull
# in) are opened on first use, not at exec: every brick process, monitors
# included, starts faster and stays smaller for it (bench/run_bench.sh).
# A change that links one of them again fails here.
set -u
needed=$(readelf -d "$BRICK" | awk '/NEEDED/ {print $NF}' | tr -d '[]')
[ -n "$needed" ] || { echo "readelf found no NEEDED entries in $BRICK"; exit 1; }
for lib in libarchive libcrypto libnftables libxml2 libicuuc; do
  if grep -q "^$lib\." <<<"$needed"; then
    echo "brick links $lib at exec; open it through a LazyLibrary instead (base/lazy_library.hpp)"
    exit 1
  fi
done
# That they still load when needed: tests/cli/image.sh imports archives
# (libarchive, libcrypto), the privileged port tests program NAT.
exit 0
