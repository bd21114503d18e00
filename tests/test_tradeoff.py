"""The trade-off between two measures (issue 13, item 3): plans from leaning on one to leaning on the other,
the frontier of those found, a chart with the reference marked."""

import json

import pandas as pd
import pytest

from boundaries.config import load_config
from boundaries.errors import InputError
from boundaries.planfile import read_plan_csv
from boundaries.region import load_region
from boundaries.tradeoff import EMPHASIS, Point, better, chart, check_between, frontier, leaning, write_tradeoff

PAIR = ("coherence", "imd_spread")


def _point(coherence, spread, label="p"):
    return Point(label, {}, "optimal", 0.0, 1.0, {"coherence": coherence, "imd_spread": spread}, {"A": "1"})


def test_the_frontier_keeps_only_plans_nothing_beats_on_both():
    a, b, c, d = _point(0.90, 5.0, "a"), _point(0.95, 6.0, "b"), _point(0.92, 6.5, "c"), _point(0.95, 6.0, "d")
    edge = frontier([a, b, c, d], PAIR)
    assert [p.label for p in edge] == ["a", "b"]  # c is beaten by b (more coherent, less spread); d is b again
    assert better(b.measures, c.measures, PAIR) and not better(a.measures, b.measures, PAIR)


def test_a_measures_term_is_weighted_up_by_its_factor():
    config = load_config(None).for_region("North East")
    leaned = leaning(config, {"coherence": EMPHASIS, "imd_spread": 1.0})
    assert leaned.weights.health == config.weights.health * EMPHASIS
    assert leaned.weights.deprivation == config.weights.deprivation
    with pytest.raises(InputError, match="not a measure to trade"):
        check_between(["coherence", "speed"])


def test_the_chart_marks_the_reference_and_is_the_same_bytes_twice(tmp_path):
    points = [_point(0.90, 5.0), _point(0.95, 6.0), _point(0.92, 6.5)]
    first = chart(points, PAIR, {"coherence": 0.91, "imd_spread": 6.2}, tmp_path / "one")
    second = chart(points, PAIR, {"coherence": 0.91, "imd_spread": 6.2}, tmp_path / "two")
    assert [p.suffix for p in first] == [".svg", ".png"]
    svg = first[0].read_text()
    assert "reference" in svg and "hospital coherence (higher is better)" in svg
    assert svg == second[0].read_text() and first[1].read_bytes() == second[1].read_bytes()


@pytest.mark.slow
def test_a_tradeoff_on_real_practices_writes_its_frontier_plans_and_chart(tmp_path):
    # five Tees authorities, hub preset, five consortia: each plan is proven in about a second; asserted is only
    # what holds at any stopping point
    tees = ["E06000001", "E06000002", "E06000003", "E06000004", "E06000005"]
    config = load_config(None).for_region("North East", time_limit=20, n_consortia=5)
    summary = write_tradeoff(tees, config, list(PAIR), tmp_path, points=3, workers=1)
    assert len(summary["points"]) == 3
    on_edge = [p for p in summary["points"] if p["on_frontier"]]
    assert len(on_edge) == len(summary["frontier_files"]) >= 1
    region = load_region(tees)
    for name in summary["frontier_files"]:
        plan = read_plan_csv(tmp_path / name, region)
        assert isinstance(plan, pd.Series) and plan.nunique() == 5
    for p in on_edge:  # nothing found beats a frontier plan on both measures
        assert not any(better(q["measures"], p["measures"], PAIR) for q in summary["points"] if q["measures"])
    assert (tmp_path / "tradeoff.svg").is_file() and (tmp_path / "tradeoff.png").is_file()
    assert json.loads((tmp_path / "tradeoff.json").read_text())["reference"]["plan"] == "ccg2013"
