"""Offline map assets: Leaflet's and Leaflet.markercluster's JS/CSS, inlined into every map.

Consultation copies of a map get emailed and opened anywhere, often with no internet, so a map may not load
anything from a CDN. folium links its scripts from CDNs; :func:`make_offline` swaps those links for inline
copies read from a local folder that ``scripts/fetch_assets.sh`` fills from the npm registry (pinned versions,
checksummed). The folder is gitignored: nothing downloaded is committed.
"""

from __future__ import annotations

import base64
import functools
import os
import re
from pathlib import Path

import folium
from branca.element import Element, Figure
from folium.elements import JSCSSMixin

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


class MissingAssetsError(RuntimeError):
    """The Leaflet files to inline are not installed."""


def asset_dir() -> Path:
    """The folder holding the assets: $BOUNDARIES_ASSETS, else vendor-assets/ in the checkout (or the cwd)."""
    env = os.environ.get(ENV_VAR)
    candidates = [Path(env)] if env else []
    candidates += [parent / FOLDER for parent in Path(__file__).resolve().parents[1:4]]
    candidates.append(Path.cwd() / FOLDER)
    for folder in candidates:
        if all((folder / rel).is_file() for rel in (*JS.values(), *CSS.values())):
            return folder
    looked = ", ".join(str(c) for c in dict.fromkeys(candidates))
    raise MissingAssetsError(
        "Offline map assets (Leaflet, Leaflet.markercluster) are missing; looked in: "
        f"{looked}. Install them with `bash scripts/fetch_assets.sh` (needs npm), or point {ENV_VAR} "
        "at a folder that script filled."
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
