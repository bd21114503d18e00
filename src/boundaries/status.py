"""What a solve's status means, and the one test of a proof.

Every layer (backends, the exact search, the decomposition, the pipeline, reports) speaks ``Status`` and asks
``proven`` whether a bound proves a plan; nothing else decides "optimal". ``Status`` is a ``StrEnum``, so a status
read back from ``metrics.json`` or a batch index compares equal to the member it was written from.
"""

from __future__ import annotations

from enum import StrEnum

# Objectives are sums of integer-rounded coefficients (patient-metres priced in patient-km): a bound within this
# much of the plan is the same number up to that rounding.
ABSOLUTE_TOLERANCE = 0.01
RELATIVE_TOLERANCE = 1e-6


class Status(StrEnum):
    OPTIMAL = "optimal"  # a plan, proven best (within ``proven``'s rounding)
    FEASIBLE = "feasible"  # a plan meeting every rule, not proven best: see its gap
    INFEASIBLE = "infeasible"  # proven that no plan meets every rule
    TIMED_OUT = "timed_out"  # no plan, and no proof that none exists
    GIVEN = "given"  # a plan from outside the engine (the 2013 map, a planner's file): nothing to prove
    ERROR = "error"  # a batch run that failed before the engine could answer (bad data, a crash): no plan

    @property
    def has_plan(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE, Status.GIVEN)

    @property
    def solved(self) -> bool:
        """A plan the engine found (rather than was given)."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


def has_plan(status: str | None) -> bool:
    """For statuses read back from files, where an unknown or missing one means no plan."""
    return status in (Status.OPTIMAL, Status.FEASIBLE, Status.GIVEN)


def solved(status: str | None) -> bool:
    """For statuses read back from files: the engine found a plan (proven or not)."""
    return status in (Status.OPTIMAL, Status.FEASIBLE)


def proven(objective: float | None, bound: float | None, gap: float = 0.0) -> bool:
    """The one test of a proof: the bound is within ``gap`` (relative) of the plan's objective, or equal to it
    up to the rounding of the model's integer coefficients."""
    if objective is None or bound is None:
        return False
    tolerance = max(gap * abs(objective), RELATIVE_TOLERANCE * abs(objective), ABSOLUTE_TOLERANCE)
    return objective - bound <= tolerance


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """How far the plan may be from the best possible, as a share of its objective: 0 when ``proven``."""
    if objective is None or bound is None:
        return None
    if proven(objective, bound):
        return 0.0
    return max(0.0, objective - bound) / max(abs(objective), 1e-9)


def proven_status(objective: float | None, bound: float | None) -> Status:
    """The status of a plan with this objective and bound."""
    return Status.OPTIMAL if proven(objective, bound) else Status.FEASIBLE
