#!/usr/bin/env bash
# Extract the real tools that read our artifacts (amtool, promtool, vmalert, ...) from Debian unstable's packages
# into .tools/, without changing the system's apt configuration: apt gets its own lists, cache and source list
# through -o options. The Debian mirror is the one the machine already uses.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
packages=(prometheus-alertmanager promtool prometheus victoria-metrics)
binaries=(amtool prometheus-alertmanager promtool prometheus victoria-metrics vmalert vmalert-tool vmagent)
# Oldest versions whose config formats the project targets.
declare -A minimum=([prometheus-alertmanager]=0.33 [promtool]=3.5 [prometheus]=3.5 [victoria-metrics]=1.145)

# PostgreSQL for the backup restore test: the system's, or the release's packages extracted (its own script).
"$root/scripts/setup-postgres.sh"

stamp="$tools/VERSIONS"
installed() {
  [ -f "$stamp" ] || return 1
  for b in "${binaries[@]}"; do [ -x "$tools/bin/$b" ] || return 1; done
}
if installed; then
  echo "tools already in $tools:"; sed 's/^/  /' "$stamp"; exit 0
fi

work="$tools/apt"
mkdir -p "$tools/root" "$tools/bin"
# shellcheck source=scripts/debian-unstable.sh
. "$root/scripts/debian-unstable.sh"
debian_unstable_apt setup-tools "$work"
(cd "$work/debs" && rm -f ./*.deb && apt-get "${apt_opts[@]}" -qq download "${packages[@]}")

: > "$stamp.tmp"
for deb in "$work"/debs/*.deb; do
  name=$(dpkg-deb -f "$deb" Package)
  version=$(dpkg-deb -f "$deb" Version)
  if ! dpkg --compare-versions "$version" ge "${minimum[$name]}"; then
    echo "setup-tools: $name $version is older than ${minimum[$name]}" >&2; exit 1
  fi
  dpkg -x "$deb" "$tools/root"
  echo "$name $version" >> "$stamp.tmp"
done
for b in "${binaries[@]}"; do
  ln -sf "../root/usr/bin/$b" "$tools/bin/$b"
  "$tools/bin/$b" --help > /dev/null 2>&1 || "$tools/bin/$b" -help > /dev/null 2>&1 || {
    echo "setup-tools: $b does not run on this machine" >&2; exit 1; }
done
rm -rf "$work/debs" "$work/cache"
mv "$stamp.tmp" "$stamp"
echo "tools installed in $tools:"; sed 's/^/  /' "$stamp"
