#!/usr/bin/env bash
# Fetch the JavaScript and CSS that consultation maps inline (Leaflet and Leaflet.markercluster) from the npm
# registry into vendor-assets/ (gitignored): maps must open offline, so boundaries.publish.maps copies these files
# into every HTML it writes; nothing downloaded here is committed. The pinned versions, their tarballs' SHA-256 and
# the download are boundaries.publish.map_assets.fetch_assets (`boundaries assets` on an installed package), so the
# list is written once. Idempotent: does nothing when the right versions are already there.
#
# Usage: bash scripts/fetch_assets.sh [DEST]      (DEST defaults to $BOUNDARIES_ASSETS or ./vendor-assets)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-${BOUNDARIES_ASSETS:-$root/vendor-assets}}"
exec "$root/.venv/bin/python" -m boundaries.publish.map_assets "$dest"
