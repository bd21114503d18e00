"""What a planner asks for, as pure data: units, their neighbour graph, and the rules of a good map.

A ``Problem`` knows nothing about solvers. ``boundaries.model`` turns it into one integer program that both
backends read; ``boundaries.validation`` re-checks any plan against it with code of its own.

Units are any areas a user brings (GP practices, wards, LSOAs): a DataFrame indexed by unit id with at least
``population``, ``x`` and ``y`` (metres), and optionally ``lad`` (the nesting group: a local authority),
``community`` (a natural health community: the practice's main acute trust) and ``imd`` (deprivation score).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import networkx as nx
import numpy as np
import pandas as pd

from .errors import InputError
from .presets import preset as get_preset

if TYPE_CHECKING:
    from .region import Region

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


@dataclass
class Problem:
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

    def __post_init__(self) -> None:
        # unit ids are kept as given (any hashable: practice codes, ward codes, ints, tuples); the graph's
        # nodes must be the very same ids
        self.units = self.units.copy()
        missing = {"population", "x", "y"} - set(self.units.columns)
        if missing:
            raise ValueError(f"units lack column(s) {sorted(missing)}: need population, x, y")
        if self.units.index.has_duplicates:
            dup = self.units.index[self.units.index.duplicated()][0]
            raise ValueError(f"unit {dup!r} appears twice")
        if (self.units["population"] < 0).any():
            raise ValueError("a unit has a negative population")
        if self.nesting not in NESTINGS:
            raise ValueError(f"nesting must be one of {NESTINGS}, not {self.nesting!r}")
        if self.nesting != "off" and "lad" not in self.units.columns:
            raise ValueError(f"nesting={self.nesting!r} needs a 'lad' column on the units (or nesting='off')")
        if not 0 <= self.min_population <= self.max_population:
            raise ValueError(f"population bounds {self.min_population:,}-{self.max_population:,} are not a range")
        unknown = set(self.graph.nodes) ^ set(self.units.index)
        if unknown:
            raise ValueError(f"graph nodes and units differ, e.g. {sorted(unknown, key=repr)[:3]}")
        for name, units in self._named_units():
            bad = [u for u in units if u not in self.units.index]
            if bad:
                raise ValueError(f"{name} names unknown unit(s) {bad[:5]}")
        if self.baseline is not None:
            self.baseline = self.baseline.astype(str)
            absent = self.units.index.difference(self.baseline.index)
            if len(absent):
                raise ValueError(f"the baseline plan does not place {len(absent)} unit(s), e.g. {list(absent[:3])}")
        self.priorities = tuple(self.priorities)
        bad = set(self.priorities) - set(TERMS)
        if bad:
            raise ValueError(f"unknown priority {sorted(bad)}; objective terms are {', '.join(TERMS)}")
        if self.max_moves is not None and self.baseline is None:
            raise ValueError("max_moves needs a baseline plan to count moves from")

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
        """The same rules restricted to some units (used by the decomposition by local authority)."""
        keep = set(units)
        sub = replace(
            self,
            units=self.units.loc[sorted(keep)],
            graph=self.graph.subgraph(keep).copy(),
            fixed={u: g for u, g in self.fixed.items() if u in keep},
            together=[[u for u in grp if u in keep] for grp in self.together if set(grp) & keep],
            apart=[p for p in self.apart if set(p) <= keep],
            baseline=None if self.baseline is None else self.baseline.loc[sorted(keep)],
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
        **settings,
    ) -> Problem:
        """Build a problem from a region's practices.

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
        units = pd.DataFrame(
            {
                "population": practices["patients"].astype(int),
                "x": practices.geometry.x,
                "y": practices.geometry.y,
                "lad": practices["lad"].astype(str).replace(lad_groups or {}),
                "community": practices["main_trust"].astype(str),
                "imd": practices["imd"].astype(float),
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
        return problem


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
