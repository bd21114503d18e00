"""A tiny solver-neutral integer linear program: integer variables, linear rows, a linear objective.

Every backend reads this one form, so CP-SAT, HiGHS and CBC always solve exactly the same model. Coefficients are
integers because CP-SAT needs them; the objective is scaled by ``scale`` and reported divided by it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

INF = math.inf


@dataclass
class LinearModel:
    names: list[str] = field(default_factory=list)
    lower: list[int] = field(default_factory=list)
    upper: list[int] = field(default_factory=list)
    cost: list[int] = field(default_factory=list)
    rows: list[tuple[list[int], list[int], float, float]] = field(default_factory=list)
    offset: int = 0
    scale: float = 1.0
    hint: dict[int, int] = field(default_factory=dict)
    terms: dict[str, dict[int, int]] = field(default_factory=dict)  # objective term -> its own coefficients

    @property
    def n_vars(self) -> int:
        return len(self.names)

    def var(self, name: str, lower: int = 0, upper: int = 1, cost: int = 0) -> int:
        self.names.append(name)
        self.lower.append(int(lower))
        self.upper.append(int(upper))
        self.cost.append(int(cost))
        return len(self.names) - 1

    def row(self, idx: list[int], coefs: list[int], lo: float = -INF, hi: float = INF) -> None:
        """Add ``lo <= sum(coefs * vars) <= hi``; repeated variables are merged."""
        if len(set(idx)) != len(idx):
            merged: dict[int, int] = {}
            for i, c in zip(idx, coefs):
                merged[i] = merged.get(i, 0) + int(c)
            idx, coefs = list(merged), list(merged.values())
        self.rows.append((list(idx), [int(c) for c in coefs], lo, hi))

    def add_cost(self, var: int, amount: int) -> None:
        self.cost[var] += int(amount)

    def price(self, var: int, term: str, measure: float, weight: float) -> None:
        """Add ``weight * measure`` to the objective, and remember ``measure`` under ``term`` so that the term
        can be optimised on its own (lexicographic priorities)."""
        self.cost[var] += round(weight * measure)
        own = self.terms.setdefault(term, {})
        own[var] = own.get(var, 0) + round(measure)

    def term_value(self, term: str, values: list[int]) -> int:
        return sum(c * values[v] for v, c in self.terms.get(term, {}).items())

    def evaluate(self, values: list[int]) -> float:
        """The objective of a solution, in the model's reporting unit."""
        total = self.offset + sum(c * v for c, v in zip(self.cost, values) if c)
        return total / self.scale


def file_names(names: list[str], prefix: str) -> list[str]:
    """Names any MPS or LP reader takes: letters, digits, ``_`` and ``.`` only, not starting with a digit or a
    dot, all different. ``assign[A81001,A81002]`` becomes ``assign_A81001_A81002_``; an empty name, one not
    starting with a letter or one that would repeat becomes ``prefix`` and its position."""
    out: list[str] = []
    seen: set[str] = set()
    for k, name in enumerate(names):
        clean = re.sub(r"[^A-Za-z0-9_.]", "_", name)
        if not clean or not clean[0].isalpha() or clean in seen:
            clean = f"{prefix}{k}"
        while clean in seen:
            clean = f"{prefix}{k}_{len(seen)}"
        seen.add(clean)
        out.append(clean)
    return out
