"""What a planner asks for, as pure data: units, their neighbour graph, and the rules of a good map.

A ``Problem`` knows nothing about solvers. ``boundaries.engine.model`` turns it into one integer program that both
backends read; ``boundaries.check.validation`` re-checks any plan against it with code of its own.

Units are any areas a user brings (GP practices, wards, LSOAs): a DataFrame indexed by unit id with at least
``population``, ``x`` and ``y`` (metres), and optionally ``lad`` (the nesting group: a local authority),
``community`` (a natural health community: the practice's main acute trust) and ``imd`` (deprivation score);
``name``, ``lad_name`` and ``town`` are the words explanations and consortium names use (``from_region`` fills
them; the engine never reaches into the region for them).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Literal

import networkx as nx
import numpy as np
import pandas as pd

from boundaries.check.validation import BEATABLE
from boundaries.errors import InputError, did_you_mean
from boundaries.presets import preset as get_preset

if TYPE_CHECKING:
    from boundaries.data.region import Region

Nesting = Literal["strict", "soft", "off"]
NESTINGS = ("strict", "soft", "off")
#: Objective terms, each measured in its own unit, that ``priorities`` may order lexicographically.
TERMS = ("compactness", "border", "health", "deprivation", "la_split", "moves", "consortium")


@dataclass(frozen=True)
class Weights:
    """Objective weights. The unit of the objective is the patient-kilometre (one registered patient one
    kilometre from the centre of their consortium); every other term is priced in it.

    - ``compactness``: per patient-km from each practice to its consortium's centre practice.
    - ``border``: per km of border between consortia (the shared edges of neighbouring practices' catchment
      cells, the graph's edge ``length``, where the two practices are in different consortia): compactness as
      cut-edge length. Off by default; for example 1,000 makes a km of border cost as much as 1,000
      patients each 1 km further from their centre.
    - ``health``: per patient whose practice's main acute trust differs from their consortium's
      (the centre practice's) main trust: 2.0 means "as bad as moving that patient 2 km further".
    - ``deprivation``: per patient x IMD point by which a consortium's mean IMD departs from the region's mean.
    - ``la_split``: per local-authority piece held by a consortium that crosses the authority's boundary
      (only with ``nesting="soft"``).
    - ``moves``: per practice moved from the baseline plan (only when a baseline is given).
    - ``consortium``: per consortium formed (a price on the count, when the count is not fixed).
    """

    compactness: float = 1.0
    border: float = 0.0
    health: float = 2.0
    deprivation: float = 0.05
    la_split: float = 50_000.0
    moves: float = 20_000.0
    consortium: float = 0.0


@dataclass(frozen=True, eq=False)
class Problem:
    """Every rule of one districting problem. Frozen: a problem handed to ``solve`` is the problem the plan was
    checked against, so a change is a new problem (``dataclasses.replace``, which re-runs every check below)."""

    units: pd.DataFrame
    graph: nx.Graph
    min_population: int
    max_population: int
    n_consortia: int | tuple[int, int] | None = None
    nesting: Nesting = "strict"
    health_floor: float | None = None
    imd_band: float | None = None
    fixed: dict[str, str] = field(default_factory=dict)
    together: list[list[str]] = field(default_factory=list)
    apart: list[tuple[str, str]] = field(default_factory=list)
    max_practices: int | None = None
    baseline: pd.Series | None = None
    max_moves: int | None = None
    weights: Weights = field(default_factory=Weights)
    use_island_links: bool = True
    candidate_radius_km: float | None = None
    imd_reference: float | None = None
    priorities: tuple[str, ...] = ()
    region: Region | None = None
    preset_name: str | None = None
    #: measure -> the reference plan's value, to match or beat (``BEATABLE``; see ``boundaries.check.dominance``)
    beat: dict[str, float] = field(default_factory=dict)
    #: the mean of the reference's consortium IMD means: the spread of any plan is measured around its own such
    #: mean; the model states the spread around this one (a stricter rule, exact for the reference itself)
    beat_imd_centre: float | None = None
    #: authorities that also have units beyond these (set by ``subproblem`` on a part of a region): no
    #: consortium here holds one of them whole, so a consortium crossing into one holds a piece of it
    lads_beyond: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # unit ids are kept as given (any hashable: practice codes, ward codes, ints, tuples); the graph's
        # nodes must be the very same ids. Every check names the unit and the field: a NaN population or a
        # text coordinate found here is one clear line, found by a solver it is a cast error three modules deep
        # or, worse, a plan that quietly ignores the unit or a rule.
        if not isinstance(self.units, pd.DataFrame):
            raise TypeError(f"units must be a pandas DataFrame indexed by unit id, not {type(self.units).__name__}")
        if not isinstance(self.graph, nx.Graph) or self.graph.is_directed():
            raise TypeError(f"graph must be an undirected networkx Graph, not {type(self.graph).__name__}")
        self._set("units", self.units.copy())
        missing = {"population", "x", "y"} - set(self.units.columns)
        if missing:
            raise ValueError(f"units lack column(s) {sorted(missing)}: need population, x, y")
        if self.units.empty:
            raise InputError("no units: a problem needs at least one unit to plan", field="units")
        if self.units.index.has_duplicates:
            dup = self.units.index[self.units.index.duplicated()][0]
            raise ValueError(f"unit {_unit(dup)} appears twice")
        for column in ("population", "x", "y", "imd"):
            if column in self.units.columns:
                self.units[column] = _numbers(self.units[column], column)
        negative = (self.units["population"] < 0).to_numpy()
        if negative.any():
            first = int(np.flatnonzero(negative)[0])
            raise InputError(
                f"unit {_unit(self.units.index[first])} has a negative population "
                f"({self.units['population'].iloc[first]})",
                field="population",
            )
        if self.nesting not in NESTINGS:
            raise ValueError(f"nesting must be one of {NESTINGS}, not {self.nesting!r}")
        if self.nesting != "off" and "lad" not in self.units.columns:
            raise ValueError(f"nesting={self.nesting!r} needs a 'lad' column on the units (or nesting='off')")
        if self.nesting != "off":
            _no_gaps(self.units["lad"], "lad", f"nesting={self.nesting!r} puts every unit in a local authority")
        if "community" in self.units.columns:
            _no_gaps(self.units["community"], "community", "health rules compare every unit's community")
        for name in ("min_population", "max_population"):
            _number(getattr(self, name), name)
        if not 0 <= self.min_population <= self.max_population:
            raise ValueError(f"population bounds {self.min_population:,}-{self.max_population:,} are not a range")
        self._check_rules()
        self._set("weights", _weights(self.weights))
        unknown = set(self.graph.nodes) ^ set(self.units.index)
        if unknown:
            raise ValueError(f"graph nodes and units differ, e.g. {sorted(unknown, key=repr)[:3]}")
        for name, units in self._named_units():
            bad = [u for u in units if u not in self.units.index]
            if bad:
                raise ValueError(f"{name} names unknown unit(s) {bad[:5]}")
        if self.baseline is not None:
            self._set("baseline", self.baseline.astype(str))
            absent = self.units.index.difference(self.baseline.index)
            if len(absent):
                raise ValueError(f"the baseline plan does not place {len(absent)} unit(s), e.g. {list(absent[:3])}")
        self._set("priorities", tuple(self.priorities))
        unknown = set(self.priorities) - set(TERMS)
        if unknown:
            raise ValueError(f"unknown priority {sorted(unknown)}; objective terms are {', '.join(TERMS)}")
        if self.max_moves is not None and self.baseline is None:
            raise ValueError("max_moves needs a baseline plan to count moves from")

    def _set(self, name: str, value) -> None:
        """Normalise a field while the problem is being checked (the only writes a frozen problem has)."""
        object.__setattr__(self, name, value)

    def _check_rules(self) -> None:
        """The optional rules: the right type and range, and the data they need present. A health floor
        without communities or a deprivation band without IMD would otherwise be dropped without a word."""
        n = self.n_consortia
        if isinstance(n, list | tuple):
            if len(n) != 2:
                raise InputError(f"{n!r} is not a count or a (low, high) range", field="n_consortia")
            for value in n:
                _number(value, "n_consortia", integer=True)
            if n[0] > n[1]:
                raise InputError(f"the range {n[0]}-{n[1]} has its low end above its high", field="n_consortia")
            self._set("n_consortia", (n[0], n[1]))
        elif n is not None:
            _number(n, "n_consortia", integer=True)
        if self.health_floor is not None:
            _number(self.health_floor, "health_floor")
            if self.health_floor > 1:
                raise InputError(f"{self.health_floor} is a share of patients: at most 1", field="health_floor")
            if "community" not in self.units.columns:
                raise InputError("a health floor needs a 'community' column on the units", field="health_floor")
        if self.imd_band is not None:
            _number(self.imd_band, "imd_band")
            if "imd" not in self.units.columns and self.imd_reference is None:
                raise InputError("a deprivation band needs an 'imd' column on the units", field="imd_band")
        if self.max_practices is not None:
            _number(self.max_practices, "max_practices", integer=True, least=1)
        if self.max_moves is not None:
            _number(self.max_moves, "max_moves", integer=True)
        if self.candidate_radius_km is not None:
            _number(self.candidate_radius_km, "candidate_radius_km", least=1e-9)
        if self.lads_beyond:
            known = set(self.units["lad"].astype(str)) if "lad" in self.units else set()
            unknown = sorted(set(self.lads_beyond) - known)
            if unknown:
                raise InputError(f"lads_beyond names authorities no unit is in: {unknown[:3]}", field="lads_beyond")
        needs = {"coherence": "community", "imd_spread": "imd", "la_splits": "lad", "non_coterminous": "lad"}
        for measure, target in self.beat.items():
            if measure not in BEATABLE:
                raise InputError(
                    f"{measure!r} is not a measure a plan can beat{did_you_mean(measure, BEATABLE)}; "
                    f"measures: {', '.join(BEATABLE)}",
                    field="beat",
                )
            _number(target, f"beat[{measure}]", least=-math.inf)
            if measure in needs and needs[measure] not in self.units.columns:
                raise InputError(f"beating {measure} needs a {needs[measure]!r} column on the units", field="beat")

    def _named_units(self):
        yield "fixed", list(self.fixed)
        for group in self.together:
            yield "together", list(group)
        for pair in self.apart:
            yield "apart", list(pair)

    # -- derived facts -------------------------------------------------------------------------------------
    @property
    def total_population(self) -> int:
        return int(self.units["population"].sum())

    @property
    def imd_mean(self) -> float | None:
        """The IMD every deprivation rule and price measures from (docs/measures.md): ``imd_reference`` when
        set (a subproblem keeps its region's), else the patient-weighted mean of the units, each counted with at
        least one patient; None without IMD."""
        if self.imd_reference is not None:
            return self.imd_reference
        if "imd" not in self.units:
            return None
        return float(np.average(self.units["imd"], weights=self.units["population"].clip(lower=1)))

    def with_imd_reference(self) -> Problem:
        """The same problem with its IMD reference fixed, so that its subproblems measure from it too."""
        if self.imd_reference is not None or "imd" not in self.units:
            return self
        return replace(self, imd_reference=self.imd_mean)

    @property
    def count_range(self) -> tuple[int, int]:
        """The allowed number of consortia, narrowed by what the bounds allow."""
        lo_bound = math.ceil(self.total_population / self.max_population) if self.max_population else 1
        hi_bound = self.total_population // self.min_population if self.min_population else len(self.units)
        hi_bound = min(hi_bound, len(self.units))
        if self.n_consortia is None:
            return max(1, lo_bound), max(1, hi_bound)
        if isinstance(self.n_consortia, int):
            return self.n_consortia, self.n_consortia
        lo, hi = self.n_consortia
        return lo, hi

    def border_km(self, units: set[str] | None = None) -> dict[tuple[str, str], float]:
        """Edge -> shared border length in km (edges of positive ``length``), all edges or those leaving
        ``units``; a ValueError when the border is priced but the graph carries no lengths."""
        lengths = {(a, b): d.get("length", 0.0) / 1000 for a, b, d in self.graph.edges(data=True)}
        if not any(lengths.values()) and lengths and (self.weights.border or "border" in self.priorities):
            raise ValueError("pricing the border needs edge lengths: the graph's edges carry no 'length' (m)")
        if units is not None:
            lengths = {e: km for e, km in lengths.items() if (e[0] in units) != (e[1] in units)}
        return {e: km for e, km in lengths.items() if km > 0}

    def lad_names(self) -> dict[str, str]:
        """Authority (nesting group) code -> its name, from the units' optional ``lad_name`` column (empty without
        one): what explanations and consortium names call an authority."""
        if "lad" not in self.units.columns or "lad_name" not in self.units.columns:
            return {}
        pairs = self.units[["lad", "lad_name"]].dropna().drop_duplicates("lad")
        return dict(zip(pairs["lad"].astype(str), pairs["lad_name"].astype(str)))

    def contiguity_graph(self) -> nx.Graph:
        """The graph consortia must be connected in: island links count only when allowed."""
        if self.use_island_links:
            return self.graph
        keep = [(u, v) for u, v, d in self.graph.edges(data=True) if not d.get("island")]
        graph = nx.Graph()
        graph.add_nodes_from(self.graph.nodes)
        graph.add_edges_from(keep)
        return graph

    def subproblem(self, units: list[str], **changes) -> Problem:
        """The same rules restricted to some units (used by the decomposition by local authority and by the
        neighbourhood search). An authority with units left out is in ``lads_beyond``: the part prices a
        consortium crossing into it as the whole plan does, and under strict nesting cannot join it whole."""
        keep = set(units)
        beyond: set[str] = set()
        if "lad" in self.units:
            lad = self.units["lad"].astype(str)
            kept = set(lad[lad.index.isin(keep)])
            beyond = (set(self.lads_beyond) | set(lad[~lad.index.isin(keep)])) & kept
        sub = replace(
            self,
            units=self.units.loc[sorted(keep)],
            graph=self.graph.subgraph(keep).copy(),
            fixed={u: g for u, g in self.fixed.items() if u in keep},
            together=[[u for u in grp if u in keep] for grp in self.together if set(grp) & keep],
            apart=[p for p in self.apart if set(p) <= keep],
            baseline=None if self.baseline is None else self.baseline.loc[sorted(keep)],
            beat={},  # the reference's values are the whole plan's: a part is held to them only as a column
            lads_beyond=frozenset(beyond),
            **changes,
        )
        return sub

    # -- construction from a graph ---------------------------------------------------------------------------
    @classmethod
    def from_graph(
        cls,
        graph: nx.Graph,
        min_population: int,
        max_population: int,
        *,
        population: str = "population",
        x: str = "x",
        y: str = "y",
        lad: str | None = None,
        community: str | None = None,
        imd: str | None = None,
        **settings,
    ) -> Problem:
        """A problem from any networkx graph of areas (wards, LSOAs, census units, grid cells): each node
        carries its population and a position in metres (``x``, ``y``: a projected grid such as British National
        Grid), and optionally the attributes named by ``lad`` (nesting group), ``community`` and ``imd``. Node
        ids may be any hashable (strings, ints, tuples); plans come back indexed by the same ids. Edges may carry
        ``length`` (metres of shared border, for the border term) and ``island`` (an explicit sea link).
        Without ``lad`` nesting is off."""
        nodes = list(graph.nodes)
        columns = {"population": population, "x": x, "y": y, "lad": lad, "community": community, "imd": imd}
        data = {}
        for column, attribute in columns.items():
            if attribute is None:
                continue
            missing = [n for n in nodes if attribute not in graph.nodes[n]]
            if missing:
                raise ValueError(f"graph node {missing[0]!r} has no {attribute!r} attribute (needed for {column})")
            data[column] = [graph.nodes[n][attribute] for n in nodes]
        units = pd.DataFrame(data, index=pd.Index(nodes, tupleize_cols=False, name="unit"))
        settings.setdefault("nesting", "strict" if lad is not None else "off")
        return cls(units=units, graph=graph, min_population=min_population, max_population=max_population, **settings)

    # -- construction from a region ------------------------------------------------------------------------
    @classmethod
    def from_region(
        cls,
        region: Region,
        preset: str = "hub",
        *,
        min_population: int | None = None,
        max_population: int | None = None,
        n_consortia: int | tuple[int, int] | None | Literal["auto"] = "auto",
        lad_groups: dict[str, str] | None = None,
        beat=None,
        beat_measures: list[str] | None = None,
        **settings,
    ) -> Problem:
        """Build a problem from a region's practices.

        ``beat`` is a reference plan (a Plan, or a Series or mapping practice -> consortium, such as
        ``region.ccg_assignment()``) that the plan must be no worse than on each of ``beat_measures`` (default:
        every measure of ``BEATABLE``), or those targets already measured (a dict measure -> value).

        ``n_consortia="auto"`` asks for about ``patients / typical`` consortia of the preset (hub: 120,000),
        within 15%, because bounds alone let a compactness objective fill a region with the smallest consortia
        allowed. ``lad_groups`` maps a LAD code to another whose nesting group it joins (a justified exception,
        e.g. the Isles of Scilly with Cornwall).
        """
        size = get_preset(preset)
        lo = size.lo if min_population is None else int(min_population)
        hi = size.hi if max_population is None else int(max_population)
        practices = region.practices
        strangers = sorted({*(lad_groups or {}), *(lad_groups or {}).values()} - set(region.lads.index))
        if strangers:  # an exception naming no authority of the region would be reported yet change nothing
            raise InputError(f"lad_groups names authorities that are not in {region.name}: {', '.join(strangers)}")
        lad = practices["lad"].astype(str).replace(lad_groups or {})
        units = pd.DataFrame(
            {
                "population": practices["patients"].astype(int),
                "x": practices.geometry.x,
                "y": practices.geometry.y,
                "lad": lad,
                "community": practices["main_trust"].astype(str),
                "imd": practices["imd"].astype(float),
                # the words explanations and consortium names are made of: the engine reads them here, never
                # through the region, so a problem built from any graph with these columns reads the same
                "name": practices["name"].astype(str),
                "lad_name": lad.map(region.lads["lad_name"].astype(str)),
                **({"town": practices["town"]} if "town" in practices.columns else {}),
            },
            index=practices.index.astype(str),
        )
        if n_consortia == "auto":
            n_consortia = auto_count(int(units["population"].sum()), lo, hi, size.typical)
        problem = cls(
            units=units,
            graph=region.graph,
            min_population=lo,
            max_population=hi,
            n_consortia=n_consortia,
            region=region,
            preset_name=preset,
            **settings,
        )
        if beat is not None:
            if not (isinstance(beat, dict) and set(beat) <= set(BEATABLE)):
                # the validator measures the reference; imported here so that the data layer stays below it
                from boundaries.check.dominance import imd_centre, targets

                reference, beat = beat, targets(beat, problem, beat_measures)
                problem = replace(problem, beat_imd_centre=imd_centre(reference, problem))
            problem = replace(problem, beat=dict(beat))
        return problem


def _unit(unit) -> str:
    """A unit id as the user wrote it: ``0`` or ``'E05000001'``, not numpy's ``np.int64(0)``."""
    return repr(unit.item() if isinstance(unit, np.generic) else unit)


def _number(value, field: str, *, integer: bool = False, least: float = 0) -> None:
    """A rule's value must be a finite number (an integer where a count is meant) of at least ``least``:
    ``True`` is not a count and ``"200"`` is not a bound, though Python would compare both."""
    kind = "an integer" if integer else "a finite number"
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InputError(f"{value!r} is not {kind}", field=field)
    if integer and not isinstance(value, numbers.Integral):
        raise InputError(f"{value!r} is not {kind}", field=field)
    if value < least:
        raise InputError(f"{value!r} is not allowed: at least {least:g}", field=field)


def _numbers(column: pd.Series, field: str) -> pd.Series:
    """A numeric column with every value finite, or an error naming the first unit that is not: text (even
    "100"), booleans, None, NaN and infinity are refused rather than coerced."""
    if column.dtype == bool:
        raise InputError(f"unit {_unit(column.index[0])} has {field} {column.iloc[0]!r}: not a number", field=field)
    if column.dtype == object:
        for unit, value in column.items():
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise InputError(f"unit {_unit(unit)} has {field} {value!r}: not a number", field=field)
        column = pd.to_numeric(column)
    if column.dtype.kind not in "iuf":
        raise InputError(f"{field} must be numbers, not {column.dtype}", field=field)
    finite = np.isfinite(column.to_numpy(dtype=float))
    bad = column.index[~finite]
    if len(bad):
        value = column.iloc[int(np.flatnonzero(~finite)[0])]  # the first unit's, as bad[0] names it
        what = "missing data" if pd.isna(value) else "not a finite number"
        raise InputError(
            f"unit {_unit(bad[0])} has {field} {value}: {what} ({len(bad)} unit(s) in all); give every unit a "
            "finite number",
            field=field,
        )
    return column


def _no_gaps(column: pd.Series, field: str, why: str) -> None:
    """Labels (local authority, community) present for every unit: a missing one is missing data, named
    with its unit, not a bounds problem the solver reports later."""
    blank = column.isna() | column.astype(str).str.strip().isin(("", "nan", "None", "<NA>"))
    if blank.any():
        unit = column.index[blank.to_numpy()][0]
        raise InputError(
            f"unit {_unit(unit)} has no {field} (missing data; {blank.sum()} unit(s) in all): {why}", field=field
        )


def _weights(weights) -> Weights:
    """``Weights``, or a mapping of some of its fields (the rest keep their defaults; a misspelt key is an
    error, not a weight silently left at its default); every weight a finite number of at least 0."""
    if isinstance(weights, Mapping):
        names = [f.name for f in fields(Weights)]
        for key in weights:
            if key not in names:
                raise InputError(
                    f"unknown weight {key!r}{did_you_mean(str(key), names)}; weights are {', '.join(names)}",
                    field="weights",
                )
        weights = Weights(**weights)
    if not isinstance(weights, Weights):
        raise TypeError(f"weights must be a Weights or a dict of its fields, not {type(weights).__name__}")
    for f in fields(Weights):
        _number(getattr(weights, f.name), f"weights.{f.name}")
    return weights


def auto_count(population: int, lo: int, hi: int, typical: int, slack: float = 0.15) -> tuple[int, int]:
    """About population/typical consortia (within ``slack``), clipped to what the bounds allow.

    A preset's typical size outside custom bounds (500,000-2,000,000 with the hub preset's 120,000) is moved
    inside them: otherwise the range asked for lies beyond what the bounds allow, its low end above its high.
    """
    typical = min(max(typical, lo), hi)
    target = population / typical
    feasible_lo = max(1, math.ceil(population / hi))
    if lo and population // lo < feasible_lo:
        raise InputError(
            f"min_population-max_population {lo:,}-{hi:,} allow no number of consortia for {population:,} "
            f"patients ({feasible_lo - 1} would be over the maximum, {feasible_lo} under the minimum): widen them"
        )
    feasible_hi = max(feasible_lo, population // lo if lo else population)  # no minimum: any count
    want_lo = max(feasible_lo, math.floor(target * (1 - slack)))
    want_hi = min(feasible_hi, max(want_lo, math.ceil(target * (1 + slack))))
    return want_lo, want_hi
