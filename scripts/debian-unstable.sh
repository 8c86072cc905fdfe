# Sourced by the setup scripts: apt reading Debian unstable through its own lists, cache and source list (-o
# options), so nothing in the system's apt configuration changes. The mirror is the one the machine already uses.
#
#   debian_unstable_apt <script name> <work dir>
# sets `apt_opts` (the options for apt-get and apt-cache) and reads the package lists; exits 1 without a mirror.

debian_mirror() {
  # The first deb822 or one-line source whose path ends in /debian.
  local f found=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    found=$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) {print $i; exit}}' "$f")
    [ -n "$found" ] && break
  done
  if [ -z "$found" ] && [ -f /etc/apt/sources.list ]; then
    found=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\/.*\/debian\/?$/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  echo "$found"
}

debian_unstable_apt() {
  local script=$1 work=$2 mirror
  mirror=$(debian_mirror)
  if [ -z "$mirror" ]; then
    echo "$script: no Debian mirror found in /etc/apt/sources.list{,.d}" >&2; exit 1
  fi
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} unstable main" > "$work/sources.list"
  apt_opts=(
    -o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Dir::State::Status=/dev/null"
    -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1"
  )
  echo "$script: reading Debian unstable package lists from $mirror"
  apt-get "${apt_opts[@]}" -qq update
}
