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
    "load_region": "region",
    "sha_regions": "region",
    "Region": "region",
    "Problem": "problem",
    "Weights": "problem",
    "PRESETS": "presets",
    "Plan": "plan",
    "solve": "solver",
    "validate": "validation",
    "evaluate": "metrics",
    "render_map": "maps",
    "read_plan_csv": "planfile",
    "InputError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'boundaries' has no attribute {name!r}")
