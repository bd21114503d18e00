"""Beat a reference map on every measure: the targets a plan must meet, read from the reference plan.

A planner defending a proposal says "this map is no worse than the current one on every criterion". The
reference (the 2013 CCG map, a planner's spreadsheet) is measured once, by the validator's own implementation
of each measure (``validation.measures``, docs/measures.md), and its values become ``Problem.beat``: the model
states them as rules (``boundaries.engine.decompose``: exact for the plans it compares, the IMD spread through a
stricter rule) and the validator checks the plan returned against them, so a plan that comes back beats the
reference by the validator's count, whatever the model did.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from boundaries.check.validation import BEATABLE
from boundaries.check.validation import measures as measure_plan
from boundaries.errors import InputError

if TYPE_CHECKING:
    from boundaries.engine.problem import Problem, Weights

#: The objective term that leans on each measure: weighting it up moves a plan towards that measure.
TERMS = {"coherence": "health", "imd_spread": "deprivation", "compactness_km": "compactness"}


def leaning(weights: Weights, factors: dict[str, float]) -> Weights:
    """``weights`` with each measure's term multiplied by its factor (a term at 0 counts as 1)."""
    return replace(weights, **{TERMS[m]: (getattr(weights, TERMS[m]) or 1.0) * f for m, f in factors.items()})


def targets(reference, problem: Problem, measures: Iterable[str] | None = None) -> dict[str, float]:
    """measure -> the reference's value, for ``measures`` (default: every one the problem's data can measure).

    ``reference`` is a Plan or a mapping unit -> consortium that places every unit of the problem."""
    summary = _measured(reference, problem).plan
    wanted = list(BEATABLE) if measures is None else list(measures)
    unknown = [m for m in wanted if m not in BEATABLE]
    if unknown:
        raise InputError(f"{unknown[0]!r} is not a measure a plan can beat; measures: {', '.join(BEATABLE)}")
    out = {}
    for measure in wanted:
        value = summary.get(measure)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            if measures is not None:  # asked for by name: say why it cannot be
                raise InputError(f"the reference has no {measure}: the units lack the data it needs", field="beat")
            continue
        out[measure] = float(value)
    return out


def imd_centre(reference, problem: Problem) -> float | None:
    """The mean of the reference's consortium IMD means (each consortium once), around which its spread is
    measured; None without IMD."""
    means = [r["imd_mean"] for r in _measured(reference, problem).consortia.values() if "imd_mean" in r]
    return sum(means) / len(means) if means else None


def _measured(reference, problem: Problem):
    """The validator's measures of the reference on the problem's units (it must place every one)."""
    assignment = dict(getattr(reference, "assignment", reference))
    missing = [u for u in problem.units.index if u not in assignment]
    if missing:
        raise InputError(
            f"the reference plan does not place {len(missing)} unit(s), e.g. {missing[:3]}: a plan can only be "
            "compared on the same units",
            field="beat",
        )
    return measure_plan({u: assignment[u] for u in problem.units.index}, problem)


def describe(beat: dict[str, float]) -> str:
    """The targets in a planner's words: "coherence at least 0.909, IMD spread at most 4.95, ..."."""
    words = {"max": "at most", "min": "at least"}
    return ", ".join(f"{m.replace('_', ' ')} {words[BEATABLE[m]]} {v:,.4g}" for m, v in beat.items())
