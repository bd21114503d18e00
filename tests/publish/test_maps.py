"""Consultation maps: offline, deterministic, escaped, the scorecard's numbers; opened in real Chromium."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import folium
import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
import shapely
from markupsafe import escape
from synthetic import by_half, by_lad, make_region, real_region

from boundaries.check.metrics import evaluate
from boundaries.check.quality import ATTRIBUTION, DATA_VINTAGE, DOWNLOADS
from boundaries.data.areas import simplified_layers
from boundaries.engine.plan import Plan
from boundaries.presets import PRESETS
from boundaries.publish import map_assets
from boundaries.publish.map_assets import MissingAssetsError, make_offline
from boundaries.publish.maps import (
    AREA_CLASS,
    BASELINE_CLASS,
    MOVED_CLASS,
    NAME_SIZES,
    NAME_ZOOMS,
    PALETTE,
    SEARCH_LIMIT,
    TOWN_LINK_M,
    TOWN_MIN_PRACTICES,
    area_colours,
    like_sized,
    name_places,
    render_map,
    town_points,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("BOUNDARIES_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

XSS_PRACTICE = "<img src=x onerror=alert(1)>"
XSS_LABEL = "<svg onload=alert(2)>"
XSS_LAD = "</script><script>alert(3)</script>"
XSS_TRUST = "`${alert(4)}` <b>Trust</b>"
XSS_POSTCODE = "<i>ZZ0</i> 1AA'\""
XSS_TOWN = "<img src=y onerror=alert(5)> &amp; Town"


@pytest.fixture(scope="module")
def region():
    return make_region()


@pytest.fixture(scope="module")
def evil_region():
    return make_region(
        names={"P00": XSS_PRACTICE},
        lad_names={"E2": XSS_LAD},
        trust_names={"TB": XSS_TRUST},
        postcodes={"P00": XSS_POSTCODE},
    )


def _evil_plan(region) -> pd.Series:
    return by_lad(region).replace({"West": XSS_LABEL})


def _shifted(region) -> pd.Series:
    """by_lad with column 2 (six practices) moved from Middle to West: three consortia against three."""
    plan = by_lad(region).copy()
    plan[[c for c in plan.index if c.startswith("P") and c.endswith("2")]] = "West"
    return plan


# ------------------------------------------------------------------------------------------- file checks


def test_map_is_offline_and_byte_identical(region, tmp_path):
    first, second = tmp_path / "a" / "map.html", tmp_path / "b" / "map.html"
    files = ["plan.csv", "metrics.json"]
    fmap = render_map(by_lad(region), region, path=first, compare=by_half(region), title="Test map", downloads=files)
    render_map(by_lad(region), region, path=second, compare=by_half(region), title="Test map", downloads=files)
    assert isinstance(fmap, folium.Map)
    text = first.read_text(encoding="utf-8")
    assert first.read_bytes() == second.read_bytes()
    assert not re.search(r"<script[^>]+src=", text), "scripts must be inline"
    assert not re.search(r"<link[^>]+href=", text), "stylesheets must be inline"
    assert 't.version="1.9.4"' in text  # Leaflet itself is in the file
    assert "L.markerClusterGroup" in text and "MarkerClusterGroup=" in text
    assert "sourceMappingURL" not in text
    assert not re.search(r"[0-9a-f]{32}", text), "folium's random element ids must be replaced"
    assert sorted(p.name for p in first.parent.iterdir()) == ["map.html"]  # no temp file left behind
    assert first.stat().st_mode & 0o044  # readable by others, unlike mkstemp's default


def test_atomic_write_keeps_old_file_on_failure(region, tmp_path, monkeypatch):
    target = tmp_path / "map.html"
    target.write_text("old map")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        render_map(by_lad(region), region, path=target)
    assert target.read_text() == "old map"
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]


def test_map_shows_the_scorecard_numbers(region, tmp_path):
    path = tmp_path / "map.html"
    render_map(by_lad(region), region, path=path, compare=_shifted(region))
    text = path.read_text(encoding="utf-8")
    card = evaluate(by_lad(region), region, baseline=_shifted(region))
    for name, value in card.headlines():
        assert f"<tr><th>{escape(name)}</th><td>{escape(value)}</td></tr>" in text  # the templates' escaping
    for label, row in card.consortia.iterrows():
        assert f"<td>{label}</td><td>{row['patients']:,}</td><td>{row['practices']}</td>" in text
    assert "Practices changing consortium (6)" in text
    assert "Consortia (3)" in text and "Local authorities (3)" in text


def _unjson(text: str) -> str:
    """The page with the angle brackets that JSON data escapes put back, to look for markup inside it."""
    return text.replace("\\u003c", "<").replace("\\u003e", ">")


def test_like_size_rule():
    assert like_sized(20, 25) and like_sized(25, 20) and like_sized(3, 3)
    assert not like_sized(20, 26) and not like_sized(76, 32) and not like_sized(3, 2) and not like_sized(0, 0)


def test_moves_are_drawn_only_between_plans_of_like_size(region, tmp_path):
    path = tmp_path / "map.html"
    # three consortia against three: the six practices that change get rings (a layer off at first) and a column
    render_map(by_lad(region), region, path=path, compare=_shifted(region), compare_name="Old plan")
    text = path.read_text(encoding="utf-8")
    assert f'"className": "{MOVED_CLASS}"' in text and "Practices changing consortium (6)" in text
    assert "<th>Moved</th>" in text and "<b>changes consortium</b>" in _unjson(text)  # in the popups' JSON
    assert "Old plan: 3 consortia against this plan&#39;s 3; 6 practices (18,000 patients) change" in text
    assert "practice that changes consortium" in text  # in the legend
    # three against two: too different for moves to mean much; only the other plan's boundaries, and the count
    render_map(by_lad(region), region, path=path, compare=by_half(region), compare_name="Old plan")
    text = path.read_text(encoding="utf-8")
    assert MOVED_CLASS not in text and "Practices changing consortium" not in text
    assert "<th>Moved</th>" not in text and "changes consortium</b>" not in _unjson(text)
    assert "practice that changes consortium" not in text
    assert "Old plan (2)" in text and BASELINE_CLASS in text
    row = re.search(r"<tr class='about comparison'><th>Comparison</th><td>(.*?)</td></tr>", text).group(1)
    assert "Old plan: 2 consortia against this plan&#39;s 3, too different in number" in row
    assert "24 practices (72,000 patients) change consortium" in row and "within 25% of each other" in row
    assert "<tr><th>Moves from baseline</th><td>24 practices (72,000 patients)</td></tr>" in text
    # the practices' dots never show moves by themselves: that is the rings' layer, off at first
    assert "practice-dot moved" not in text


def test_input_text_is_escaped_everywhere(evil_region, tmp_path):
    path = tmp_path / "map.html"
    render_map(
        _evil_plan(evil_region),
        evil_region,
        path=path,
        compare=by_half(evil_region),
        compare_name="CCGs <2013>",
        title="Plan <i>draft</i>",
    )
    text = path.read_text(encoding="utf-8")
    for raw in (XSS_PRACTICE, XSS_LABEL, XSS_LAD, "<b>Trust</b>", "CCGs <2013>", "<i>draft</i>", "<i>ZZ0</i>"):
        assert raw not in text, f"unescaped input in the page: {raw}"
    # in HTML (panel, title) the escaped text is there; inside script data it is JSON-escaped as well
    assert escape(XSS_LABEL) in text
    assert "<title>Plan &lt;i&gt;draft&lt;/i&gt;</title>" in text
    assert escape(XSS_PRACTICE).replace("&", "\\u0026") in text
    assert escape(XSS_LAD).replace("&", "\\u0026") in text or escape(XSS_LAD) in text


def test_every_piece_of_the_page_escapes_its_text():
    # the map's HTML is laid out by the macros of templates/map.html.j2 (autoescaped, boundaries.publish.pages): each
    # one, given hostile text wherever the input's words go (names, island parts, notes, links, layers), keeps
    # it as text, including the paths the hostile regions above do not reach (e.g. island parts' authorities)
    from boundaries.publish.maps import _HTML, _Key

    evil = XSS_LAD
    key = _Key("line base", evil, "base")
    words = dict.fromkeys(["label", "patients", "practices", "imd", "n_lads", "trust", "coherence"], evil)
    row = {**words, "colour": evil, "lads": evil, "km": evil, "link": evil, "pieces": True, "match": evil}
    row |= {"moved": evil, "islands": (1, evil, [evil])}
    pieces = {
        "title": _HTML.title(evil),
        "attribution": _HTML.attribution(evil, evil),
        "area": _HTML.area_tooltip({**words, "lads": [evil], "splits": [evil], "islands": (1, evil, [evil])}),
        "plan": _HTML.plan_tooltip(evil, evil, evil, evil),
        "trust": _HTML.trust_tooltip(evil, evil),
        "popup": _HTML.practice_popup(evil, [(evil, evil)], True, (evil, evil)),
        "downloads": _HTML.downloads([(evil, evil, evil)]),
        "print key": _HTML.print_key(evil, [key], {"base": evil}),
        "glossary": _HTML.glossary([(evil, evil, evil, evil)], evil, evil),
        "panel": _HTML.panel([(evil, evil, "")], [(evil, evil)], evil, [], [key], "", [evil], [row], True, evil),
        "overview": _HTML.overview([(evil, evil, evil, 1)], "", {"name": evil}, ""),
    }
    for name, piece in pieces.items():
        assert "<script>alert" not in piece and "alert(3)</script>" not in piece, name
        assert escape(evil) in piece or "\\u003c/script\\u003e" in piece, name
    assert str(pieces["area"]).count(escape(evil)) == 11  # every text of the hover card, island parts too


def test_neighbouring_areas_never_share_a_colour(region):
    labels = pd.Series(region.practices.index, index=region.practices.index)  # every practice alone
    areas, _ = simplified_layers(labels, region)
    colours = area_colours(areas, region.graph, labels)
    for u, v, data in region.graph.edges(data=True):
        if not data["island"]:
            assert colours[u] != colours[v]
    touching = areas.sindex.query(areas.geometry, predicate="intersects")
    for i, j in zip(*touching, strict=True):
        if i != j:
            assert colours[areas.index[i]] != colours[areas.index[j]]
    assert len(set(colours.values())) >= 6  # the palette is spread, not just four colours


def _repeats_within(colours: dict, areas, region, labels, steps: int) -> list[tuple[str, str]]:
    """Pairs of areas at most ``steps`` apart (touching, or linked by land in the region graph) of one colour."""
    from boundaries.publish.maps import _area_adjacency

    near = nx.power(_area_adjacency(areas, region.graph, labels), steps)
    return sorted((u, v) for u, v in near.edges if colours[u] == colours[v])


@pytest.mark.parametrize("name", ["London", "North West"])
def test_no_colour_repeats_within_two_areas(name):
    # the 33 London boroughs (old: eight pairs two steps apart shared a colour) and the 39 North West districts
    region = real_region(name)
    labels = region.practices["lad"].astype(str)
    areas, _ = simplified_layers(labels, region)
    colours = area_colours(areas, region.graph, labels)
    assert set(colours.values()) <= set(PALETTE)
    assert _repeats_within(colours, areas, region, labels, 1) == []
    assert _repeats_within(colours, areas, region, labels, 2) == []
    # the same areas in another order, under the same names: the same colours
    shuffled = areas.sample(frac=1, random_state=7)
    assert area_colours(shuffled, region.graph, labels) == colours


def test_colouring_falls_back_beyond_the_palette():
    names = [f"c{i:02d}" for i in range(14)]
    areas = gpd.GeoDataFrame(
        geometry=[shapely.box(i * 10, 0, i * 10 + 1, 1) for i in range(14)], index=pd.Index(names), crs=27700
    )
    clique = nx.complete_graph(names)  # 14 areas all neighbours of each other: needs 14 colours
    colours = area_colours(areas, clique, pd.Series(names, index=names))
    assert len(set(colours.values())) == 14


def _estimated_overlaps(places: list[dict], zoom: float) -> list[tuple[str, str]]:
    """Pairs of names showing at ``zoom`` whose estimated boxes (NAME_SIZES, gap included) overlap."""
    import math

    def box(place):
        per_char, height, gap = NAME_SIZES[place["kind"]]
        scale = 256 * 2**zoom
        x = (place["lon"] + 180) / 360 * scale
        lat = math.radians(place["lat"])
        y = (1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * scale
        return x, y, (per_char * len(place["text"]) + gap) / 2, (height + gap) / 2

    shown = [box(p) + (p["text"],) for p in places if p["zoom"] <= zoom]
    return [
        (a[4], b[4])
        for i, a in enumerate(shown)
        for b in shown[i + 1 :]
        if abs(a[0] - b[0]) < a[2] + b[2] - 1e-6 and abs(a[1] - b[1]) < a[3] + b[3] - 1e-6
    ]


def test_names_sit_inside_their_areas_and_never_overlap(region):
    plan = by_half(region)  # North and South: neither is named like an authority, so all three get a name too
    areas, lads = simplified_layers(plan, region)
    places = name_places(areas, lads)
    kinds = [p["kind"] for p in places]
    assert [p["text"] for p in places[:2]] == ["South", "North"]  # more patients first (South has the island)
    assert kinds == sorted(kinds) and len(places) >= 4  # then the authorities' names, where they find room
    assert {p["text"] for p in places[2:]} <= {"Alphaton", "Betaborough", "Gammaford"}
    wgs = {"area": areas.geometry.to_crs(4326), "lad": lads.set_index("lad_name").geometry.to_crs(4326)}
    for place in places:
        assert wgs[place["kind"]][place["text"]].contains(shapely.Point(place["lon"], place["lat"])), place
        assert NAME_ZOOMS[0] <= place["zoom"] <= NAME_ZOOMS[1] and place["zoom"] * 4 == int(place["zoom"] * 4)
    for quarter in range(int(NAME_ZOOMS[0] * 4), int(NAME_ZOOMS[1] * 4) + 1):
        assert _estimated_overlaps(places, quarter / 4) == [], quarter / 4
    # the authorities' names wait for room: at the first zoom only the consortia's show
    assert {p["text"] for p in places if p["zoom"] == min(q["zoom"] for q in places)} <= {"North", "South"}
    # a consortium named like its authority takes the authority's place; same input, same names
    named = by_lad(region).map({"West": "Alphaton", "Middle": "Betaborough", "East": "Gammaford"})
    again = name_places(*simplified_layers(named, region))
    assert [p["kind"] for p in again] == ["area"] * 3
    assert again == name_places(*simplified_layers(named, region))


def _with_towns(region, towns: dict[str, str]):
    """The region with a ``town`` column (as the bundle has): ``towns`` maps practice code -> town, others ""."""
    practices = region.practices.assign(town=[towns.get(code, "") for code in region.practices.index])
    return dataclasses.replace(region, practices=practices)


SYNTHETIC_TOWNS = {
    **dict.fromkeys(["P00", "P01", "P10", "P11"], "Oldtown"),  # four practices, 10 km apart
    **dict.fromkeys(["P50", "P51", "P54", "P55"], "Ashford"),  # two places of one name, 30 km apart
    **dict.fromkeys(["P22", "P23"], "Betaborough"),  # named like its authority
    "P33": "Lonely",  # one practice: not named
}


def test_town_points_one_per_place_at_the_patient_weighted_mean(region):
    towns = town_points(_with_towns(region, SYNTHETIC_TOWNS).practices)
    assert TOWN_MIN_PRACTICES == 2 and TOWN_LINK_M < 30_000
    assert list(towns["town"]) == ["Ashford", "Betaborough", "Oldtown", "Ashford"]  # most patients first
    assert list(towns["patients"]) == [11_000, 7_000, 6_000, 3_000] and list(towns["practices"]) == [2, 2, 4, 2]
    members = region.practices.loc[["P00", "P01", "P10", "P11"]]
    weights = members["patients"].to_numpy() + 1.0
    oldtown = towns.geometry.iloc[2]
    assert oldtown.x == pytest.approx((members.geometry.x * weights).sum() / weights.sum())
    assert oldtown.y == pytest.approx((members.geometry.y * weights).sum() / weights.sum())
    assert town_points(region.practices).empty  # no town column: no towns


def test_town_names_come_after_the_others_and_never_overlap(region):
    named = _with_towns(region, SYNTHETIC_TOWNS)
    areas, lads = simplified_layers(by_half(named), named)
    places = name_places(areas, lads, town_points(named.practices))
    kinds = [p["kind"] for p in places]
    assert kinds == sorted(kinds) and "town" in kinds  # area, lad, town: in order of importance
    towns = [p["text"] for p in places if p["kind"] == "town"]
    assert sorted(towns) == ["Ashford", "Ashford", "Oldtown"]  # not the authority's name again, not "Lonely"
    for quarter in range(int(NAME_ZOOMS[0] * 4), int(NAME_ZOOMS[1] * 4) + 1):
        assert _estimated_overlaps(places, quarter / 4) == [], quarter / 4
    first = min(p["zoom"] for p in places)
    assert all(p["zoom"] > first for p in places if p["kind"] == "town")  # they wait for the consortia's names
    assert places == name_places(areas, lads, town_points(named.practices))  # deterministic
    assert name_places(areas, lads) == [p for p in places if p["kind"] != "town"]  # towns never move the others


def test_missing_assets_say_how_to_get_them(region, monkeypatch, tmp_path):
    monkeypatch.setenv(map_assets.ENV_VAR, str(tmp_path))
    monkeypatch.setattr(map_assets, "FOLDER", "no-such-folder")
    with pytest.raises(MissingAssetsError, match=r"`boundaries assets` \(or `bash scripts/fetch_assets\.sh`"):
        render_map(by_lad(region), region)


def test_unknown_cdn_resource_is_an_error():
    from folium.plugins import Fullscreen

    fmap = folium.Map(tiles=None)
    Fullscreen().add_to(fmap)
    with pytest.raises(MissingAssetsError, match="no offline copy"):
        make_offline(fmap)


def _rough_plan(region) -> Plan:
    """A solved plan 42% from its bound: the map must say it is not proven."""
    plan = Plan.from_assignment(by_lad(region), region=region, source="highs")
    plan.status, plan.objective, plan.bound, plan.gap = "feasible", 1_000_000.0, 580_000.0, 0.42
    return plan


ROUGH_LABEL = "not proven: up to 42% from the best possible"
SETTINGS = {"preset": "hub", "nesting": "strict", "n_consortia": "auto", "backend": "highs", "time_limit": 120}


def test_map_carries_the_licence_attribution(region, tmp_path):
    path = tmp_path / "map.html"
    render_map(by_lad(region), region, path=path)
    text = path.read_text(encoding="utf-8")
    footer = re.search(r"<footer class='map-attribution'>(.*?)</footer>", text, flags=re.DOTALL)
    assert footer, "no attribution footer"
    assert escape(ATTRIBUTION) in footer.group(1)
    assert "Contains OS data © Crown copyright and database right 2013." in footer.group(1)
    assert "open-government-licence/version/3" in footer.group(1)


def test_map_panel_says_how_good_the_plan_is(region, tmp_path):
    path = tmp_path / "map.html"
    render_map(_rough_plan(region), region, path=path, settings=SETTINGS)
    text = path.read_text(encoding="utf-8")
    assert f"<tr class='about quality not-proven'><th>Plan quality</th><td>{ROUGH_LABEL}</td></tr>" in text
    assert "feasible (HiGHS) · objective 1,000,000 patient-km · bound 580,000 · gap 42.00%" in text
    assert "<th>Settings</th><td>hub preset (30,000–210,000 patients); strict nesting; count auto; HiGHS" in text
    assert f"<th>Data</th><td>{escape(DATA_VINTAGE)}</td>" in text
    assert "July 2014" in DATA_VINTAGE
    # a plan read from a file was not solved here, and says so; a proven one says so too
    render_map(by_lad(region), region, path=path)
    text = path.read_text(encoding="utf-8")
    assert "<th>Plan quality</th><td>given plan, not solved here: quality not proven</td>" in text
    assert "<th>Settings</th>" not in text  # no settings known for a given plan
    proven = _rough_plan(region)
    proven.status, proven.bound, proven.gap = "optimal", 1_000_000.0, 0.0
    render_map(proven, region, path=path)
    assert "<tr class='about quality'><th>Plan quality</th><td>proven optimal</td></tr>" in path.read_text()


def test_plan_object_and_default_title(region, tmp_path):
    plan = Plan.from_assignment(by_half(region), region=region, source="cpsat")
    path = tmp_path / "plan.html"
    render_map(plan, region, path=path)
    assert "<title>Synthetic: cpsat plan</title>" in path.read_text(encoding="utf-8")


def _search_rows(text: str) -> list[list]:
    """The search index written into the page (the rows the search box looks through)."""
    match = re.search(r"var rows = (\[.*?\]\]);", text)
    assert match, "no search index in the page"
    return json.loads(match.group(1))


def test_postcodes_are_in_the_popups_and_the_search_index(region, tmp_path):
    path = tmp_path / "map.html"
    plan = by_lad(region)
    render_map(plan, region, path=path)
    text = path.read_text(encoding="utf-8")
    rows = _search_rows(text)
    labels = json.loads(re.search(r"var labels = (\[.*?\]);", text).group(1))
    assert len(rows) == len(region.practices)
    by_code = {row[0]: row for row in rows}
    for code, practice in region.practices.iterrows():
        _, name, postcode, consortium, lat, lon = by_code[code]
        assert (name, postcode, labels[consortium]) == (practice["name"], practice["postcode"], plan[code])
        assert (lat, lon) == pytest.approx((practice["lat"], practice["lon"]), abs=1e-4)
        popup_row = f"<tr><th>Postcode</th><td>{practice['postcode']}</td></tr>"
        assert popup_row in html.unescape(text.replace("\\u003c", "<").replace("\\u003e", ">")), code
    # a region without postcodes: no postcode row in the popups, an empty postcode in the index
    bare = make_region()
    bare.practices = bare.practices.drop(columns="postcode")
    render_map(by_lad(bare), bare, path=path)
    text = path.read_text(encoding="utf-8")
    assert "Postcode" not in text.replace("postcode", "")
    assert {row[2] for row in _search_rows(text)} == {""}


def test_panel_links_the_downloads_it_is_given(region, tmp_path):
    path = tmp_path / "map.html"
    render_map(by_lad(region), region, path=path, downloads=["plan.csv", "consortia.gpkg", "notes/extra file.txt"])
    text = path.read_text(encoding="utf-8")
    section = re.search(r"<details class='downloads'>(.*?)</details>", text).group(1)
    hrefs = re.findall(r"<a href='([^']*)' download>([^<]*)</a>", section)
    assert hrefs == [
        ("plan.csv", DOWNLOADS["plan.csv"][0]),
        ("consortia.gpkg", DOWNLOADS["consortia.gpkg"][0]),
        ("notes/extra%20file.txt", "extra file.txt"),
    ]
    assert DOWNLOADS["plan.csv"][1] in section  # what the file holds
    # link texts and paths are escaped; a path must stay beside the map
    render_map(by_lad(region), region, path=path, downloads={"it's <b>.csv": "Plan <b>draft</b>"})
    text = path.read_text(encoding="utf-8")
    assert "<a href='it%27s%20%3Cb%3E.csv' download>Plan &lt;b&gt;draft&lt;/b&gt;</a>" in text
    for bad in ("../plan.csv", "/etc/passwd", "https://example.org/plan.csv", "C:\\\\plan.csv", "a/../../b.csv"):
        with pytest.raises(ValueError, match="relative to the map"):
            render_map(by_lad(region), region, downloads=[bad])
    # none given (e.g. `boundaries compare`): no section
    render_map(by_lad(region), region, path=path)
    assert "Download the data" not in path.read_text(encoding="utf-8")


def test_panel_has_a_plain_words_glossary_with_planners_detail_one_click_away(region, tmp_path):
    path = tmp_path / "map.html"
    render_map(by_lad(region), region, path=path)
    text = path.read_text(encoding="utf-8")
    glossary = re.search(r"<details class='glossary'>(.*)</details></details>", text).group(1)
    plain, planners = glossary.split("<details class='planners'>")
    assert "<dt>Coterminous</dt><dd>its boundary follows council boundaries" in plain
    assert "<dt>Outside preset bounds</dt>" in plain and "<dt>Plan quality, gap</dt>" in plain
    assert "Not proven: up to 42% from the best possible" in plain
    for name, preset in PRESETS.items():  # the sizes come from the presets themselves
        assert f"<li><b>{name}</b>: {preset.lo:,}–{preset.hi:,} patients" in plain
    assert "<summary>For planners: exact definitions</summary>" in planners  # closed until clicked
    assert "gap = (objective − bound) / objective" in planners


# ------------------------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser():
    message = (
        f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install -y chromium) and the "
        "playwright Python package (pip install playwright; never `playwright install`)"
    )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Opened:
    """A map opened from file:// with every network request blocked and recorded."""

    def __init__(self, browser, path: Path, size: tuple[int, int] = (1400, 900)):
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.context = browser.new_context(viewport={"width": size[0], "height": size[1]}, offline=True)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri())
        self.page.wait_for_selector(f"path.{AREA_CLASS}", state="attached", timeout=20_000)
        self.page.wait_for_timeout(300)

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def shapes(self, css_class: str) -> int:
        return self.page.locator(f"path.{css_class}").count()

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        out = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(out))
        return out

    def assert_clean(self) -> None:
        assert self.errors == [], f"JavaScript errors: {self.errors}"
        assert self.dialogs == [], f"a dialog fired: {self.dialogs}"
        assert self.requests == [], f"the map tried the network: {self.requests[:5]}"

    def close(self) -> None:
        self.context.close()


OPEN_PRACTICE_POPUP = """code => new Promise((resolve, reject) => {
    const groups = Object.values(window).filter(v => v instanceof L.MarkerClusterGroup);
    for (const group of groups) {
        const marker = group.getLayers().find(m => m.getPopup() && m.getPopup().getContent().includes(code));
        if (marker) { group.zoomToShowLayer(marker, () => { marker.openPopup(); resolve(true); }); return; }
    }
    reject(new Error('no marker for ' + code));
})"""

OPEN_AREA_TOOLTIPS = """() => {
    let count = 0;
    Object.values(window).filter(v => v instanceof L.GeoJSON).forEach(g => g.eachLayer(l => {
        if (l.options.className === 'AREA') { l.openTooltip(l.getBounds().getCenter()); count += 1; }
    }));
    return count;
}""".replace("AREA", AREA_CLASS)


def switch_on(page, layer: str) -> None:
    """Tick a layer in the layer list, as a reader does."""
    page.locator(".leaflet-control-layers-overlays label", has_text=layer).locator("input").check()


@pytest.mark.browser
def test_browser_comparison_layers_start_off(browser, region, tmp_path):
    path = tmp_path / "compare.html"
    render_map(by_lad(region), region, path=path, compare=_shifted(region), compare_name="Old plan")
    opened = Opened(browser, path)
    try:
        page = opened.page
        assert opened.shapes(AREA_CLASS) == 3
        assert opened.shapes(BASELINE_CLASS) == 0 and opened.shapes(MOVED_CLASS) == 0
        opened.screenshot("map-compare-off")
        switch_on(page, "Old plan")
        switch_on(page, "Practices changing consortium")
        assert opened.shapes(BASELINE_CLASS) == 3 and opened.shapes(MOVED_CLASS) == 6
        opened.screenshot("map-compare-on")
        opened.assert_clean()
    finally:
        opened.close()


@pytest.mark.browser
def test_browser_synthetic_map(browser, region, tmp_path):
    path = tmp_path / "synthetic.html"
    render_map(by_lad(region), region, path=path, title="Synthetic plan by local authority")
    opened = Opened(browser, path)
    try:
        assert opened.shapes(AREA_CLASS) == 3
        assert opened.shapes(BASELINE_CLASS) == 0
        assert opened.page.locator(".practice-dot, .marker-cluster").count() > 0
        assert opened.page.locator(".trust-site").count() == 2
        opened.screenshot("map-synthetic")
        opened.assert_clean()
    finally:
        opened.close()


ON_SCREEN = """selector => {
    const el = document.querySelector(selector);
    const box = el.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    const top = document.elementFromPoint(x, y);  // what a reader sees there: the element, not something over it
    return {width: box.width, height: box.height, top: box.top, bottom: box.bottom, left: box.left,
            right: box.right, vw: window.innerWidth, vh: window.innerHeight,
            uncovered: top !== null && (top === el || el.contains(top)), text: el.innerText};
}"""


def assert_on_screen(page, selector: str) -> str:
    """The element is in the viewport, has a size and is not covered (no click, no scroll needed)."""
    box = page.evaluate(ON_SCREEN, selector)
    assert box["width"] > 0 and box["height"] > 0, box
    assert box["top"] >= 0 and box["bottom"] <= box["vh"] and box["left"] >= 0 and box["right"] <= box["vw"], box
    assert box["uncovered"], f"{selector} is covered by another element: {box}"
    return box["text"]


@pytest.mark.browser
def test_browser_attribution_and_plan_quality_are_visible_without_clicking(browser, region, tmp_path):
    path = tmp_path / "rough.html"
    render_map(_rough_plan(region), region, path=path, compare=by_half(region), settings=SETTINGS)
    opened = Opened(browser, path)
    try:
        page = opened.page
        for width, height in ((1400, 900), (1024, 640), (700, 560)):
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(200)
            footer = assert_on_screen(page, ".map-attribution")
            assert " ".join(ATTRIBUTION.split()) in " ".join(footer.split())
            assert ROUGH_LABEL in assert_on_screen(page, ".map-panel tr.quality")
            map_box = page.locator(".folium-map").bounding_box()
            footer_box = page.locator(".map-attribution").bounding_box()
            assert map_box["y"] + map_box["height"] <= footer_box["y"] + 0.5  # the map ends where the footer starts
        page.set_viewport_size({"width": 1400, "height": 900})
        page.wait_for_timeout(200)
        opened.screenshot("map-attribution")
        opened.assert_clean()
    finally:
        opened.close()


@pytest.mark.browser
def test_browser_batch_index_shows_attribution_and_quality(browser, tmp_path):
    from boundaries.app.batch import write_index

    results = [
        {"region": f"Region {k}", "status": "feasible", "consortia": 20, "gap": 0.42, "bound_patient_km": 5.0}
        for k in range(30)
    ]
    results.append({"region": "Atlantis", "status": "error", "error": "no such region " * 40})
    for name in ("plan.csv", "consortia.geojson", "summary.txt"):  # a region with some of its files
        (tmp_path / "region-0").mkdir(exist_ok=True)
        (tmp_path / "region-0" / name).write_text("data\n")
    write_index(results, tmp_path)
    context = browser.new_context(viewport={"width": 1000, "height": 600}, offline=True)
    try:
        page = context.new_page()
        page.goto((tmp_path / "index.html").as_uri())
        footer = assert_on_screen(page, "footer")  # 31 rows: longer than the window, the footer stays on screen
        assert " ".join(ATTRIBUTION.split()) in " ".join(footer.split())
        assert ROUGH_LABEL in page.locator("table").inner_text()
        links = page.locator("tr", has_text="Region 0 ").locator("td.downloads a")
        assert links.all_inner_texts() == [DOWNLOADS[n][0] for n in ("plan.csv", "consortia.geojson", "summary.txt")]
        for link in links.all():
            assert link.is_visible()
            assert Path(unquote(urlsplit(link.evaluate("a => a.href")).path)).is_file()
        assert page.locator("tr", has_text="Region 1 ").locator("td.downloads a").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "index.png"))
    finally:
        context.close()


#: An England batch with every kind of plan: proven optimal, within 5%, not proven, none (and one not run).
OVERVIEW_RESULTS = {
    "North East": ("optimal", 0.0),
    "North West": ("feasible", 0.004),
    "Yorkshire and the Humber": ("feasible", 0.21),
    "East Midlands": ("infeasible", None),
    "West Midlands": ("optimal", 0.0),
    "East of England": ("feasible", 0.03),
    "London": ("feasible", 0.42),
    "South East Coast": ("optimal", 0.0),
    "South Central": ("error", None),
}
PATH_FILLS = """() => Array.from(document.querySelectorAll('path.region-area')).map(p => ({
    cls: Array.from(p.classList).find(c => c.startsWith('status-')), fill: getComputedStyle(p).fill}))"""
OPEN_REGION_POPUP = """name => {
    let found = null;
    window.englandMap.closePopup();
    window.englandMap.eachLayer(l => { if (l.feature && l.feature.properties.name === name) found = l; });
    found.openPopup(found.getBounds().getCenter());
    document.querySelectorAll('#open-card').forEach(e => e.removeAttribute('id'));  // one closing still fades
    found.getPopup().getElement().id = 'open-card';
    return found.getPopup().getElement().innerText;
}"""


def _rgb(colour: str) -> str:
    r, g, b = (int(colour[k : k + 2], 16) for k in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


# where each region is drawn, against the map's own box: a region off the map, or the map unstyled, is not seen
REGION_BOXES = """() => {
    const box = r => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
    const map = document.getElementById('england').getBoundingClientRect();
    return {map: box(map), regions: Array.from(document.querySelectorAll('path.region-area')).map(p => ({
        box: box(p.getBoundingClientRect()), opacity: parseFloat(getComputedStyle(p).fillOpacity)})),
        names: Array.from(document.querySelectorAll('.area-name span')).map(n => ({
            text: n.textContent, box: box(n.getBoundingClientRect())}))};
}"""


def _assert_regions_seen(page, kinds: dict[str, int]) -> None:
    """The regions as a person sees them on opening: each inside the map's box, together filling most of it
    across or down (the view fitted to England), opaque, and each kind of plan's colour (as blended over the
    map's background) covering a visible share of the map's pixels in a screenshot of it; the names drawn are
    inside the map too, each at its own place (not stacked in the page's flow)."""
    import io

    import numpy as np
    from PIL import Image

    from boundaries.publish.maps import STATUS_CLASSES

    drawn = page.evaluate(REGION_BOXES)
    frame = drawn["map"]
    for region in drawn["regions"]:
        inner = region["box"]
        assert inner["right"] > inner["left"] and inner["bottom"] > inner["top"], region
        for side in ("left", "top"):
            assert inner[side] >= frame[side] - 1, (side, inner, frame)
        for side in ("right", "bottom"):
            assert inner[side] <= frame[side] + 1, (side, inner, frame)
        assert region["opacity"] >= 0.5, region
    span = max(
        (max(r["box"]["right"] for r in drawn["regions"]) - min(r["box"]["left"] for r in drawn["regions"]))
        / (frame["right"] - frame["left"]),
        (max(r["box"]["bottom"] for r in drawn["regions"]) - min(r["box"]["top"] for r in drawn["regions"]))
        / (frame["bottom"] - frame["top"]),
    )
    assert span > 0.6, f"England fills {span:.0%} of the map across or down"  # (zoom snaps by quarters)
    for name in drawn["names"]:
        x, y = (name["box"]["left"] + name["box"]["right"]) / 2, (name["box"]["top"] + name["box"]["bottom"]) / 2
        assert frame["left"] < x < frame["right"] and frame["top"] < y < frame["bottom"], (name, frame)
    centres = {(round(n["box"]["left"]), round(n["box"]["top"])) for n in drawn["names"]}
    assert len(centres) == len(drawn["names"]), drawn["names"]
    image = Image.open(io.BytesIO(page.locator("#england").screenshot())).convert("RGB")
    background = _channels(page.evaluate("() => getComputedStyle(document.getElementById('england')).backgroundColor"))
    opacity = drawn["regions"][0]["opacity"]
    pixels = np.asarray(image, dtype=int).reshape(-1, 3)
    for kind, regions in kinds.items():
        colour = [int(STATUS_CLASSES[kind][0][k : k + 2], 16) for k in (1, 3, 5)]
        seen = [round(c * opacity + b * (1 - opacity)) for c, b in zip(colour, background)]
        share = float((np.abs(pixels - np.array(seen)) <= 6).all(axis=1).mean())
        assert share > 0.005, f"{kind} ({regions} regions) covers {share:.1%} of the map"


def _channels(css: str) -> list[int]:
    return [int(float(part)) for part in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]


@pytest.mark.browser
@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_browser_england_overview_colours_regions_and_links_their_pages(browser, tmp_path, size):
    from boundaries.app.batch import write_index
    from boundaries.atomic import slug
    from boundaries.publish.maps import STATUS_CLASSES, status_class

    results = []
    for name, (status, gap) in OVERVIEW_RESULTS.items():
        result = {"region": name, "status": status, "gap": gap, "bound_patient_km": 1.0 if gap is not None else None}
        folder = tmp_path / slug(name)
        folder.mkdir()
        if status in ("optimal", "feasible"):
            result["consortia"] = 20
            for page_name in ("map.html", "report.html"):
                (folder / page_name).write_text(f"<!doctype html><title>{name} {page_name}</title>\n")
            summary = {"coherence": 0.81, "imd_spread": 5.25}
            (folder / "metrics.json").write_text(json.dumps({"scorecard": {"summary": summary}}))
        else:
            result["error" if status == "error" else "explanation"] = XSS_PRACTICE
        results.append(result)
    write_index(results, tmp_path)
    index = tmp_path / "index.html"
    context = browser.new_context(viewport=dict(zip(("width", "height"), SIZES[size])), offline=True)
    errors, requests = [], []
    context.route(
        "**/*",
        lambda r: (
            r.continue_()
            if r.request.url.startswith(("file:", "data:"))
            else (requests.append(r.request.url), r.abort())
        ),
    )
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (errors.append(f"dialog {d.message}"), d.dismiss()))
        page.goto(index.as_uri())
        page.wait_for_selector("path.region-area", state="attached", timeout=20_000)
        fills = page.evaluate(PATH_FILLS)
        assert len(fills) == 10  # every SHA region, South West too (not in this batch: no plan)
        expected = [status_class(s, g, 1.0 if g is not None else None) for s, g in OVERVIEW_RESULTS.values()]
        counts = {kind: expected.count(kind) + (kind == "no-plan") for kind in STATUS_CLASSES}
        assert all(counts.values())  # the batch holds every kind
        _assert_regions_seen(page, counts)
        for kind, (colour, _) in STATUS_CLASSES.items():
            drawn = [f["fill"] for f in fills if f["cls"] == f"status-{kind}"]
            assert drawn == [_rgb(colour)] * counts[kind], kind
        for name, (status, _) in OVERVIEW_RESULTS.items():
            card = page.evaluate(OPEN_REGION_POPUP, name)
            assert name in card
            links = page.locator("#open-card .leaflet-popup-content a")
            if status not in ("optimal", "feasible"):
                assert links.count() == 0 and "no plan" in card
                continue
            assert links.all_inner_texts() == ["Map", "Report"] and "81%" in card and "5.2" in card
            for link in links.all():
                target = Path(unquote(urlsplit(link.evaluate("a => a.href")).path))
                assert target.is_file() and target.parent.name == slug(name), target
        page.keyboard.press("Escape")
        footer = assert_on_screen(page, "footer")
        assert " ".join(ATTRIBUTION.split()) in " ".join(footer.split())
        page.evaluate("() => window.englandMap.closePopup()")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"index-overview-{size}.png"))
        if size == "laptop":
            assert page.locator(".area-name").count() >= 5  # region names at the opening zoom
        else:  # a phone's narrow map opens further out: names come with the first zooms in
            page.evaluate("() => window.englandMap.setZoom(window.englandMap.getZoom() + 2, {animate: false})")
            assert page.locator(".area-name").count() >= 3
        # the links work: a click on a region's report opens it
        page.evaluate(OPEN_REGION_POPUP, "North East")
        link = page.locator("#open-card .leaflet-popup-content a", has_text="Report")
        # the link's own click (no pointer hit-testing: once, under load 4, a pointer click during the popup's
        # pan left the page where it was for 30 s); not wait_for_load_state: it could read the old page's title
        with page.expect_navigation():
            link.evaluate("a => a.click()")
        assert page.title() == "North East report.html"
    finally:
        context.close()
    assert errors == [] and requests == [], (errors, requests)


SIZES = {"laptop": (1366, 768), "phone": (390, 844)}
# (in braces, so that nothing comes back: returning the map would make Playwright copy the whole of it, for seconds)
SET_ZOOM = "z => { Object.values(window).find(v => v instanceof L.Map).setZoom(z, {animate: false}); }"

SEARCH_HIT = """() => {
    const hits = [];
    Object.values(window).filter(v => v instanceof L.GeoJSON).forEach(g => g.eachLayer(l => {
        if (l.searchHit) hits.push(l.feature.properties.consortium);
    }));
    return hits;
}"""

# where the found practice's ring is, and whether the panel covers it
RING = """() => {
    const box = document.querySelector('path.search-ring').getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    const top = document.elementFromPoint(x, y);
    return {x: x, y: y, vw: window.innerWidth, vh: window.innerHeight,
            underPanel: top !== null && top.closest('.map-panel') !== null};
}"""


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def search(page, text: str):
    """Type into the map's search box; the result buttons.

    Any popup still open is closed first (and gone before typing), so that the popup a chosen result opens is
    the one the checks then read, never the last one fading out.
    """
    page.evaluate("() => { Object.values(window).find(v => v instanceof L.Map).closePopup(); }")
    expect(page.locator(".leaflet-popup")).to_have_count(0)
    page.locator(".practice-search input").fill(text)
    return page.locator(".practice-search li button")


def assert_found(page, code: str, consortium: str) -> str:
    """The practice's popup is open, its consortium outlined, its ring on screen and not under the panel."""
    popup = page.locator(".leaflet-popup-content", has_text=code)
    popup.wait_for()
    text = popup.inner_text()
    expect(page.locator(".leaflet-popup-content")).to_have_count(1)  # the one before it has faded out
    assert page.evaluate(SEARCH_HIT) == [consortium]
    assert page.locator(f"path.{AREA_CLASS}.search-hit").count() == 1
    ring = page.evaluate(RING)
    assert 0 <= ring["x"] <= ring["vw"] and 0 <= ring["y"] <= ring["vh"], ring
    assert not ring["underPanel"], ring
    assert f"({code}) is in {consortium}" in page.locator(".practice-search .search-status").inner_text()
    page.wait_for_timeout(400)  # the popup's fade and the pan that fits it on screen, before a screenshot
    page.mouse.move(0, 0)  # no hover card where the chosen result was, in the screenshot
    return text


@pytest.mark.browser
def test_browser_search_finds_a_practice_by_postcode_code_or_name(browser, region, tmp_path):
    plan = by_lad(region)
    path = tmp_path / "search.html"
    render_map(plan, region, path=path, compare=by_half(region))
    opened = Opened(browser, path)
    try:
        page = opened.page
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            page.evaluate(SET_ZOOM, 8)
            page.wait_for_timeout(300)
            # a postcode typed loosely (lower case, no space) finds its one practice; Enter shows it
            postcode = region.practices.loc["P03", "postcode"]
            results = search(page, postcode.lower().replace(" ", ""))
            assert results.count() == 1 and "P03" in results.first.inner_text()
            page.locator(".practice-search input").press("Enter")
            assert postcode in assert_found(page, "P03", plan["P03"])
            opened.screenshot(f"map-search-postcode-{size}")
            # an ODS code in any case, then a name: more matches than fit are counted, arrow keys pick one
            search(page, "isl").first.click()
            assert_found(page, "ISL", plan["ISL"])
            results = search(page, "practice p")
            assert results.count() == SEARCH_LIMIT
            status = page.locator(".practice-search .search-status").inner_text()
            assert f"{len(region.practices)} practices found: the first {SEARCH_LIMIT} are listed" in status
            assert results.nth(1).locator("b").inner_text() == "Practice P00"  # by name: Practice ISL first
            page.locator(".practice-search input").press("ArrowDown")
            page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")
            assert_found(page, "P00", plan["P00"])
            opened.screenshot(f"map-search-name-{size}")
            assert search(page, "no such surgery").count() == 0
            assert page.locator(".practice-search .search-status").inner_text() == "No practice found"
            page.locator(".practice-search input").press("Escape")
            assert page.locator(".practice-search li").count() == 0
        opened.assert_clean()
    finally:
        opened.close()


@pytest.mark.browser
def test_browser_panel_glossary_and_download_links(browser, region, tmp_path):
    files = ["plan.csv", "consortia.geojson", "consortia.gpkg", "metrics.json", "summary.txt"]
    for name in files:
        (tmp_path / name).write_text("data\n")
    path = tmp_path / "map.html"
    render_map(_rough_plan(region), region, path=path, settings=SETTINGS, downloads=files)
    opened = Opened(browser, path)
    try:
        page = opened.page
        panel = page.locator(".map-panel")
        links = panel.locator("ul.downloads a")
        assert links.count() == len(files) and not links.first.is_visible()  # one click away
        panel.locator("summary", has_text="Download the data").click()
        for link, name in zip(links.all(), files, strict=True):
            assert link.is_visible() and link.inner_text() == DOWNLOADS[name][0]
            href = link.evaluate("a => a.href")  # resolved by the browser, relative to the map
            assert Path(unquote(urlsplit(href).path)) == tmp_path / name
        glossary = panel.locator("details.glossary")
        assert not glossary.get_by_text("its boundary follows council boundaries").is_visible()
        glossary.locator("summary", has_text="What the words mean").click()
        assert glossary.get_by_text("its boundary follows council boundaries").is_visible()
        assert glossary.get_by_text("how many consortia are too small or too large").is_visible()
        exact = glossary.get_by_text("gap = (objective − bound) / objective")
        assert not exact.is_visible()  # planners' detail: one more click
        glossary.locator("summary", has_text="For planners").click()
        assert exact.is_visible()
        exact.scroll_into_view_if_needed()
        opened.screenshot("map-glossary")
        opened.assert_clean()
    finally:
        opened.close()


@pytest.mark.browser
def test_browser_xss_names_show_as_text(browser, evil_region, tmp_path):
    path = tmp_path / "evil.html"
    render_map(
        _evil_plan(evil_region),
        evil_region,
        path=path,
        compare=by_half(evil_region),
        compare_name="CCGs <2013>",
    )
    opened = Opened(browser, path)
    try:
        page = opened.page
        assert opened.shapes(AREA_CLASS) == 3
        assert opened.shapes(BASELINE_CLASS) == 0  # off until asked for
        switch_on(page, "CCGs <2013>")
        assert opened.shapes(BASELINE_CLASS) == 2
        page.evaluate(OPEN_PRACTICE_POPUP, "P00")
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert XSS_PRACTICE in popup.inner_text() and XSS_POSTCODE in popup.inner_text()
        assert popup.locator("img, i").count() == 0
        page.evaluate("() => Object.values(window).find(v => v instanceof L.Map).closePopup()")
        expect(popup).to_have_count(0)  # so that the popup the search opens next is the one checked below
        # the search lists and shows the evil names as text too
        results = search(page, "onerror")
        assert results.count() == 1
        assert results.first.locator("b").inner_text() == XSS_PRACTICE
        assert XSS_POSTCODE in results.first.inner_text() and XSS_LABEL in results.first.inner_text()
        assert page.locator(".practice-search img, .practice-search i, .practice-search svg").count() == 0
        results.first.click()
        assert XSS_PRACTICE in assert_found(page, "P00", XSS_LABEL)
        assert page.locator(".practice-search input").input_value() == XSS_PRACTICE
        assert page.evaluate(OPEN_AREA_TOOLTIPS) == 3
        tooltips = "\n".join(page.locator(".leaflet-tooltip").all_inner_texts())
        for raw in (XSS_LABEL, XSS_LAD, XSS_TRUST):
            assert raw in tooltips
        panel = page.locator(".map-panel")
        page.locator(".map-panel summary", has_text="All consortia").click()
        assert XSS_LABEL in panel.inner_text()
        page.evaluate(SET_ZOOM, NAME_ZOOMS[1])  # every name drawn: the evil ones as text
        texts = {n["text"]: n["html"] for n in page.evaluate(VISIBLE_NAMES)}
        assert XSS_LABEL in texts and html.escape(XSS_LABEL) == texts[XSS_LABEL]
        assert page.locator(".area-name svg").count() == 0
        assert "CCGs <2013>" in page.locator(".leaflet-control-layers").inner_text()
        page.wait_for_timeout(300)
        opened.screenshot("map-xss")
        assert page.locator("img[src='x'], svg[onload], .map-panel b:text('Trust')").count() == 0
        assert page.evaluate("document.querySelectorAll('script').length") == page.evaluate(
            "document.querySelectorAll('head script, body > script').length"
        )
        opened.assert_clean()
    finally:
        opened.close()


@pytest.mark.browser
def test_browser_real_region_with_ccg_comparison(browser, tmp_path):
    region = real_region("North East")
    ccg = region.ccg_assignment()
    by_district = region.practices["lad"].astype(str)
    path = tmp_path / "north-east.html"
    render_map(
        by_district,
        region,
        path=path,
        compare=ccg,
        compare_name="2013 CCGs",
        title="North East: consortia by local authority vs the 2013 CCGs",
    )
    size = path.stat().st_size
    assert size < 5_000_000, f"{size:,} bytes"
    opened = Opened(browser, path)
    try:
        assert opened.shapes(AREA_CLASS) == by_district.nunique()
        assert opened.shapes(BASELINE_CLASS) == 0  # the public view opens on the plan alone
        opened.screenshot("map-north-east")
        assert opened.shapes(MOVED_CLASS) == 0
        switch_on(opened.page, "2013 CCGs")
        assert opened.shapes(BASELINE_CLASS) == ccg.nunique()
        switch_on(opened.page, "Practices changing consortium")  # 12 districts against 12 CCGs: of like size
        moved = evaluate(by_district, region, baseline=ccg).summary["moved_practices"]
        assert opened.shapes(MOVED_CLASS) == moved > 0
        opened.screenshot("map-north-east-ccgs")
        # a member of the public finds their practice by postcode, on a laptop and on a phone
        page = opened.page
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            page.evaluate(SET_ZOOM, 8)
            page.wait_for_timeout(300)
            results = search(page, "TS18 1HU")  # three practices share this postcode
            sharing = region.practices.index[region.practices["postcode"] == "TS18 1HU"]
            assert results.count() == len(sharing) == 3
            densham = results.filter(has_text="The Densham Surgery")
            assert "A81001" in densham.inner_text()
            densham.click()
            text = assert_found(page, "A81001", by_district["A81001"])
            assert "The Densham Surgery" in text and "TS18 1HU" in text
            opened.screenshot(f"map-north-east-search-{size}")
        opened.assert_clean()
    finally:
        opened.close()


def test_tiles_are_optional_and_off_by_default(region, tmp_path):
    plain, tiled = tmp_path / "plain.html", tmp_path / "tiled.html"
    render_map(by_lad(region), region, path=plain)
    render_map(by_lad(region), region, path=tiled, tiles=True)
    assert "openstreetmap" not in plain.read_text(encoding="utf-8").lower()
    text = tiled.read_text(encoding="utf-8")
    assert "tile.openstreetmap.org" in text
    layer = re.search(r"var (tile_layer_\w+) = L\.tileLayer", text).group(1)
    assert f"{layer}.addTo(" not in text  # switchable in the layer control, never loaded unless asked


def test_north_west_map_stays_light(tmp_path):
    region = real_region("North West")  # the largest region the issue names: about 1,200 practices
    path = tmp_path / "north-west.html"
    render_map(region.ccg_assignment(), region, path=path, compare=region.practices["lad"].astype(str))
    size = path.stat().st_size
    assert size < 5_000_000, f"North West map is {size:,} bytes"


def test_island_parts_are_named_on_the_map(tmp_path):
    # the 2013 CCGs of the North East hold land with no practice on it that touches no other land of its
    # authority (island parts, issue 10): each such area names them in its hover text and in the table
    from boundaries.check.metrics import evaluate

    region = real_region("North East")
    ccg = region.ccg_assignment(names=True)
    holders = evaluate(ccg, region).consortia
    holders = holders[holders["island_parts"] > 0]
    assert len(holders) > 0
    path = tmp_path / "north-east.html"
    render_map(ccg, region, path=path)
    text = html.unescape(path.read_text(encoding="utf-8"))
    for name, row in holders.iterrows():
        lads = ", ".join(row["island_lads"])
        words = f"Island parts: {int(row['island_parts'])} ({row['island_km2']:.2f} km²) of {lads}"
        assert json.dumps(words)[1:-1] in text, name  # the hover text travels inside the map's GeoJSON


# the hover card of an area, opened at a point of the map (x from the left, as a share of its width)
OPEN_TOOLTIP_AT = """([label, share]) => {
    const map = Object.values(window).find(v => v instanceof L.Map), size = map.getSize();
    let area = null;
    Object.values(window).filter(v => v instanceof L.GeoJSON).forEach(g => g.eachLayer(l => {
        if (l.feature && l.feature.properties.consortium === label) area = l;
    }));
    area.openTooltip(map.containerPointToLatLng([size.x * share, size.y / 2]));
    const box = area.getTooltip().getElement().getBoundingClientRect();
    return {left: box.left, right: box.right, top: box.top, bottom: box.bottom, width: box.width,
            vw: window.innerWidth, vh: window.innerHeight};
}"""

POPUP_BOX = """() => {
    const content = document.querySelector('.leaflet-popup-content');
    const box = document.querySelector('.leaflet-popup').getBoundingClientRect();
    return {width: box.width, vw: window.innerWidth,
            overflows: content.scrollWidth > content.clientWidth + 1};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_browser_layout_fits_phone_and_laptop(browser, region, tmp_path, size):
    path = tmp_path / "layout.html"
    plan = by_lad(region)
    render_map(_rough_plan(region), region, path=path, settings=SETTINGS, compare=_shifted(region))
    width, height = SIZES[size]
    opened = Opened(browser, path, (width, height))
    try:
        page = opened.page
        panel = page.locator(".map-panel")
        body = panel.locator("details.panel-body")
        if size == "phone":  # the panel and the list of layers start folded: the map is what one sees first
            assert body.evaluate("d => d.open") is False
            assert panel.bounding_box()["height"] < 60
            assert page.locator(".leaflet-control-layers-expanded").count() == 0
            opened.screenshot("layout-phone")
            panel.locator("summary.panel-toggle").click()  # one tap opens it
            assert ROUGH_LABEL in assert_on_screen(page, ".map-panel tr.quality")
            panel.locator("summary.panel-toggle").click()
        else:
            assert body.evaluate("d => d.open") is True
            assert ROUGH_LABEL in assert_on_screen(page, ".map-panel tr.quality")
            assert page.locator(".leaflet-control-layers-expanded").count() == 1
            # the region opens in the room right of the panel: no area under it (issue 15, item 7)
            assert page.evaluate(AREAS_CLEAR_OF_PANEL, AREA_CLASS), "an area opens under the summary panel"
        footer = assert_on_screen(page, ".map-attribution")
        assert " ".join(ATTRIBUTION.split()) in " ".join(footer.split())
        # a hover card fits the window wherever it opens, near either edge, however long its lines
        for share in (0.95, 0.05, 0.5):
            box = page.evaluate(OPEN_TOOLTIP_AT, [plan["P05"], share])
            assert box["width"] <= min(360, box["vw"] - 24) + 1, box
            assert box["left"] >= 0 and box["right"] <= box["vw"], box
            assert box["top"] >= 0 and box["bottom"] <= box["vh"], box
        opened.screenshot(f"layout-tooltip-{size}")
        page.evaluate(
            "() => Object.values(window).filter(v => v instanceof L.GeoJSON)"
            ".forEach(g => g.eachLayer(l => l.closeTooltip()))"
        )
        page.evaluate(OPEN_PRACTICE_POPUP, "P05")
        page.locator(".leaflet-popup-content").wait_for()
        box = page.evaluate(POPUP_BOX)
        assert box["width"] <= box["vw"] - 40 and not box["overflows"], box
        opened.screenshot(f"layout-popup-{size}")
        opened.assert_clean()
    finally:
        opened.close()


AREAS_CLEAR_OF_PANEL = """css => {
    const panel = document.querySelector('.map-panel').getBoundingClientRect();
    return Array.from(document.querySelectorAll('path.' + css)).every(p => {
        const b = p.getBoundingClientRect();
        return b.left >= panel.right - 1 || b.top >= panel.bottom - 1 || b.bottom <= panel.top + 1;
    });
}"""


PATHS_INSIDE_MAP = """css => {
    const frame = document.querySelector('.folium-map').getBoundingClientRect();
    return Array.from(document.querySelectorAll('path.' + css)).every(p => {
        const b = p.getBoundingClientRect();
        return b.left >= frame.left - 1 && b.right <= frame.right + 1 && b.top >= frame.top - 1
            && b.bottom <= frame.bottom + 1;
    });
}"""


@pytest.mark.browser
def test_browser_print_gives_a_clean_a4_map_with_key_and_attribution(browser, region, tmp_path):
    path = tmp_path / "print.html"
    render_map(_rough_plan(region), region, path=path, compare=_shifted(region), compare_name="Old plan")
    a4 = (1123, 794)  # A4 landscape at 96 dpi
    opened = Opened(browser, path, a4)
    try:
        page = opened.page
        switch_on(page, "Old plan")  # one comparison layer on, the other (moved practices) left off
        page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
        page.emulate_media(media="print")
        for hidden in (".map-panel", ".practice-search", ".leaflet-control-layers", ".leaflet-control-zoom"):
            assert not page.locator(hidden).is_visible(), hidden
        key = assert_on_screen(page, ".print-key")
        assert f"Plan quality: {ROUGH_LABEL}" in key
        assert "consortium area" in key and "local authority boundary" in key and "acute trust" in key
        assert "Old plan boundary" in key and "changes consortium" not in key  # only the layers that are on
        footer = assert_on_screen(page, ".map-attribution")
        assert " ".join(ATTRIBUTION.split()) in " ".join(footer.split())
        title = page.locator(".map-title").bounding_box()
        frame = page.locator(".folium-map").bounding_box()
        assert title["y"] + title["height"] <= frame["y"] + 1  # the title above the map, not over it
        assert frame["width"] == pytest.approx(281 * 96 / 25.4, abs=2)  # the A4 page's width inside its margins
        assert opened.shapes(AREA_CLASS) == 3 and page.evaluate(PATHS_INSIDE_MAP, AREA_CLASS)  # fitted to the page
        opened.screenshot("map-print")
        page.pdf(path=str(ARTIFACTS / "map-print.pdf"), format="A4", landscape=True, print_background=True)
        page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
        page.emulate_media(media="screen")
        assert page.locator(".map-panel").is_visible() and not page.locator(".print-key").is_visible()
        opened.assert_clean()
    finally:
        opened.close()


VISIBLE_NAMES = """() => Array.from(document.querySelectorAll('.area-name span, .lad-name span, .town-name span'))
    .map(s => {
        const b = s.getBoundingClientRect(), kind = ['area', 'lad', 'town'].find(
            k => s.parentNode.classList.contains(k + '-name'));
        return {text: s.textContent, kind: kind, left: b.left, right: b.right, top: b.top, bottom: b.bottom,
                html: s.innerHTML};
    })"""


def _overlapping(names: list[dict]) -> list[tuple[str, str]]:
    return [
        (a["text"], b["text"])
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if min(a["right"], b["right"]) - max(a["left"], b["left"]) > 1
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 1
    ]


@pytest.mark.browser
@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_browser_names_drawn_on_the_map_without_overlaps(browser, tmp_path, size):
    region = real_region("North East")
    ccg = region.ccg_assignment(names=True)
    path = tmp_path / "names.html"
    render_map(ccg, region, path=path)
    places = name_places(*simplified_layers(ccg, region), town_points(region.practices))
    towns = {p["text"] for p in places if p["kind"] == "town"}
    assert len(towns) >= 30 and {"Durham", "South Shields", "Morpeth"} <= towns  # measured: 39 of 46 towns
    opened = Opened(browser, path, SIZES[size])
    try:
        page = opened.page
        start = page.evaluate("() => Object.values(window).find(v => v instanceof L.Map).getZoom()")
        names = page.evaluate(VISIBLE_NAMES)
        assert any(n["kind"] == "area" for n in names), "no consortium name on the opening view"
        assert {n["text"] for n in names if n["kind"] == "area"} <= set(ccg.unique())
        opened.screenshot(f"names-{size}")
        seen = 0
        for zoom in [start, *range(int(start) + 1, int(NAME_ZOOMS[1]) + 1)]:
            page.evaluate(SET_ZOOM, zoom)
            names = page.evaluate(VISIBLE_NAMES)
            assert _overlapping(names) == [], zoom
            assert len(names) == sum(p["zoom"] <= zoom for p in places) >= seen, zoom  # more names closer in
            seen = len(names)
            if zoom == 11:
                opened.screenshot(f"names-{size}-zoom-11")
        assert seen == len(places)  # by a town's scale every name has shown (the map draws what it placed)
        assert {n["text"] for n in names if n["kind"] == "lad"} == {p["text"] for p in places if p["kind"] == "lad"}
        assert {n["text"] for n in names if n["kind"] == "town"} == towns
        opened.assert_clean()
    finally:
        opened.close()


@pytest.mark.browser
def test_browser_authority_and_town_names_show_as_text(browser, tmp_path):
    evil = _with_towns(make_region(lad_names={"E1": XSS_LAD}), dict.fromkeys(["P00", "P01", "P10"], XSS_TOWN))
    path = tmp_path / "evil-names.html"
    render_map(by_half(evil), evil, path=path)
    places = name_places(*simplified_layers(by_half(evil), evil), town_points(evil.practices))
    assert {(XSS_LAD, "lad"), (XSS_TOWN, "town")} <= {(p["text"], p["kind"]) for p in places}
    assert XSS_TOWN not in path.read_text(encoding="utf-8")  # in the page only as escaped JSON
    opened = Opened(browser, path)
    try:
        page = opened.page
        page.evaluate(SET_ZOOM, NAME_ZOOMS[1])
        names = {n["text"]: n for n in page.evaluate(VISIBLE_NAMES)}
        assert names[XSS_LAD]["kind"] == "lad" and names[XSS_LAD]["html"] == html.escape(XSS_LAD)
        assert names[XSS_TOWN]["kind"] == "town" and names[XSS_TOWN]["html"] == html.escape(XSS_TOWN)
        assert page.locator(".lad-name script").count() == 0
        assert page.locator(".town-name img").count() == 0
        assert "Town names (1)" in page.locator(".leaflet-control-layers").inner_text()
        opened.assert_clean()
    finally:
        opened.close()


@pytest.mark.browser
def test_browser_comment_link_opens_an_email_about_the_consortium(browser, evil_region, tmp_path):
    # issue 15, item 12: with a consultation address, each practice's popup links an email naming its consortium;
    # an evil consortium name stays text in the page and stays inside the link's subject
    from urllib.parse import parse_qs, unquote, urlsplit

    path = tmp_path / "comment.html"
    plan = _evil_plan(evil_region)
    render_map(plan, evil_region, path=path, comment_email="consult@nhs.example")
    opened = Opened(browser, path)
    try:
        page = opened.page
        page.evaluate(OPEN_PRACTICE_POPUP, "P00")
        link = page.locator(".leaflet-popup-content a.comment-link")
        link.wait_for()
        href = link.get_attribute("href")
        parts = urlsplit(href)
        assert parts.scheme == "mailto" and unquote(parts.path) == "consult@nhs.example"
        subject = parse_qs(parts.query)["subject"][0]
        assert subject == f"Comment on the proposed consortium: {plan['P00']}"
        assert link.inner_text() == f"Comment on {plan['P00']}"
        assert page.locator(".leaflet-popup-content img, .leaflet-popup-content i").count() == 0
        opened.assert_clean()
    finally:
        opened.close()
    no_address = tmp_path / "plain.html"
    render_map(plan, evil_region, path=no_address)
    assert "comment-link" not in no_address.read_text(encoding="utf-8")
