"""The engine on real regions: valid plans, both backends agreeing, strict nesting, explanations."""

from dataclasses import replace

import pytest

from boundaries.check.metrics import evaluate
from boundaries.check.validation import validate
from boundaries.data.region import load_region
from boundaries.engine.problem import Problem, Weights
from boundaries.engine.solver import solve

pytestmark = pytest.mark.slow  # every test here solves a real region

TEES = ["E06000001", "E06000004", "E06000005"]  # Hartlepool, Stockton-on-Tees, Darlington: 51 practices


@pytest.fixture(scope="module")
def tees():
    return load_region(TEES)


@pytest.fixture(scope="module")
def tees_plans(tees):
    problem = Problem.from_region(tees, "hub", n_consortia=(3, 5), nesting="strict")
    return problem, {b: solve(problem, backend=b, time_limit=120, seed=0) for b in ("cpsat", "highs")}


def test_both_backends_prove_the_same_optimum_on_real_practices(tees_plans):
    _, plans = tees_plans
    for plan in plans.values():
        assert plan.status == "optimal", plan.log[-2000:]
        assert plan.decomposed
    assert plans["cpsat"].objective == pytest.approx(plans["highs"].objective, rel=1e-6)


@pytest.mark.parametrize("decompose", [True, False])
def test_progress_records_when_each_better_plan_and_bound_came(tees, decompose):
    problem = Problem.from_region(tees, "hub", n_consortia=(3, 5), nesting="strict")
    plan = solve(problem, backend="highs", time_limit=120, decompose=decompose)
    progress = plan.progress
    assert progress, "a plan was found, so its time is recorded"
    times = [t for t, _, _ in progress]
    assert times == sorted(times) and 0 < times[0] <= plan.seconds
    assert min(objective for _, objective, _ in progress) == pytest.approx(plan.objective)
    assert all(bound is None or bound <= objective * (1 + 1e-9) for _, objective, bound in progress)


def test_real_plan_passes_the_validator_and_the_scorecard_agrees(tees, tees_plans):
    problem, plans = tees_plans
    plan = plans["cpsat"]
    report = validate(plan, problem)
    assert report.ok, report
    card = evaluate(plan, tees)
    s = card.summary
    assert s["consortia"] == plan.assignment.nunique()
    assert 3 <= s["consortia"] <= 5
    assert s["outside_presets"]["hub"] == 0
    assert s["non_coterminous"] == 0 and s["la_split_pairs"] == 0  # strict nesting
    assert s["disconnected"] == 0
    assert s["patients"] == tees.population


def test_a_gap_tolerance_stops_early_with_its_proof(tees):
    problem = Problem.from_region(tees, "hub", n_consortia=(3, 5), nesting="strict")
    exact = solve(problem, backend="highs", time_limit=120)
    loose = solve(problem, backend="highs", time_limit=120, gap=0.05)
    assert exact.status == "optimal" and exact.gap == 0
    assert loose.has_plan and loose.validation.ok
    assert loose.gap <= 0.05 and loose.bound <= exact.objective * (1 + 1e-9) <= loose.objective * (1 + 1e-9)


def test_pricing_the_border_shortens_it_on_real_cells(tees, tees_plans):
    problem, plans = tees_plans
    priced = replace(problem, weights=Weights(border=2_000))
    plan = solve(priced, backend="highs", time_limit=120)
    assert plan.status == "optimal" and plan.validation.ok
    before = evaluate(plans["highs"], tees).summary
    after = evaluate(plan, tees).summary
    assert after["border_km"] < before["border_km"]


def test_whole_model_and_decomposition_agree_on_a_real_pair_of_authorities():
    region = load_region(["E06000001", "E06000004"])  # Hartlepool and Stockton-on-Tees, 40 practices
    problem = Problem.from_region(region, "hub", n_consortia=(2, 4), nesting="strict")
    whole = solve(problem, backend="highs", time_limit=120, decompose=False)
    parts = solve(problem, backend="highs", time_limit=120, decompose=True)
    assert whole.status == parts.status == "optimal"
    assert whole.objective == pytest.approx(parts.objective, rel=1e-6)


def test_soft_nesting_splits_once_where_strict_nesting_cannot_work():
    # Hartlepool (95,703 patients) is below a 100,000 minimum, and with all of Stockton-on-Tees (197,272)
    # above the 150,000 maximum: strict nesting is impossible, soft nesting needs exactly one split
    region = load_region(["E06000001", "E06000004"])
    strict = Problem.from_region(region, min_population=100_000, max_population=150_000, n_consortia=2)
    assert solve(strict, time_limit=10).status == "infeasible"
    soft = Problem.from_region(region, min_population=100_000, max_population=150_000, n_consortia=2, nesting="soft")
    plan = solve(soft, backend="highs", time_limit=120)
    assert plan.has_plan and plan.validation.ok
    assert not plan.decomposed
    assert evaluate(plan, region).summary["la_split_pairs"] == 1


def test_health_floor_and_deprivation_band_hold_on_real_data(tees):
    problem = Problem.from_region(tees, "hub", n_consortia=(3, 5), health_floor=0.8, imd_band=12.0)
    plan = solve(problem, backend="highs", time_limit=120)
    assert plan.has_plan, plan.explanation
    card = evaluate(plan, tees)
    assert (card.consortia["coherence"] >= 0.8 - 1e-9).all()
    mean = (tees.practices["imd"] * tees.practices["patients"]).sum() / tees.population
    assert ((card.consortia["imd_mean"] - mean).abs() <= 12.0 + 1e-6).all()


def test_isles_of_scilly_explained_in_planners_words():
    region = load_region("South West")
    plan = solve(Problem.from_region(region, "hub"), time_limit=5)
    assert plan.status == "infeasible"
    assert "Isles of Scilly" in plan.explanation and "30,000 minimum" in plan.explanation
    assert "lad_groups" in plan.explanation


def test_grouping_scilly_with_cornwall_removes_that_reason():
    from boundaries.engine.explain import precheck

    region = load_region("South West")
    grouped = Problem.from_region(region, "hub", lad_groups={"E06000053": "E06000052"})
    assert not any("Scilly" in reason for reason in precheck(grouped))
