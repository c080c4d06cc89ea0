#!/usr/bin/env bash
# Builds what a host copies: tessera-verify (check, members, ledger on SQLite; one file that needs
# only the C library), tessera-verify-full (serve, --revoked https://…, postgres:// ledgers) and
# tessera, in release mode, stripped, into dist/ (or the folder given). Nothing here needs Swift
# on the host: the Swift runtime and Foundation are linked statically (Package.swift), and so is
# SQLite, from the libsqlite3-dev archive.
#
#   scripts/release.sh [OUT]       then copy OUT/tessera-verify (and OUT/tessera-verify-full,
#                                  in the same folder, where a host serves or uses PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}

# GRDB links `-lsqlite3`; a folder holding only the static archive, searched first, makes that
# resolve to libsqlite3.a instead of libsqlite3.so.
static=.build/release-static-libs
mkdir -p "$static"
archive=$(gcc -print-file-name=libsqlite3.a 2>/dev/null || true)
[ -f "$archive" ] || archive=$(ls /usr/lib/*/libsqlite3.a /usr/lib/libsqlite3.a 2>/dev/null | head -n 1)
[ -f "$archive" ] || { echo "release: libsqlite3.a not found: apt-get install libsqlite3-dev" >&2; exit 1; }
ln -sf "$archive" "$static/libsqlite3.a"
# The same for libstdc++ (Package.swift searches this folder first for tessera-verify): the lean
# verifier then needs only the C library and starts without symbol lookups in a shared libstdc++.
cxx=$(gcc -print-file-name=libstdc++.a 2>/dev/null || true)
if [ -f "$cxx" ]; then
  ln -sf "$cxx" "$static/libstdc++.a"
else
  echo "release: libstdc++.a not found (apt-get install libstdc++-12-dev): tessera-verify will need libstdc++.so" >&2
fi
flags=(-c release -Xlinker -L"$PWD/$static")

for product in tessera-verify tessera-verify-full tessera; do
  echo "release: building $product"
  swift build "${flags[@]}" --product "$product"
done
bin=$(swift build "${flags[@]}" --show-bin-path)
mkdir -p "$out"
for product in tessera-verify tessera-verify-full tessera; do
  strip -o "$out/$product" "$bin/$product"
done
for product in tessera-verify tessera-verify-full tessera; do
  printf '%-22s %6s MB   needs: %s\n' "$product" "$(( $(stat -c %s "$out/$product") / 1000000 ))" \
    "$(ldd "$out/$product" | awk '{print $1}' | grep -v '^linux-vdso' | tr '\n' ' ')"
done
