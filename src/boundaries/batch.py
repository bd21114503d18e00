"""Every region at once on Dask distributed: a local cluster by default, any cluster given its scheduler.

Each region is one task (``runner.run_region``) that writes its own folder and returns a summary, so a region
that fails is reported and never costs another its results, and a rerun skips regions already done.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .atomic import slug, write_text
from .config import ConfigFile
from .quality import ATTRIBUTION, DATA_VINTAGE, OGL_URL, is_proven, quality_label
from .runner import is_done, run_region

SHA_NAMES = (
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East Coast",
    "South Central",
    "South West",
)


def run_batch(
    regions: Iterable[str],
    config: ConfigFile,
    out_dir: str | Path,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    force: bool = False,
    data_dir: str | None = None,
    overrides: dict[str, Any] | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Solve every region not yet done; returns one summary per region (skipped ones say so)."""
    from dask.distributed import Client, LocalCluster, as_completed

    regions = list(regions)  # read twice: once to run, once to order the results
    out_dir = Path(out_dir)
    results: list[dict[str, Any]] = []
    todo = []
    for name in regions:
        if not force and is_done(name, out_dir):
            done = _done_summary(out_dir / slug(name))
            result = {**done, "region": name, "skipped": True}
            results.append(result)
            if on_result:
                on_result(result)
        else:
            todo.append(name)
    if todo:
        cluster = None
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
        try:
            futures = {
                client.submit(
                    run_region,
                    name,
                    config.for_region(name, **(overrides or {})),
                    str(out_dir),
                    data_dir,
                    key=f"region-{slug(name)}",
                    pure=False,
                ): name
                for name in todo
            }
            for future in as_completed(futures):
                name = futures[future]
                try:
                    result = future.result()
                except Exception as err:  # a worker died: the region is reported, the rest go on
                    result = {"region": name, "status": "error", "error": f"{type(err).__name__}: {err}"}
                results.append(result)
                if on_result:
                    on_result(result)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    order = {name: k for k, name in enumerate(regions)}
    results.sort(key=lambda r: order.get(r["region"], len(order)))
    write_index(results, out_dir)
    return results


def _done_summary(folder: Path) -> dict[str, Any]:
    """A done region's marker; a marker from before it carried the plan's bound and gap takes them from
    ``metrics.json``."""
    done = json.loads((folder / "done.json").read_text())
    if "gap" not in done:
        try:
            metrics = json.loads((folder / "metrics.json").read_text())
        except (OSError, ValueError):
            metrics = {}
        done.update({k: metrics.get(k) for k in ("bound_patient_km", "gap")})
    return done


def _quality(result: dict[str, Any]) -> str:
    return quality_label(result.get("status"), result.get("gap"), result.get("bound_patient_km"))


def write_index(results: list[dict[str, Any]], out_dir: Path) -> None:
    """``batch.json`` and an ``index.html`` linking every region's map (names escaped), each with how good its
    plan is (``quality.quality_label``) and the licence attribution."""
    slim = [
        {
            **{k: v for k, v in r.items() if k not in ("scorecard", "ccg2013_scorecard", "traceback")},
            "quality": _quality(r),
        }
        for r in results
    ]
    write_text(out_dir / "batch.json", json.dumps(slim, indent=2, default=str) + "\n")
    rows = []
    for r in results:
        name = html.escape(str(r["region"]))
        folder = slug(str(r["region"]))
        link = f'<a href="{folder}/map.html">{name}</a>' if r.get("status") in ("optimal", "feasible") else name
        detail = html.escape(str(r.get("error") or r.get("explanation") or ""))
        gap = r.get("gap")
        gap_text = f"{gap:.2%}" if isinstance(gap, int | float) else "—"
        css = "proven" if is_proven(r.get("status"), gap, r.get("bound_patient_km")) else "not-proven"
        rows.append(
            f"<tr><td>{link}</td><td>{html.escape(str(r.get('status')))}</td>"
            f"<td class='{css}'>{html.escape(_quality(r))}</td><td>{gap_text}</td>"
            f"<td>{html.escape(str(r.get('consortia', '')))}</td><td>{detail}</td></tr>"
        )
    page = (
        "<!doctype html><meta charset='utf-8'><title>Consortium maps</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 10px;text-align:left}"
        ".proven{color:#1b5e20}.not-proven{color:#b71c1c;font-weight:bold}"
        "footer{position:sticky;bottom:0;background:#fff;margin-top:2em;padding:.6em 0;border-top:1px solid #bbb;"
        "font-size:.85em;color:#333}</style>"
        "<h1>Proposed GP consortia by SHA region</h1><table><tr><th>Region</th><th>Status</th>"
        "<th>Plan quality</th><th>Gap</th><th>Consortia</th><th>Notes</th></tr>" + "".join(rows) + "</table>"
        f"<p>Data: {html.escape(DATA_VINTAGE)}.</p>"
        f"<footer class='attribution'>{html.escape(ATTRIBUTION)} "
        f"<a href='{html.escape(OGL_URL)}'>Open Government Licence v3.0</a></footer>"
    )
    write_text(out_dir / "index.html", page)
