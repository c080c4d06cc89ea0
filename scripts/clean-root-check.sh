#!/usr/bin/env bash
# Checks that the released tessera-verify runs on a Debian host with no Swift on it (issue 15):
# makes a minimal Debian root with debootstrap (or uses ROOT if given), copies DIST/tessera-verify
# into it with a site's public keys and a token minted here, and runs `check` there with chroot.
#
#   scripts/release.sh dist && sudo scripts/clean-root-check.sh dist [ROOT]
#
# Needs root (chroot), debootstrap and network access to deb.debian.org for a new root.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=$(cd "${1:?usage: scripts/clean-root-check.sh DIST [ROOT]}" && pwd)
root=${2:-}
work=$(mktemp -d /tmp/tessera-clean-root.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ -z "$root" ]; then
  root=$work/root
  echo "clean-root: debootstrap --variant=minbase bookworm $root"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
fi
if chroot "$root" /bin/sh -c 'command -v swift || ls /usr/lib/swift /usr/lib/*/libswiftCore.so' >/dev/null 2>&1; then
  echo "clean-root: $root has Swift in it; give a root without" >&2
  exit 1
fi
# A site minted here: its public key and one token go to the clean root, never its secret key.
site=$work/site
mkdir -p "$site"
(cd "$site" && "$dist/tessera" mint --project lab --role viewer --json >"$work/mint.json")
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$work/mint.json")
rm -rf "$root/tessera-check"
mkdir -p "$root/tessera-check/site/keys"
cp "$site"/keys/*.public.pem "$root/tessera-check/site/keys/"
cp "$dist/tessera-verify" "$root/tessera-check/"
echo "clean-root: the libraries it loads there:"
chroot "$root" /usr/bin/env LD_TRACE_LOADED_OBJECTS=1 /tessera-check/tessera-verify | sed 's/^/  /'
# /proc as on any host: libdispatch (under Swift concurrency) reads it, and without it may stop a
# process with SIGILL (exit 132; never a grant). Unmounted again on the way out.
mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
status=0
chroot "$root" /tessera-check/tessera-verify check --site /tessera-check/site "$token" || status=$?
# And refuses garbage there (a chroot without /proc once made it print its help and exit 0).
refused=0
chroot "$root" /tessera-check/tessera-verify check --site /tessera-check/site v4.public.garbage 2>/dev/null || refused=$?
rm -rf "$root/tessera-check"
[ "$status" = 0 ] || { echo "clean-root: check exited $status for a valid token" >&2; exit 1; }
[ "$refused" = 10 ] || { echo "clean-root: check exited $refused for a malformed token, not 10" >&2; exit 1; }
echo "clean-root: in a root without Swift, tessera-verify check granted the token and refused garbage (exit 10)"
