#!/usr/bin/env bash
# Everything a fresh machine needs, idempotent: a virtualenv in .venv with the package and its test tools,
# the map assets (Leaflet, from the npm registry; not committed) and, where we are root, Debian's Chromium for
# the browser tests. Safe to run again: it only does what is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi
if ! .venv/bin/python -c "import boundaries, pulp, pydantic, matplotlib, jinja2, platformdirs, pytest, gerrychain, playwright, mypy
from setuptools.command.bdist_wheel import bdist_wheel" 2>/dev/null; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[test,bench]"
fi

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
if ((${#need_apt[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "please install: ${need_apt[*]} (Debian: sudo apt-get install ${need_apt[*]})" >&2
  fi
fi

bash scripts/fetch_assets.sh
echo "set-up done: .venv is ready"
