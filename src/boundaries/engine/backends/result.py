"""What a backend hands back, the same for every solver."""

from __future__ import annotations

from dataclasses import dataclass, field

from boundaries.status import Status, relative_gap


@dataclass
class SolveResult:
    status: Status  # never GIVEN
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
        if self.status == Status.OPTIMAL and self.objective is not None:
            return 0.0
        return relative_gap(self.objective, self.bound)


def read_log(path: str) -> str:
    """A solver's log file as text, or "" when it left none (a child killed before it wrote one)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""
