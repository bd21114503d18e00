"""The plan scorecard: the one source of plan metrics for reports, maps, the CLI and benchmarks.

``evaluate`` scores any plan from any source (a solver's plan, the real 2013 CCG map from
``region.ccg_assignment()``, a planner's CSV) against a region, with plain pandas and networkx so that it
shares nothing with the solvers it is used to judge.

Every measure a planner compares plans on is defined once, in ``docs/measures.md``; this module implements
those definitions on its own (the validator, :mod:`boundaries.check.validation`, implements them again with code of
its own, and tests check that the two agree). Patient weights are registered patients, July 2014.

- Main acute trust of a consortium: the trust that is the main trust (``practices.main_trust``) of the largest
  number of its patients; ties go to the lower trust code. *Coherence*: the share of patients whose practice's
  main trust is their consortium's main trust, per consortium and for the plan.
- IMD: each consortium's patient-weighted mean IMD (``imd_mean``); the *reference* is the patient-weighted mean
  of the region (``imd_reference``), ``imd_gap`` a consortium's mean minus it, ``imd_max_gap`` the largest
  distance from it (what an IMD band caps); *IMD spread* is the standard deviation, population form (dividing
  by the number of consortia), of the consortia's means; ``imd_range`` is the largest mean minus the smallest.
- Compactness: patient-weighted mean distance (km) from each practice to its consortium's patient-weighted
  centre, per consortium and for the plan; and *border*: the km of catchment-cell boundary a consortium shares
  with other consortia (``region.graph`` edge lengths), the region's total counting each border once.
- Local authorities: a consortium is *coterminous* when it lies inside one LAD or every LAD it touches lies
  wholly inside it. *LA splits*: for each LAD, the number of consortia that hold part of it, minus one
  (``authorities``; the plan's total in ``la_splits``). ``la_split_pairs`` counts the (consortium, LAD) pairs
  where a consortium holds part of a LAD while also extending beyond it (what soft nesting prices).
- Connected: the consortium's practices form one component of ``region.graph``; *island-linked* when that
  needs one of the graph's explicit island links.
- On the ground: ``area_pieces`` counts the pieces of land of the consortium's area (the union of its cells),
  marked island parts aside (:func:`boundaries.data.areas.area_pieces`); *in pieces* when, even after joining the
  pieces that an island link of the graph joins, more than one remains. ``island_parts``, ``island_km2`` and
  ``island_lads`` name the island parts it holds (land of an authority holding no practice, given to the
  nearest practice of the authority; see :mod:`boundaries.data.cells`).
- Moves from a baseline: practices outside the best one-to-one matching of the plan's consortia to the
  baseline's (the matching that keeps the most practices; among those, the most patients).
  A consortium with no match moves all its practices.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from boundaries.data.areas import AssignmentError, aligned_assignment, area_pieces
from boundaries.presets import BOARD_LIMIT, PRESETS

if TYPE_CHECKING:
    from boundaries.data.region import Region

__all__ = ["AssignmentError", "Scorecard", "evaluate", "match_consortia", "moved_practices"]


@dataclass
class Scorecard:
    """Metrics of one plan: ``consortia`` (one row per consortium, index = label) and a ``summary`` dict."""

    consortia: pd.DataFrame
    summary: dict[str, Any]
    assignment: pd.Series
    baseline: pd.Series | None = None  # the baseline's labels per practice, only with a baseline
    moved: pd.Series | None = None  # bool per practice, only with a baseline
    matching: dict[str, str | None] = field(default_factory=dict)  # plan label -> baseline label
    # one row per local authority (index = LAD code): practices, consortia holding part of it, LA splits
    authorities: pd.DataFrame = field(default_factory=pd.DataFrame)
    # with ``evaluate(..., against=other)``: one row per measure, the verdict better / equal / worse
    comparison: pd.DataFrame | None = None
    against_name: str | None = None

    @property
    def dominates(self) -> bool | None:
        """True when the plan is no worse than the ``against`` plan on any compared measure."""
        return None if self.comparison is None else bool((self.comparison["verdict"] != "worse").all())

    def compare(self, other: Scorecard, preset: str | None = None) -> pd.DataFrame:
        """Per measure of ``docs/measures.md``: this plan's value, the other's, and whether this plan is
        better, equal or worse (equal within 1e-9, relative). ``preset`` adds the consortia outside its bounds."""
        measures = list(COMPARED)
        if preset is not None:
            if preset not in PRESETS:
                raise ValueError(f"unknown preset {preset!r}; presets are {', '.join(PRESETS)}")
            measures.append((f"outside {preset} bounds", ("outside_presets", preset), "lower"))
        rows = []
        for name, key, better in measures:
            mine, theirs = _measure(self.summary, key), _measure(other.summary, key)
            rows.append({"measure": name, "plan": mine, "against": theirs, "better": better})
        out = pd.DataFrame(rows).set_index("measure")
        out["verdict"] = [_verdict(p, a, b) for p, a, b in zip(out["plan"], out["against"], out["better"])]
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: plain str/int/float/bool/None/list/dict only (NaN becomes None)."""
        rows = []
        for label, row in self.consortia.iterrows():
            rows.append({"consortium": label, **{k: _jsonable(v) for k, v in row.items()}})
        out: dict[str, Any] = {"summary": _jsonable(self.summary), "consortia": rows}
        out["authorities"] = [
            {"lad": lad, **{k: _jsonable(v) for k, v in row.items()}} for lad, row in self.authorities.iterrows()
        ]
        if self.moved is not None:
            out["moved"] = sorted(self.moved.index[self.moved].tolist())
            out["matching"] = _jsonable(self.matching)
        if self.comparison is not None:
            out["against"] = {
                "name": self.against_name,
                "dominates": self.dominates,
                "measures": [
                    {"measure": name, **{k: _jsonable(v) for k, v in row.items()}}
                    for name, row in self.comparison.iterrows()
                ],
            }
        return out

    def headlines(self) -> list[tuple[str, str]]:
        """The plan's headline metrics as (name, formatted value) pairs, shared by ``text`` and the maps."""
        s = self.summary
        outside = " · ".join(f"{name} {n}" for name, n in s["outside_presets"].items())
        lines = [
            ("Consortia", f"{s['consortia']} ({s['practices']:,} practices, {s['patients']:,} patients)"),
            (
                "Population",
                f"min {s['population_min']:,} · median {s['population_median']:,.0f} · max {s['population_max']:,}",
            ),
            ("Outside preset bounds", outside),
            (
                "Local authorities",
                f"{s['non_coterminous']} consortia not coterminous, {s['la_splits']} LA splits "
                f"({s['lads_divided']} of {s['lads']} LADs divided), {s['la_split_pairs']} authority pieces held "
                "across a boundary",
            ),
            ("Health communities", f"{_pct(s['coherence'])} of patients share their consortium's main trust"),
            (
                "Deprivation (IMD 2019)",
                f"consortium means {_num(s['imd_min'])}–{_num(s['imd_max'])}, spread (std) "
                f"{_num(s['imd_spread'], 2)}; at most {_num(s['imd_max_gap'], 2)} from the region's mean "
                f"{_num(s['imd_reference'], 2)}",
            ),
            (
                "Compactness",
                f"{_num(s['compactness_km'])} km mean distance to consortium centre · "
                f"{s['border_km']:,.0f} km of borders between consortia",
            ),
            (
                "Contiguity",
                f"{s['disconnected']} disconnected, {s['island_linked']} joined by an island link; "
                f"{s['areas_in_pieces']} areas in pieces on the ground, {s['with_island_parts']} holding "
                f"{s['island_parts']} island parts ({s['island_parts_km2']:,.2f} km²)",
            ),
            (
                "Practices per consortium",
                f"max {s['practices_max']}, {s['over_board_limit']} over the board limit of {s['board_limit']}",
            ),
        ]
        if "moved_practices" in s:
            lines.append(
                (
                    "Moves from baseline",
                    f"{s['moved_practices']:,} practices ({s['moved_patients']:,} patients)",
                )
            )
        return lines

    def text(self, table: bool = False) -> str:
        """A readable summary; with ``table=True`` also one line per consortium."""
        title = f"Scorecard: {self.summary['region']}"
        lines = [title, "=" * len(title)]
        width = max(len(name) for name, _ in self.headlines())
        lines += [f"{name:<{width}}  {value}" for name, value in self.headlines()]
        if table:
            cols = [
                "patients",
                "practices",
                "n_lads",
                "la_splits",
                "main_trust",
                "coherence",
                "imd_mean",
                "compactness_km",
                "connected",
                "area_pieces",
                "island_parts",
            ]
            lines += ["", self.consortia[cols].to_string(float_format=lambda v: f"{v:.2f}")]
        if self.comparison is not None:
            lines += ["", self.comparison_text()]
        return "\n".join(lines)

    def comparison_text(self) -> str:
        """The per-measure comparison with the ``against`` plan, one line per measure."""
        if self.comparison is None:
            return ""
        name = self.against_name or "the other plan"
        head = f"Against {name}"
        width = max(len(m) for m in self.comparison.index)
        lines = [head, "-" * len(head)]
        for measure, row in self.comparison.iterrows():
            lines.append(
                f"{measure:<{width}}  {_value(row['plan']):>9} vs {_value(row['against']):>9}  "
                f"{row['verdict']} ({row['better']} is better)"
            )
        worse = [m for m, v in self.comparison["verdict"].items() if v == "worse"]
        verdict = "no worse on every measure" if not worse else f"worse on {', '.join(map(str, worse))}"
        lines.append(f"This plan is {verdict}.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def evaluate(
    plan_or_assignment: Any,
    region: Region,
    baseline: Any = None,
    *,
    against: Any = None,
    against_name: str | None = None,
    preset: str | None = None,
) -> Scorecard:
    """Score a plan (a Plan, a Series or a mapping practice code -> label) on a region.

    Raises AssignmentError naming unknown codes or unassigned practices. ``baseline`` is another plan of the
    same region (e.g. ``region.ccg_assignment()``) to count moves against. ``against`` is another plan (or its
    Scorecard) to compare with measure by measure (``card.comparison``, ``card.dominates``); ``preset`` adds
    the consortia outside that preset's bounds to the comparison.
    """
    labels = aligned_assignment(plan_or_assignment, region)
    practices = region.practices.loc[labels.index]
    patients = practices["patients"].astype(float)

    frame = pd.DataFrame(index=pd.Index(sorted(labels.unique()), name="consortium"))
    frame["patients"] = patients.groupby(labels).sum().round().astype(int)
    frame["practices"] = labels.value_counts().astype(int)
    frame = frame.join(_lad_metrics(labels, practices, region))
    frame = frame.join(_trust_metrics(labels, practices, region))
    frame["imd_mean"] = _weighted_mean(practices["imd"].astype(float), patients, labels)
    reference = _imd_reference(practices["imd"].astype(float), patients)
    frame["imd_gap"] = frame["imd_mean"] - reference
    frame["imd_imputed_practices"] = practices["imd_imputed"].astype(bool).groupby(labels).sum().astype(int)
    frame["compactness_km"] = _compactness(labels, practices, patients)
    frame["border_km"] = _borders(labels, region.graph).reindex(frame.index, fill_value=0.0)
    frame = frame.join(_connectivity(labels, region.graph))
    frame = frame.join(_ground(labels, region))
    frame["over_board_limit"] = frame["practices"] > BOARD_LIMIT

    authorities = _authorities(labels, practices, region)
    summary = _summary(frame, authorities, labels, patients, reference, region)
    card = Scorecard(consortia=frame, summary=summary, assignment=labels, authorities=authorities)
    if baseline is not None:
        try:
            base = aligned_assignment(baseline, region)
        except AssignmentError as err:
            raise AssignmentError(f"baseline plan: {err}") from None
        card.baseline = base
        card.matching = match_consortia(labels, base, patients)
        card.moved = moved_practices(labels, base, patients, card.matching)
        summary["baseline_consortia"] = int(base.nunique())
        summary["moved_practices"] = int(card.moved.sum())
        summary["moved_patients"] = int(patients[card.moved].sum())
    if against is not None:
        if isinstance(against, Scorecard):
            other = against
        else:
            try:
                other = evaluate(against, region)
            except AssignmentError as err:
                raise AssignmentError(f"plan to compare against: {err}") from None
        card.comparison = card.compare(other, preset=preset)
        card.against_name = against_name or "the other plan"
    return card


#: The measures plans are compared on: (name, summary key, which direction is better).
COMPARED: tuple[tuple[str, Any, str], ...] = (
    ("hospital coherence", "coherence", "higher"),
    ("IMD spread", "imd_spread", "lower"),
    ("compactness km", "compactness_km", "lower"),
    ("not coterminous", "non_coterminous", "lower"),
    ("LA splits", "la_splits", "lower"),
)


def _measure(summary: dict[str, Any], key: Any) -> float:
    if isinstance(key, tuple):
        return float(summary[key[0]][key[1]])
    return float(summary[key])


def _verdict(mine: float, theirs: float, better: str) -> str:
    if math.isnan(mine) or math.isnan(theirs):
        return "n/a"
    if math.isclose(mine, theirs, rel_tol=1e-9, abs_tol=1e-12):
        return "equal"
    return "better" if (mine > theirs) == (better == "higher") else "worse"


def _value(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4f}"


def match_consortia(labels: pd.Series, baseline: pd.Series, patients: pd.Series) -> dict[str, str | None]:
    """Match each consortium of ``labels`` to at most one of ``baseline``: the one-to-one matching that keeps
    the most practices together and, among those, the most ``patients``.

    A Hungarian assignment on ``practices x (total patients + 1) + patients`` shared, so two proposed consortia
    never both claim the same baseline consortium. Consortia left without a partner, or matched with no
    practice in common, map to None.
    """
    base = baseline.reindex(labels.index).to_numpy()
    weights = patients.reindex(labels.index).astype(float).clip(lower=0)
    shared = pd.DataFrame({"plan": labels.to_numpy(), "base": base, "n": 1, "w": weights.to_numpy()})
    shared = shared.groupby(["plan", "base"])[["n", "w"]].sum()
    count = shared["n"].unstack(fill_value=0).sort_index().sort_index(axis=1)
    kept = shared["w"].unstack(fill_value=0).reindex_like(count)
    score = count.to_numpy(dtype=float) * (float(weights.sum()) + 1.0) + kept.to_numpy(dtype=float)
    rows, cols = linear_sum_assignment(score, maximize=True)
    matching: dict[str, str | None] = {str(label): None for label in count.index}
    together = count.to_numpy()
    for i, j in zip(rows, cols, strict=True):
        if together[i, j] > 0:
            matching[str(count.index[i])] = str(count.columns[j])
    return matching


def moved_practices(
    labels: pd.Series, baseline: pd.Series, patients: pd.Series, matching: dict[str, str | None] | None = None
) -> pd.Series:
    """Bool per practice: True when its consortium's matched baseline consortium is not its baseline one."""
    matching = matching if matching is not None else match_consortia(labels, baseline, patients)
    matched = labels.map(matching)
    return (matched.isna() | (matched != baseline.reindex(labels.index))).rename("moved")


def _authorities(labels: pd.Series, practices: pd.DataFrame, region: Region) -> pd.DataFrame:
    """One row per LAD: practices, the consortia holding part of it, and its LA splits (consortia - 1)."""
    lad = practices["lad"].astype(str)
    out = pd.DataFrame(index=pd.Index(sorted(lad.unique()), name="lad"))
    names = region.lads["lad_name"] if "lad_name" in region.lads else pd.Series(dtype=str)
    out["lad_name"] = [str(names.get(k, k)) for k in out.index]
    out["practices"] = lad.value_counts().reindex(out.index).astype(int)
    out["consortia"] = labels.groupby(lad).nunique().reindex(out.index).astype(int)
    out["la_splits"] = out["consortia"] - 1
    return out


def _lad_metrics(labels: pd.Series, practices: pd.DataFrame, region: Region) -> pd.DataFrame:
    lad = practices["lad"].astype(str)
    counts = pd.crosstab(labels, lad)  # practices per (consortium, LAD)
    lad_total = counts.sum(axis=0).to_dict()  # LAD -> practices
    size = counts.sum(axis=1).to_dict()  # consortium -> practices
    names = region.lads["lad_name"] if "lad_name" in region.lads else pd.Series(dtype=str)
    names = names.combine_first(practices.groupby(lad)["lad_name"].first()) if "lad_name" in practices else names
    out = {}
    for label, row in counts.iterrows():
        present = row[row > 0]
        split = [k for k, n in present.items() if n < lad_total[k] and size[label] > n]
        whole = [k for k, n in present.items() if n == lad_total[k]]
        lads = sorted(map(str, present.index))  # LAD codes, as text above
        out[label] = {
            "lads": tuple(lads),
            "lad_names": tuple(str(names.get(k, k)) for k in lads),
            "n_lads": len(present),
            "whole_lads": len(whole),
            "split_lads": tuple(sorted(map(str, split))),
            "la_splits": len(split),
            "coterminous": not split,
        }
    return pd.DataFrame.from_dict(out, orient="index")


def _trust_metrics(labels: pd.Series, practices: pd.DataFrame, region: Region) -> pd.DataFrame:
    """Main trust: the practices' main trust held by the most patients (ties: the lower code); coherence."""
    patients = practices["patients"].astype(float)
    own = practices["main_trust"].where(practices["main_trust"].notna())
    own = own.map(lambda t: t if pd.isna(t) else str(t))
    votes = (
        pd.DataFrame({"consortium": labels, "trust": own, "patients": patients})
        .dropna(subset=["trust"])
        .groupby(["consortium", "trust"], as_index=False)[["patients"]]
        .sum()
        .sort_values(["consortium", "patients", "trust"], ascending=[True, False, True])
        .drop_duplicates("consortium")
        .set_index("consortium")
    )
    out = pd.DataFrame(index=pd.Index(sorted(labels.unique()), name="consortium"))
    out["main_trust"] = votes["trust"].reindex(out.index)
    names = region.trusts["name"] if "name" in region.trusts else pd.Series(dtype=str)
    out["main_trust_name"] = [(str(names.get(t, t)) if isinstance(t, str) else None) for t in out["main_trust"]]

    # the share of the consortium's estimated admissions that go to its main trust (information only)
    shares = region.trust_shares
    shares = shares[shares["practice"].astype(str).isin(labels.index)]
    code = shares["practice"].astype(str)
    weight = shares["share"].astype(float).to_numpy() * patients.reindex(code).to_numpy()
    consortium = labels.reindex(code).to_numpy()
    to_main = shares["trust"].astype(str).to_numpy() == out["main_trust"].reindex(consortium).to_numpy()
    flows = pd.DataFrame({"consortium": consortium, "all": weight, "main": np.where(to_main, weight, 0.0)})
    flows = flows.groupby("consortium")[["all", "main"]].sum()
    out["main_trust_flow_share"] = (flows["main"] / flows["all"].where(flows["all"] > 0)).reindex(out.index)

    agrees = own.to_numpy() == labels.map(out["main_trust"]).to_numpy()
    coherent = patients.where(agrees, 0.0).groupby(labels).sum()
    total = patients.groupby(labels).sum()
    out["coherent_patients"] = coherent.reindex(out.index).round().astype(int)
    out["coherence"] = (coherent / total.where(total > 0)).reindex(out.index)
    return out


def _weighted_mean(values: pd.Series, weights: pd.Series, labels: pd.Series) -> pd.Series:
    """Patient-weighted mean per consortium, skipping missing values; plain mean when no patients."""
    ok = values.notna()
    w = weights.where(ok, 0.0)
    num = (values.fillna(0.0) * w).groupby(labels).sum()
    den = w.groupby(labels).sum()
    plain = values.groupby(labels).mean()
    return (num / den.where(den > 0)).fillna(plain)


def _imd_reference(values: pd.Series, weights: pd.Series) -> float:
    """The region's patient-weighted mean IMD (practices without a score left out)."""
    ok = values.notna()
    w = weights.where(ok, 0.0)
    if w.sum() > 0:
        return float((values.fillna(0.0) * w).sum() / w.sum())
    return float(values.mean()) if ok.any() else float("nan")


def _compactness(labels: pd.Series, practices: Any, patients: pd.Series) -> pd.Series:
    x = pd.Series(practices.geometry.x.to_numpy(), index=labels.index)
    y = pd.Series(practices.geometry.y.to_numpy(), index=labels.index)
    out = {}
    for label, codes in labels.groupby(labels, sort=True).groups.items():
        w = patients.loc[codes].to_numpy()
        w = w if w.sum() > 0 else np.ones(len(codes))
        cx = np.average(x.loc[codes].to_numpy(), weights=w)
        cy = np.average(y.loc[codes].to_numpy(), weights=w)
        d = np.hypot(x.loc[codes].to_numpy() - cx, y.loc[codes].to_numpy() - cy)
        out[label] = float(np.average(d, weights=w) / 1000.0)
    return pd.Series(out)


def _borders(labels: pd.Series, graph: nx.Graph) -> pd.Series:
    """km of border each consortium shares with the others: the cell boundaries between its practices and
    practices of another consortium."""
    label_of = labels.to_dict()
    out: dict[str, float] = {}
    for u, v, data in graph.edges(data=True):
        lu, lv = label_of.get(str(u)), label_of.get(str(v))
        if lu is not None and lv is not None and lu != lv:
            km = float(data.get("length", 0.0)) / 1000
            out[lu] = out.get(lu, 0.0) + km
            out[lv] = out.get(lv, 0.0) + km
    return pd.Series(out, dtype=float)


def _connectivity(labels: pd.Series, graph: nx.Graph) -> pd.DataFrame:
    label_of = labels.to_dict()
    full: dict[Hashable, nx.Graph] = {}  # consortium label -> its practices' graph
    mainland: dict[Hashable, nx.Graph] = {}
    for label, codes in labels.groupby(labels, sort=True).groups.items():
        full[label] = nx.Graph()
        full[label].add_nodes_from(codes)
        mainland[label] = nx.Graph()
        mainland[label].add_nodes_from(codes)
    for u, v, data in graph.edges(data=True):
        lu, lv = label_of.get(str(u)), label_of.get(str(v))
        if lu is None or lu != lv:
            continue
        full[lu].add_edge(str(u), str(v))
        if not data.get("island", False):
            mainland[lu].add_edge(str(u), str(v))
    out = {}
    for label in full:
        components = nx.number_connected_components(full[label])
        land = nx.number_connected_components(mainland[label])
        out[label] = {
            "components": components,
            "connected": components == 1,
            "island_link": components == 1 and land > 1,
        }
    return pd.DataFrame.from_dict(out, orient="index")


def _ground(labels: pd.Series, region: Region) -> pd.DataFrame:
    """Pieces of land of each area (island parts aside), the pieces left after joining those an island link
    joins, and the island parts held."""
    land = area_pieces(labels, region)
    links = nx.Graph()
    links.add_edges_from((str(u), str(v)) for u, v, d in region.graph.edges(data=True) if d.get("island", False))
    joined = {}
    for label, pieces in land["members"].items():
        piece_of = {code: k for k, piece in enumerate(pieces) for code in piece}
        across = nx.Graph()
        across.add_nodes_from(range(len(pieces)))
        across.add_edges_from((piece_of[u], piece_of[v]) for u, v in links.edges if u in piece_of and v in piece_of)
        joined[label] = nx.number_connected_components(across)
    out = land.drop(columns="members").rename(columns={"pieces": "area_pieces"})
    out["one_piece"] = out["area_pieces"] == 1
    out["in_pieces"] = pd.Series(joined).reindex(out.index) > 1
    return out


def _summary(
    frame: pd.DataFrame,
    authorities: pd.DataFrame,
    labels: pd.Series,
    patients: pd.Series,
    reference: float,
    region: Region,
) -> dict[str, Any]:
    pop = frame["patients"]
    imd = frame["imd_mean"]
    total = float(patients.sum())
    coherent = float(frame["coherent_patients"].sum()) / total if total else float("nan")
    # every practice's distance to its consortium's centre, weighted by patients: the consortia's means
    # weighted by their patients
    compact = float(np.average(frame["compactness_km"], weights=pop)) if pop.sum() else float("nan")
    return {
        "region": region.name,
        "consortia": len(frame),
        "practices": int(len(labels)),
        "patients": int(pop.sum()),
        "population_min": int(pop.min()),
        "population_median": float(pop.median()),
        "population_max": int(pop.max()),
        "outside_presets": {name: int(((pop < p.lo) | (pop > p.hi)).sum()) for name, p in PRESETS.items()},
        "non_coterminous": int((~frame["coterminous"].astype(bool)).sum()),
        "la_splits": int(authorities["la_splits"].sum()),
        "la_split_pairs": int(frame["la_splits"].sum()),
        "lads_divided": int((authorities["consortia"] > 1).sum()),
        "lads": int(len(authorities)),
        "coherence": coherent,
        "imd_reference": reference,
        "imd_spread": float(np.std(imd.to_numpy(dtype=float))) if imd.notna().all() else float("nan"),
        "imd_max_gap": float(frame["imd_gap"].abs().max()),
        "imd_min": float(imd.min()),
        "imd_max": float(imd.max()),
        "imd_range": float(imd.max() - imd.min()),
        "compactness_km": compact,
        "border_km": float(frame["border_km"].sum() / 2),
        "disconnected": int((~frame["connected"].astype(bool)).sum()),
        "island_linked": int(frame["island_link"].astype(bool).sum()),
        "areas_in_pieces": int(frame["in_pieces"].astype(bool).sum()),
        "with_island_parts": int((frame["island_parts"] > 0).sum()),
        "island_parts": int(frame["island_parts"].sum()),
        "island_parts_km2": float(frame["island_km2"].sum()),
        "practices_max": int(frame["practices"].max()),
        "over_board_limit": int(frame["over_board_limit"].sum()),
        "board_limit": BOARD_LIMIT,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Index)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


def _pct(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.1f}%"


def _num(value: float, digits: int = 1) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"
