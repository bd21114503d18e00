"""Run settings from TOML files, built in (``app/solvers/``) or a planner's own: presets, weights, per-region
exceptions.

A file may start from another (``extends = "default"``, a built-in one; or a file beside it), then has ``[run]``
settings, an optional ``[weights]`` table, and ``[regions."<SHA name or code>"]`` tables that override settings
for one region.
Nesting exceptions are written as ``lad_groups`` with a ``reason`` each, so every split of the strict-nesting
rule is justified in the file that asks for it.

Every table is checked against a schema (pydantic) before it is used: a misspelt key or table, a value of the
wrong type or out of range, or a region table naming no region is an :class:`InputError` naming the file, the
table, the key and the value, with a suggestion when the word is close to a known one. A settings file that is
silently ignored in part is worse than one that is refused.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Annotated, Any, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, create_model, field_validator

from boundaries.check.validation import BEATABLE
from boundaries.data.region import SHA_REGIONS, sha_choices, sha_name
from boundaries.engine.backends import BACKENDS
from boundaries.engine.problem import NESTINGS, Weights
from boundaries.errors import InputError, did_you_mean
from boundaries.presets import PRESETS

#: The built-in settings files, shipped inside the package (a wheel has them too): ``default``, ``hub``,
#: ``consortium``, ``locality``. ``--config hub`` names one; ``--config mine.toml`` is a file.
SETTINGS_DIR = Path(__file__).resolve().parent / "solvers"
DEFAULT_CONFIG = SETTINGS_DIR / "default.toml"
COMMAND_LINE = "command line"


@dataclass(frozen=True)
class LadGroup:
    lad: str
    joins: str
    reason: str
    # where the exception was written (file, table), so that one naming an authority the region lacks can be
    # reported where the planner can fix it
    file: str = field(default="", compare=False)
    table: str = field(default="", compare=False)


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
    beat: str | None = None  # "ccg2013" or a plan CSV path: a reference the plan must be no worse than
    beat_measures: list[str] | None = None  # which measures (default: all the data can measure)
    comment_email: str | None = None  # a consultation's address: each map's practice popups link an email to it
    weights: Weights = field(default_factory=Weights)
    lad_groups: tuple[LadGroup, ...] = ()
    # key -> (file, table) that set it, so that a check needing the region's data can still name the line to fix
    origins: dict[str, tuple[str, str]] = field(default_factory=dict, compare=False, repr=False)

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

    def population_bounds(self) -> tuple[int, int]:
        """The bounds a run uses: those given, else the preset's."""
        size = PRESETS[self.preset]
        lo = size.lo if self.min_population is None else self.min_population
        hi = size.hi if self.max_population is None else self.max_population
        return lo, hi

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("origins")
        return out


# --- the schema ---------------------------------------------------------------------------------------------

# strict: TOML's true is not a number and 2.0 is not a count; nan and inf are no settings either
_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
_Text = Annotated[str, Field(min_length=1)]
_Count = Annotated[int, Field(ge=0)]
_Positive = Annotated[int, Field(ge=1)]
_Amount = Annotated[float, Field(ge=0)]


@overload
def _choice(value: str, choices: tuple[str, ...] | list[str], what: str) -> str: ...
@overload
def _choice(value: None, choices: tuple[str, ...] | list[str], what: str) -> None: ...
@overload
def _choice(value: str | None, choices: tuple[str, ...] | list[str], what: str) -> str | None: ...
def _choice(value: str | None, choices: tuple[str, ...] | list[str], what: str) -> str | None:
    if value is not None and value not in choices:
        raise ValueError(f"is not {what}{did_you_mean(value, choices)}; choose one of {', '.join(choices)}")
    return value


class LadGroupSchema(BaseModel):
    """One justified exception to strict nesting: authority ``lad`` shares its nesting group with ``joins``."""

    model_config = _STRICT
    lad: _Text
    joins: _Text
    reason: _Text

    @field_validator("joins")
    @classmethod
    def _not_itself(cls, joins: str, info: ValidationInfo) -> str:
        if joins == info.data.get("lad"):
            raise ValueError("cannot join itself: lad and joins must be two authorities")
        return joins


# one optional, non-negative number per objective weight, kept in step with Weights
_WEIGHT_FIELDS: dict[str, Any] = {f.name: (_Amount | None, None) for f in fields(Weights)}
WeightsSchema = create_model("WeightsSchema", __config__=_STRICT, **_WEIGHT_FIELDS)


class RunSchema(BaseModel):
    """A ``[run]`` or ``[regions."<name>"]`` table, or the command line's options: every key optional."""

    model_config = _STRICT
    preset: str | None = None
    min_population: _Count | None = None
    max_population: _Positive | None = None
    n_consortia: Any = None
    nesting: str | None = None
    backend: str | None = None
    time_limit: Annotated[float, Field(gt=0)] | None = None
    gap: Annotated[float, Field(ge=0, lt=1)] | None = None
    seed: _Count | None = None
    health_floor: Annotated[float, Field(ge=0, le=1)] | None = None
    imd_band: _Amount | None = None
    max_practices: _Positive | None = None
    max_moves: _Count | None = None
    baseline: _Text | None = None
    beat: _Text | None = None
    beat_measures: list[str] | None = None
    comment_email: _Text | None = None
    weights: WeightsSchema | None = None  # type: ignore[valid-type]  # a model made at run time, from Weights
    lad_groups: list[LadGroupSchema] | None = None

    @field_validator("preset")
    @classmethod
    def _preset(cls, value: str | None) -> str | None:
        return _choice(value, list(PRESETS), "a preset")

    @field_validator("nesting")
    @classmethod
    def _nesting(cls, value: str | None) -> str | None:
        return _choice(value, NESTINGS, "a nesting")

    @field_validator("backend")
    @classmethod
    def _backend(cls, value: str | None) -> str | None:
        return _choice(value, BACKENDS, "a backend")

    @field_validator("comment_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s<>'\"]+@[^@\s<>'\"]+\.[^@\s<>'\"]+", value):
            raise ValueError("is not an email address (name@example.org)")
        return value

    @field_validator("beat_measures")
    @classmethod
    def _beat_measures(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [_choice(v, list(BEATABLE), "a measure to beat") for v in value]

    @field_validator("max_population")
    @classmethod
    def _max_above_min(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("min_population")
        if value is not None and low is not None and low > value:
            raise ValueError(f"is below min_population {low:,}: the bounds are no range")
        return value

    @field_validator("n_consortia", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        """One message for every wrong shape, rather than one per member of a union."""
        if value is None or value == "auto":
            return value
        if _is_int(value) and value >= 1:
            return value
        if isinstance(value, list | tuple) and len(value) == 2 and all(_is_int(v) and v >= 1 for v in value):
            if value[0] > value[1]:
                raise ValueError(f"is no range: low {value[0]} is above high {value[1]}; write [low, high]")
            return list(value)
        raise ValueError('is not allowed: give "auto", a number of consortia (1 or more) or [low, high]')


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_RUN_KEYS = tuple(RunSchema.model_fields)
_WEIGHT_KEYS = tuple(WeightsSchema.model_fields)
_GROUP_KEYS = tuple(LadGroupSchema.model_fields)
_FILE_KEYS = ("extends", "run", "weights", "regions")


def _where(table: str, key: str = "") -> str:
    return f"[{table}] {key}".rstrip() if table else key


def _reject_unknown(data: dict[str, Any], known: tuple[str, ...], path: str, table: str, prefix: str = "") -> None:
    """Refuse a key the schema does not know, suggesting the nearest known one."""
    for key in data:
        if key not in known:
            raise InputError(
                f"unknown key {key!r}{did_you_mean(key, known)}; known keys: {', '.join(known)}",
                file=path,
                field=_where(table, prefix + key),
            )


def _unknown_in_run(settings: dict[str, Any], path: str, table: str) -> None:
    _reject_unknown(settings, _RUN_KEYS, path, table)
    if isinstance(settings.get("weights"), dict):
        _reject_unknown(settings["weights"], _WEIGHT_KEYS, path, table, "weights.")
    groups = settings.get("lad_groups")
    if isinstance(groups, list):
        for k, group in enumerate(groups, start=1):
            if isinstance(group, dict):
                _reject_unknown(group, _GROUP_KEYS, path, table, f"lad_groups[{k}].")


def _show(value: Any) -> str:
    """A value as the planner wrote it (TOML spells booleans in lower case)."""
    return str(value).lower() if isinstance(value, bool) else repr(value)


def _schema_error(err: ValidationError, path: str, table: str) -> InputError:
    """The first schema error as one message: file, table and key, the value given, and what is expected."""
    first = err.errors()[0]
    key = "".join(f"[{part + 1}]" if isinstance(part, int) else f".{part}" for part in first["loc"]).lstrip(".")
    if first["type"] == "missing":
        need = "each entry needs lad, joins and reason" if "lad_groups" in first["loc"] else "required"
        problem = f"missing: {need}"
    elif first["type"] == "value_error":  # our validators' messages follow the value: "'huge' is not a preset"
        problem = f"{_show(first['input'])} {first['ctx']['error']}"
    else:
        problem = f"{_show(first['input'])} is not allowed: {first['msg'][:1].lower()}{first['msg'][1:]}"
    more = len(err.errors()) - 1
    if more:
        problem += f" (and {more} more problem{'s' if more > 1 else ''} in this table)"
    return InputError(problem, file=path, field=_where(table, key))


def _validated(settings: dict[str, Any], path: str, table: str) -> dict[str, Any]:
    """A table's settings checked against the schema, with its nesting exceptions as ``LadGroup``s."""
    _unknown_in_run(settings, path, table)
    try:
        checked = RunSchema.model_validate(settings)
    except ValidationError as err:
        raise _schema_error(err, path, table) from None
    out = checked.model_dump(exclude_unset=True)
    if "weights" in out:
        out["weights"] = {k: v for k, v in out["weights"].items() if v is not None}
    if "lad_groups" in out:
        out["lad_groups"] = tuple(LadGroup(**g, file=path, table=table) for g in out["lad_groups"])
    return out


def _validated_weights(weights: dict[str, Any], path: str) -> dict[str, float]:
    """The top-level ``[weights]`` table, checked on its own so that errors name it as written."""
    _reject_unknown(weights, _WEIGHT_KEYS, path, "weights")
    try:
        checked = WeightsSchema.model_validate(weights)
    except ValidationError as err:
        raise _schema_error(err, path, "weights") from None
    return {k: v for k, v in checked.model_dump(exclude_unset=True).items() if v is not None}


def _apply(base: RunConfig, settings: dict[str, Any], path: str, table: str) -> RunConfig:
    """``base`` with a checked table's settings on top; the population bounds it ends with must be a range
    (a minimum above the preset's maximum is caught here, where the table that set it is known)."""
    plain = dict(settings)
    if "weights" in settings:
        plain["weights"] = replace(base.weights, **settings["weights"])
    config = replace(base, **plain, origins={**base.origins, **{key: (path, table) for key in settings}})
    lo, hi = config.population_bounds()
    if lo > hi:
        key = next((k for k in ("min_population", "max_population", "preset") if k in settings), "preset")
        size = PRESETS[config.preset]
        raise InputError(
            f"{key} = {_show(settings.get(key, config.preset))} makes the population bounds {lo:,}–{hi:,}, no "
            f"range: min_population is above max_population (the {size.name} preset's are {size.lo:,}–{size.hi:,})",
            file=path,
            field=_where(table, key),
        )
    return config


# --- files ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigFile:
    path: str
    run: RunConfig
    regions: dict[str, dict[str, Any]]  # lower-case SHA name -> the region table's checked settings

    def for_region(self, region: str, **overrides: Any) -> RunConfig:
        """Settings for one region: the file's defaults, the region's table (found by the region's name or
        code, in any case), then explicit overrides (``None`` means not given)."""
        name = sha_name(region) or region
        settings = self.regions.get(name.lower(), {})
        config = _apply(self.run, settings, self.path, f'regions."{name}"')
        given = {k: v for k, v in overrides.items() if v is not None}
        return _apply(config, _validated(given, COMMAND_LINE, "options"), COMMAND_LINE, "options")


def _read_toml(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise InputError("is a folder, not a settings file", file=path)
    if not path.is_file():
        raise InputError("no such settings file", file=path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        problem = f"not a text file (TOML in UTF-8): byte {err.start} cannot be read"
        raise InputError(problem, file=path, row=line) from None
    except OSError as err:
        raise InputError(f"cannot read the settings file ({err.strerror})", file=path) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"not valid TOML: {err}", file=path) from None


def _check_top(data: dict[str, Any], path: str) -> None:
    """Only the known tables, each of the right kind."""
    for key, value in data.items():
        if key in _FILE_KEYS:
            continue
        hint = did_you_mean(key, _FILE_KEYS)
        if not hint and key in _RUN_KEYS:
            hint = " (a run setting: put it under [run])"
        what = f"table [{key}]" if isinstance(value, dict) else f"key {key!r}"
        raise InputError(
            f'unknown {what}{hint}; a settings file has extends, [run], [weights] and [regions."<name>"]',
            file=path,
            field=f"[{key}]" if isinstance(value, dict) else key,
        )
    for key in ("run", "weights", "regions"):
        if key in data and not isinstance(data[key], dict):
            raise InputError(f"{_show(data[key])} is not allowed: [{key}] must be a table", file=path, field=key)
    if "extends" in data and not isinstance(data["extends"], str):
        raise InputError(
            f"{_show(data['extends'])} is not allowed: the name of a settings file", file=path, field="extends"
        )


def _region_key(name: str, path: str, seen: dict[str, str]) -> str:
    """The lower-case SHA name a region table is for; an unknown or repeated region is an error."""
    canonical = sha_name(name)
    if canonical is None:
        raise InputError(
            f"no SHA region is called {name!r}{did_you_mean(name, _region_words())}; regions: {sha_choices()}",
            file=path,
            field=f'[regions."{name}"]',
        )
    if canonical in seen:
        raise InputError(
            f'{name!r} is {canonical}, whose table is already given as [regions."{seen[canonical]}"]',
            file=path,
            field=f'[regions."{name}"]',
        )
    seen[canonical] = name
    return canonical.lower()


def _region_words() -> list[str]:
    return [*SHA_REGIONS.values(), *SHA_REGIONS]


def builtin_settings() -> list[str]:
    """The names of the settings files shipped with the package."""
    return sorted(p.stem for p in SETTINGS_DIR.glob("*.toml"))


def settings_path(path: str | Path | None, beside: Path | None = None) -> Path:
    """The file a ``--config`` (or ``extends``) value names: a path as given (``extends``: relative to the
    folder ``beside``), or a bare name (no folder, no ``.toml``) for a built-in file. A bare name that is no
    built-in file is refused with the names there are: it is never taken as a file in the current folder by
    accident, nor the other way round."""
    if path is None:
        return DEFAULT_CONFIG
    path = Path(path)
    if path.suffix or len(path.parts) > 1:
        return beside / path if beside is not None else path
    if path.name not in builtin_settings():
        raise InputError(
            f"{str(path)!r} is neither a settings file (a path ending .toml) nor a built-in one"
            f"{did_you_mean(path.name, builtin_settings())}; built-in: {', '.join(builtin_settings())}",
            field="config",
        )
    return SETTINGS_DIR / f"{path.name}.toml"


def load_config(path: str | Path | None = None, *, _chain: tuple[Path, ...] = ()) -> ConfigFile:
    """Read a settings file (and the ones it extends); errors name the file, the table and the key. ``path``
    is a file, or the bare name of a built-in one (``"hub"``: no folder, no suffix); None is ``default``."""
    path = settings_path(path)
    resolved = path.resolve()
    if resolved in _chain:
        loop = " -> ".join(p.name for p in (*_chain, resolved))
        raise InputError(f"the settings extend themselves in a loop ({loop})", file=path, field="extends")
    data = _read_toml(path)
    where = str(path)
    _check_top(data, where)
    parent = ConfigFile(where, RunConfig(), {})
    if "extends" in data:
        base = settings_path(str(data["extends"]), beside=path.parent)
        parent = load_config(base, _chain=(*_chain, resolved))
    run = _validated(dict(data.get("run", {})), where, "run")
    if "weights" in data:
        run["weights"] = {**_validated_weights(data["weights"], where), **run.get("weights", {})}
    run_config = _apply(parent.run, run, where, "run")
    regions = dict(parent.regions)
    seen: dict[str, str] = {}
    for name, table in data.get("regions", {}).items():
        key = _region_key(name, where, seen)
        if not isinstance(table, dict):
            raise InputError(
                f"{_show(table)} is not allowed: a table of settings", file=where, field=f'[regions."{name}"]'
            )
        regions[key] = {**regions.get(key, {}), **_validated(dict(table), where, f'regions."{name}"')}
    for key, settings in regions.items():  # the tables on top of this file's [run]: still a range of sizes?
        _apply(run_config, settings, where, f'regions."{sha_name(key)}"')
    if "run" not in data and "extends" not in data:  # e.g. only a misspelt [runn], already refused above
        raise InputError(
            'no [run] table and no extends = "default": every run would take the defaults in the code, not the'
            " built-in settings; add [run], even empty",
            file=path,
        )
    return ConfigFile(where, run_config, regions)


# --- checks that need the region ----------------------------------------------------------------------------


def check_for_region(config: RunConfig, region: Any) -> None:
    """The checks that need the region's data, each naming the file and table to fix."""
    check_lad_groups(config.lad_groups, region)
    check_bounds(config, region)


def check_bounds(config: RunConfig, region: Any) -> None:
    """Population bounds that no number of consortia can meet (1,400,000 each for 2,710,613 patients: one is
    too many, two too few) are a settings mistake, not a problem for the solver to time out on."""
    lo, hi = config.population_bounds()
    population = int(region.practices["patients"].sum())
    fewest = max(1, math.ceil(population / hi))
    if lo and population // lo < fewest:
        key = next((k for k in ("min_population", "max_population") if k in config.origins), "preset")
        file, table = config.origins.get(key, ("", ""))
        raise InputError(
            f"{key} = {_show(getattr(config, key))}: the population bounds {lo:,}–{hi:,} allow no number of "
            f"consortia for {region.name}'s {population:,} patients ({fewest - 1} would be over the maximum, "
            f"{fewest} under the minimum)",
            file=file or None,
            field=_where(table, key),
        )


def check_lad_groups(groups: tuple[LadGroup, ...], region: Any) -> None:
    """Every nesting exception must name two authorities of the region: one naming an unknown authority, or
    one of another region, would otherwise be reported as applied while changing nothing."""
    lads = region.lads
    names = lads["lad_name"].astype(str) if "lad_name" in lads.columns else None
    for k, group in enumerate(groups, start=1):
        for key in ("lad", "joins"):
            code = getattr(group, key)
            if code in lads.index:
                continue
            hint = did_you_mean(code, list(lads.index))
            if names is not None:
                by_name = names[names.str.lower() == code.strip().lower()]
                if len(by_name):
                    hint = f" (did you mean {by_name.index[0]!r}, the code of {by_name.iloc[0]}?)"
            raise InputError(
                f"{code!r} is not a local authority of {region.name}{hint}; its authorities: "
                + ", ".join(f"{c} {n}" for c, n in (names.items() if names is not None else [])),
                file=group.file or None,
                field=_where(group.table, f"lad_groups[{k}].{key}") if group.table else f"lad_groups[{k}].{key}",
            )
