"""What a backend hands back, the same for every solver."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SolveResult:
    status: str  # optimal | feasible | infeasible | timed_out
    values: list[int] | None
    objective: float | None
    bound: float | None
    seconds: float
    log: str
    # (seconds since the solve began, best objective, best bound) each time either improved, as the solver
    # found them: when a plan came, not only where the solve ended. Either may be None until there is one.
    progress: list[tuple[float, float | None, float | None]] = field(default_factory=list)

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
