#!/usr/bin/env bash
# Fetch the JavaScript and CSS that consultation maps inline (Leaflet and Leaflet.markercluster) from the npm
# registry into vendor-assets/ (gitignored). Maps must open offline, so boundaries.publish.maps copies these files into
# every HTML it writes; nothing downloaded here is committed. Pinned versions and tarball checksums make the
# assets, and so the maps, reproducible. Idempotent: does nothing when the right versions are already there.
#
# Usage: bash scripts/fetch_assets.sh [DEST]      (DEST defaults to $BOUNDARIES_ASSETS or ./vendor-assets)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-${BOUNDARIES_ASSETS:-$root/vendor-assets}}"

# name version sha256-of-the-npm-tarball
packages=(
  "leaflet 1.9.4 84c65a256e50657896f54c33bd857b6849ebe94c817803be818bf32a3dde0b77"
  "leaflet.markercluster 1.5.3 fc6b0b1d00b6c708ae54e43ee4a11ac345e41660e19f0a570190bb35babb1a1c"
)
stamp="$(printf '%s\n' "${packages[@]}")"

if [[ -f "$dest/VERSIONS" && "$(cat "$dest/VERSIONS")" == "$stamp" ]]; then
  echo "map assets already in $dest"
  exit 0
fi

command -v npm >/dev/null || { echo "npm is needed to fetch the map assets (apt-get install -y npm)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for entry in "${packages[@]}"; do
  read -r name version sum <<<"$entry"
  (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null)
  tarball="$tmp/$name-$version.tgz"
  echo "$sum  $tarball" | sha256sum --check --quiet - \
    || { echo "checksum mismatch for $name@$version" >&2; exit 1; }
  mkdir -p "$tmp/$name"
  tar -xzf "$tarball" -C "$tmp/$name"
done

rm -rf "$dest.partial"
mkdir -p "$dest.partial/leaflet/images" "$dest.partial/leaflet.markercluster"
cp "$tmp/leaflet/package/dist/leaflet.js" "$tmp/leaflet/package/dist/leaflet.css" "$dest.partial/leaflet/"
cp "$tmp/leaflet/package/dist/images/"*.png "$dest.partial/leaflet/images/"
cp "$tmp/leaflet/package/LICENSE" "$dest.partial/leaflet/LICENSE"
for f in leaflet.markercluster.js MarkerCluster.css MarkerCluster.Default.css; do
  cp "$tmp/leaflet.markercluster/package/dist/$f" "$dest.partial/leaflet.markercluster/"
done
cp "$tmp/leaflet.markercluster/package/MIT-LICENCE.txt" "$dest.partial/leaflet.markercluster/LICENSE"
printf '%s\n' "$stamp" >"$dest.partial/VERSIONS"

rm -rf "$dest"
mv "$dest.partial" "$dest"
echo "map assets installed in $dest"
