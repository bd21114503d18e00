"""The trade-off between two measures (issue 13, item 3), by the epsilon-constraint method: the ends leaning on
each measure, one plan per level of the second measure stated as a rule, the frontier of the plans found, what
each point proves, and a chart with the reference marked."""

import json

import pandas as pd
import pytest

import boundaries.app.batch
from boundaries.app import tradeoff as tradeoff_module
from boundaries.app.config import load_config
from boundaries.app.tradeoff import (
    EMPHASIS,
    Point,
    better,
    chart,
    check_between,
    dominating,
    frontier,
    leaning,
    levels_between,
    meets,
    solve_point,
    verdict,
    write_tradeoff,
)
from boundaries.check.metrics import evaluate
from boundaries.check.validation import BEAT_SLACK
from boundaries.data.region import load_region
from boundaries.errors import InputError
from boundaries.publish.planfile import read_plan_csv

PAIR = ("coherence", "imd_spread")
# five Tees authorities in three consortia: the plan leaning on coherence (coherence 1, IMD spread 4.19) and the
# one leaning on the spread (0.774, 3.01) differ, and every solve is proven in about a second
TEES = ["E06000001", "E06000002", "E06000003", "E06000004", "E06000005"]


def _point(coherence, spread, label="p"):
    return Point(label, {}, "optimal", 0.0, 1.0, {"coherence": coherence, "imd_spread": spread}, {"A": "1"})


class _Done:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class _Here:
    """A Dask client that runs each task where it is submitted: the same tasks, without a cluster's start-up."""

    def submit(self, fn, *args, pure=True):
        return _Done(fn(*args))

    def close(self):
        pass


@pytest.fixture(scope="module")
def tees():
    return load_region(TEES)


def _tees_config():
    return load_config(None).for_region("North East", preset="consortium", time_limit=60, n_consortia=3)


@pytest.fixture(scope="module")
def curve(tees, tmp_path_factory):
    """The coherence / IMD spread curve of Tees at four levels, written twice to compare the bytes."""
    outs = [tmp_path_factory.mktemp("curve"), tmp_path_factory.mktemp("again")]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(boundaries.app.batch, "_client", lambda scheduler, workers: (_Here(), None))
        summaries = [write_tradeoff(TEES, _tees_config(), list(PAIR), out, points=4) for out in outs]
    return summaries, outs


def test_the_frontier_keeps_only_plans_nothing_beats_on_both():
    a, b, c, d = _point(0.90, 5.0, "a"), _point(0.95, 6.0, "b"), _point(0.92, 6.5, "c"), _point(0.95, 6.0, "d")
    edge = frontier([a, b, c, d], PAIR)
    assert [p.label for p in edge] == ["a", "b"]  # c is beaten by b (more coherent, less spread); d is b again
    assert better(b.measures, c.measures, PAIR) and not better(a.measures, b.measures, PAIR)


def test_the_plans_that_beat_the_reference_are_the_frontier_plans_no_worse_on_both():
    a, b, c = _point(0.90, 5.0, "a"), _point(0.95, 6.0, "b"), _point(0.91, 6.5, "c")
    assert [p.label for p in dominating([a, b, c], PAIR, {"coherence": 0.92, "imd_spread": 5.5})] == []
    assert [p.label for p in dominating([a, b, c], PAIR, {"coherence": 0.90, "imd_spread": 6.0})] == ["a", "b"]
    assert [p.label for p in dominating([a, b, c], PAIR, {"coherence": 0.93, "imd_spread": 6.5})] == ["b"]
    assert [p.label for p in dominating([a, b, c], PAIR, {"coherence": 0.90, "imd_spread": 6.5})] == ["a", "b"]


def test_a_measures_term_is_weighted_up_by_its_factor():
    config = load_config(None).for_region("North East")
    leaned = leaning(config, {"coherence": EMPHASIS, "imd_spread": 1.0})
    assert leaned.weights.health == config.weights.health * EMPHASIS
    assert leaned.weights.deprivation == config.weights.deprivation
    with pytest.raises(InputError, match="not a measure to trade"):
        check_between(["coherence", "speed"])


def test_levels_run_evenly_from_the_first_ends_value_to_the_seconds_both_exactly():
    levels = levels_between(4.185489627462718, 3.0101, 5)
    assert levels[0] == 4.185489627462718 and levels[-1] == 3.0101  # each end meets its own level
    steps = [b - a for a, b in zip(levels, levels[1:])]
    assert all(s < 0 for s in steps) and max(steps) - min(steps) < 1e-12
    assert levels_between(0.8, 0.95, 2) == [0.8, 0.95]


def test_an_optimal_plan_is_proven_only_where_the_model_states_the_first_measure_exactly(monkeypatch):
    # the model leans on coherence, the IMD spread and compactness through stand-ins (docs/measures.md)
    assert not verdict("optimal", "coherence", 4.0, True)[0]
    assert "stand-in" in verdict("optimal", "coherence", 4.0, True)[1]
    assert verdict("infeasible", "coherence", 4.0, False) == (False, "no plan meets the level: proven")
    assert "not proven" in verdict("timed_out", "coherence", 4.0, False)[1]
    assert "not proven" in verdict("feasible", "coherence", 4.0, True)[1]
    monkeypatch.setattr(tradeoff_module, "EXACT", frozenset({"coherence"}))
    assert verdict("optimal", "coherence", 4.0, True) == (True, "proven: the best hospital coherence at the level")
    assert not verdict("feasible", "coherence", 4.0, True)[0]


def test_the_chart_marks_the_reference_and_the_levels_and_is_the_same_bytes_twice(tmp_path):
    points = [_point(0.90, 5.0), _point(0.95, 6.0), _point(0.92, 6.5)]
    points.append(Point("l", {}, "infeasible", None, 1.0, {}, None, "level", 4.5, False))
    first = chart(points, PAIR, {"coherence": 0.91, "imd_spread": 6.2}, tmp_path / "one")
    second = chart(points, PAIR, {"coherence": 0.91, "imd_spread": 6.2}, tmp_path / "two")
    assert [p.suffix for p in first] == [".svg", ".png"]
    svg = first[0].read_text()
    assert "reference" in svg and "hospital coherence (higher is better)" in svg
    assert "level no plan meets (proven)" in svg
    assert svg == second[0].read_text() and first[1].read_bytes() == second[1].read_bytes()


@pytest.mark.slow
def test_every_level_is_met_on_the_scorecard_and_the_levels_span_the_ends(tees, curve):
    summary = curve[0][0]
    assert summary["method"] == "epsilon"
    ends = [p for p in summary["points"] if p["kind"] == "end"]
    levels = [p for p in summary["points"] if p["kind"] == "level"]
    assert len(ends) == 2 and len(levels) == 4
    loose, tight = (e["measures"]["imd_spread"] for e in ends)
    assert tight < loose - 0.5  # the two ends differ: leaning on the spread lowers it
    asked = [p["level"] for p in levels]
    assert asked[0] == loose and asked[-1] == tight and asked == sorted(asked, reverse=True)
    files = {p["frontier_file"]: p for p in summary["points"] if p["frontier_file"]}
    for p in levels:  # each level solved and met, as the validator measured and as the scorecard does
        assert p["status"] in ("optimal", "feasible") and p["met"] is True
        assert p["measures"]["imd_spread"] <= p["level"] + BEAT_SLACK * p["level"]
        assert not p["proven"] and "not" in p["verdict"]  # coherence is leaned on through a stand-in
    for name, p in files.items():  # the frontier plans as written, scored by the scorecard
        card = evaluate(read_plan_csv(curve[1][0] / name, tees), tees).summary
        assert card["imd_spread"] == pytest.approx(p["measures"]["imd_spread"], rel=1e-9)
        assert card["coherence"] == pytest.approx(p["measures"]["coherence"], rel=1e-9)
    # the tightest level leans on coherence: nothing found is better on coherence at that spread
    at_tight = [
        p for p in summary["points"] if p["measures"] and meets(p["measures"]["imd_spread"], tight, "imd_spread")
    ]
    assert levels[-1]["measures"]["coherence"] >= max(p["measures"]["coherence"] for p in at_tight) - 1e-9


@pytest.mark.slow
def test_the_frontier_is_the_plans_found_that_nothing_beats_each_once_and_the_reference_verdict_is_right(curve):
    summary = curve[0][0]
    found = [p for p in summary["points"] if p["measures"]]
    edge = [p for p in found if p["on_frontier"]]
    assert len(edge) == len(summary["frontier_files"]) == 2  # the two ends' plans, each once
    assert len({tuple(p["measures"][m] for m in PAIR) for p in edge}) == len(edge)
    for p in found:
        beaten = any(better(q["measures"], p["measures"], PAIR) for q in found)
        assert p["on_frontier"] <= (not beaten)
        if not beaten:  # a plan off the frontier is one on it again
            assert any(q["measures"] == p["measures"] for q in edge)
    reference = summary["reference"]
    for p in found:
        no_worse = p["measures"]["coherence"] >= reference["coherence"] * (1 - BEAT_SLACK) and p["measures"][
            "imd_spread"
        ] <= reference["imd_spread"] * (1 + BEAT_SLACK)
        assert p["beats_reference"] == (p["on_frontier"] and no_worse)
    assert sum(p["beats_reference"] for p in found) == 1  # the 2013 map here is the coherent end's plan


@pytest.mark.slow
def test_the_same_input_and_seed_write_the_same_files(curve):
    (one, two), (a, b) = curve

    def steady(summary):
        return [{k: v for k, v in p.items() if k != "seconds"} for p in summary["points"]]

    assert steady(one) == steady(two)
    for name in [*one["frontier_files"], "tradeoff.svg", "tradeoff.png"]:
        assert (a / name).read_bytes() == (b / name).read_bytes()


@pytest.mark.slow
def test_a_level_past_the_best_end_is_reported_as_proven_out_of_reach_not_dropped(tees, tmp_path, monkeypatch):
    monkeypatch.setattr(boundaries.app.batch, "_client", lambda scheduler, workers: (_Here(), None))
    pair = ["imd_spread", "coherence"]
    summary = write_tradeoff(TEES, _tees_config(), pair, tmp_path, levels=[0.9, 1.01])
    levels = [p for p in summary["points"] if p["kind"] == "level"]
    assert [p["level"] for p in levels] == [0.9, 1.01]
    reachable, beyond = levels
    assert reachable["met"] is True and reachable["measures"]["coherence"] >= 0.9
    assert beyond["status"] == "infeasible" and beyond["met"] is False and not beyond["on_frontier"]
    assert beyond["verdict"] == "no plan meets the level: proven"
    assert "1 level(s) proven out of reach" in summary["proves"]
    written = json.loads((tmp_path / "tradeoff.json").read_text())
    assert [p["level"] for p in written["points"] if p["kind"] == "level"] == [0.9, 1.01]
    assert "level no plan meets (proven)" in (tmp_path / "tradeoff.svg").read_text()


@pytest.mark.slow
def test_the_ends_pieces_let_a_level_reach_the_plan_leaning_on_the_second_measure():
    # Tees in eight hub consortia: the divisions solved leaning on compactness cannot make the IMD spread of the
    # plan leaning on the spread; that plan's divisions and unions, given to the decomposition, can
    config = load_config(None).for_region("North East", preset="hub", time_limit=60, n_consortia=8)
    end = solve_point(TEES, config, {"compactness_km": 1.0, "imd_spread": EMPHASIS})
    level = {"imd_spread": end["measures"]["imd_spread"]}
    lean = {"compactness_km": EMPHASIS, "imd_spread": 1.0}
    point = solve_point(TEES, config, lean, None, level, end["centre"], [end["assignment"]])
    assert point["assignment"] is not None
    assert meets(point["measures"]["imd_spread"], level["imd_spread"], "imd_spread")


@pytest.mark.slow
def test_the_weighted_sum_curve_is_still_there_with_its_weights_and_no_levels(tmp_path, monkeypatch):
    monkeypatch.setattr(boundaries.app.batch, "_client", lambda scheduler, workers: (_Here(), None))
    summary = write_tradeoff(TEES, _tees_config(), list(PAIR), tmp_path, points=3, method="weights")
    assert summary["method"] == "weights" and "convex part" in summary["proves"]
    assert [p["label"] for p in summary["points"]] == [
        "hospital coherence x50, IMD spread x1",
        "hospital coherence x7.07, IMD spread x7.07",
        "hospital coherence x1, IMD spread x50",
    ]
    assert all(p["kind"] == "weights" and p["level"] is None and p["met"] is None for p in summary["points"])
    assert not any(p["proven"] for p in summary["points"])
    found = [p for p in summary["points"] if p["measures"]]
    for p in found:
        assert p["on_frontier"] <= (not any(better(q["measures"], p["measures"], PAIR) for q in found))


def test_without_both_ends_there_is_no_range_of_levels_and_the_ends_say_why(tmp_path, monkeypatch):
    monkeypatch.setattr(boundaries.app.batch, "_client", lambda scheduler, workers: (_Here(), None))
    config = load_config(None).for_region("North East", preset="consortium", time_limit=10, n_consortia=9)
    summary = write_tradeoff(TEES, config, list(PAIR), tmp_path, points=4)  # 9 consortia of 100,000 in Tees
    assert [(p["kind"], p["status"]) for p in summary["points"]] == [("end", "infeasible"), ("end", "infeasible")]
    assert all(p["verdict"] == "no plan: proven infeasible" for p in summary["points"])
    assert summary["frontier_files"] == [] and (tmp_path / "tradeoff.svg").is_file()


def test_the_command_exits_1_when_no_plan_can_be_traded(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from boundaries.app.cli import app

    monkeypatch.setattr(boundaries.app.batch, "_client", lambda scheduler, workers: (_Here(), None))
    args = ["--region", "North East", "--preset", "consortium", "--count", "40", "--time-limit", "20"]
    done = CliRunner().invoke(app, ["tradeoff", *args, "--out", str(tmp_path)])
    assert done.exit_code == 1, done.output
    assert "no plan for the trade-off (end: leaning on hospital coherence: no plan: proven infeasible" in " ".join(
        done.output.split()
    )
    assert (tmp_path / "north-east" / "tradeoff" / "tradeoff.json").is_file()  # what was found is written


def test_the_epsilon_method_needs_levels_it_can_state(tees, tmp_path):
    off = load_config(None).for_region("North East", preset="consortium", n_consortia=3, nesting="off")
    with pytest.raises(InputError, match="--method weights"):
        write_tradeoff(TEES, off, list(PAIR), tmp_path)


@pytest.mark.slow
def test_under_soft_nesting_every_level_found_is_met_on_the_validators_measures(tmp_path, monkeypatch):
    monkeypatch.setattr(boundaries.app.batch, "_client", lambda scheduler, workers: (_Here(), None))
    soft = load_config(None).for_region("North East", preset="consortium", time_limit=20, n_consortia=3, nesting="soft")
    summary = write_tradeoff(TEES, soft, list(PAIR), tmp_path, points=2)
    levels = [p for p in summary["points"] if p["kind"] == "level"]
    assert len(levels) == 2
    for p in levels:  # a level is met by the plan returned, or no plan came back (never claimed impossible)
        assert p["status"] in ("optimal", "feasible", "timed_out")
        if p["measures"]:
            assert p["met"] is True
            assert p["measures"]["imd_spread"] <= p["level"] * (1 + BEAT_SLACK)


@pytest.mark.slow
def test_a_tradeoff_on_real_practices_runs_its_solves_as_dask_tasks(tmp_path):
    # asserted is only what holds at any stopping point
    config = load_config(None).for_region("North East", preset="consortium", time_limit=20, n_consortia=3)
    summary = write_tradeoff(TEES, config, list(PAIR), tmp_path, points=2, workers=1)
    assert [p["kind"] for p in summary["points"]] == ["end", "end", "level", "level"]
    on_edge = [p for p in summary["points"] if p["on_frontier"]]
    assert len(on_edge) == len(summary["frontier_files"]) >= 1
    region = load_region(TEES)
    for name in summary["frontier_files"]:
        plan = read_plan_csv(tmp_path / name, region)
        assert isinstance(plan, pd.Series) and plan.nunique() == 3
    for p in on_edge:  # nothing found beats a frontier plan on both measures
        assert not any(better(q["measures"], p["measures"], PAIR) for q in summary["points"] if q["measures"])
    for p in summary["points"]:
        if p["kind"] == "level" and p["measures"]:
            assert p["met"] and meets(p["measures"]["imd_spread"], p["level"], "imd_spread")
    assert (tmp_path / "tradeoff.svg").is_file() and (tmp_path / "tradeoff.png").is_file()
    assert json.loads((tmp_path / "tradeoff.json").read_text())["reference"]["plan"] == "ccg2013"
