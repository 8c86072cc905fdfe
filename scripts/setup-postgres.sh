#!/usr/bin/env bash
# Debian's PostgreSQL (server and client) for the backup restore test (tests/test_backup_restore.py).
# A machine with Debian's postgresql installed needs nothing. Otherwise the packages of the machine's own release
# and the libraries they need that are not installed are extracted into .tools/postgresql/, like the other tools:
# nothing is installed into the system. `FORCE=1` extracts even when the system has a server (to test this script).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.tools/postgresql"
if [ -z "${FORCE:-}" ] && compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
  echo "setup-postgres: using the system's $(ls -d /usr/lib/postgresql/*/bin | tail -1)"; exit 0
fi
if [ -x "$dest/bin/initdb" ] && "$dest/bin/initdb" --version > /dev/null 2>&1; then
  echo "setup-postgres: $("$dest/bin/initdb" --version) in $dest"; exit 0
fi

work="$root/.tools/apt-postgresql"
rm -rf "$work" "$dest"
mkdir -p "$work/debs" "$work/root"
echo "setup-postgres: reading the package lists of the machine's Debian release"
apt-get -qq update
# `postgresql` depends on the release's major version, e.g. postgresql-15.
major=$(apt-cache depends postgresql | awk '$1 == "Depends:" && $2 ~ /^postgresql-[0-9]+$/ {print $2; exit}')
[ -n "$major" ] || { echo "setup-postgres: no postgresql-<major> package in this release" >&2; exit 1; }
version=${major#postgresql-}
packages=("$major" "postgresql-client-$version")
for dep in $(apt-cache depends "$major" "postgresql-client-$version" | awk '$1 == "Depends:" && $2 ~ /^lib/ {print $2}' | sort -u); do
  dpkg -s "$dep" > /dev/null 2>&1 || packages+=("$dep")
done
(cd "$work/debs" && apt-get -qq -o APT::Sandbox::User=root download "${packages[@]}")
for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/root"; done

# Wrappers keep the binaries where they were extracted (they find ../share relative to themselves) and add the
# extracted libraries to the loader's path.
libs="$work/root/usr/lib/x86_64-linux-gnu:$work/root/usr/lib/$(uname -m)-linux-gnu:$work/root/usr/lib"
mkdir -p "$dest/bin"
for exe in "$work/root/usr/lib/postgresql/$version/bin/"*; do
  printf '#!/bin/sh\nLD_LIBRARY_PATH="%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "%s" "$@"\n' "$libs" "$exe" > "$dest/bin/$(basename "$exe")"
  chmod 755 "$dest/bin/$(basename "$exe")"
done
rm -rf "$work/debs"
"$dest/bin/initdb" --version && "$dest/bin/pg_restore" --version
