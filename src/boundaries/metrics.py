"""The plan scorecard: the one source of plan metrics for reports, maps, the CLI and benchmarks.

``evaluate`` scores any plan from any source (a solver's plan, the real 2013 CCG map from
``region.ccg_assignment()``, a planner's CSV) against a region, with plain pandas and networkx so that it
shares nothing with the solvers it is used to judge.

Definitions (patient-weighted means use registered patients, July 2014):

- LA split: a (consortium, LAD) pair where the consortium holds part of the LAD's practices while also
  extending beyond it. A consortium is *coterminous* when it has no such pair: it lies inside one LAD or is a
  union of whole LADs. Separately, a LAD is *divided* when its practices sit in more than one consortium
  (allowed under strict nesting as long as each piece stays inside it).
- Main acute trust of a consortium: the trust with the largest patient-weighted share of its practices'
  admissions (``region.trust_shares``); ties go to the smaller trust code. *Coherence* is the share of
  patients whose practice's own main trust is that trust.
- Compactness: patient-weighted mean distance (km) from practices to the consortium's patient-weighted
  centroid; and *border*: the km of catchment-cell boundary a consortium shares with other consortia
  (``region.graph`` edge lengths), the region's total counting each border once.
- Connected: the consortium's practices form one component of ``region.graph``; *island-linked* when that
  needs one of the graph's explicit island links.
- On the ground: ``area_pieces`` counts the pieces of land of the consortium's area (the union of its cells),
  marked island parts aside (:func:`boundaries.areas.area_pieces`); *in pieces* when, even after joining the
  pieces that an island link of the graph joins, more than one remains. ``island_parts``, ``island_km2`` and
  ``island_lads`` name the island parts it holds (land of an authority holding no practice, given to the
  nearest practice of the authority; see :mod:`boundaries.cells`).
- Moves from a baseline: consortia of the two plans are matched one-to-one by maximum patient overlap (labels
  of two plans never mean the same thing); a practice moves when its consortium's match is not its baseline
  consortium (a consortium with no match moves all its practices).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from .areas import AssignmentError, aligned_assignment, area_pieces
from .presets import BOARD_LIMIT, PRESETS

if TYPE_CHECKING:
    from .region import Region

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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: plain str/int/float/bool/None/list/dict only (NaN becomes None)."""
        rows = []
        for label, row in self.consortia.iterrows():
            rows.append({"consortium": label, **{k: _jsonable(v) for k, v in row.items()}})
        out: dict[str, Any] = {"summary": _jsonable(self.summary), "consortia": rows}
        if self.moved is not None:
            out["moved"] = sorted(self.moved.index[self.moved].tolist())
            out["matching"] = _jsonable(self.matching)
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
                f"{s['non_coterminous']} consortia not coterminous, {s['la_split_pairs']} LA "
                f"splits, {s['lads_divided']} of {s['lads']} LADs divided",
            ),
            ("Health communities", f"{_pct(s['coherence'])} of patients share their consortium's main trust"),
            (
                "Deprivation (IMD 2019)",
                f"consortium means {_num(s['imd_min'])}–{_num(s['imd_max'])} "
                f"(spread {_num(s['imd_spread'])}, std {_num(s['imd_std'])})",
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
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def evaluate(plan_or_assignment: Any, region: Region, baseline: Any = None) -> Scorecard:
    """Score a plan (a Plan, a Series or a mapping practice code -> label) on a region.

    Raises AssignmentError naming unknown codes or unassigned practices. ``baseline`` is another plan of the
    same region (e.g. ``region.ccg_assignment()``) to count moves against.
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
    frame["imd_imputed_practices"] = practices["imd_imputed"].astype(bool).groupby(labels).sum().astype(int)
    frame["compactness_km"] = _compactness(labels, practices, patients)
    frame["border_km"] = _borders(labels, region.graph).reindex(frame.index, fill_value=0.0)
    frame = frame.join(_connectivity(labels, region.graph))
    frame = frame.join(_ground(labels, region))
    frame["over_board_limit"] = frame["practices"] > BOARD_LIMIT

    summary = _summary(frame, labels, practices, patients, region)
    card = Scorecard(consortia=frame, summary=summary, assignment=labels)
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
    return card


def match_consortia(labels: pd.Series, baseline: pd.Series, weights: pd.Series) -> dict[str, str | None]:
    """Match each consortium of ``labels`` to at most one of ``baseline``, maximising overlap of ``weights``.

    A one-to-one assignment (Hungarian algorithm), so two proposed consortia never both claim the same
    baseline consortium. Consortia left without a partner, or matched with zero overlap, map to None.
    """
    table = weights.groupby([labels.values, baseline.reindex(labels.index).values]).sum().unstack(fill_value=0.0)
    table = table.sort_index().sort_index(axis=1)
    rows, cols = linear_sum_assignment(table.to_numpy(dtype=float), maximize=True)
    matching: dict[str, str | None] = {str(label): None for label in table.index}
    for i, j in zip(rows, cols, strict=True):
        if table.iat[i, j] > 0:
            matching[str(table.index[i])] = str(table.columns[j])
    return matching


def moved_practices(
    labels: pd.Series, baseline: pd.Series, weights: pd.Series, matching: dict[str, str | None] | None = None
) -> pd.Series:
    """Bool per practice: True when its consortium's matched baseline consortium is not its baseline one."""
    matching = matching if matching is not None else match_consortia(labels, baseline, weights)
    matched = labels.map(matching)
    return (matched.isna() | (matched != baseline.reindex(labels.index))).rename("moved")


def _lad_metrics(labels: pd.Series, practices: pd.DataFrame, region: Region) -> pd.DataFrame:
    lad = practices["lad"].astype(str)
    counts = pd.crosstab(labels, lad)  # practices per (consortium, LAD)
    lad_total = counts.sum(axis=0)
    size = counts.sum(axis=1)
    names = region.lads["lad_name"] if "lad_name" in region.lads else pd.Series(dtype=str)
    names = names.combine_first(practices.groupby(lad)["lad_name"].first()) if "lad_name" in practices else names
    out = {}
    for label, row in counts.iterrows():
        present = row[row > 0]
        split = [k for k, n in present.items() if n < lad_total[k] and size[label] > n]
        whole = [k for k, n in present.items() if n == lad_total[k]]
        out[label] = {
            "lads": tuple(sorted(present.index)),
            "lad_names": tuple(str(names.get(k, k)) for k in sorted(present.index)),
            "n_lads": len(present),
            "whole_lads": len(whole),
            "split_lads": tuple(sorted(split)),
            "la_splits": len(split),
            "coterminous": not split,
        }
    return pd.DataFrame.from_dict(out, orient="index")


def _trust_metrics(labels: pd.Series, practices: pd.DataFrame, region: Region) -> pd.DataFrame:
    shares = region.trust_shares
    shares = shares[shares["practice"].astype(str).isin(labels.index)]
    patients = practices["patients"].astype(float)
    weight = shares["share"].astype(float).to_numpy() * patients.reindex(shares["practice"].astype(str)).to_numpy()
    flows = (
        pd.DataFrame(
            {
                "consortium": labels.reindex(shares["practice"].astype(str)).to_numpy(),
                "trust": shares["trust"].astype(str).to_numpy(),
                "weight": weight,
            }
        )
        .groupby(["consortium", "trust"], as_index=False)["weight"]
        .sum()
    )
    flows = flows.sort_values(["consortium", "weight", "trust"], ascending=[True, False, True])
    totals = flows.groupby("consortium")["weight"].sum()
    main = flows.drop_duplicates("consortium").set_index("consortium")
    names = region.trusts["name"] if "name" in region.trusts else pd.Series(dtype=str)

    out = pd.DataFrame(index=pd.Index(sorted(labels.unique()), name="consortium"))
    out["main_trust"] = main["trust"].reindex(out.index)
    out["main_trust_name"] = [(str(names.get(t, t)) if isinstance(t, str) else None) for t in out["main_trust"]]
    out["main_trust_flow_share"] = (main["weight"] / totals).reindex(out.index)
    own = practices["main_trust"].astype(object).where(practices["main_trust"].notna(), None)
    agrees = own.to_numpy() == labels.map(out["main_trust"]).to_numpy()
    coherent = patients.where(agrees, 0.0).groupby(labels).sum()
    total = patients.groupby(labels).sum()
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
    full: dict[str, nx.Graph] = {}
    mainland: dict[str, nx.Graph] = {}
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
    frame: pd.DataFrame, labels: pd.Series, practices: pd.DataFrame, patients: pd.Series, region: Region
) -> dict[str, Any]:
    pop = frame["patients"]
    imd = frame["imd_mean"]
    w_imd = patients.where(practices["imd"].notna(), 0.0).groupby(labels).sum().reindex(frame.index)
    if w_imd.sum() > 0 and imd.notna().all():
        centre = float(np.average(imd, weights=w_imd))
        imd_std = float(math.sqrt(np.average((imd - centre) ** 2, weights=w_imd)))
    else:
        imd_std = float("nan")
    lad_consortia = labels.groupby(practices["lad"].astype(str)).nunique()
    coherent = float((frame["coherence"].fillna(0.0) * pop).sum() / pop.sum()) if pop.sum() else float("nan")
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
        "la_split_pairs": int(frame["la_splits"].sum()),
        "lads_divided": int((lad_consortia > 1).sum()),
        "lads": int(len(lad_consortia)),
        "coherence": coherent,
        "imd_min": float(imd.min()),
        "imd_max": float(imd.max()),
        "imd_spread": float(imd.max() - imd.min()),
        "imd_std": imd_std,
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


def _num(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.1f}"
