"""A plan: an assignment of units to consortia plus how the solver got there.

CONTRACT: ``assignment`` is a pandas Series indexed by unit (practice code) whose values are consortium labels
(str). Labels are deterministic. Any plan from any source (a solver, the 2013 CCG map, a planner's CSV) is a Plan
with ``backend`` naming the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from boundaries.status import Status, has_plan

if TYPE_CHECKING:
    import geopandas as gpd

    from boundaries.data.region import Region
    from boundaries.engine.problem import Problem

STATUSES = tuple(Status)


@dataclass
class Plan:
    assignment: pd.Series
    status: Status = Status.GIVEN
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    backend: str = "given"
    log: str = ""
    explanation: str | None = None
    problem: Problem | None = None
    region: Region | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_assignment(cls, assignment: pd.Series | dict, region: Region | None = None, source: str = "given"):
        series = pd.Series(assignment, dtype=object).astype(str).rename("consortium")
        series.index = series.index.astype(str)
        series.index.name = "code"
        return cls(assignment=series, backend=source, region=region)

    @property
    def feasible(self) -> bool:
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
