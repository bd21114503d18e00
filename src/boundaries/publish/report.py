"""A region's report page: the plan's headline figures and three charts of its consortia (issue 15, item 10).

The map answers "where"; a planner reviewing a plan also asks "how even": are the consortia within the size
bounds, does each one mostly use one acute trust, and is any much more or less deprived than the region? The
report answers those at a glance with three charts of the scorecard's numbers (``metrics.evaluate``, as
``metrics.json`` holds them; definitions in docs/measures.md):

- consortium sizes (registered patients) against the population bounds of the run's preset or settings;
- hospital coherence per consortium, against the plan's coherence;
- mean IMD 2019 per consortium against the region's reference (its patient-weighted mean).

The charts are drawn with matplotlib and embedded as inline SVG, so the page is one offline file with no
script at all. The same input gives the same bytes: matplotlib's SVG ids come from ``svg.hashsalt`` (fixed
here) and its metadata (date, creator) is left out. Text is set as SVG text (``svg.fonttype = "none"``), which
matplotlib escapes as XML, so names stay selectable and searchable and never read as markup; a ``$`` is
escaped so that matplotlib never reads a name as mathematics. The page is the template ``report.html.j2``
(:mod:`boundaries.publish.pages`), which escapes everything else from the input.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeGuard

from boundaries.atomic import write_text
from boundaries.check.quality import (
    ATTRIBUTION,
    DATA_VINTAGE,
    OGL_URL,
    is_proven,
    quality_label,
    settings_text,
    solver_text,
)
from boundaries.presets import PRESETS
from boundaries.publish.pages import Markup, escape, render

#: The charts' ids in the page (and in tests): one ``<figure id=...>`` each, in this order.
CHARTS = ("chart-sizes", "chart-coherence", "chart-imd")
#: A fixed salt for matplotlib's SVG ids: without it they are random, and two renders differ.
SVG_SALT = "boundaries-report"
#: Colours: within bounds / outside, coherence bars, IMD above (more deprived) / below the reference.
INSIDE, OUTSIDE, NEUTRAL, ABOVE, BELOW = "#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#76b7b2"


def report_data(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The report's input as JSON would have it: a region's summary (``runner.write_outputs``: region, status,
    bound, gap, settings and the ``scorecard``) or its ``metrics.json`` read back give the same page, because
    both go through one JSON round trip (tuples become lists, NaN becomes None)."""
    keys = ("region", "status", "source", "objective_patient_km", "bound_patient_km", "gap", "settings", "scorecard")
    text = json.dumps({k: summary.get(k) for k in keys}, default=str, allow_nan=True)
    return json.loads(text, parse_constant=lambda _: None)


def population_bounds(settings: Mapping[str, Any] | None) -> tuple[float | None, float | None]:
    """The run's population bounds: its own ``min_population`` / ``max_population``, else its preset's."""
    settings = settings or {}
    preset = PRESETS.get(str(settings.get("preset"))) if settings.get("preset") else None
    lo = settings.get("min_population") or (preset.lo if preset else None)
    hi = settings.get("max_population") or (preset.hi if preset else None)
    return lo, hi


def render_report(summary: Mapping[str, Any], *, map_href: str | None = "map.html") -> str:
    """The report page (HTML text) of one region's plan; see the module's docstring. ``map_href`` links the
    region's map (relative to the report), ``None`` for none."""
    data = report_data(summary)
    card = data.get("scorecard") or {}
    rows = card.get("consortia") or []
    if not rows:
        raise ValueError("a report needs the plan's scorecard (metrics.json's 'scorecard'), with its consortia")
    totals = card.get("summary") or {}
    region = str(data.get("region") or totals.get("region") or "Region")
    status, gap, bound = data.get("status"), data.get("gap"), data.get("bound_patient_km")
    quality = quality_label(status, gap, bound)
    lo, hi = population_bounds(data.get("settings"))
    rows = sorted(rows, key=lambda r: str(r["consortium"]))  # one order in every chart: by name
    charts = [
        (
            CHARTS[0],
            "Consortium sizes against the population bounds",
            _size_note(rows, lo, hi),
            _sizes_svg(rows, lo, hi),
        ),
        (
            CHARTS[1],
            "Hospital coherence per consortium",
            "The share of each consortium's patients whose practice mainly uses the consortium's main acute "
            f"trust; the line is the whole plan's ({_pct(totals.get('coherence'))}).",
            _coherence_svg(rows, totals.get("coherence")),
        ),
        (
            CHARTS[2],
            "Mean deprivation (IMD 2019) per consortium against the region",
            "Each consortium's patient-weighted mean IMD 2019 score (higher is more deprived), drawn from the "
            f"region's reference, its patient-weighted mean ({_num(totals.get('imd_reference'))}).",
            _imd_svg(rows, totals.get("imd_reference")),
        ),
    ]
    proven = is_proven(status, gap, bound)
    headlines = [
        ("Plan quality", quality, "quality" if proven else "quality not-proven"),
        ("Solver", solver_text(status, data.get("source"), data.get("objective_patient_km"), bound, gap), ""),
        ("Settings", settings_text(data.get("settings") or {}), ""),
        (
            "Consortia",
            f"{len(rows)} ({_int(totals.get('patients'))} patients, {_int(totals.get('practices'))} practices)",
            "",
        ),
        (
            "Sizes",
            f"{_int(totals.get('population_min'))} to {_int(totals.get('population_max'))} patients "
            f"(bounds {_bounds_text(lo, hi)}); {_outside(rows, lo, hi)} outside",
            "",
        ),
        ("Hospital coherence", _pct(totals.get("coherence")), ""),
        (
            "IMD spread",
            f"{_num(totals.get('imd_spread'))} (standard deviation of the consortia's mean IMD; "
            f"region {_num(totals.get('imd_reference'))})",
            "",
        ),
        ("Data", DATA_VINTAGE, ""),
    ]
    table = [
        (
            str(r["consortium"]),
            _int(r.get("patients")),
            _int(r.get("practices")),
            _pct(r.get("coherence")),
            _num(r.get("imd_mean")),
            _signed(r.get("imd_gap")),
        )
        for r in rows
    ]
    page = render(
        "report.html.j2",
        region=region,
        map_href=map_href,
        headlines=headlines,
        charts=[(cid, title, note, Markup(svg)) for cid, title, note, svg in charts],
        rows=table,
        css=Markup(_CSS),
        attribution=ATTRIBUTION,
        ogl_url=OGL_URL,
    )
    return page + "\n"


def write_report(
    summary: Mapping[str, Any], path: str | os.PathLike[str], *, map_href: str | None = "map.html"
) -> Path:
    """Write the report page atomically (``atomic.write_text``: readers never see half a page)."""
    return write_text(Path(path), render_report(summary, map_href=map_href))


# ---------------------------------------------------------------------------------------------- charts


def _figure(count: int):
    """A figure tall enough for ``count`` bars (one per consortium) and their names."""
    from matplotlib.figure import Figure

    height = 1.1 + 0.2 * max(count, 3)
    figure = Figure(figsize=(8.0, height), layout="constrained")
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    axes.grid(axis="x", color="#ddd", linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def _names(axes, rows: list[dict[str, Any]]) -> list[int]:
    """One row per consortium, named, first at the top."""
    ys = list(range(len(rows)))
    axes.set_yticks(ys, [_plain(str(r["consortium"])) for r in rows])
    axes.set_ylim(len(rows) - 0.4, -0.6)
    return ys


def _sizes_svg(rows: list[dict[str, Any]], lo: float | None, hi: float | None) -> str:
    figure, axes = _figure(len(rows))
    ys = _names(axes, rows)
    sizes = [float(r.get("patients") or 0) for r in rows]
    colours = [OUTSIDE if _outside_bounds(size, lo, hi) else INSIDE for size in sizes]
    axes.barh(ys, sizes, color=colours, height=0.7)
    if lo is not None and hi is not None:
        axes.axvspan(lo, hi, color="#e8f0e0", zorder=0, label=f"bounds {_bounds_text(lo, hi)}")
    for edge in (lo, hi):
        if edge is not None:
            axes.axvline(edge, color="#555", linestyle="--", linewidth=1)
    axes.set_xlim(0, max([*sizes, hi or 0]) * 1.05 or 1)
    axes.xaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    axes.set_xlabel("registered patients (July 2014)", fontsize=8)
    return _svg(figure, "Consortium sizes in registered patients, with the population bounds")


def _coherence_svg(rows: list[dict[str, Any]], overall: float | None) -> str:
    figure, axes = _figure(len(rows))
    ys = _names(axes, rows)
    axes.barh(ys, [100 * float(r.get("coherence") or 0) for r in rows], color=NEUTRAL, height=0.7)
    if _number(overall):
        axes.axvline(100 * overall, color="#333", linestyle="--", linewidth=1)
    axes.set_xlim(0, 100)
    axes.set_xlabel("patients whose practice mainly uses the consortium's main acute trust (%)", fontsize=8)
    return _svg(figure, "Hospital coherence per consortium, with the plan's coherence")


def _imd_svg(rows: list[dict[str, Any]], reference: float | None) -> str:
    figure, axes = _figure(len(rows))
    ys = _names(axes, rows)
    ref = float(reference) if _number(reference) else 0.0
    means = [float(r["imd_mean"]) if _number(r.get("imd_mean")) else ref for r in rows]
    axes.barh(
        ys,
        [mean - ref for mean in means],
        left=ref,
        color=[ABOVE if mean > ref else BELOW for mean in means],
        height=0.7,
    )
    axes.axvline(ref, color="#333", linewidth=1)
    low, high = min([*means, ref]), max([*means, ref])
    pad = max(1.0, 0.08 * (high - low))
    axes.set_xlim(low - pad, high + pad)
    axes.set_xlabel("mean IMD 2019 score: right of the line more deprived than the region, left less", fontsize=8)
    return _svg(figure, "Mean IMD 2019 per consortium, drawn from the region's reference")


def _svg(figure, label: str) -> str:
    """The figure as inline SVG, the same bytes every time: fixed id salt, no date or creator, text as text."""
    import matplotlib

    out = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": SVG_SALT, "svg.fonttype": "none", "text.usetex": False}):
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None, "Title": label})
    text = out.getvalue()
    start = text.index("<svg")  # no XML declaration or DOCTYPE inside HTML
    svg = text[start:].strip()
    return svg.replace("<svg ", f"<svg role='img' aria-label='{escape(label)}' class='chart' ", 1)


# -------------------------------------------------------------------------------------------- wording


def _plain(text: str) -> str:
    """A name as matplotlib should draw it: literally (a ``$`` would start mathematics)."""
    return text.replace("$", r"\$")


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _outside_bounds(size: float, lo: float | None, hi: float | None) -> bool:
    return (lo is not None and size < lo) or (hi is not None and size > hi)


def _outside(rows: list[dict[str, Any]], lo: float | None, hi: float | None) -> str:
    count = sum(_outside_bounds(float(r.get("patients") or 0), lo, hi) for r in rows)
    return f"{count} consortium" if count == 1 else f"{count} consortia"


def _size_note(rows: list[dict[str, Any]], lo: float | None, hi: float | None) -> str:
    if lo is None and hi is None:
        return "Registered patients per consortium; the run set no population bounds."
    return (
        f"Registered patients per consortium; the shaded band is the run's bounds ({_bounds_text(lo, hi)}). "
        f"Red bars are outside them: {_outside(rows, lo, hi)}."
    )


def _bounds_text(lo: float | None, hi: float | None) -> str:
    if lo is None and hi is None:
        return "none"
    return f"{_int(lo) if lo is not None else 'any'} to {_int(hi) if hi is not None else 'any'} patients"


def _int(value: Any) -> str:
    return f"{value:,.0f}" if _number(value) else "n/a"


def _pct(value: Any) -> str:
    return f"{100 * value:.0f}%" if _number(value) else "n/a"


def _num(value: Any) -> str:
    return f"{value:.1f}" if _number(value) else "n/a"


def _signed(value: Any) -> str:
    return f"{value:+.1f}" if _number(value) else "n/a"


_CSS = re.sub(
    r"\s+",
    " ",
    """
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; margin: 1.5em auto; max-width: 60em;
  padding: 0 1em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin: 0; }
nav { margin-bottom: 1em; }
table { border-collapse: collapse; } th, td { padding: 3px 10px; text-align: left; vertical-align: top; }
table.headlines th { white-space: nowrap; }
table.numbers td:nth-child(n+2) { text-align: right; }
.not-proven td { color: #b71c1c; font-weight: bold; }
figure { margin: 2em 0; } figcaption p { margin: .3em 0 .6em; font-size: .9em; color: #444; }
svg.chart { max-width: 100%; height: auto; display: block; }
footer { margin-top: 2em; padding-top: .6em; border-top: 1px solid #bbb; font-size: .85em; color: #333; }
@media print { figure { break-inside: avoid; } }
""",
).strip()
