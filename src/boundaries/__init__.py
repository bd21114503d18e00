"""boundaries: design, compare, defend and publish GP commissioning consortium boundaries.

The short path: ``load_region`` -> ``Problem.from_region`` -> ``solve`` -> ``plan.to_geodataframe()`` /
``render_map(plan, region)`` / ``evaluate(plan, region)``. Names are imported lazily so that ``import
boundaries`` (and the CLI's start) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_region": "data.region",
    "sha_regions": "data.region",
    "Region": "data.region",
    "Problem": "engine.problem",
    "Weights": "engine.problem",
    "PRESETS": "presets",
    "Plan": "engine.plan",
    "solve": "engine.solver",
    "Status": "status",
    "validate": "check.validation",
    "Validation": "check.validation",
    "evaluate": "check.metrics",
    "Scorecard": "check.metrics",
    "render_map": "publish.maps",
    "read_plan_csv": "publish.planfile",
    "write_plan_csv": "publish.planfile",
    "InputError": "errors",
    "AssignmentError": "data.areas",
}

if TYPE_CHECKING:  # the same names, for type checkers and editors (at run time they load on first use)
    from boundaries.check.metrics import Scorecard, evaluate
    from boundaries.check.validation import Validation, validate
    from boundaries.data.areas import AssignmentError
    from boundaries.data.region import Region, load_region, sha_regions
    from boundaries.engine.plan import Plan
    from boundaries.engine.problem import Problem, Weights
    from boundaries.engine.solver import solve
    from boundaries.errors import InputError
    from boundaries.presets import PRESETS
    from boundaries.publish.maps import render_map
    from boundaries.publish.planfile import read_plan_csv, write_plan_csv
    from boundaries.status import Status

__all__ = [  # written out, so linters and type checkers read it; tests/test_api.py keeps the three lists equal
    "AssignmentError",
    "InputError",
    "PRESETS",
    "Plan",
    "Problem",
    "Region",
    "Scorecard",
    "Status",
    "Validation",
    "Weights",
    "evaluate",
    "load_region",
    "read_plan_csv",
    "render_map",
    "sha_regions",
    "solve",
    "validate",
    "write_plan_csv",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'boundaries' has no attribute {name!r}")
