"""What a backend hands back, the same for every solver."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SolveResult:
    status: str  # optimal | feasible | infeasible | timed_out
    values: list[int] | None
    objective: float | None
    bound: float | None
    seconds: float
    log: str

    @property
    def has_solution(self) -> bool:
        return self.values is not None

    @property
    def gap(self) -> float | None:
        if self.objective is None or self.bound is None:
            return None
        if self.status == "optimal":
            return 0.0
        return abs(self.objective - self.bound) / max(abs(self.objective), 1e-9)
