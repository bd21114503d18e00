"""The one status type and the one test of a proof."""

import json

import pytest

from boundaries.check.quality import quality_label
from boundaries.engine.plan import Plan
from boundaries.status import Status, has_plan, proven, proven_status, relative_gap


@pytest.mark.parametrize(
    ("objective", "bound", "gap", "expected"),
    [
        (1000.0, 1000.0, 0.0, True),
        (1000.0, 999.995, 0.0, True),  # the rounding of integer coefficients
        (1000.0, 999.9, 0.0, False),
        (1e9, 1e9 - 500, 0.0, True),  # 1e-6 relative
        (1e9, 1e9 - 5000, 0.0, False),
        (1000.0, 990.0, 0.01, True),
        (1000.0, 989.0, 0.01, False),
        (1000.0, None, 0.5, False),
        (None, 1000.0, 0.5, False),
    ],
)
def test_proven_is_the_bound_within_the_gap_or_the_rounding(objective, bound, gap, expected):
    assert proven(objective, bound, gap) is expected


def test_relative_gap_is_zero_exactly_when_proven():
    assert relative_gap(1000.0, 999.995) == 0.0
    assert relative_gap(1000.0, 900.0) == pytest.approx(0.1)
    assert relative_gap(1000.0, None) is None
    assert proven_status(1000.0, 999.995) is Status.OPTIMAL
    assert proven_status(1000.0, 900.0) is Status.FEASIBLE
    assert proven_status(1000.0, None) is Status.FEASIBLE


def test_a_status_read_back_from_json_is_the_same_status():
    for status in Status:
        read = json.loads(json.dumps({"status": status}))["status"]
        assert read == status and Status(read) is status
        assert has_plan(read) is status.has_plan
    assert not has_plan(None) and not has_plan("no such status")


def test_plans_and_labels_speak_the_same_statuses():
    given = Plan.from_assignment({"A1": "x"})
    assert given.status is Status.GIVEN and given.has_plan
    assert [s for s in Status if s.has_plan] == [Status.OPTIMAL, Status.FEASIBLE, Status.GIVEN]
    for status in Status:  # every status has its own wording; none falls through to the generic one
        assert not quality_label(status, 0.1, 1.0).startswith("no plan (")
