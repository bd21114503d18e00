"""The region report page: three charts of the scorecard's numbers, inline SVG, the same bytes every time."""

from __future__ import annotations

import json
import re

import pytest
from synthetic import by_lad, make_region

from boundaries.check.metrics import evaluate
from boundaries.check.quality import ATTRIBUTION
from boundaries.publish.report import CHARTS, INSIDE, OUTSIDE, population_bounds, render_report, write_report

EVIL = "<script>alert(1)</script> $x$ & co"


@pytest.fixture(scope="module")
def region():
    return make_region()


def _summary(region, plan, **settings) -> dict:
    card = evaluate(plan, region)
    return {
        "region": region.name,
        "status": "feasible",
        "source": "highs",
        "objective_patient_km": 1000.0,
        "bound_patient_km": 600.0,
        "gap": 0.4,
        "settings": {"preset": "consortium", "nesting": "strict", "n_consortia": "auto", **settings},
        "scorecard": card.to_dict(),
    }


def _chart(page: str, chart: str) -> str:
    return re.search(rf"<figure id='{chart}'>(.*?)</figure>", page, re.S).group(1)


def test_report_has_three_charts_of_every_consortium(region):
    # by_lad: 18,000, 42,000 and 66,500 patients; bounds 20,000-60,000 leave the first and last outside
    summary = _summary(region, by_lad(region), min_population=20_000, max_population=60_000)
    page = render_report(summary)
    assert re.findall(r"<figure id='([^']+)'>", page) == list(CHARTS)
    card = summary["scorecard"]
    names = [row["consortium"] for row in card["consortia"]]
    for chart in CHARTS:
        svg = _chart(page, chart)
        assert svg.count("<svg") == 1 and "role='img'" in svg
        for name in names:  # every consortium named on every chart, as text
            assert f">{name}</text>" in svg, (chart, name)
    sizes = _chart(page, CHARTS[0])
    assert sizes.count(f"fill: {OUTSIDE}") == 2 and sizes.count(f"fill: {INSIDE}") == 1
    assert "20,000 to 60,000 patients" in page and "2 consortia outside" in page
    assert f"{card['summary']['coherence']:.0%}" in page  # the scorecard's figures, in words
    assert f"{card['summary']['imd_reference']:.1f}" in page
    for row in card["consortia"]:
        assert f"<td>{row['consortium']}</td><td>{row['patients']:,}</td>" in page
    assert "not proven: up to 40% from the best possible" in page
    assert ATTRIBUTION in page and "<a href='map.html'>" in page
    assert "<script" not in page.lower()  # a report runs nothing


def test_report_bytes_are_identical_on_reruns_and_from_metrics_json(region, tmp_path):
    summary = _summary(region, by_lad(region))
    first = write_report(summary, tmp_path / "a" / "report.html")
    second = write_report(summary, tmp_path / "b" / "report.html")
    assert first.read_bytes() == second.read_bytes()
    # the runner writes it from its summary; a rerun of a done region may from metrics.json: the same page
    metrics = json.loads(json.dumps(summary, default=str))
    assert render_report(metrics).encode() == first.read_bytes()
    text = first.read_text()
    assert "<dc:date>" not in text and "Matplotlib v" not in text  # no date, no version: nothing that drifts
    assert sorted(p.name for p in first.parent.iterdir()) == ["report.html"]  # no temporary left behind


def test_report_escapes_names(region):
    plan = by_lad(region).replace({"West": EVIL})
    page = render_report(_summary(region, plan))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; $x$ &amp; co" in page  # in the table, and drawn literally
    for chart in CHARTS:
        assert ">&lt;script&gt;alert(1)&lt;/script&gt; $x$ &amp; co</text>" in _chart(page, chart)


def test_bounds_come_from_the_settings_or_the_preset():
    assert population_bounds({"preset": "consortium"}) == (100_000, 750_000)
    assert population_bounds({"preset": "hub", "min_population": 5, "max_population": 9}) == (5, 9)
    assert population_bounds({}) == (None, None)


def test_a_report_needs_a_scorecard():
    with pytest.raises(ValueError, match="scorecard"):
        render_report({"region": "North East", "status": "infeasible"})
