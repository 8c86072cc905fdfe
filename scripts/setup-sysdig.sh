#!/usr/bin/env bash
# Debian's sysdig, built on the same falcosecurity libraries as Falco, for the checks of the catalog's Falco rules:
# `sysdig -l` lists every field the libraries know, and sysdig compiles a filter before it reads a capture, so a
# condition it accepts is one the libraries parse. Extracted from Debian unstable (the release's sysdig is years
# older) with the C and C++ runtime it was built against, into .tools/sysdig/, and run through that runtime's own
# loader: nothing is installed into the system. Idempotent: a second run takes no time.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
dest="$tools/sysdig"
minimum=0.41
wrapper="$tools/bin/sysdig"

if [ -x "$wrapper" ] && [ -f "$dest/VERSION" ] && "$wrapper" --version > /dev/null 2>&1; then
  echo "setup-sysdig: $(cat "$dest/VERSION") in $dest"; exit 0
fi

work="$tools/apt-sysdig"
rm -rf "$work" "$dest"
mkdir -p "$dest" "$tools/bin"
# shellcheck source=scripts/debian-unstable.sh
. "$root/scripts/debian-unstable.sh"
debian_unstable_apt setup-sysdig "$work"
# sysdig and everything it loads, down to the C library: unstable's sysdig needs a newer glibc than the machine's.
packages=$(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances --no-pre-depends sysdig | awk '/^[a-z0-9]/ {print}' | sort -u)
(cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download $packages)
for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$dest/root"; done
version=$(dpkg-deb -f "$work"/debs/sysdig_*.deb Version)
if ! dpkg --compare-versions "$version" ge "$minimum"; then
  echo "setup-sysdig: sysdig $version is older than $minimum" >&2; exit 1
fi
libs="$dest/root/usr/lib/x86_64-linux-gnu"
printf '#!/bin/sh\nexec "%s/ld-linux-x86-64.so.2" --library-path "%s" "%s/root/usr/bin/sysdig" "$@"\n' "$libs" "$libs" "$dest" > "$wrapper"
chmod 755 "$wrapper"
"$wrapper" --version > /dev/null || { echo "setup-sysdig: sysdig does not run on this machine" >&2; exit 1; }
echo "sysdig $version" > "$dest/VERSION"
rm -rf "$work"
echo "setup-sysdig: $("$wrapper" --version) ($(cat "$dest/VERSION")) in $dest"
