"""Consultation maps: one self-contained, offline HTML file per plan (folium / Leaflet).

What a reader gets: consortium areas (neighbours never share a colour), local-authority outlines, the names of
consortia on their areas and of local authorities (each from the zoom at which it has room), acute trust sites,
practices (clustered when dense) with a popup each, a hover card per area, a legend and a table of every
consortium with the plan's headline metrics, a layout for phones, laptops and A4 paper, and optionally a
second plan (e.g. the 2013 CCG map) as a switchable layer, off when the map opens. The practices that change
consortium get a layer of their own only when the two plans are of like size (``like_sized``): otherwise most
of them "move" only because the plans differ in size, so the map gives just the count, in the panel.

Rules this module keeps:
- every number shown comes from :func:`boundaries.check.metrics.evaluate` (the scorecard), never recomputed here;
- every text from input files is HTML-escaped before it reaches the page, because Leaflet's tooltips, popups
  and layer control insert strings as HTML: the panel, popups, hover cards and keys are macros of
  ``templates/map.html.j2``, autoescaped (:mod:`boundaries.publish.pages`); layer names and the title, which folium
  writes itself, go through ``_e``;
- the file loads nothing from the network (assets inlined by :mod:`boundaries.publish.map_assets`; no tiles by
  default);
- the same input gives a byte-identical file (folium's random element ids are replaced by a counter).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from urllib.parse import quote, urlsplit

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.plugins import FastMarkerCluster
from folium.template import Template
from folium.utilities import JsCode

from boundaries.atomic import write_text
from boundaries.check.metrics import Scorecard, evaluate
from boundaries.check.quality import (
    ATTRIBUTION,
    CLOSE_ENOUGH,
    DATA_VINTAGE,
    DOWNLOADS,
    OGL_URL,
    is_proven,
    plan_quality,
    settings_text,
    solver_text,
)
from boundaries.data.areas import MAP_TOLERANCE_M, simplified_layers
from boundaries.presets import BOARD_LIMIT, PRESETS
from boundaries.publish.map_assets import make_offline
from boundaries.publish.pages import Markup, escape, macros

if TYPE_CHECKING:
    from boundaries.data.region import Region

#: A qualitative palette (Tableau 10 plus two): medium tones that keep dark text and markers readable on top.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#8cd17d",
    "#a0cbe8",
)
GEOCODE_RULES = {  # the geocode column of region.practices (see boundaries.data.sources.geocode)
    "own": "its own NHS Choices site at its list postcode",
    "own_sector": "its own site in the same postcode sector",
    "own_district": "its own site in the same postcode district",
    "own_other": "its own site nearest its list postcode",
    "same_postcode": "NHS Choices points sharing its postcode",
    "postcode_sector": "centre of its postcode sector",
    "postcode_district": "centre of its postcode district",
}
AREA_CLASS = "consortium-area"
BASELINE_CLASS = "baseline-area"
MOVED_CLASS = "moved-ring"
#: Names drawn on the map (consortia on their areas, local authorities and towns at theirs) never show further out than
#: NAME_ZOOMS[0]; a name still crowded by a more important one at NAME_ZOOMS[1] (about a town's scale) is left out.
NAME_ZOOMS = (6.0, 15.0)
#: The size a name takes on screen, estimated (px per character, height, gap kept to its neighbours) for the
#: styles in ``_CSS`` (.area-name: bold 12 px; .lad-name: 11 px capitals, letter-spaced; .town-name: 11 px
#: italic). Generous, so that names the estimate keeps apart do not touch in the browser either (checked by the
#: browser tests).
NAME_SIZES = {"area": (9.0, 16.0, 6.0), "lad": (9.2, 14.0, 6.0), "town": (7.6, 14.0, 6.0)}
#: A town (the practices' ``town`` in the bundle) is named on the map when at least this many practices give it
#: as their town: one address alone may be misspelt ("Manchseter") or name a hamlet, two independent ones name a
#: place with surgeries in it.
TOWN_MIN_PRACTICES = 2
#: Practices of the same town name farther apart than this (single linkage) are different towns: Ashford (Kent)
#: and Ashford (Surrey) are in one region, 90 km apart; a post town's villages are within a few kilometres.
TOWN_LINK_M = 15_000.0
#: A consortium's name waits until its area is at least this share of the name's width on screen, so that a
#: name is read as lying on its own area rather than spread over its neighbours.
NAME_FIT = 0.75
#: Screens on which the panel and the list of layers start folded: a phone upright or on its side.
SMALL_SCREEN = "(max-width: 600px), (max-height: 500px)"
SEARCH_LIMIT = 8  # search results listed at once; more are counted ("type more")
SEARCH_ZOOM = 15  # the closest a found practice is shown at (streets); closer than that its area is shown whole
SEARCH_MIN_ZOOM = 11  # and never further out than a town's scale, even when its area is larger
#: Two plans are "of like size" when the one with more consortia has at most this much more than the other
#: (e.g. 20 and 25). Only then are practices that change consortium drawn: between plans of unlike size (a hub
#: plan of 76 consortia against 32 CCGs) most practices "move" by construction, and the rings only swamp the map.
LIKE_SIZE = 0.25


def _e(text: str) -> str:
    """``text`` HTML-escaped, for what folium puts into its own HTML as it is (the page's title, layer names)."""
    return str(escape(text))


def render_map(
    plan: Any,
    region: Region,
    path: str | os.PathLike[str] | None = None,
    compare: Any = None,
    title: str | None = None,
    *,
    compare_name: str | None = None,
    tolerance: float = MAP_TOLERANCE_M,
    tiles: bool = False,
    card: Scorecard | None = None,
    settings: Any = None,
    downloads: Iterable[str] | Mapping[str, str] | None = None,
    report: str | None = None,
    comment_email: str | None = None,
) -> folium.Map:
    """Build the consultation map of ``plan`` on ``region``; write it to ``path`` (atomically) when given.

    ``compare``: another plan of the same region (Plan, Series or mapping), drawn as a switchable outline
    layer, off at first; practices whose consortium changes (consortia matched by patient overlap, as in the
    scorecard) are counted in the panel, and ringed in a layer of their own (also off at first) when the two
    plans are of like size (``like_sized``). ``tiles=True`` adds an OpenStreetMap layer, off by default and
    needing internet.
    ``card``: the scorecard ``evaluate(plan, region, baseline=compare)`` when the caller already has it.
    ``settings``: the run's settings (a ``RunConfig`` or its dict) for the panel; by default those of
    ``plan.problem`` when the plan has one. The panel also shows how good the plan is (status, bound, gap and
    ``quality.quality_label``) and the data's dates; a footer carries the licence attribution.
    ``downloads``: files to link from the panel, as paths relative to the map's folder (e.g. ``"plan.csv"``;
    names from ``quality.DOWNLOADS`` get their description), or a mapping of such path -> link text; the
    caller lists only files that exist. ``report``: the region's report page (``boundaries.publish.report``: charts of
    sizes, coherence and deprivation), as a path relative to the map's folder, linked at the top of the panel.
    ``comment_email``: an address for a consultation; each practice's popup then has a link that opens an email
    to it about that practice's consortium, its name in the subject (no server: the reader's own mail program).
    A search box finds a practice by name, ODS code or postcode (from the
    data in the page) and shows it with its consortium highlighted.
    """
    with deterministic_ids():
        card = card if card is not None else evaluate(plan, region, baseline=compare)
        labels = card.assignment
        areas, lads = simplified_layers(labels, region, tolerance)
        colours = area_colours(areas, region.graph, labels)
        title = title or _default_title(plan, region)
        compare_name = compare_name or _plan_name(compare, "Compared plan")

        fmap = folium.Map(
            location=_centre(areas),
            zoom_start=9,
            tiles=None,
            control_scale=True,
            zoom_control=True,
            prefer_canvas=False,
            maxZoom=18,
            minZoom=5,
            zoomSnap=0.25,  # fit the region snugly rather than a whole zoom level out
        )
        root = cast(Figure, fmap.get_root())  # a map's root is the page: a Figure
        root.title = _e(title)
        if tiles:
            folium.TileLayer(
                "OpenStreetMap", name="Street map (needs internet)", overlay=True, show=False, control=True
            ).add_to(fmap)

        areas_layer = _areas_layer(card, areas, colours)
        areas_layer.add_to(fmap)
        _lads_layer(lads).add_to(fmap)
        area_names = folium.FeatureGroup(name=_e(f"Consortium names ({len(areas)})"))
        area_names.add_to(fmap)
        places = name_places(areas, lads, town_points(region.practices))
        lad_count = sum(1 for p in places if p["kind"] == "lad")
        lad_names = folium.FeatureGroup(name=_e(f"Local authority names ({lad_count})"))
        lad_names.add_to(fmap)
        town_count = sum(1 for p in places if p["kind"] == "town")
        town_names = folium.FeatureGroup(name=_e(f"Town names ({town_count})"))
        town_names.add_to(fmap)
        summary = card.summary
        show_moves = card.moved is not None and like_sized(summary["consortia"], summary["baseline_consortia"])
        switchable: dict[str, str] = {}  # legend entry -> the JavaScript name of its layer (for the print key)
        if compare is not None:
            baseline = _baseline_layer(compare, region, compare_name, tolerance).add_to(fmap)
            switchable["base"] = baseline.get_name()
        _trusts_layer(card, region).add_to(fmap)
        practices = _practices_layer(card, region, compare_name, show_moves, comment_email)
        practices.add_to(fmap)
        if show_moves:
            switchable["ring"] = _moved_layer(card, region, compare_name, comment_email).add_to(fmap).get_name()
        _PracticeSearch(card, region, areas_layer, practices).add_to(fmap)
        _PlaceNames(places, area_names, lad_names, town_names).add_to(fmap)
        control = folium.LayerControl(collapsed=False, position="topright")
        control.add_to(fmap)
        _Layout(_bounds_latlon(areas), control).add_to(fmap)

        root.html.add_child(Element(str(_HTML.title(title))), name="boundaries_title")
        about = _plan_rows(plan, settings) + _comparison_rows(card, compare_name, show_moves)
        links = _download_links(downloads)
        legend = _legend(card, compare_name, show_moves)
        report_link = _download_links([report])[0][0] if report else None
        panel = _panel_html(card, colours, compare_name, about, links, show_moves, legend, report_link)
        root.html.add_child(Element(panel), name="boundaries_panel")
        root.html.add_child(Element(_print_key_html(about, legend, switchable)), name="boundaries_print_key")
        root.html.add_child(Element(str(_HTML.attribution(ATTRIBUTION, OGL_URL))), name="boundaries_attribution")
        make_offline(fmap)
        root.header.add_child(Element(f"<style>{_CSS}</style>"), name="boundaries_css")  # after Leaflet's
        if path is not None:
            write_atomic(Path(path), root.render())
    return fmap


def like_sized(consortia: int, other: int) -> bool:
    """Whether two plans with these consortium counts are close enough in size for moves between them to mean
    something: the larger count is at most ``LIKE_SIZE`` (25%) above the smaller."""
    small, large = sorted((int(consortia), int(other)))
    return small > 0 and large <= (1 + LIKE_SIZE) * small


def write_atomic(path: Path, text: str) -> None:
    """Readers never see half a map (see ``boundaries.atomic``)."""
    write_text(path, text)


@contextlib.contextmanager
def deterministic_ids() -> Iterator[None]:
    """Give folium/branca elements created inside the block sequential ids instead of random ones.

    branca names every element ``<kind>_<32 random hex>``, which makes two renders of the same plan differ.
    Not thread-safe (it swaps a class attribute), which is fine for a map writer.
    """
    from branca.element import Element as BrancaElement

    counter = itertools.count(1)
    original = BrancaElement.__dict__["_generate_id"]
    sequential = classmethod(lambda cls: f"{next(counter):05d}")
    setattr(BrancaElement, "_generate_id", sequential)  # noqa: B010 - swapping a classmethod for the block
    try:
        yield
    finally:
        setattr(BrancaElement, "_generate_id", original)  # noqa: B010


def area_colours(areas: gpd.GeoDataFrame, graph: nx.Graph, labels: pd.Series) -> dict[str, str]:
    """A colour per consortium from ``PALETTE``: neighbours always differ, and as far as the palette allows no
    colour is used twice within two steps (an area, its neighbours and theirs all differ).

    Why two steps: with only "neighbours differ", two areas that both touch a third often share a colour, and a
    reader following one colour across the map finds the wrong area. So the areas are coloured as the square of
    their adjacency graph (``nx.power(adjacency, 2)``): a DSATUR-style greedy pass (the area whose nearby areas
    already show the most colours goes next) that must give a colour no neighbour has, and among those takes the
    one fewest areas within two steps have, then the least used overall, then the first in the palette. When the
    palette is large enough that is a colouring of the square (no repeat within two steps); when not, repeats
    fall at two steps, never between neighbours. Only if some area sees every colour among its neighbours does
    networkx's DSATUR colouring of the plain graph take over, with extra colours beyond the palette if even
    that needs them. Neighbours are areas that touch on the map (geometry) or that the region graph links without
    an island link. Deterministic: ties go by name, never by input order.
    """
    adjacency = _area_adjacency(areas, graph, labels)
    near = nx.power(adjacency, 2)
    colours: dict[str, str] = {}
    used = dict.fromkeys(PALETTE, 0)
    seen: dict[Any, set[str]] = {node: set() for node in adjacency}  # colours within two steps of each area
    uncoloured = set(adjacency.nodes)
    while uncoloured:
        node = min(uncoloured, key=lambda n: (-len(seen[n]), -near.degree(n), -adjacency.degree(n), str(n)))
        taken = {colours[n] for n in adjacency.neighbors(node) if n in colours}
        allowed = [c for c in PALETTE if c not in taken]
        if not allowed:
            break
        nearby = [colours[n] for n in near.neighbors(node) if n in colours]
        choice = min(allowed, key=lambda c: (nearby.count(c), used[c], PALETTE.index(c)))
        colours[node] = choice
        used[choice] += 1
        uncoloured.discard(node)
        for n in near.neighbors(node):
            seen[n].add(choice)
    else:
        return colours
    order = sorted(adjacency.nodes, key=str)
    plain = nx.Graph()
    plain.add_nodes_from(order)
    plain.add_edges_from(sorted(tuple(sorted(map(str, e))) for e in adjacency.edges))
    greedy = nx.greedy_color(plain, strategy="saturation_largest_first")
    extra = [_hsl_hex(i * 137.508 % 360) for i in range(max(0, max(greedy.values()) + 1 - len(PALETTE)))]
    palette = [*PALETTE, *extra]
    return {node: palette[greedy[str(node)]] for node in adjacency.nodes}


def _area_adjacency(areas: gpd.GeoDataFrame, graph: nx.Graph, labels: pd.Series) -> nx.Graph:
    """Consortia as nodes (in name order), an edge where two areas touch or the region graph links them by land."""
    adjacency = nx.Graph()
    adjacency.add_nodes_from(sorted(areas.index, key=str))
    left, right = areas.sindex.query(areas.geometry, predicate="intersects")
    for i, j in sorted(zip(left.tolist(), right.tolist(), strict=True)):
        if i < j:
            adjacency.add_edge(areas.index[i], areas.index[j])
    for u, v, data in graph.edges(data=True):
        a, b = labels.get(str(u)), labels.get(str(v))
        if a is not None and b is not None and a != b and not data.get("island", False):
            adjacency.add_edge(a, b)
    return adjacency


# ---------------------------------------------------------------------------------------------- layers


def _areas_layer(card: Scorecard, areas: gpd.GeoDataFrame, colours: dict[str, str]) -> folium.GeoJson:
    rows = card.consortia
    features = []
    for label, geom in _lonlat(areas.geometry).items():
        style = {
            "fillColor": colours[label],
            "color": "#ffffff",
            "weight": 1.2,
            "fillOpacity": 0.62,
            "opacity": 1,
            "className": AREA_CLASS,
        }
        properties = {"consortium": str(label), "tooltip": _area_tooltip(label, rows.loc[label]), "style": style}
        features.append(_feature(geom, properties))
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=_e(f"Consortia ({len(features)})"),
        on_each_feature=JsCode(
            """function (feature, layer) {
                layer.bindTooltip(feature.properties.tooltip, {sticky: true, className: 'area-tip'});
                layer.on('mouseover', function (e) { e.target.setStyle({weight: 3, color: '#222'});
                                                     e.target.bringToFront(); });
                layer.on('mouseout', function (e) {  // the area a search found keeps its outline
                    e.target.setStyle(e.target.searchHit ? {weight: 4, color: '#111111'}
                                                         : {weight: 1.2, color: '#ffffff'}); });
            }"""
        ),
    )


def _lads_layer(lads: gpd.GeoDataFrame) -> folium.GeoJson:
    style = {
        "fill": False,
        "color": "#3a3a3a",
        "weight": 1.8,
        "opacity": 0.9,
        "interactive": False,
        "className": "lad-outline",
    }
    features = [_feature(geom, {"style": style}) for geom in _lonlat(lads.geometry).values]
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name=_e(f"Local authorities ({len(features)})")
    )


def _baseline_layer(compare: Any, region: Region, name: str, tolerance: float) -> folium.GeoJson:
    card = evaluate(compare, region)
    areas, _ = simplified_layers(card.assignment, region, tolerance)
    style = {
        "fill": False,
        "color": "#111111",
        "weight": 3,
        "opacity": 0.85,
        "dashArray": "9 6",
        "className": BASELINE_CLASS,
    }
    features = []
    for label, geom in _lonlat(areas.geometry).items():
        row = card.consortia.loc[label]
        tip = str(_HTML.plan_tooltip(name, label, f"{row['patients']:,}", row["practices"]))
        features.append(_feature(geom, {"tooltip": tip, "style": style}))
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=_e(f"{name} ({len(features)})"),
        show=False,  # the public view opens on the plan alone; the layer list switches the comparison on
        on_each_feature=JsCode("function (f, layer) { layer.bindTooltip(f.properties.tooltip, {sticky: true}); }"),
    )


def _trusts_layer(card: Scorecard, region: Region) -> folium.GeoJson:
    """Acute trusts that are the main trust of a practice or a consortium, at their site.

    A GeoJson layer rather than folium.Marker + folium.Tooltip: folium pastes a Tooltip's text into a
    JavaScript template literal, where a backtick in a trust name would break out; GeoJSON properties travel
    as JSON.
    """
    wanted = set(region.practices["main_trust"].dropna().astype(str)) | set(
        card.consortia["main_trust"].dropna().astype(str)
    )
    trusts = region.trusts[region.trusts.index.astype(str).isin(wanted)]
    trusts = trusts[trusts.geometry.notna() & ~trusts.geometry.is_empty].sort_index()
    features = []
    for trust, point in _lonlat(trusts.geometry).items():
        name = str(trusts.loc[trust, "name"]) if "name" in trusts else str(trust)
        features.append(_feature(point, {"tooltip": str(_HTML.trust_tooltip(name, str(trust)))}))
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=_e(f"Acute trusts ({len(features)})"),
        marker=folium.Marker(
            icon=folium.DivIcon(html="H", class_name="trust-site", icon_size=(18, 18), icon_anchor=(9, 9)),
            z_index_offset=1000,
        ),
        on_each_feature=JsCode("function (f, layer) { layer.bindTooltip(f.properties.tooltip); }"),
    )


def _practices_layer(
    card: Scorecard, region: Region, compare_name: str, show_moves: bool, comment: str | None = None
) -> FastMarkerCluster:
    """Every practice, clustered where dense. The dots never show moves: those are a layer of their own, off
    until asked for (see ``_moved_layer``)."""
    practices = region.practices.loc[card.assignment.index]
    points = _lonlat(practices.geometry)
    rows = []
    for code, point in points.items():
        rows.append(
            [
                round(point.y, 5),
                round(point.x, 5),
                _practice_popup(code, practices.loc[code], card, compare_name, show_moves, comment),
                "practice-dot",
                str(practices.loc[code, "name"]),
                str(code),
            ]
        )
    return FastMarkerCluster(
        rows,
        name=_e(f"Practices ({len(rows)})"),
        callback="""function (row) {
            var marker = L.marker([row[0], row[1]], {
                icon: L.divIcon({className: row[3], iconSize: [10, 10]}), title: row[4], code: row[5]});
            marker.bindPopup(row[2], {maxWidth: Math.min(340, window.innerWidth - 100)});  // fits a phone
            return marker;
        }""",
        showCoverageOnHover=False,
        maxClusterRadius=45,
        disableClusteringAtZoom=13,
        chunkedLoading=True,
    )


def _moved_layer(card: Scorecard, region: Region, compare_name: str, comment: str | None = None) -> folium.GeoJson:
    """Rings on the practices that change consortium, for plans of like size only; off by default."""
    assert card.moved is not None
    codes = card.moved.index[card.moved]
    practices = region.practices.loc[codes]
    features = [
        _feature(point, {"popup": _practice_popup(code, practices.loc[code], card, compare_name, True, comment)})
        for code, point in _lonlat(practices.geometry).items()
    ]
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=_e(f"Practices changing consortium ({len(features)})"),
        show=False,
        marker=folium.CircleMarker(radius=7, color="#c2007a", weight=2.5, fill=False, className=MOVED_CLASS),
        on_each_feature=JsCode(
            "function (f, layer) {"
            " layer.bindPopup(f.properties.popup, {maxWidth: Math.min(340, window.innerWidth - 100)}); }"
        ),
    )


class _Layout(MacroElement):
    """What makes one page work on a laptop, a phone and paper (issue 15, item 7).

    - The region is fitted in the room right of the summary panel as drawn when the panel is open (folded first
      when that room is under 40% of the map), over the whole map when not.
    - On a small screen (``SMALL_SCREEN``: a phone, upright or on its side) the panel (by the script at the end
      of its macro in ``map.html.j2``) and the list of layers start folded to one button each, so the map is
      what a reader sees first.
    - Hover cards (non-permanent tooltips) are kept inside the map: their width is capped in CSS, and here each
      one is shifted back inside the map's frame when the pointer is near an edge, which Leaflet does not do.
    - Printing: ``beforeprint`` switches the page to its A4 layout (class ``printing``, see ``_PRINT_CSS``),
      tells Leaflet the map's new size and fits the region into it; ``afterprint`` puts the screen view back.
      Only the comparison layers that are switched on get a line in the printed key.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }}, layers = {{ this.control.get_name() }};
    var bounds = {{ this.bounds|tojson }}, small = window.matchMedia({{ this.small|tojson }}).matches;
    var panel = document.querySelector('.map-panel details.panel-body');
    var frame = map.getContainer().getBoundingClientRect(), besidePanel = 10;
    if (panel && panel.open) {  // fit the region in the room right of the panel as it is drawn; with less than
        // 40% of the map left there, fold the panel to its heading rather than shrink the region to a strip
        besidePanel = panel.parentNode.getBoundingClientRect().right - frame.left + 10;
        if (frame.width - besidePanel < 0.4 * frame.width) { panel.open = false; besidePanel = 10; }
    }
    map.fitBounds(bounds, {paddingTopLeft: [besidePanel, 50], paddingBottomRight: [10, 10], animate: false});
    if (small) {  // a phone: the list of layers folds to its button (a tap opens it, a tap on the map folds it)
        layers.collapse();
        map.on('click', function () { layers.collapse(); });
    }
    var place = L.Tooltip.prototype._setPosition;
    L.Tooltip.include({_setPosition: function (pos) {
        place.call(this, pos);
        if (this.options.permanent || !this._map) return;
        var box = this._container.getBoundingClientRect(), frame = this._map.getContainer().getBoundingClientRect();
        var dx = Math.max(Math.min(0, frame.right - 4 - box.right), frame.left + 4 - box.left);
        var dy = Math.max(Math.min(0, frame.bottom - 4 - box.bottom), frame.top + 4 - box.top);
        if (dx || dy) L.DomUtil.setPosition(this._container, L.DomUtil.getPosition(this._container).add([dx, dy]));
    }});
    var screenView = null;
    window.addEventListener('beforeprint', function () {
        screenView = {center: map.getCenter(), zoom: map.getZoom()};
        document.documentElement.classList.add('printing');
        Array.prototype.forEach.call(document.querySelectorAll('.print-key li[data-layer]'), function (item) {
            item.hidden = !map.hasLayer(window[item.getAttribute('data-layer')]);
        });
        map.invalidateSize({animate: false, pan: false});
        map.fitBounds(bounds, {padding: [6, 6], animate: false});
    });
    window.addEventListener('afterprint', function () {
        document.documentElement.classList.remove('printing');
        map.invalidateSize({animate: false, pan: false});
        if (screenView) map.setView(screenView.center, screenView.zoom, {animate: false});
    });
})();
{% endmacro %}"""
    )

    def __init__(self, bounds: tuple[float, float, float, float], control: folium.LayerControl):
        super().__init__()
        self._name = "Layout"
        self.control, self.small = control, SMALL_SCREEN
        south, west, north, east = bounds
        self.bounds = [[round(south, 5), round(west, 5)], [round(north, 5), round(east, 5)]]


def town_points(practices: pd.DataFrame) -> gpd.GeoDataFrame:
    """One point per town of the practices' ``town`` column, for ``name_places``: columns town, practices,
    patients and the point geometry (the practices' CRS), most patients first (ties: name, then west to east).

    Practices of one town name are split into places by single linkage at ``TOWN_LINK_M`` (two Ashfords, two
    Newports are two places); each place with at least ``TOWN_MIN_PRACTICES`` practices gets one point, the
    patient-weighted mean of its practices. Empty when the practices have no ``town`` column (data without it).
    """
    columns = ["town", "practices", "patients"]
    if "town" not in practices.columns or practices.empty:
        return gpd.GeoDataFrame(columns=columns, geometry=[], crs=getattr(practices, "crs", None))
    towns = practices["town"].fillna("").astype(str).str.strip()
    rows = []
    for town, group in practices[towns != ""].groupby(towns[towns != ""], sort=True):
        if len(group) < TOWN_MIN_PRACTICES:
            continue
        xy = np.column_stack([group.geometry.x.to_numpy(), group.geometry.y.to_numpy()])
        weights = group["patients"].to_numpy(dtype=float) + 1.0  # a practice with no list still counts a little
        for members in _linked(xy, TOWN_LINK_M):
            if len(members) < TOWN_MIN_PRACTICES:
                continue
            w = weights[members]
            x, y = (xy[members] * w[:, None]).sum(axis=0) / w.sum()
            rows.append((str(town), len(members), int(group["patients"].to_numpy()[members].sum()), x, y))
    rows.sort(key=lambda r: (-r[2], r[0], r[3], r[4]))
    return gpd.GeoDataFrame(
        {name: [r[k] for r in rows] for k, name in enumerate(columns)},
        geometry=shapely.points([r[3] for r in rows], [r[4] for r in rows]) if rows else [],
        crs=practices.crs,
    )


def _linked(xy: np.ndarray, distance: float) -> list[np.ndarray]:
    """Groups of points joined by steps of at most ``distance`` (single linkage), in order of first member."""
    parent = list(range(len(xy)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    near = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) <= distance
    for i, j in zip(*np.nonzero(np.triu(near, 1)), strict=True):
        parent[root(int(i))] = root(int(j))
    roots = np.array([root(i) for i in range(len(xy))])
    return [np.flatnonzero(roots == r) for r in dict.fromkeys(roots.tolist())]


def _place_key(name: str) -> str:
    """Names compared loosely: "Kingston upon Hull, City of" (LAD) is the town "Kingston upon Hull"."""
    name = re.sub(r",\s*(city|county) of$", "", name.strip().casefold())
    return re.sub(r"[^a-z0-9]", "", name)


def name_places(
    areas: gpd.GeoDataFrame, lads: gpd.GeoDataFrame, towns: gpd.GeoDataFrame | None = None
) -> list[dict[str, Any]]:
    """Where each name goes on the map and from which zoom it shows, so that names never overlap.

    One name per consortium, at the point of the largest part of its area farthest from its edges
    (``_label_point``: inside even for a crescent, unlike a centroid, and where a name has most room), and one
    per local authority at that point of its largest part, unless a consortium already carries the same name;
    then one per town of ``towns`` (``town_points``: at the patient-weighted mean of its practices), unless a
    consortium or an authority already carries the same name (Leeds, Sunderland). Names
    are placed in order of importance: consortia (most patients first), then authorities (largest first), then
    towns (most patients first). Each
    shows from the first zoom (``NAME_ZOOMS``, in quarter steps like the map's zoom) at which it clears every
    more important name that is showing, as boxes of the estimated size (``NAME_SIZES``) in Web Mercator
    pixels; a consortium's name also waits until its area is ``NAME_FIT`` of the name's width on screen. Two
    names that clear each other at some zoom clear each other at every closer one (distances on screen double
    with each zoom, the names keep their size), so each name needs only its one threshold. A name that does
    not clear by ``NAME_ZOOMS[1]`` is left out. Returns dicts with text, lat, lon, kind ("area", "lad" or
    "town") and zoom, in order of importance; deterministic.
    """
    wgs = areas.geometry.to_crs(4326)
    rows = []
    area_order = sorted(areas.index, key=lambda label: (-int(areas.loc[label, "patients"]), str(label)))
    for label in area_order:
        part = _largest_part(areas.geometry[label])
        west, _, east, _ = _largest_part(wgs[label]).bounds
        rows.append({"text": str(label), "kind": "area", "point": _label_point(part), "lon_span": east - west})
    taken = {str(label).casefold() for label in areas.index}
    lad_parts = {code: _largest_part(geom) for code, geom in lads.geometry.items()}
    for code in sorted(lads.index, key=lambda c: (-lad_parts[c].area, str(c))):
        name = str(lads.loc[code, "lad_name"])
        if name.casefold() not in taken:
            rows.append({"text": name, "kind": "lad", "point": _label_point(lad_parts[code]), "lon_span": None})
    if towns is not None and len(towns):
        named = {_place_key(str(label)) for label in areas.index} | {_place_key(str(n)) for n in lads["lad_name"]}
        for town, point in zip(towns["town"], towns.geometry.to_crs(areas.crs), strict=True):
            if _place_key(str(town)) not in named:
                rows.append({"text": str(town), "kind": "town", "point": point, "lon_span": None})
    if not rows:
        return []
    points = gpd.GeoSeries([row["point"] for row in rows], crs=areas.crs).to_crs(4326)
    lon, lat = np.round(points.x.to_numpy(), 5), np.round(points.y.to_numpy(), 5)
    # Web Mercator pixels at zoom 0 (Leaflet's: 256 px for the world); at zoom z multiply by 2 ** z
    x = (lon + 180.0) / 360.0 * 256.0
    y = (1.0 - np.log(np.tan(np.radians(lat)) + 1.0 / np.cos(np.radians(lat))) / np.pi) / 2.0 * 256.0
    low, high = NAME_ZOOMS
    placed: list[dict[str, Any]] = []
    boxes: list[tuple[float, float, float, float, float]] = []  # x, y, half width, half height, zoom
    for k, row in enumerate(rows):
        per_char, height, gap = NAME_SIZES[row["kind"]]
        half_w, half_h = (per_char * len(row["text"]) + gap) / 2.0, (height + gap) / 2.0
        zoom = low
        if row["lon_span"]:  # its area wide enough on screen to carry its name
            zoom = max(zoom, float(np.log2(NAME_FIT * 2.0 * half_w / (row["lon_span"] / 360.0 * 256.0))))
        for bx, by, bw, bh, bzoom in boxes:
            clear = min(_clear_zoom(abs(x[k] - bx), half_w + bw), _clear_zoom(abs(y[k] - by), half_h + bh))
            if clear > bzoom:  # they would overlap once both show: this one waits until they clear
                zoom = max(zoom, clear)
        zoom = float(np.ceil(zoom * 4.0 - 1e-9) / 4.0)
        if zoom > high:
            continue
        boxes.append((float(x[k]), float(y[k]), half_w, half_h, zoom))
        placed.append(
            {"text": row["text"], "kind": row["kind"], "lat": float(lat[k]), "lon": float(lon[k]), "zoom": zoom}
        )
    return placed


def _clear_zoom(distance: float, needed: float) -> float:
    """The zoom from which two names ``distance`` apart (zoom-0 pixels) are ``needed`` pixels apart on screen."""
    return float("inf") if distance <= 0 else float(np.log2(needed / distance))


def _label_point(polygon: shapely.Geometry) -> shapely.Point:
    """The pole of inaccessibility (``shapely.ops.polylabel``, to 1/200 of the part's size): the middle of
    where a name has most room. ``representative_point`` is inside too, but often on a line it shares with a
    neighbour's point (two rectangles side by side get the same height), which would stack their names."""
    from shapely.ops import polylabel

    if polygon.is_empty or polygon.area <= 0:
        return polygon.representative_point()
    west, south, east, north = polygon.bounds
    point = polylabel(polygon, tolerance=max(1.0, max(east - west, north - south) / 200.0))
    return point if polygon.contains(point) else polygon.representative_point()


def _largest_part(geom: shapely.Geometry) -> shapely.Geometry:
    parts = list(getattr(geom, "geoms", [geom]))
    return max(parts, key=lambda part: (part.area, part.bounds))


class _PlaceNames(MacroElement):
    """The names of ``name_places`` drawn on the map, each shown only from its zoom (so they never overlap).

    A name is a Leaflet marker with a ``divIcon`` whose text is set with ``textContent`` (never read as HTML),
    in a pane of its own above the areas and below the practices, that clicks and hovers pass through. The
    consortium names, the authority names and the town names are three layers in the layer list.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    var groups = {area: {{ this.areas.get_name() }}, lad: {{ this.lads.get_name() }},
                  town: {{ this.towns.get_name() }}};
    var places = {{ this.places|tojson }};
    var pane = map.createPane('names');
    pane.style.zIndex = 450;
    pane.style.pointerEvents = 'none';
    var names = places.map(function (place) {
        var text = document.createElement('span');
        text.textContent = place.text;
        var icon = L.divIcon({className: {area: 'area-name', lad: 'lad-name', town: 'town-name'}[place.kind],
                              html: text, iconSize: [0, 0]});
        return {place: place, marker: L.marker([place.lat, place.lon], {
            icon: icon, pane: 'names', interactive: false, keyboard: false})};
    });
    function update() {
        var zoom = map.getZoom();
        names.forEach(function (name) {
            var group = groups[name.place.kind], show = zoom >= name.place.zoom - 1e-9;
            if (show && !group.hasLayer(name.marker)) group.addLayer(name.marker);
            else if (!show && group.hasLayer(name.marker)) group.removeLayer(name.marker);
        });
    }
    map.on('zoomend', update);
    update();
})();
{% endmacro %}"""
    )

    def __init__(
        self,
        places: list[dict[str, Any]],
        areas: folium.FeatureGroup,
        lads: folium.FeatureGroup,
        towns: folium.FeatureGroup,
    ):
        super().__init__()
        self._name = "PlaceNames"
        self.areas, self.lads, self.towns = areas, lads, towns
        self.places = places


class _PracticeSearch(MacroElement):
    """A search box (top left, above the zoom buttons) that finds a practice by name, ODS code or postcode.

    Offline: it searches a small index written into the page (code, name, postcode, consortium, position),
    passed through Jinja's ``tojson`` (which escapes ``<``, ``>``, ``&`` and ``'``), and builds its results
    with ``textContent`` only, so no name is ever read as HTML. Choosing a result centres the map on the
    practice (at the zoom that shows its consortium's area whole, between ``SEARCH_MIN_ZOOM`` and
    ``SEARCH_ZOOM``), rings it, outlines the area (class ``search-hit``) and opens its popup; the view is
    shifted so that the practice is not under the panel.
    """

    _template = Template(
        r"""{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }}, areas = {{ this.areas.get_name() }};
    var practices = {{ this.practices.get_name() }};
    var labels = {{ this.labels|tojson }};
    var rows = {{ this.rows|tojson }};  // [code, name, postcode, consortium (index in labels), lat, lon]
    var LIMIT = {{ this.limit }}, ZOOM = {{ this.zoom }}, MIN_ZOOM = {{ this.min_zoom }};
    function compact(text) { return String(text || '').toUpperCase().replace(/[^A-Z0-9]/g, ''); }
    function words(text) {
        return String(text || '').toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '')
            .replace(/[^a-z0-9]+/g, ' ').trim();
    }
    var entries = rows.map(function (row, k) {
        return {k: k, row: row, code: compact(row[0]), postcode: compact(row[2]), name: ' ' + words(row[1])};
    });
    function rank(entry, key, parts) {
        if (key && (entry.code === key || entry.postcode === key)) return 0;
        if (key.length >= 2 && (entry.code.indexOf(key) === 0 || entry.postcode.indexOf(key) === 0)) return 1;
        if (!parts.length) return -1;
        if (parts.every(function (p) { return entry.name.indexOf(' ' + p) >= 0; })) return 2;
        if (parts.every(function (p) { return entry.name.indexOf(p) >= 0; })) return 3;
        return -1;
    }
    function find(query) {
        var key = compact(query), text = words(query), parts = text ? text.split(' ') : [], found = [];
        entries.forEach(function (entry) {
            var r = rank(entry, key, parts);
            if (r >= 0) found.push([r, entry]);
        });
        found.sort(function (a, b) {
            var x = a[1].row[1], y = b[1].row[1];
            return a[0] - b[0] || (x < y ? -1 : x > y ? 1 : a[1].k - b[1].k);
        });
        return found.map(function (f) { return f[1]; });
    }
    var markers = null;
    function markerOf(code) {
        if (markers === null) {
            markers = {};
            practices.getLayers().forEach(function (m) { if (m.options.code) markers[m.options.code] = m; });
        }
        return markers[code];
    }
    var hit = null;
    var ring = L.circleMarker([0, 0], {radius: 16, color: '#111111', weight: 3, fill: false,
                                       interactive: false, className: 'search-ring'});
    function outline(label) {
        if (hit) {
            hit.searchHit = false;
            hit.setStyle({weight: 1.2, color: '#ffffff'});
            if (hit.getElement()) hit.getElement().classList.remove('search-hit');
        }
        hit = null;
        areas.eachLayer(function (layer) {
            if (layer.feature && layer.feature.properties.consortium === label) hit = layer;
        });
        if (hit) {
            hit.searchHit = true;
            hit.setStyle({weight: 4, color: '#111111'});
            if (hit.getElement()) { hit.bringToFront(); hit.getElement().classList.add('search-hit'); }
        }
        return hit;
    }
    function clearOfPanel(latlng) {  // the practice must not end up under the summary panel
        var panel = document.querySelector('.map-panel');
        if (!panel) return;
        var box = panel.getBoundingClientRect(), frame = map.getContainer().getBoundingClientRect();
        if (frame.right - box.right < 340 && box.top - frame.top < 380) {  // no room beside it or above it
            Array.prototype.forEach.call(panel.querySelectorAll('details[open]'), function (d) { d.open = false; });
            box = panel.getBoundingClientRect();  // folded to its headings (a phone): one tap opens it again
        }
        var p = map.latLngToContainerPoint(latlng), x = p.x + frame.left, y = p.y + frame.top;
        if (x < box.left - 30 || x > box.right + 30 || y < box.top - 30 || y > box.bottom + 30) return;
        var room = frame.right - box.right;  // beside the panel: room for the popup (about 340 px) if possible
        var right = (room > 400 ? box.right + room / 2 : box.right + 40) - x, up = y - (box.top - 40);
        if (x + right < frame.right - 30) map.panBy([-right, 0], {animate: false});
        else if (y - up > frame.top + 30) map.panBy([0, up], {animate: false});
    }
    function belowControls(popup) {  // nor its popup under the list of layers or the search box
        var top = map.getContainer().getBoundingClientRect().top, below = 0;
        Array.prototype.forEach.call(document.querySelectorAll('.leaflet-top .leaflet-control'), function (c) {
            below = Math.max(below, c.getBoundingClientRect().bottom - top + 8);
        });
        if (popup) popup.options.autoPanPaddingTopLeft = L.point(5, Math.min(below, 200));
    }
    var Search = L.Control.extend({
        options: {position: 'topleft'},
        onAdd: function () {
            var box = L.DomUtil.create('div', 'leaflet-control practice-search');
            var input = L.DomUtil.create('input', '', box);
            input.type = 'search';
            input.placeholder = 'Find a practice: name, code or postcode';
            input.setAttribute('aria-label', 'Find a GP practice by name, ODS code or postcode');
            input.autocomplete = 'off';
            input.spellcheck = false;
            var list = L.DomUtil.create('ul', 'search-results', box);
            var status = L.DomUtil.create('div', 'search-status', box);
            status.setAttribute('role', 'status');
            var found = [];
            function choose(entry) {
                var row = entry.row, latlng = L.latLng(row[4], row[5]), label = labels[row[3]];
                map.closePopup();
                list.textContent = '';
                box.parentNode.classList.remove('searching');
                input.value = row[1];
                status.textContent = row[1] + ' (' + row[0] + ') is in ' + label;
                var area = outline(label);  // the view: the practice at the centre, its area in sight if it fits
                var fits = area ? map.getBoundsZoom(area.getBounds()) : ZOOM;
                map.setView(latlng, Math.min(ZOOM, Math.max(MIN_ZOOM, fits)), {animate: false});
                ring.setLatLng(latlng).addTo(map);
                var marker = markerOf(row[0]);
                if (!marker || !map.hasLayer(practices)) { clearOfPanel(latlng); return; }
                function reveal() {  // it may take a closer zoom to take it out of a cluster
                    practices.zoomToShowLayer(marker, function () {
                        clearOfPanel(latlng);
                        belowControls(marker.getPopup());
                        marker.openPopup();
                    });
                }
                // the clusters split with an animation after a zoom: the marker is there once it ends
                if (practices._inZoomAnimation) practices.once('animationend', reveal);
                else reveal();
            }
            function show() {
                var query = input.value;
                list.textContent = '';
                found = query.trim() ? find(query) : [];
                found.slice(0, LIMIT).forEach(function (entry) {
                    var item = L.DomUtil.create('li', '', list);
                    var button = L.DomUtil.create('button', '', item);
                    button.type = 'button';
                    L.DomUtil.create('b', '', button).textContent = entry.row[1];
                    L.DomUtil.create('span', '', button).textContent =
                        [entry.row[2], entry.row[0], labels[entry.row[3]]].filter(Boolean).join(' · ');
                    button.addEventListener('click', function (event) {
                        event.stopPropagation();  // the button is gone once chosen: the map must not see a click
                        choose(entry);
                    });
                });
                box.parentNode.classList.toggle('searching', found.length > 0);  // the list opens over the panel
                status.textContent = !query.trim() ? '' : found.length === 0 ? 'No practice found'
                    : found.length === 1 ? '1 practice found'
                    : found.length > LIMIT ? found.length + ' practices found: the first ' + LIMIT
                                             + ' are listed, type more to narrow them'
                    : found.length + ' practices found';
            }
            function step(event, by) {
                var buttons = Array.prototype.slice.call(list.querySelectorAll('button'));
                var k = buttons.indexOf(document.activeElement) + by;
                if (k < 0) input.focus();
                else if (k < buttons.length) buttons[k].focus();
                event.preventDefault();
            }
            input.addEventListener('input', show);
            box.addEventListener('keydown', function (event) {
                if (event.key === 'Enter' && event.target === input && found.length) choose(found[0]);
                else if (event.key === 'ArrowDown') step(event, 1);
                else if (event.key === 'ArrowUp') step(event, -1);
                else if (event.key === 'Escape') { input.value = ''; show(); input.focus(); }
            });
            L.DomEvent.disableClickPropagation(box);
            L.DomEvent.disableScrollPropagation(box);
            L.DomEvent.on(box, 'click keydown keypress keyup', L.DomEvent.stopPropagation);  // no map panning
            return box;
        }
    });
    var control = new Search().addTo(map), element = control.getContainer();
    element.parentNode.insertBefore(element, element.parentNode.firstChild);  // above the zoom buttons
})();
{% endmacro %}"""
    )

    def __init__(self, card: Scorecard, region: Region, areas: folium.GeoJson, practices: FastMarkerCluster):
        super().__init__()
        self._name = "PracticeSearch"
        self.areas, self.practices = areas, practices
        self.limit, self.zoom, self.min_zoom = SEARCH_LIMIT, SEARCH_ZOOM, SEARCH_MIN_ZOOM
        self.labels = [str(label) for label in card.consortia.index]
        number = {label: k for k, label in enumerate(self.labels)}
        table = region.practices.loc[card.assignment.index]
        points = _lonlat(table.geometry)
        self.rows = [
            [
                str(code),
                str(table.loc[code, "name"]),
                _postcode(table.loc[code]),
                number[str(card.assignment[code])],
                round(point.y, 5),
                round(point.x, 5),
            ]
            for code, point in points.items()
        ]


# ---------------------------------------------------------------------------------------------- texts


def _area_tooltip(label: str, row: pd.Series) -> str:
    split_codes = set(row["split_lads"])
    words = {
        "label": label,
        "patients": f"{row['patients']:,}",
        "practices": row["practices"],
        "imd": _num(row["imd_mean"]),
        "n_lads": row["n_lads"],
        "lads": list(row["lad_names"]),
        "splits": [n for code, n in zip(row["lads"], row["lad_names"], strict=True) if code in split_codes],
        "trust": str(row["main_trust_name"]) if isinstance(row["main_trust"], str) else None,
        "coherence": _pct(row["coherence"]),
        "islands": _islands(row),
    }
    return str(_HTML.area_tooltip(words))


def _islands(row: pd.Series) -> tuple[int, str, list[str]] | None:
    """(count, area in km², authority names) of the island parts an area holds (land of an authority with no
    practice on it), or None."""
    count = int(row.get("island_parts", 0) or 0)
    if not count:
        return None
    return count, f"{row.get('island_km2', 0.0):.2f}", [str(n) for n in row.get("island_lads", ())]


def _practice_popup(
    code: str, practice: pd.Series, card: Scorecard, compare_name: str, show_moves: bool, comment: str | None = None
) -> str:
    imd = _num(practice.get("imd", float("nan")))
    if bool(practice.get("imd_imputed", False)):
        imd += " (imputed)"
    rule = str(practice.get("geocode", ""))
    consortium = str(card.assignment[code])
    rows = [
        ("ODS code", str(code)),
        *([("Postcode", postcode)] if (postcode := _postcode(practice)) else []),
        ("List size", f"{int(practice['patients']):,} patients"),
        ("IMD 2019", imd),
        ("Placed at", GEOCODE_RULES.get(rule, rule)),
        ("Consortium", consortium),
    ]
    detail = str(practice.get("geocode_detail", "") or "").strip()
    if bool(practice.get("snapped", False)):
        detail = f"{detail}; moved {float(practice.get('snap_m', 0)):,.0f} m into England".lstrip("; ")
    if detail:
        rows.append(("Note", detail))
    changes = False
    if card.moved is not None and card.baseline is not None:
        rows.append((compare_name, str(card.baseline[code])))
        changes = show_moves and bool(card.moved[code])
    link = (_comment_href(comment, consortium), consortium) if comment else None
    return str(_HTML.practice_popup(str(practice["name"]), rows, changes, link))


def _comment_href(address: str, consortium: str) -> str:
    """A link that opens an email to ``address`` with the consortium named in its subject: the name is
    URL-encoded inside the link (and the template escapes it around the link), so no name can break out."""
    subject = quote(f"Comment on the proposed consortium: {consortium}", safe="")
    return f"mailto:{quote(address, safe='@.+-_')}?subject={subject}"


def _postcode(practice: pd.Series) -> str:
    """The practice's list postcode, or "" when the region has none for it."""
    value = practice.get("postcode")
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip()


def _plan_rows(plan: Any, settings: Any) -> list[tuple[str, str, str]]:
    """(name, text, css class) rows on how the plan was made and how good it is, for the panel's top."""
    q = plan_quality(plan)
    quality_class = "quality" if is_proven(q["status"], q["gap"], q["bound"]) else "quality not-proven"
    rows = [
        ("Plan quality", q["label"], quality_class),
        ("Solver", solver_text(q["status"], q["source"], q["objective"], q["bound"], q["gap"]), ""),
    ]
    if settings is None and getattr(plan, "problem", None) is not None:
        problem = plan.problem
        settings = {
            "preset": getattr(problem, "preset_name", None),
            "min_population": getattr(problem, "min_population", None),
            "max_population": getattr(problem, "max_population", None),
            "nesting": getattr(problem, "nesting", None),
            "n_consortia": getattr(problem, "n_consortia", None),
        }
    if settings is not None:
        rows.append(("Settings", settings_text(settings), ""))
    rows.append(("Data", DATA_VINTAGE, ""))
    return rows


def _comparison_rows(card: Scorecard, compare_name: str, show_moves: bool) -> list[tuple[str, str, str]]:
    """The panel's words on the comparison: what is drawn, and why moves are not when the plans differ in size."""
    if card.moved is None:
        return []
    s = card.summary
    ours, theirs = s["consortia"], s["baseline_consortia"]
    moved = f"{s['moved_practices']:,} practices ({s['moved_patients']:,} patients) change consortium"
    if show_moves:
        text = (
            f"{compare_name}: {theirs} consortia against this plan's {ours}; {moved}. Its boundaries and rings on "
            "the practices that change are in the layer list."
        )
    else:
        text = (
            f"{compare_name}: {theirs} consortia against this plan's {ours}, too different in number for moves to "
            f"mean much ({moved}, most of them only because the plans differ in size). Its boundaries are in the "
            "layer list; moved practices are drawn only for plans within "
            f"{LIKE_SIZE:.0%} of each other in size."
        )
    return [("Comparison", text, "comparison")]


def _panel_html(
    card: Scorecard,
    colours: dict[str, str],
    compare_name: str,
    about: Sequence[tuple[str, str, str]] = (),
    links: Sequence[tuple[str, str, str]] = (),
    show_moves: bool = False,
    legend: Sequence[_Key] = (),
    report: str | None = None,
) -> str:
    moved_by = card.moved.groupby(card.assignment).sum() if show_moves and card.moved is not None else None
    head = ["", "Consortium", "Patients", "Practices", "LADs (split)", "Main trust (share)", "IMD", "km", "Connected"]
    if show_moves:  # the per-consortium match and moves mean something only between plans of like size
        head += [f"≈ {compare_name}", "Moved"]
    rows = []
    for key, row in card.consortia.iterrows():
        label = str(key)  # consortium labels are text (``Plan``)
        match = card.matching.get(label) if show_moves else None
        rows.append(
            {
                "colour": colours[label],
                "label": label,
                "patients": f"{row['patients']:,}",
                "practices": row["practices"],
                "lads": f"{row['n_lads']} ({row['la_splits']})",
                "trust": str(row["main_trust_name"]) if isinstance(row["main_trust"], str) else None,
                "coherence": _pct(row["coherence"]),
                "imd": _num(row["imd_mean"]),
                "km": _num(row["compactness_km"]),
                "link": "island link" if row["island_link"] else ("yes" if row["connected"] else "no"),
                "pieces": bool(row.get("in_pieces", False)),
                "islands": _islands(row),
                "match": match if match is not None else "—",
                "moved": int(moved_by.get(label, 0)) if moved_by is not None else 0,
            }
        )
    return str(
        _HTML.panel(
            about, card.headlines(), report, links, legend, _GLOSSARY_HTML, head, rows, show_moves, SMALL_SCREEN
        )
    )


class _Key(NamedTuple):
    """A legend line: the key's ``<span>`` (its class, colour and mark), its words, and the comparison layer it
    belongs to ("" for none: a layer on when the map opens)."""

    span: str
    text: str
    layer: str = ""
    colour: str = ""
    mark: str = ""


def _legend(card: Scorecard, compare_name: str, show_moves: bool) -> list[_Key]:
    """The legend's lines; the comparison's (layers off at first) name their layer's key."""
    legend = [
        _Key("swatch", "consortium area (neighbours differ)", colour="#4e79a7"),
        _Key("line lad", "local authority boundary"),
        _Key("dot", "GP practice (click for details; numbers are clusters)"),
        _Key("trust-key", "acute trust (main trust of at least one practice)", mark="H"),
    ]
    if card.moved is not None:
        legend.append(_Key("line base", f"{compare_name} boundary", "base"))
    if show_moves:
        legend.append(_Key("ring", "practice that changes consortium", "ring"))
    return legend


def _print_key_html(about: list[tuple[str, str, str]], legend: list[_Key], layers: dict[str, str]) -> str:
    """The key printed under the map (hidden on screen): the plan's quality and the legend.

    A comparison line carries its layer's JavaScript name, so that ``_Layout`` prints it only when that layer
    is switched on.
    """
    quality = next((text for name, text, _ in about if name == "Plan quality"), "")
    return str(_HTML.print_key(quality, legend, layers))


def _download_links(downloads: Iterable[str] | Mapping[str, str] | None) -> list[tuple[str, str, str]]:
    """(href, link text, description) for each file to offer; a path must stay inside the map's folder."""
    if downloads is None:
        return []
    given = downloads.items() if isinstance(downloads, Mapping) else ((path, None) for path in downloads)
    links = []
    for path, text in given:
        path = str(path).replace("\\", "/")
        parts = urlsplit(path)
        if parts.scheme or parts.netloc or path.startswith("/") or ".." in posixpath.normpath(path).split("/"):
            raise ValueError(f"download {path!r}: give a path relative to the map's folder, inside it")
        name, about = DOWNLOADS.get(posixpath.basename(path), (posixpath.basename(path), ""))
        links.append((quote(path), str(text) if text is not None else name, about))
    return links


# ---------------------------------------------------------------------------------------------- helpers


_PRESET_WORDS = {
    "hub": "a decision-making hub",
    "consortium": "a community-facing consortium",
    "locality": "a locality inside a large consortium",
    "small": "a small group",
}
_HTML = macros("map.html.j2")
_GLOSSARY_HTML = _HTML.glossary(
    [(name, f"{p.lo:,}", f"{p.hi:,}", _PRESET_WORDS.get(name, "")) for name, p in PRESETS.items()],
    f"{CLOSE_ENOUGH:.0%}",
    BOARD_LIMIT,
)


def _lonlat(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """To WGS84 with coordinates rounded to 1e-5° (about 1 m): smaller files, identical shared vertices."""
    out = geoms.to_crs(4326)
    return gpd.GeoSeries(shapely.transform(out.values, lambda c: np.round(c, 5)), index=out.index, crs=4326)


def _feature(geom: shapely.Geometry, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": properties}


def _bounds_latlon(areas: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    west, south, east, north = areas.to_crs(4326).total_bounds
    return float(south), float(west), float(north), float(east)


def _centre(areas: gpd.GeoDataFrame) -> list[float]:
    south, west, north, east = _bounds_latlon(areas)
    return [round((south + north) / 2, 5), round((west + east) / 2, 5)]


def _plan_name(plan: Any, default: str) -> str:
    source = getattr(plan, "source", None)
    return f"{source} plan" if source and source != "given" else default


def _default_title(plan: Any, region: Region) -> str:
    return f"{region.name}: {_plan_name(plan, 'consortium plan')}"


def _hsl_hex(hue: float) -> str:
    import colorsys

    r, g, b = colorsys.hls_to_rgb(hue / 360, 0.62, 0.55)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def _pct(value: float) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{100 * value:.0f}%"


def _num(value: float) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.1f}"


_CSS = """
html, body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; }
/* the map above, the licence attribution below it, always on screen; title and panel sit on the map */
body { position: relative; display: grid; grid-template-rows: minmax(0, 1fr) auto; grid-template-columns: 100%; }
.folium-map, .map-title, .map-panel { grid-area: 1 / 1 / 2 / 2; }  /* the map's cell, also for abspos */
.map-attribution { grid-area: 2 / 1 / 3 / 2; z-index: 1100; background: #fff; color: #333;
  border-top: 1px solid #bbb; padding: 3px 10px; font-size: 11px; line-height: 1.35; }
.map-attribution a { color: #0645ad; }
.leaflet-container { background: #eef2f5; font: 13px/1.35 "DejaVu Sans", Arial, Helvetica, sans-serif; }
.map-title { position: absolute; top: 10px; left: 50%; transform: translateX(-50%); z-index: 1000;
  background: rgba(255,255,255,.94); padding: 6px 14px; border-radius: 6px; font-size: 17px;
  font-weight: bold; box-shadow: 0 1px 5px rgba(0,0,0,.35); max-width: 50vw; text-align: center; }
.map-panel { position: absolute; left: 10px; bottom: 48px; z-index: 1000; max-width: min(860px, 64vw);
  max-height: calc(100% - 180px); overflow: auto; background: rgba(255,255,255,.96); border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,.35); padding: 6px 10px; font-size: 12px; }
.map-panel summary { font-weight: bold; cursor: pointer; margin: 3px 0; font-size: 13px; }
.map-panel table { border-collapse: collapse; }
.map-panel th, .map-panel td { text-align: left; padding: 1px 6px 1px 0; vertical-align: top; }
.map-panel table.consortia td:nth-child(n+3) { text-align: right; }
.map-panel table.consortia td { white-space: nowrap; }
.map-panel table.consortia td:nth-child(6) { text-align: left; white-space: normal; min-width: 220px; }
.map-panel table.consortia thead th { position: sticky; top: 0; background: #fff;
  border-bottom: 1px solid #999; }
.map-panel .table-wrap { max-height: 40vh; overflow: auto; }
.map-panel .note { color: #555; margin: 4px 0; max-width: 700px; }
.map-panel .report-link { margin: 4px 0; font-weight: bold; }
.map-panel table.headlines td { max-width: 560px; }
.map-panel tr.quality td { font-weight: bold; color: #1b5e20; }
.map-panel tr.quality.not-proven td { color: #b71c1c; }
.swatch { display: inline-block; width: 14px; height: 14px; border: 1px solid #555; vertical-align: middle; }
.legend { list-style: none; padding: 0; margin: 2px 0; } .legend li { margin: 3px 0; }
.line { display: inline-block; width: 26px; height: 0; vertical-align: middle; }
.line.lad { border-top: 2px solid #3a3a3a; } .line.base { border-top: 3px dashed #111; }
.dot, .practice-dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
  background: #1d1d1d; border: 1.5px solid #fff; box-sizing: border-box; box-shadow: 0 0 2px #000; }
.ring { display: inline-block; width: 14px; height: 14px; border-radius: 50%; border: 3px solid #c2007a;
  box-sizing: border-box; vertical-align: middle; }
.trust-site, .trust-key { display: inline-block; background: #c62828; color: #fff; font-weight: bold;
  font-size: 12px; line-height: 18px; text-align: center; border: 1.5px solid #fff; border-radius: 3px;
  box-shadow: 0 0 3px #000; width: 18px; height: 18px; box-sizing: border-box; line-height: 15px; }
.practice-popup th { text-align: left; padding-right: 8px; color: #555; font-weight: normal; }
.marker-cluster-small, .marker-cluster-medium, .marker-cluster-large { background-color: rgba(40,40,40,.35); }
.marker-cluster-small div, .marker-cluster-medium div, .marker-cluster-large div {
  background-color: rgba(30,30,30,.82); color: #fff; }
.leaflet-control-layers { font-size: 12px; }
/* the search box sits above the zoom buttons; its list of results opens over the panel */
.leaflet-top.leaflet-left.searching { z-index: 1001; }
.practice-search { background: #fff; border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,.35); padding: 4px;
  width: min(270px, calc(100vw - 40px)); font-size: 13px; }
.practice-search input { width: 100%; box-sizing: border-box; font: inherit; padding: 5px 6px;
  border: 1px solid #888; border-radius: 4px; }
.practice-search ul { list-style: none; margin: 0; padding: 0; max-height: 50vh; overflow: auto; }
.practice-search li button { display: block; width: 100%; text-align: left; font: inherit; background: #fff;
  border: 0; border-top: 1px solid #ddd; padding: 4px 6px; cursor: pointer; }
.practice-search li button:hover, .practice-search li button:focus { background: #e8f0fe; }
.practice-search li button span { display: block; color: #555; font-size: 12px; }
.practice-search .search-status { color: #444; font-size: 12px; padding: 0 2px; }
.practice-search .search-status:empty { display: none; }
path.search-hit { stroke-dasharray: none; }
path.search-ring { stroke-dasharray: 4 3; }
.map-panel ul.downloads { margin: 2px 0 4px 18px; padding: 0; }
.map-panel dl { margin: 2px 0; max-width: 560px; } .map-panel dt { font-weight: bold; margin-top: 4px; }
.map-panel dd { margin: 0 0 0 12px; } .map-panel dd ul { margin: 2px 0; padding-left: 16px; }
.map-panel details details { margin-left: 8px; }
@media (max-width: 600px) { .map-title { font-size: 13px; padding: 4px 8px; } }
/* hover cards and popups fit the window: their text wraps within its width instead of running off it */
.leaflet-tooltip { white-space: normal; width: max-content; max-width: min(360px, calc(100vw - 24px));
  box-sizing: border-box;
  overflow-wrap: break-word; }
.leaflet-popup-content { max-width: calc(100vw - 100px); overflow-wrap: anywhere; }
.map-panel summary.panel-toggle { font-size: 14px; }
.print-key { display: none; }
/* names on the map: centred on their point, a white halo to read over any colour and line */
.area-name span, .lad-name span, .town-name span { position: absolute; left: 0; top: 0;
  transform: translate(-50%, -50%);
  white-space: nowrap; pointer-events: none; text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff; }
/* markercluster slides every marker icon of the map while its clusters split (.leaflet-cluster-anim); names
   jump to their place instead, so they are where they belong as soon as the zoom ends */
.leaflet-marker-icon.area-name, .leaflet-marker-icon.lad-name, .leaflet-marker-icon.town-name {
  transition: none !important; }
.area-name span { font: bold 12px/16px "DejaVu Sans", Arial, Helvetica, sans-serif; color: #111; }
.lad-name span { font: 11px/14px "DejaVu Sans", Arial, Helvetica, sans-serif; color: #3a3a3a;
  text-transform: uppercase; letter-spacing: 0.06em; }
.town-name span { font: italic 11px/14px "DejaVu Sans", Arial, Helvetica, sans-serif; color: #1f1f1f; }
"""

#: The A4 page. Written once for the class ``printing`` that ``_Layout`` sets on ``beforeprint`` (so Leaflet can
#: be told the map's printed size before the page is laid out) and once for ``@media print`` itself, for a
#: browser that prints without that event.
_PRINT_RULES = """
PRINTING, PRINTING body { width: 281mm; height: auto; overflow: visible; background: #fff; }
PRINTING body { display: flex; flex-direction: column; }
PRINTING .map-panel, PRINTING .practice-search, PRINTING .leaflet-control-zoom,
PRINTING .leaflet-control-layers, PRINTING .leaflet-popup-pane, PRINTING .leaflet-tooltip-pane,
PRINTING .search-ring { display: none !important; }
PRINTING .map-title { order: -1; position: static; transform: none; max-width: none; box-shadow: none;
  background: none; padding: 0 0 2mm; font-size: 15pt; text-align: left; }
PRINTING .folium-map { order: 1; position: relative !important; width: 281mm !important; height: 158mm !important;
  border: 0.3mm solid #888; box-sizing: border-box; }
PRINTING .print-key { order: 2; display: block; font-size: 8.5pt; margin-top: 2mm; }
PRINTING .print-key p { margin: 0 0 1mm; font-weight: bold; }
PRINTING .print-key ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap;
  gap: 1mm 6mm; }
PRINTING .print-key li[hidden] { display: none; }
PRINTING .map-attribution { order: 3; border: 0; padding: 1.5mm 0 0; font-size: 7.5pt; }
"""
_CSS += (
    _PRINT_RULES.replace("PRINTING", "html.printing")
    + "@media print {\n@page { size: A4 landscape; margin: 8mm; }\n"
    + "html, body { -webkit-print-color-adjust: exact; print-color-adjust: exact; }\n"
    + _PRINT_RULES.replace("PRINTING", "html")
    + "}\n"
)


# --------------------------------------------------------------------------------- England overview (index)

#: The England overview's colour and words for each kind of plan (the batch index, issue 15 item 10): proven
#: optimal, proven within ``CLOSE_ENOUGH`` of its bound, not proven (far from its bound, or no bound), no plan.
#: A sequential green for proof, orange for doubt and grey for nothing: a reader sees at once where a plan can
#: be trusted; the words in the legend and on each region say the same without the colour.
STATUS_CLASSES = {
    "optimal": ("#1b7837", "proven optimal"),
    "close": ("#a6dba0", f"within {CLOSE_ENOUGH:.0%} of the best possible"),
    "not-proven": ("#f1a340", "not proven"),
    "no-plan": ("#d9d9d9", "no plan"),
}
#: Simplification of the region outlines on the overview, in metres (at England's scale a pixel is about 2 km),
#: and the smallest island part kept (km²): the Isles of Scilly stay, rocks and sandbanks go. Half the page's
#: weight otherwise goes on coastline nobody can see at that scale.
OVERVIEW_TOLERANCE_M = 1000.0
OVERVIEW_MIN_PART_KM2 = 3.0
OVERVIEW_CLASS = "region-area"


def status_class(status: str | None, gap: float | None = None, bound: float | None = None) -> str:
    """The overview's kind of plan (a key of ``STATUS_CLASSES``), from the one wording of ``quality_label``."""
    from boundaries.check.quality import quality_label
    from boundaries.status import solved

    if not solved(status):
        return "no-plan"
    label = quality_label(status, gap, bound)
    if label == "proven optimal":
        return "optimal"
    return "close" if label.startswith("within ") else "not-proven"


def region_shapes(data_dir: str | os.PathLike[str] | None = None) -> gpd.GeoDataFrame:
    """The ten SHA regions (index: SHA code; ``name``, ``patients``), each the union of its local authorities,
    simplified together as one coverage so that neighbours still share their borders, in EPSG:27700."""
    return _region_shapes(str(data_dir) if data_dir is not None else None).copy()


@functools.lru_cache(maxsize=2)
def _region_shapes(data_dir: str | None) -> gpd.GeoDataFrame:
    from boundaries.data.bundle import load_lads, load_sha

    lads = load_lads(data_dir)
    sha = load_sha(data_dir)
    codes = sorted(lads["sha_code"].unique())
    geoms = [shapely.union_all(lads.geometry[lads["sha_code"] == code].to_numpy()) for code in codes]
    try:
        simple = shapely.coverage_simplify(np.array(geoms, dtype=object), OVERVIEW_TOLERANCE_M)
    except shapely.errors.GEOSException:  # not a clean coverage: each on its own (may open hairline gaps)
        simple = shapely.simplify(np.array(geoms, dtype=object), OVERVIEW_TOLERANCE_M, preserve_topology=True)
    names = sha.set_index("sha_code") if "sha_code" in sha.columns else sha
    simple = [_without_specks(geom) for geom in simple]
    frame = gpd.GeoDataFrame(
        {
            "name": [str(lads.loc[lads["sha_code"] == code, "sha_name"].iloc[0]) for code in codes],
            "patients": [int(names.loc[code, "patients"]) if code in names.index else 0 for code in codes],
        },
        geometry=list(simple),
        index=pd.Index(codes, name="sha_code"),
        crs=lads.crs,
    )
    return frame


def _without_specks(geom: shapely.Geometry) -> shapely.Geometry:
    """The region without its parts under ``OVERVIEW_MIN_PART_KM2`` (its largest part always stays)."""
    parts = sorted(getattr(geom, "geoms", [geom]), key=lambda part: (-part.area, part.bounds))
    kept = parts[:1] + [part for part in parts[1:] if part.area >= OVERVIEW_MIN_PART_KM2 * 1e6]
    return shapely.MultiPolygon(kept) if len(kept) > 1 else kept[0]


def overview_html(entries: list[dict[str, Any]], data_dir: str | os.PathLike[str] | None = None) -> tuple[str, str]:
    """The England overview map for the batch index: (what goes in the page's head, the map and its legend).

    ``entries``: one per SHA region to draw, with ``code`` (SHA code), ``name``, ``cls`` (``status_class``),
    ``quality`` (the plan's quality in words), ``figures`` (label, value) pairs for its card, and ``links``
    (text, href relative to the index) to its map and report. Each region is coloured by its kind of plan;
    hovering shows its name and quality, clicking opens a card with its figures and links. Region names are
    placed by ``name_places`` (so they never overlap) and set as text. Leaflet is inlined
    (``map_assets.leaflet_inline``), no tiles: the page works offline. Every text reaches the page as JSON data
    (``<``, ``>`` and ``&`` escaped) and is set with ``textContent``, never read as HTML.
    """
    from boundaries.publish.map_assets import leaflet_inline

    shapes = region_shapes(data_dir)
    by_code = {entry["code"]: entry for entry in entries}
    shapes = shapes.loc[[code for code in shapes.index if code in by_code]]
    wgs = _lonlat(shapes.geometry)
    features = []
    for code in shapes.index:
        entry = by_code[code]
        props = {key: entry[key] for key in ("code", "name", "cls", "quality", "figures", "links")}
        features.append(_feature(wgs[code], props))
    areas = gpd.GeoDataFrame(
        {"patients": shapes["patients"].to_numpy()},
        geometry=shapes.geometry.to_numpy(),
        index=pd.Index([str(by_code[c]["name"]) for c in shapes.index]),
        crs=shapes.crs,
    )
    no_lads = gpd.GeoDataFrame({"lad_name": []}, geometry=[], crs=shapes.crs)
    places = name_places(areas, no_lads) if len(areas) else []
    data = {
        "regions": {"type": "FeatureCollection", "features": features},
        "colours": {key: colour for key, (colour, _) in STATUS_CLASSES.items()},
        "places": places,
        "areaClass": OVERVIEW_CLASS,
    }
    counts = {key: sum(1 for e in entries if e["cls"] == key) for key in STATUS_CLASSES}
    legend = [(key, colour, words, counts[key]) for key, (colour, words) in STATUS_CLASSES.items()]
    css, js = leaflet_inline()
    head = f"<style>\n{css}\n</style><style>{_OVERVIEW_CSS}</style>"
    return head, str(_HTML.overview(legend, Markup(js), data, Markup(_OVERVIEW_JS)))


_OVERVIEW_JS = """
(function () {
    var data = OVERVIEW;
    var map = L.map('england', {zoomSnap: 0.25, minZoom: 5, maxZoom: 11, attributionControl: false});
    window.englandMap = map;
    function card(p, withLinks) {
        var box = document.createElement('div'), title = document.createElement('b');
        box.className = 'region-card';
        title.textContent = p.name;
        box.appendChild(title);
        var quality = document.createElement('div');
        quality.className = 'quality status-' + p.cls;
        quality.textContent = p.quality;
        box.appendChild(quality);
        if (!withLinks) return box;
        var table = document.createElement('table');
        p.figures.forEach(function (pair) {
            var row = table.insertRow(), th = document.createElement('th');
            th.textContent = pair[0];
            row.appendChild(th);
            row.insertCell().textContent = pair[1];
        });
        box.appendChild(table);
        var links = document.createElement('p');
        links.className = 'region-links';
        p.links.forEach(function (pair, k) {
            if (k) links.appendChild(document.createTextNode(' · '));
            var a = document.createElement('a');
            a.textContent = pair[0];
            a.setAttribute('href', pair[1]);
            links.appendChild(a);
        });
        if (p.links.length) box.appendChild(links);
        return box;
    }
    var layer = L.geoJSON(data.regions, {
        style: function (f) {
            return {fillColor: data.colours[f.properties.cls], fillOpacity: 0.85, color: '#444', weight: 1,
                    className: data.areaClass + ' status-' + f.properties.cls};
        },
        onEachFeature: function (f, l) {
            l.bindTooltip(card(f.properties, false), {sticky: true});
            l.bindPopup(card(f.properties, true), {maxWidth: Math.min(320, window.innerWidth - 60)});
        }
    }).addTo(map);
    if (data.regions.features.length) map.fitBounds(layer.getBounds(), {padding: [8, 8], animate: false});
    var pane = map.createPane('names');
    pane.style.zIndex = 450;
    pane.style.pointerEvents = 'none';
    var names = data.places.map(function (place) {
        var text = document.createElement('span');
        text.textContent = place.text;
        return {place: place, marker: L.marker([place.lat, place.lon], {
            icon: L.divIcon({className: 'area-name', html: text, iconSize: [0, 0]}),
            pane: 'names', interactive: false, keyboard: false})};
    });
    function update() {
        var zoom = map.getZoom();
        names.forEach(function (name) {
            var show = zoom >= name.place.zoom - 1e-9;
            if (show && !map.hasLayer(name.marker)) name.marker.addTo(map);
            else if (!show && map.hasLayer(name.marker)) map.removeLayer(name.marker);
        });
    }
    map.on('zoomend', update);
    update();
})();
"""

_OVERVIEW_CSS = """
.overview { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; margin: 1em 0; }
.england-map { width: min(100%, 560px); height: min(72vh, 640px); background: #eef2f5; border: 1px solid #bbb; }
.status-legend { list-style: none; padding: 0; margin: 0; font-size: .95em; }
.status-legend li { margin: 4px 0; }
.swatch { display: inline-block; width: 14px; height: 14px; border: 1px solid #555; vertical-align: middle; }
.region-card { font-size: 13px; max-width: 300px; white-space: normal; }
.region-card table { border-collapse: collapse; margin: 4px 0; }
.region-card th, .region-card td { padding: 1px 8px 1px 0; text-align: left; vertical-align: top; }
.region-card .quality.status-not-proven, .region-card .quality.status-no-plan { color: #b71c1c; }
.region-links a { font-weight: bold; }
/* names as on the region maps (the sizes name_places estimates) */
.area-name span { position: absolute; left: 0; top: 0; transform: translate(-50%, -50%); white-space: nowrap;
  pointer-events: none; font: bold 12px/16px "DejaVu Sans", Arial, Helvetica, sans-serif; color: #111;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff; }
"""
