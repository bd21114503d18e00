"""Run settings from the TOML files in ``solvers/``: presets, weights and per-region exceptions.

A file may start from another (``extends = "default.toml"``), then has ``[run]`` settings, an optional
``[weights]`` table, and ``[regions."<SHA name>"]`` tables that override settings for one region. Nesting
exceptions are written as ``lad_groups`` with a ``reason`` each, so every split of the strict-nesting rule is
justified in the file that asks for it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomllib

from .errors import InputError
from .presets import PRESETS
from .problem import NESTINGS, Weights

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "solvers" / "default.toml"


@dataclass(frozen=True)
class LadGroup:
    lad: str
    joins: str
    reason: str


@dataclass(frozen=True)
class RunConfig:
    preset: str = "hub"
    min_population: int | None = None
    max_population: int | None = None
    n_consortia: int | list[int] | str = "auto"
    nesting: str = "strict"
    backend: str = "highs"
    time_limit: float = 120.0
    gap: float = 0.0  # stop once proven within this relative gap (0: prove optimality)
    seed: int = 0
    health_floor: float | None = None
    imd_band: float | None = None
    max_practices: int | None = None
    max_moves: int | None = None
    baseline: str | None = None  # "ccg2013" or a plan CSV path
    weights: Weights = field(default_factory=Weights)
    lad_groups: tuple[LadGroup, ...] = ()

    def problem_settings(self) -> dict[str, Any]:
        """Keyword arguments for ``Problem.from_region`` (baseline handled by the runner)."""
        n = self.n_consortia
        return dict(
            preset=self.preset,
            min_population=self.min_population,
            max_population=self.max_population,
            n_consortia=tuple(n) if isinstance(n, list) else n,
            nesting=self.nesting,
            health_floor=self.health_floor,
            imd_band=self.imd_band,
            max_practices=self.max_practices,
            max_moves=self.max_moves,
            weights=self.weights,
            lad_groups={g.lad: g.joins for g in self.lad_groups},
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_RUN_KEYS = {f.name for f in fields(RunConfig)} - {"weights", "lad_groups"}
_WEIGHT_KEYS = {f.name for f in fields(Weights)}


def _check(path: str, table: str, settings: dict[str, Any]) -> dict[str, Any]:
    unknown = set(settings) - _RUN_KEYS - {"weights", "lad_groups"}
    if unknown:
        raise InputError(
            f"unknown setting(s) {sorted(unknown)}; known: {sorted(_RUN_KEYS)}", file=path, field=f"[{table}]"
        )
    if "preset" in settings and settings["preset"] not in PRESETS:
        raise InputError(
            f"{settings['preset']!r} is not a preset; choose one of {sorted(PRESETS)}",
            file=path,
            field=f"[{table}] preset",
        )
    if "nesting" in settings and settings["nesting"] not in NESTINGS:
        raise InputError(f"{settings['nesting']!r}: choose one of {NESTINGS}", file=path, field=f"[{table}] nesting")
    if "backend" in settings and settings["backend"] not in ("cpsat", "highs"):
        raise InputError(f"{settings['backend']!r}: choose cpsat or highs", file=path, field=f"[{table}] backend")
    if "gap" in settings and not (isinstance(settings["gap"], int | float) and 0 <= settings["gap"] < 1):
        raise InputError(f"{settings['gap']!r}: a relative gap from 0 to below 1", file=path, field=f"[{table}] gap")
    for key in ("time_limit", "min_population", "max_population", "max_practices", "max_moves"):
        value = settings.get(key)
        if value is not None and (not isinstance(value, int | float) or value < 0):
            raise InputError(f"{value!r} must be a non-negative number", file=path, field=f"[{table}] {key}")
    weights = settings.get("weights", {})
    bad = set(weights) - _WEIGHT_KEYS
    if bad:
        raise InputError(
            f"unknown weight(s) {sorted(bad)}; known: {sorted(_WEIGHT_KEYS)}",
            file=path,
            field=f"[{table}.weights]",
        )
    groups = settings.get("lad_groups", [])
    for k, group in enumerate(groups):
        missing = {"lad", "joins", "reason"} - set(group)
        if missing:
            raise InputError(f"entry {k + 1} lacks {sorted(missing)}", file=path, field=f"[{table}] lad_groups")
    return settings


def _apply(base: RunConfig, settings: dict[str, Any]) -> RunConfig:
    plain = {k: v for k, v in settings.items() if k in _RUN_KEYS}
    if "weights" in settings:
        plain["weights"] = replace(base.weights, **settings["weights"])
    if "lad_groups" in settings:
        plain["lad_groups"] = tuple(LadGroup(g["lad"], g["joins"], g["reason"]) for g in settings["lad_groups"])
    return replace(base, **plain)


@dataclass(frozen=True)
class ConfigFile:
    path: str
    run: RunConfig
    regions: dict[str, dict[str, Any]]

    def for_region(self, region: str, **overrides: Any) -> RunConfig:
        """Settings for one region: the file's defaults, the region's table, then explicit overrides."""
        settings = self.regions.get(region.lower(), {})
        config = _apply(self.run, settings)
        given = {k: v for k, v in overrides.items() if v is not None}
        return _apply(config, _check("command line", "options", given))


def load_config(path: str | Path | None = None) -> ConfigFile:
    """Read a settings file; errors name the file and the table."""
    if path and not Path(path).is_file():  # a file asked for by name (or extended) must exist
        raise InputError("no such settings file", file=path)
    path = Path(path) if path else DEFAULT_CONFIG
    if not path.exists():  # an install without solvers/: the built-in defaults
        return ConfigFile(str(path), RunConfig(), {})
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"not valid TOML: {err}", file=path) from None
    parent = ConfigFile(str(path), RunConfig(), {})
    if "extends" in data:
        parent = load_config(path.parent / data["extends"])
    run = dict(data.get("run", {}))
    if "weights" in data:
        run["weights"] = data["weights"]
    run_config = _apply(parent.run, _check(str(path), "run", run))
    regions = dict(parent.regions)
    for name, table in data.get("regions", {}).items():
        regions[name.lower()] = {
            **regions.get(name.lower(), {}),
            **_check(str(path), f'regions."{name}"', dict(table)),
        }
    return ConfigFile(str(path), run_config, regions)
