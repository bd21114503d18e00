"""How good a plan is, in words, and the fixed texts that travel with every published plan.

One wording for every output (``summary.txt``, ``metrics.json``, the map's panel, the batch index): a reader
always sees whether a plan is proven optimal, proven close to the best possible, or not proven at all, and
never has to read a bare gap figure to know it. ``gap`` is the plan's relative distance from its bound
(``plan.gap``: (objective - bound) / objective); ``bound`` the best objective any plan could have.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from typing import Any

from boundaries.presets import PRESETS
from boundaries.status import Status

#: A plan further than this from its bound is labelled "not proven".
CLOSE_ENOUGH = 0.05

#: The standard attribution for maps built on ONS, OS and NHS data (README, "Provenance and licences").
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right 2013. "
    "Contains National Statistics data © Crown copyright and database right."
)
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"

#: The dates of the data every plan is built from (fixed text: the bundle in boundaries/data/geo/).
DATA_VINTAGE = (
    "registered patients per practice July 2014 (HSCIC); practice sites February 2014 (NHS Choices); "
    "local authorities 2013 districts; CCGs April 2013; deprivation IMD 2019; hospital admission flows 2018"
)

#: The files a solved region's folder publishes for download (``runner.write_outputs``), in the order a reader
#: is offered them, with a short name and what each holds. Maps and the batch index link the ones that exist.
DOWNLOADS = {
    "plan.csv": ("Plan (CSV)", "every practice with its postcode, local authority and consortium"),
    "consortia.geojson": ("Areas (GeoJSON)", "the consortium areas with their metrics, for web maps"),
    "consortia.gpkg": ("Areas (GeoPackage)", "the consortium areas with their metrics, for QGIS or ArcGIS"),
    "metrics.json": ("Scorecard (JSON)", "every metric of the plan and of the 2013 CCGs, and the settings"),
    "summary.txt": ("Summary (text)", "the scorecard, the plan's quality and the consortium table as text"),
}

# keyed by str: a status read back from a file is a plain string, and a StrEnum member hashes as its value
_NO_PLAN: dict[str, str] = {
    Status.INFEASIBLE: "no plan: the rules cannot all be met",
    Status.TIMED_OUT: "no plan: time ran out before a first plan",
    Status.ERROR: "no plan: the run failed",
}
_BACKENDS = {"highs": "HiGHS", "cpsat": "CP-SAT", "pulp": "CBC (PuLP)"}


def gap_text(gap: float) -> str:
    """A gap as a percentage with two decimals; a gap above 0 that would show as 0.00% shows as "under 0.01%"
    (a batch row read "gap 0.00%: within 0.01% of the best possible" beside rows proven optimal)."""
    if 0 < gap < 0.00005:
        return "under 0.01%"
    return f"{gap:.2%}"


def quality_label(status: str | None, gap: float | None = None, bound: float | None = None) -> str:
    """How good a plan is, in a planner's words (the one wording used in every output).

    ``status`` is ``plan.status`` (or ``"error"`` for a run that failed); ``gap`` and ``bound`` are
    ``plan.gap`` and ``plan.bound``.
    """
    if status == Status.GIVEN:
        return "given plan, not solved here: quality not proven"
    if status in _NO_PLAN:
        return _NO_PLAN[status]
    if status not in (Status.OPTIMAL, Status.FEASIBLE):
        return f"no plan ({status})"
    if status == Status.OPTIMAL:
        return "proven optimal"
    if bound is None or gap is None or _missing(bound) or _missing(gap):
        return "no bound: quality not proven"
    if gap <= 0:
        return "proven optimal"
    if gap <= CLOSE_ENOUGH:
        return f"within {_pct_up(gap)} of the best possible"
    return f"not proven: up to {_pct_up(gap)} from the best possible"


def is_proven(status: str | None, gap: float | None = None, bound: float | None = None) -> bool:
    """True when the plan is proven optimal or proven within ``CLOSE_ENOUGH`` of its bound."""
    label = quality_label(status, gap, bound)
    return label == "proven optimal" or label.startswith("within ")


def plan_quality(plan: Any) -> dict[str, Any]:
    """``status``, ``source``, ``objective``, ``bound``, ``gap`` and the ``label`` of any plan: a Plan, or a
    Series or mapping of labels (a given plan, not solved here)."""
    status = getattr(plan, "status", Status.GIVEN)
    gap, bound = getattr(plan, "gap", None), getattr(plan, "bound", None)
    return {
        "status": status,
        "source": getattr(plan, "source", "given"),
        "objective": getattr(plan, "objective", None),
        "bound": bound,
        "gap": gap,
        "label": quality_label(status, gap, bound),
    }


def solver_text(
    status: str | None, source: str | None, objective: float | None, bound: float | None, gap: float | None
) -> str:
    """Status, the backend that solved it, objective, bound and gap in one line (no timings: maps stay
    byte-identical)."""
    if status == Status.GIVEN:
        return "given (read from a file or another source)"
    parts = [f"{status} ({_BACKENDS.get(str(source), source)})"]
    if objective is not None and not _missing(objective):
        parts.append(f"objective {objective:,.0f} patient-km")
    parts.append("bound " + (f"{bound:,.0f}" if bound is not None and not _missing(bound) else "none"))
    if gap is not None and not _missing(gap):
        parts.append(f"gap {gap_text(gap)}")
    return " · ".join(parts)


def settings_text(settings: Any) -> str:
    """The preset and main settings of a run (a ``RunConfig`` or its ``to_dict()``) in one line."""
    s = _as_dict(settings)
    name = s.get("preset")
    preset = PRESETS.get(str(name)) if name else None
    lo = s.get("min_population") or (preset.lo if preset else None)
    hi = s.get("max_population") or (preset.hi if preset else None)
    size = f"{lo:,}–{hi:,} patients" if lo is not None and hi is not None else "any size"
    parts = [f"{name} preset ({size})" if name else size]
    nesting = s.get("nesting")
    if nesting:
        groups = s.get("lad_groups") or ()
        extra = f", {len(groups)} justified exception{'s' if len(groups) != 1 else ''}" if groups else ""
        parts.append(f"{nesting} nesting{extra}")
    count = s.get("n_consortia", "auto")
    if count == "auto" or count is None:
        parts.append("count auto" if count == "auto" else "any count")
    elif isinstance(count, list | tuple):
        parts.append(f"{count[0]} consortia" if count[0] == count[1] else f"{count[0]}–{count[1]} consortia")
    else:
        parts.append(f"{count} consortia")
    optional = {
        "health_floor": lambda v: f"health floor {100 * v:.0f}%",
        "imd_band": lambda v: f"IMD band ±{v:g}",
        "max_practices": lambda v: f"at most {v} practices each",
        "baseline": lambda v: f"baseline {v}",
        "max_moves": lambda v: f"at most {v} moves",
    }
    parts += [fmt(s[key]) for key, fmt in optional.items() if s.get(key) is not None]
    solver = []
    if s.get("backend"):
        solver.append(_BACKENDS.get(str(s["backend"]), str(s["backend"])))
    if s.get("time_limit") is not None:
        solver.append(f"{s['time_limit']:g} s limit")
    if s.get("gap") is not None:
        solver.append(f"gap target {s['gap']:.2%}" if s["gap"] else "gap target 0 (prove optimality)")
    if s.get("seed") is not None:
        solver.append(f"seed {s['seed']}")
    if solver:
        parts.append(", ".join(solver))
    return "; ".join(parts)


def _as_dict(settings: Any) -> dict[str, Any]:
    if is_dataclass(settings) and not isinstance(settings, type):
        return asdict(settings)
    return dict(settings) if isinstance(settings, Mapping) else {}


def _missing(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _pct_up(fraction: float) -> str:
    """A percentage rounded up (never flattering): 0.00271 -> 0.28%, 0.0534 -> 5.4%, 0.4213 -> 43%."""
    pct = 100 * fraction
    digits = 0 if pct >= 10 else 1 if pct >= 1 else 2
    scale = 10**digits
    return f"{math.ceil(pct * scale - 1e-9) / scale:.{digits}f}%"
