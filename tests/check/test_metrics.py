"""The scorecard: exact values on the synthetic grid (tests/synthetic.py), sane values on a real region."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from synthetic import SIZE, X0, Y0, by_half, by_lad, make_region, real_region

from boundaries.check.metrics import AssignmentError, evaluate, match_consortia
from boundaries.engine.plan import Plan


@pytest.fixture(scope="module")
def region():
    return make_region()


def _centre(row: int, col: int) -> tuple[float, float]:
    return X0 + (col + 0.5) * SIZE, Y0 - (row + 0.5) * SIZE


def _compactness_by_hand(cells: list[tuple[int, int]], weights: list[float]) -> float:
    xy = np.array([_centre(r, c) for r, c in cells])
    w = np.array(weights, dtype=float)
    centre = (xy * w[:, None]).sum(axis=0) / w.sum()
    return float((np.hypot(*(xy - centre).T) * w).sum() / w.sum() / 1000)


def test_by_lad_exact(region):
    card = evaluate(by_lad(region), region)
    c = card.consortia
    assert list(c.index) == ["East", "Middle", "West"]
    assert c.loc["West", "patients"] == 18_000
    assert c.loc["Middle", "patients"] == 42_000
    assert c.loc["East", "patients"] == 66_500
    assert list(c["practices"]) == [13, 12, 12]
    assert c["coterminous"].all() and (c["la_splits"] == 0).all()
    assert c.loc["East", "lads"] == ("E3",) and c.loc["East", "lad_names"] == ("Gammaford",)

    # main trust: the practices' main trust held by the most patients. Middle: TA (column 2) 18,000, TB
    # (column 3) 24,000. Its share of Middle's admissions: TB 6*3000*.3 + 6*4000*.9 = 27,000 of 42,000.
    assert c.loc["West", "main_trust"] == "TA" and c.loc["Middle", "main_trust"] == "TB"
    assert c.loc["Middle", "main_trust_name"] == "Beta Acute NHS Trust"
    assert c.loc["Middle", "main_trust_flow_share"] == pytest.approx(27_000 / 42_000)
    assert c.loc["Middle", "coherent_patients"] == 24_000
    assert c.loc["Middle", "coherence"] == pytest.approx(24_000 / 42_000)  # column 3's practices
    assert c.loc["West", "coherence"] == 1.0

    assert c.loc["West", "imd_mean"] == pytest.approx((6_000 * 10 + 12_000 * 20) / 18_000)
    assert c.loc["East", "imd_mean"] == pytest.approx((30_000 * 50 + 36_000 * 60 + 500 * 60) / 66_500)
    assert c.loc["East", "imd_imputed_practices"] == 1
    reference = sum(6_000 * (k + 1) * 10 * (k + 1) for k in range(6)) / 126_000
    reference = (reference * 126_000 + 500 * 60) / 126_500
    assert card.summary["imd_reference"] == pytest.approx(reference)
    assert c["imd_gap"].to_numpy() == pytest.approx((c["imd_mean"] - reference).to_numpy())

    west = [(r, col) for r in range(6) for col in (0, 1)]
    assert c.loc["West", "compactness_km"] == pytest.approx(
        _compactness_by_hand(west, [1000 * (col + 1) for _, col in west])
    )

    # borders: six 10 km cell edges between each pair of neighbouring strips; the island link has no length
    assert c["border_km"].to_dict() == pytest.approx({"West": 60.0, "Middle": 120.0, "East": 60.0})
    assert card.summary["border_km"] == pytest.approx(120.0)

    assert c["connected"].all()
    assert c.loc["East", "island_link"] and not c.loc["West", "island_link"]
    assert not c["over_board_limit"].any()

    s = card.summary
    assert s["consortia"] == 3 and s["practices"] == 37 and s["patients"] == 126_500
    assert (s["population_min"], s["population_median"], s["population_max"]) == (18_000, 42_000, 66_500)
    # hub 30k-210k: West out; consortium 100k-750k and locality 70k-150k: all out; small 50k-100k: East in
    assert s["outside_presets"] == {"hub": 1, "consortium": 3, "locality": 3, "small": 2}
    assert (s["non_coterminous"], s["la_splits"], s["la_split_pairs"], s["lads_divided"], s["lads"]) == (0, 0, 0, 0, 3)
    assert s["coherence"] == pytest.approx((18_000 + 24_000 + 66_500) / 126_500)
    assert s["imd_range"] == pytest.approx(s["imd_max"] - s["imd_min"])
    means = c["imd_mean"].to_numpy()
    assert s["imd_spread"] == pytest.approx(np.sqrt(((means - means.mean()) ** 2).sum() / 3))  # population form
    assert s["imd_max_gap"] == pytest.approx(max(abs(m - reference) for m in means))
    w = c["patients"].to_numpy()
    assert s["compactness_km"] == pytest.approx((c["compactness_km"] * w).sum() / w.sum())
    assert (s["disconnected"], s["island_linked"]) == (0, 1)
    assert (s["practices_max"], s["over_board_limit"], s["board_limit"]) == (13, 0, 30)
    assert "moved_practices" not in s


def test_la_splits_and_divided_lads(region):
    halves = evaluate(by_half(region), region)
    assert halves.consortia["la_splits"].tolist() == [3, 3]
    assert halves.summary["la_split_pairs"] == 6
    assert halves.authorities["consortia"].tolist() == [2, 2, 2] and halves.summary["la_splits"] == 3
    assert halves.summary["lads_divided"] == 3
    assert halves.summary["non_coterminous"] == 2

    # whole E1 plus column 2 of E2 | column 3 of E2 plus whole E3: each splits E2 once
    col = {c: (int(c[2]) if c != "ISL" else 5) for c in region.practices.index}
    labels = pd.Series({c: "A" if k <= 2 else "B" for c, k in col.items()})
    card = evaluate(labels, region)
    assert card.consortia.loc["A", "split_lads"] == ("E2",)
    assert card.consortia.loc["A", "whole_lads"] == 1
    assert (card.summary["la_split_pairs"], card.summary["lads_divided"], card.summary["la_splits"]) == (2, 1, 1)

    # E1 cut in two pieces that both stay inside it: nested, so coterminous and no split
    row = {c: (int(c[1]) if c != "ISL" else 5) for c in region.practices.index}
    nested = by_lad(region).copy()
    for c in nested.index:
        if nested[c] == "West":
            nested[c] = "West-N" if row[c] <= 2 else "West-S"
    card = evaluate(nested, region)
    assert card.consortia["coterminous"].all()
    assert (card.summary["la_split_pairs"], card.summary["lads_divided"]) == (0, 1)
    assert card.authorities.loc["E1", "la_splits"] == 1 and card.summary["la_splits"] == 1  # E1 in two pieces


def test_disconnected_and_board_limit(region):
    labels = by_lad(region).copy()
    labels[["P00", "P02"]] = "Scattered"  # not neighbours: P01 lies between them
    card = evaluate(labels, region)
    assert not card.consortia.loc["Scattered", "connected"]
    assert card.consortia.loc["Scattered", "components"] == 2
    assert card.summary["disconnected"] == 1

    one = pd.Series("All", index=region.practices.index)
    card = evaluate(one, region)
    assert card.summary["practices_max"] == 37 and card.summary["over_board_limit"] == 1
    assert card.summary["border_km"] == 0
    assert card.consortia.loc["All", "over_board_limit"]


def test_moves_from_baseline(region):
    card = evaluate(by_lad(region), region, baseline=by_half(region))
    # East<->South keeps 7 practices (6 + the island), East<->North 6; then Middle and West could each keep 6
    # with North: the tie goes to the most patients, Middle (21,000 against 9,000); West stays unmatched
    assert card.matching == {"East": "South", "Middle": "North", "West": None}
    assert card.summary["moved_practices"] == 6 + 6 + 12
    assert card.summary["moved_patients"] == 33_000 + 21_000 + 18_000
    assert card.summary["baseline_consortia"] == 2
    assert bool(card.moved["P00"]) and not bool(card.moved["ISL"])

    renamed = by_lad(region).map({"West": "w", "Middle": "m", "East": "e"})
    same = evaluate(by_lad(region), region, baseline=renamed)
    assert same.summary["moved_practices"] == 0
    assert same.matching == {"East": "e", "Middle": "m", "West": "w"}


def test_match_consortia_is_one_to_one():
    labels = pd.Series(["a", "a", "b", "b"], index=list("wxyz"))
    baseline = pd.Series(["X", "X", "X", "Y"], index=list("wxyz"))
    weights = pd.Series([10.0, 10.0, 8.0, 1.0], index=list("wxyz"))
    assert match_consortia(labels, baseline, weights) == {"a": "X", "b": "Y"}


def test_moves_count_practices_not_patients():
    """The matching keeps the most practices, whatever their patients: b's three small practices stay in X."""
    labels = pd.Series(["a", "b", "b", "b"], index=list("wxyz"))
    baseline = pd.Series(["X", "X", "X", "X"], index=list("wxyz"))
    patients = pd.Series([90_000.0, 1_000.0, 1_000.0, 1_000.0], index=list("wxyz"))
    assert match_consortia(labels, baseline, patients) == {"a": None, "b": "X"}
    region = make_region()
    plan = by_lad(region).copy()
    plan[["P05", "P15"]] = "Corner"  # two practices of 6,000 patients each out of East
    card = evaluate(plan, region, baseline=by_lad(region))
    assert card.summary["moved_practices"] == 2 and card.summary["moved_patients"] == 12_000


def test_inputs_and_errors(region):
    labels = by_lad(region)
    plan = Plan.from_assignment(labels, region=region, source="test")
    assert evaluate(plan, region).summary == evaluate(labels.to_dict(), region).summary
    with pytest.raises(AssignmentError, match="not in region Synthetic: NOPE"):
        evaluate({**labels.to_dict(), "NOPE": "West"}, region)
    with pytest.raises(AssignmentError, match="unassigned: ISL"):
        evaluate(labels.drop("ISL"), region)
    with pytest.raises(AssignmentError, match="^baseline plan: .*unassigned: P00"):
        evaluate(labels, region, baseline=labels.drop("P00"))


def test_to_dict_is_json_and_text_is_readable(region):
    card = evaluate(by_lad(region), region, baseline=by_half(region))
    data = json.loads(json.dumps(card.to_dict(), allow_nan=False))
    assert data["summary"]["moved_practices"] == 24
    assert data["consortia"][0]["consortium"] == "East"
    assert data["consortia"][0]["lads"] == ["E3"]
    assert len(data["moved"]) == 24
    text = card.text(table=True)
    assert "Consortia                 3 (37 practices, 126,500 patients)" in text
    assert "0 consortia not coterminous, 0 LA splits (0 of 3 LADs divided)" in text
    assert data["authorities"][0] == {
        "lad": "E1",
        "lad_name": "Alphaton",
        "practices": 12,
        "consortia": 1,
        "la_splits": 0,
    }
    assert "Moves from baseline       24 practices (72,000 patients)" in text
    assert str(card) == card.text()


def test_missing_imd_and_shares_do_not_break(region):
    practices = region.practices.copy()
    practices.loc["P00", "imd"] = np.nan
    shares = region.trust_shares[region.trust_shares["practice"] != "P01"]
    from dataclasses import replace

    sparse = replace(region, practices=practices, trust_shares=shares)
    card = evaluate(by_lad(sparse), sparse)
    assert card.consortia.loc["West", "imd_mean"] == pytest.approx((5_000 * 10 + 12_000 * 20) / 17_000)
    assert card.consortia.loc["West", "main_trust"] == "TA"


# ------------------------------------------------------------------------------------------- real data


def test_real_ccg_map_scores_sensibly():
    region = real_region("North East")
    card = evaluate(region.ccg_assignment(), region)
    s = card.summary
    assert 10 <= s["consortia"] <= 14  # the North East had 12 CCGs in April 2013
    assert s["patients"] == region.population
    assert s["practices"] == len(region.practices)
    assert 0.5 < s["coherence"] <= 1.0
    assert 0 < s["compactness_km"] < 40
    assert s["imd_min"] < s["imd_max"]
    assert s["practices_max"] >= s["patients"] / s["consortia"] / 20_000
    assert card.consortia["main_trust"].notna().all()
    assert evaluate(region.ccg_assignment(), region, baseline=region.ccg_assignment()).summary["moved_practices"] == 0
    json.dumps(card.to_dict(), allow_nan=False)


def test_areas_on_the_ground(region):
    """The synthetic island is its own piece of land, joined by its island link: not *in pieces*; a consortium
    of two cells that do not touch is."""
    card = evaluate(by_lad(region), region)
    c = card.consortia
    assert c["area_pieces"].to_dict() == {"East": 2, "Middle": 1, "West": 1}
    assert not c["in_pieces"].any() and c["one_piece"].to_dict() == {"East": False, "Middle": True, "West": True}
    assert (c["island_parts"] == 0).all() and card.summary["areas_in_pieces"] == 0
    labels = by_lad(region).copy()
    labels[["P00", "P02"]] = "Scattered"
    card = evaluate(labels, region)
    assert card.consortia.loc["Scattered", "area_pieces"] == 2 and card.consortia.loc["Scattered", "in_pieces"]
    assert card.summary["areas_in_pieces"] == 1


def test_real_areas_name_their_island_parts():
    region = real_region("North East")
    plan = region.practices["lad_name"].astype(str)
    card = evaluate(plan, region)
    c = card.consortia
    assert card.summary["areas_in_pieces"] == 0 and not c["in_pieces"].any()
    north = c.loc["Northumberland"]
    assert north["area_pieces"] == 2  # Holy Island, joined by its island link
    assert north["island_link"] and north["island_parts"] >= 25 and north["island_lads"] == ("Northumberland",)
    cells = region.cells
    assert c["island_parts"].sum() == cells["island_parts"].sum()
    assert card.summary["island_parts_km2"] == pytest.approx(cells["island_km2"].sum())
    assert card.summary["with_island_parts"] == cells.loc[cells["island_parts"] > 0, "lad"].nunique()
    assert "areas in pieces on the ground" in card.text() and "island_parts" in card.text(table=True)
    json.dumps(card.to_dict(), allow_nan=False)
