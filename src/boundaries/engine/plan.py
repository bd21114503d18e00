"""A plan: an assignment of units to consortia plus how the solver got there.

CONTRACT: ``assignment`` is a pandas Series indexed by unit (practice code) whose values are consortium labels
(str). Labels are deterministic. Any plan from any source (a solver, the 2013 CCG map, a planner's CSV) is a Plan
with ``source`` naming where it came from: the backend that solved it (``highs``, ``cpsat``, ``pulp``) or
``given``. Everything a solve learns has a typed field; a given plan leaves them empty (its ``validation`` is None
until someone checks it: a spreadsheet is not "feasible" because it was read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from boundaries.status import Status, has_plan

if TYPE_CHECKING:
    import geopandas as gpd

    from boundaries.check.validation import Validation
    from boundaries.data.region import Region
    from boundaries.engine.problem import Problem

STATUSES = tuple(Status)

# (seconds since the solve started, best objective so far or None, best bound so far or None)
Progress = tuple[float, float | None, float | None]


@dataclass
class Plan:
    """A plan and what is known about it. Fields below ``region`` are filled by ``solve``."""

    assignment: pd.Series
    status: Status = Status.GIVEN
    objective: float | None = None  # the model's objective, patient-km (None: not solved here)
    bound: float | None = None  # the best proven lower bound on any plan's objective
    gap: float | None = None  # (objective - bound) / objective; 0 when proven
    seconds: float = 0.0
    source: str = "given"  # the backend that solved it, or where a given plan came from
    log: str = ""
    explanation: str | None = None  # why there is no plan (infeasible, timed out), in a planner's words
    problem: Problem | None = None
    region: Region | None = None
    validation: Validation | None = None  # the independent validator's verdict on this plan and problem
    progress: list[Progress] = field(default_factory=list)  # each better plan or bound, as it was found
    decomposed: bool = False  # solved by the decomposition by authority
    rounds: int = 0  # solver restarts of the contiguity-cut loop
    contiguity_cuts: int = 0  # contiguity constraints added by that loop

    @classmethod
    def from_assignment(cls, assignment: pd.Series | dict, region: Region | None = None, source: str = "given"):
        series = pd.Series(assignment, dtype=object).astype(str).rename("consortium")
        series.index = series.index.astype(str)
        series.index.name = "code"
        return cls(assignment=series, source=source, region=region)

    @property
    def has_plan(self) -> bool:
        """An assignment to look at (solved, or given); whether it meets the rules is ``validation``'s to say."""
        return has_plan(self.status)

    @property
    def consortia(self) -> list[str]:
        return sorted(self.assignment.unique())

    def to_geodataframe(self, region: Region | None = None) -> gpd.GeoDataFrame:
        """Consortium areas: the union of their practices' cells, one row per consortium."""
        from boundaries.data.areas import consortium_areas

        region = region or self.region or (self.problem.region if self.problem else None)
        if region is None:
            raise ValueError("this plan has no region; pass one: plan.to_geodataframe(region)")
        return consortium_areas(self.assignment, region)
