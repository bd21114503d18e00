"""How good a plan is, in words: one wording for every output."""

import pytest

from boundaries.app.config import LadGroup, RunConfig
from boundaries.check.quality import gap_text, is_proven, plan_quality, quality_label, settings_text
from boundaries.engine.plan import Plan


@pytest.mark.parametrize(
    "status, gap, bound, label",
    [
        ("optimal", 0.0, 100.0, "proven optimal"),
        ("optimal", None, None, "proven optimal"),
        ("feasible", 0.0, 100.0, "proven optimal"),
        ("feasible", 0.0027, 100.0, "within 0.27% of the best possible"),
        ("feasible", 0.00271, 100.0, "within 0.28% of the best possible"),  # rounded up, never flattering
        ("feasible", 0.05, 100.0, "within 5.0% of the best possible"),
        ("feasible", 0.0534, 100.0, "not proven: up to 5.4% from the best possible"),
        ("feasible", 0.42, 100.0, "not proven: up to 42% from the best possible"),
        ("feasible", None, None, "no bound: quality not proven"),
        ("feasible", 0.1, None, "no bound: quality not proven"),
        ("given", None, None, "given plan, not solved here: quality not proven"),
        ("infeasible", None, None, "no plan: the rules cannot all be met"),
        ("timed_out", None, None, "no plan: time ran out before a first plan"),
        ("error", None, None, "no plan: the run failed"),
    ],
)
def test_quality_label_wording(status, gap, bound, label):
    assert quality_label(status, gap, bound) == label
    assert is_proven(status, gap, bound) is (label == "proven optimal" or label.startswith("within"))


@pytest.mark.parametrize(
    "gap, text", [(0.0, "0.00%"), (0.00004, "under 0.01%"), (0.00005, "0.01%"), (0.0218, "2.18%"), (0.5, "50.00%")]
)
def test_a_gap_above_0_never_reads_as_0(gap, text):
    assert gap_text(gap) == text


def test_plan_quality_of_any_plan():
    solved = Plan.from_assignment({"A": "x"}, source="highs")
    solved.status, solved.objective, solved.bound, solved.gap = "feasible", 100.0, 58.0, 0.42
    assert plan_quality(solved) == {
        "status": "feasible",
        "source": "highs",
        "objective": 100.0,
        "bound": 58.0,
        "gap": 0.42,
        "label": "not proven: up to 42% from the best possible",
    }
    assert plan_quality({"A": "x"})["label"] == "given plan, not solved here: quality not proven"
    assert plan_quality(Plan.from_assignment({"A": "x"}))["status"] == "given"


def test_settings_text_names_the_preset_and_main_settings():
    config = RunConfig(time_limit=60, gap=0.01, lad_groups=(LadGroup("E1", "E2", "small"),), imd_band=5)
    text = settings_text(config)
    assert text == settings_text(config.to_dict())
    assert text.startswith("hub preset (30,000–210,000 patients); strict nesting, 1 justified exception; count auto")
    assert "IMD band ±5" in text and "HiGHS, 60 s limit, gap target 1.00%, seed 0" in text
    assert settings_text({"preset": "small", "max_population": 90_000, "n_consortia": [4, 6]}).startswith(
        "small preset (50,000–90,000 patients); 4–6 consortia"
    )
    assert "; 5 consortia" in settings_text({"preset": "hub", "n_consortia": (5, 5)})
