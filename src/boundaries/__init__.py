"""boundaries: design, compare, defend and publish GP commissioning consortium boundaries.

The short path: ``load_region`` -> ``Problem.from_region`` -> ``solve`` -> ``plan.to_geodataframe()`` /
``render_map(plan, region)`` / ``evaluate(plan, region)``. Names are imported lazily so that ``import
boundaries`` (and the CLI's start) stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

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
    "validate": "check.validation",
    "evaluate": "check.metrics",
    "render_map": "publish.maps",
    "read_plan_csv": "publish.planfile",
    "InputError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'boundaries' has no attribute {name!r}")
