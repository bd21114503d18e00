"""Offline map assets: Leaflet's and Leaflet.markercluster's JS/CSS, inlined into every map.

Consultation copies of a map get emailed and opened anywhere, often with no internet, so a map may not load
anything from a CDN. folium links its scripts from CDNs; :func:`make_offline` swaps those links for inline
copies read from a local folder that :func:`fetch_assets` fills from the npm registry (pinned versions, checked
against their tarballs' SHA-256): ``boundaries assets`` on an installed package, ``scripts/fetch_assets.sh`` (the
same function) in a checkout. The folder is gitignored: nothing downloaded is committed or shipped in the wheel.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import os
import re
import tarfile
import urllib.request
from pathlib import Path

import folium
import platformdirs
from branca.element import Element, Figure
from folium.elements import JSCSSMixin

from boundaries.atomic import atomic_folder

ENV_VAR = "BOUNDARIES_ASSETS"
FOLDER = "vendor-assets"

#: folium's resource names -> file in the assets folder. Order matters: Leaflet before its plugins.
JS = {"leaflet": "leaflet/leaflet.js", "markerclusterjs": "leaflet.markercluster/leaflet.markercluster.js"}
CSS = {
    "leaflet_css": "leaflet/leaflet.css",
    "markerclustercss": "leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/MarkerCluster.Default.css",
}
#: folium.Map's defaults that our maps never use (jQuery, Bootstrap, Awesome Markers, Font Awesome): dropped.
UNUSED = {
    "jquery",
    "bootstrap",
    "awesome_markers",
    "bootstrap_css",
    "glyphicons_css",
    "awesome_markers_font_css",
    "awesome_markers_css",
    "awesome_rotate_css",
}


LEAFLET_IMAGES = ("layers", "layers-2x", "marker-icon", "marker-icon-2x", "marker-shadow")  # the CSS's url()s
#: (npm package, version, SHA-256 of its tarball) and the files taken from it: (path in the tarball, path here)
PACKAGES = (
    (
        "leaflet",
        "1.9.4",
        "84c65a256e50657896f54c33bd857b6849ebe94c817803be818bf32a3dde0b77",
        {
            "package/dist/leaflet.js": JS["leaflet"],
            "package/dist/leaflet.css": CSS["leaflet_css"],
            "package/LICENSE": "leaflet/LICENSE",
            **{f"package/dist/images/{n}.png": f"leaflet/images/{n}.png" for n in LEAFLET_IMAGES},
        },
    ),
    (
        "leaflet.markercluster",
        "1.5.3",
        "fc6b0b1d00b6c708ae54e43ee4a11ac345e41660e19f0a570190bb35babb1a1c",
        {
            "package/dist/leaflet.markercluster.js": JS["markerclusterjs"],
            "package/dist/MarkerCluster.css": CSS["markerclustercss"],
            "package/dist/MarkerCluster.Default.css": CSS["markerclusterdefaultcss"],
            "package/MIT-LICENCE.txt": "leaflet.markercluster/LICENSE",
        },
    ),
)
REGISTRY = "https://registry.npmjs.org"


class MissingAssetsError(RuntimeError):
    """The Leaflet files to inline are not installed."""


def user_asset_dir() -> Path:
    """Where ``boundaries assets`` puts the assets by default: the user's data folder (``platformdirs``)."""
    return Path(platformdirs.user_data_dir("boundaries", appauthor=False)) / FOLDER


def asset_dir() -> Path:
    """The folder holding the assets: $BOUNDARIES_ASSETS, else vendor-assets/ in the checkout (or the cwd),
    else the user's data folder that ``boundaries assets`` fills."""
    env = os.environ.get(ENV_VAR)
    candidates = [Path(env)] if env else []
    candidates += [parent / FOLDER for parent in Path(__file__).resolve().parents[1:4]]
    candidates += [Path.cwd() / FOLDER, user_asset_dir()]
    for folder in candidates:
        if all((folder / rel).is_file() for rel in (*JS.values(), *CSS.values())):
            return folder
    looked = ", ".join(str(c) for c in dict.fromkeys(candidates))
    raise MissingAssetsError(
        "Offline map assets (Leaflet, Leaflet.markercluster) are missing; looked in: "
        f"{looked}. Install them with `boundaries assets` (or `bash scripts/fetch_assets.sh` in a checkout), "
        f"or point {ENV_VAR} at a folder one of them filled."
    )


@functools.lru_cache(maxsize=4)
def _read(folder: Path, rel: str) -> str:
    text = (folder / rel).read_text(encoding="utf-8")
    # Source maps would make a browser's dev tools fetch a file that is not there.
    text = re.sub(r"/[/*]# sourceMappingURL=\S+(\s*\*/)?\s*$", "", text)
    if rel.endswith(".css"):
        text = re.sub(
            r"url\((['\"]?)(images/[\w.-]+\.png)\1\)",
            lambda m: _data_uri(folder / Path(rel).parent, m.group(2)),
            text,
        )
    if "</script" in text.lower() or "</style" in text.lower():
        raise MissingAssetsError(f"{rel} cannot be inlined safely: it contains a closing script/style tag")
    return text


def _data_uri(base: Path, rel: str) -> str:
    data = base64.b64encode((base / rel).read_bytes()).decode("ascii")
    return f"url(data:image/png;base64,{data})"


def _elements(root: Element):
    yield root
    for child in root._children.values():
        yield from _elements(child)


def make_offline(fmap: folium.Map) -> None:
    """Replace every CDN link folium would emit for this map with inline copies of the files.

    Call it once the map is complete. Any resource without a local copy is an error, not a silent CDN link.
    """
    folder = asset_dir()
    js_needed: set[str] = set()
    css_needed: set[str] = set()
    for element in _elements(fmap):
        if not isinstance(element, JSCSSMixin):
            continue
        for name, url in element.default_js:
            if name not in JS and name not in UNUSED:
                raise MissingAssetsError(f"no offline copy of {name} ({url}); add it to boundaries.publish.map_assets")
            js_needed.add(name)
        for name, url in element.default_css:
            if name not in CSS and name not in UNUSED:
                raise MissingAssetsError(f"no offline copy of {name} ({url}); add it to boundaries.publish.map_assets")
            css_needed.add(name)
        element.default_js = []
        element.default_css = []
    figure = fmap.get_root()
    assert isinstance(figure, Figure)
    css = "\n".join(_read(folder, rel) for name, rel in CSS.items() if name in css_needed)
    js = "\n".join(_read(folder, rel) for name, rel in JS.items() if name in js_needed)
    figure.header.add_child(Element(f"<style>\n{css}\n</style>"), name="offline_css")
    figure.header.add_child(Element(f"<script>\n{js}\n</script>"), name="offline_js")


def leaflet_inline() -> tuple[str, str]:
    """Leaflet's CSS and JS as text to inline into a page built without folium (the batch's England overview),
    from the same checked copies as every map: one offline page, no CDN."""
    folder = asset_dir()
    return _read(folder, CSS["leaflet_css"]), _read(folder, JS["leaflet"])


def _stamp() -> str:
    return "".join(f"{name} {version} {sha}\n" for name, version, sha, _ in PACKAGES)


def fetch_assets(dest: str | Path | None = None, registry: str | None = None) -> Path:
    """Download the pinned packages' tarballs from the npm registry, check each against its SHA-256 and put the
    files maps inline into ``dest`` (default: ``$BOUNDARIES_ASSETS``, else :func:`user_asset_dir`). Idempotent:
    nothing is fetched when ``dest`` already holds these versions. The folder appears whole or not at all (it is
    filled beside ``dest`` and renamed). ``registry``: another npm registry (default ``$npm_config_registry``,
    else registry.npmjs.org)."""
    dest = Path(dest or os.environ.get(ENV_VAR) or user_asset_dir())
    if (dest / "VERSIONS").is_file() and (dest / "VERSIONS").read_text() == _stamp():
        return dest
    registry = (registry or os.environ.get("npm_config_registry") or REGISTRY).rstrip("/")  # noqa: SIM112 (npm's name)
    with atomic_folder(dest) as partial:
        for name, version, sha, files in PACKAGES:
            _unpack(f"{registry}/{name}/-/{name}-{version}.tgz", sha, files, partial)
        (partial / "VERSIONS").write_text(_stamp())
    _read.cache_clear()
    return dest


def _unpack(url: str, sha: str, files: dict[str, str], folder: Path) -> None:
    """Download a package's tarball, check it, and copy the files named (path in the tarball -> path here)."""
    with urllib.request.urlopen(url, timeout=60) as response:
        data = response.read()
    if hashlib.sha256(data).hexdigest() != sha:
        raise MissingAssetsError(f"{url}: checksum mismatch (expected SHA-256 {sha}); nothing was installed")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, rel in files.items():
            source = tar.extractfile(member)
            if source is None:
                raise MissingAssetsError(f"{url}: {member} is not a file in the package")
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read())


if __name__ == "__main__":  # scripts/fetch_assets.sh: python -m boundaries.publish.map_assets [DEST]
    import sys

    print(f"map assets installed in {fetch_assets(sys.argv[1] if len(sys.argv) > 1 else None)}")
