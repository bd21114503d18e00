"""One region end to end: load, build the problem, solve, check, score, and write every output.

This is the unit of work the CLI runs for ``solve`` and hands to Dask workers for ``batch``: it takes and returns
plain data (names, settings, a summary dict) so it travels between processes and machines.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import time
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boundaries.app.config import RunConfig, check_for_region
from boundaries.atomic import atomic_path, slug, write_text
from boundaries.check.quality import ATTRIBUTION, DATA_VINTAGE, DOWNLOADS, gap_text, quality_label, settings_text
from boundaries.engine.plan import Plan
from boundaries.errors import InputError
from boundaries.status import Status, solved

if TYPE_CHECKING:
    from boundaries.data.region import Region

DONE = "done.json"
OUTPUTS = (
    "plan.csv",
    "consortia.gpkg",
    "consortia.geojson",
    "summary.txt",
    "report.html",
    "map.html",
    "metrics.json",
)


def resolve_baseline(spec: str | None, region):
    """'ccg2013' is the real April 2013 CCG map; anything else is a plan CSV."""
    if spec is None:
        return None
    if spec.lower() in ("ccg2013", "ccg", "2013"):
        return region.ccg_assignment(names=True)
    from boundaries.publish.planfile import read_plan_csv

    if not Path(spec).exists():  # "ccg2014", "ccg13": say what is accepted, not only that no file has the name
        raise InputError("no such file: give a plan CSV (code, consortium) or 'ccg2013' (the 2013 CCGs)", file=spec)
    return read_plan_csv(spec, region)


def region_problem(region, config: RunConfig):
    """The problem a run of ``config`` solves for ``region`` (settings checked against the region first)."""
    from boundaries.engine.problem import Problem

    check_for_region(config, region)
    settings = config.problem_settings()
    baseline = resolve_baseline(config.baseline, region)
    beat = resolve_baseline(config.beat, region)  # the same plan reader: "ccg2013" or a plan CSV
    return Problem.from_region(region, baseline=baseline, beat=beat, beat_measures=config.beat_measures, **settings)


def solve_region(region, config: RunConfig, started: float | None = None) -> Plan:
    """Solve ``region``. With ``started`` (a ``clock()`` reading), ``config.time_limit`` is the whole run's from
    then: the solver gets what is left once the region is loaded and its problem built, less the reserve for
    writing the outputs (:func:`solver_seconds`); without it, the solver's alone."""
    from boundaries.engine.solver import solve

    problem = region_problem(region, config)
    time_limit = config.time_limit
    if started is not None:
        time_limit = solver_seconds(config, region, problem, spent=clock() - started)
    return solve(problem, backend=config.backend, time_limit=time_limit, seed=config.seed, gap=config.gap)


# A run's time limit is its whole budget (``run_region``): the solver gets what loading the region left, less
# this reserve for writing the outputs (``write_outputs``: plan.csv, consortia.gpkg and .geojson, summary.txt,
# report.html, map.html, metrics.json): a fixed part, which is also its floor (matplotlib and folium imported, the
# plan and the 2013 CCGs scored), and a part per practice. Measured on de95af5, one fresh process per region as
# `boundaries solve` runs it (a 5 s solve, then write_outputs), 2 cores, a benchmark on the other core (load
# average 1.1-2.9, wall = CPU time), two runs, seconds (practices; consortia written):
#   Hartlepool 2.5, 2.8 (15; 1)        North East 4.2, 5.3 (392; 23)     South Central 6.0, 6.6 (480; 43)
#   Yorkshire 6.7 (766; 49)            West Midlands 7.6, 7.2 (926; 52)  North West 8.1, 8.1 (1,208; 66)
#   London 9.1, 8.1 (1,425; 76)
# Least squares: 3.3 s + 0.0040 s a practice, residuals up to 1.3 s (South Central: many consortia for its
# practices). 3 s + 0.005 s a practice covers 10 of the 13, misses South Central by up to 1.2 s and North East
# by 0.4 s, and gives the largest regions 1-2 s to spare; the fixed part has 0.5 s more for what the command's
# clock cannot see: the interpreter's start before it and the process's exit after (0.3 s each, measured). On a
# machine loaded 3-7 on 2 cores writing took 2-3 times longer (West Midlands 13.5-22 s): no reserve keeps a limit
# there, and none is assumed.
WRITE_SECONDS_FIXED = 3.5
WRITE_SECONDS_PER_PRACTICE = 0.005
# Less than this left for the solver is refused before solving: the budget would go on loading and writing, not
# on a plan. 1 s finds a first plan for every SHA region (West Midlands: gap 94% at 1 s, 64% at 2 s); a tenth
# of the limit keeps a long limit from being nearly all loading and writing.
MIN_SOLVE_SECONDS = 1.0
MIN_SOLVE_SHARE = 0.1
clock = time.perf_counter  # what time limits are kept by (the CLI reads its start on cli.clock, the same one)


def write_reserve(practices: int) -> float:
    """Seconds kept back from the solver to write a region's outputs (``WRITE_SECONDS_*``)."""
    return WRITE_SECONDS_FIXED + WRITE_SECONDS_PER_PRACTICE * max(practices, 0)


def solver_seconds(config: RunConfig, region, problem, spent: float) -> float:
    """The solver's share of ``config.time_limit`` when ``spent`` seconds have gone on loading the region and
    building its problem: the rest, less ``write_reserve``. Refused (``InputError`` naming ``--time-limit`` and
    the least this region needs) when that leaves under ``MIN_SOLVE_SECONDS`` or ``MIN_SOLVE_SHARE`` of the
    limit, unless the problem is infeasible on its face (``explain.precheck``): the solver says so at once and
    only metrics.json is written, so the limit is kept whatever is left."""
    from boundaries.app.config import COMMAND_LINE

    limit = config.time_limit
    reserve = write_reserve(len(region.practices))
    left = limit - spent - reserve
    need = max(MIN_SOLVE_SECONDS, MIN_SOLVE_SHARE * limit)
    if left >= need:
        return left
    from boundaries.engine.explain import precheck

    if precheck(problem):
        return max(left, MIN_SOLVE_SECONDS)
    overhead = spent + reserve
    least = math.ceil(max(overhead + MIN_SOLVE_SECONDS, overhead / (1 - MIN_SOLVE_SHARE)))
    file, table = config.origins.get("time_limit", (COMMAND_LINE, ""))
    given = f"--time-limit {limit:g}" if file == COMMAND_LINE else f"time_limit = {limit:g}"
    raise InputError(
        f"{given} is too short for {region.name}: loading took {spent:.1f} s and writing its "
        f"{len(region.practices):,} practices' outputs needs about {reserve:.1f} s, which leaves the solver "
        f"{max(left, 0.0):.1f} s (it needs at least {need:.1f} s); {region.name} needs --time-limit {least} or more",
        file=None if file == COMMAND_LINE else file,
        field=f"[{table}] time_limit" if file != COMMAND_LINE and table else None,
    )


def export_model(region, config: RunConfig, path: str | Path) -> Path:
    """Write the whole-region p-median model of ``config`` as an MPS or LP file (``backends.highs.write_model``), so any
    solver can be tried on our instances. It is the base model: contiguity cuts are added during a solve, so
    another solver's optimum of this file may have consortia in pieces."""
    from boundaries.engine.backends.highs import write_model
    from boundaries.engine.model import build_model

    path = Path(path)
    if path.suffix.lower() not in (".mps", ".lp"):
        raise InputError(f"--export-model {path}: the file name must end in .mps or .lp")
    model = build_model(region_problem(region, config))
    with atomic_path(path) as tmp:  # no half-written file if it fails
        write_model(model.lp, tmp)
    return path


def beat_text(beat: dict[str, dict[str, float]]) -> str:
    """ "coherence 0.939 (reference 0.917), ..." for the measures a plan was asked to beat."""
    return ", ".join(f"{m.replace('_', ' ')} {v['plan']:.4g} (reference {v['reference']:.4g})" for m, v in beat.items())


def write_outputs(plan: Plan, region, config: RunConfig, folder: Path, started: float) -> dict[str, Any]:
    """Every output of a solved region; the ``done.json`` marker is written last."""
    import geopandas as gpd

    from boundaries.check.metrics import evaluate
    from boundaries.check.validation import measures
    from boundaries.data.areas import to_wgs84
    from boundaries.publish.map_assets import MissingAssetsError
    from boundaries.publish.planfile import write_plan_csv
    from boundaries.publish.report import write_report

    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder, (*OUTPUTS, DONE))
    (folder / DONE).unlink(missing_ok=True)  # a rerun that fails part-way must not look done from an old run
    for stale in OUTPUTS:  # nor leave an old plan's files beside a new run's metrics
        (folder / stale).unlink(missing_ok=True)
    summary: dict[str, Any] = {
        "region": region.name,
        "status": plan.status,
        "source": plan.source,
        "objective_patient_km": plan.objective,
        "bound_patient_km": plan.bound,
        "gap": plan.gap,
        "quality": quality_label(plan.status, plan.gap, plan.bound),
        "solve_seconds": round(plan.seconds, 2),
        "settings": config.to_dict(),
        "nesting_exceptions": [asdict(g) for g in config.lad_groups],
        "data_vintage": DATA_VINTAGE,
        "explanation": plan.explanation,
    }
    files: dict[str, str] = {}  # names in the region's folder: it may be moved, published or copied whole
    if plan.has_plan:
        validation = plan.validation
        summary["validation"] = {
            "ok": bool(validation),
            "violations": getattr(validation, "violations", []),
            "island_linked": getattr(validation, "island_linked", []),
            # per consortium, checked on the ground: pieces of land (island parts aside) and its island parts
            "pieces": getattr(validation, "pieces", {}),
            "island_parts": getattr(validation, "island_parts", {}),
        }
        ccg13 = region.ccg_assignment(names=True)
        card = evaluate(plan, region, baseline=ccg13)
        ccg = evaluate(ccg13, region)
        summary["consortia"] = card.summary["consortia"]
        if plan.problem is not None and plan.problem.beat:  # the validator's numbers, as it checked them
            own = measures(plan, plan.problem).plan
            summary["beat"] = {m: {"reference": v, "plan": own.get(m)} for m, v in plan.problem.beat.items()}
        summary["scorecard"] = card.to_dict()
        summary["ccg2013_scorecard"] = ccg.to_dict()["summary"]
        files["plan"] = write_plan_csv(plan.assignment, region, folder / "plan.csv").name
        areas = plan.to_geodataframe(region)
        table = card.consortia.drop(columns=[c for c in card.consortia.columns if c in areas.columns])
        areas = gpd.GeoDataFrame(areas.join(table), geometry="geometry", crs=areas.crs).reset_index()
        areas = areas.rename(columns={areas.columns[0]: "consortium"})
        areas = _flat(areas)
        with atomic_path(folder / "consortia.gpkg") as tmp:
            areas.to_file(tmp, layer="consortia", driver="GPKG")
        files["areas_gpkg"] = "consortia.gpkg"
        with atomic_path(folder / "consortia.geojson") as tmp:
            to_wgs84(areas).to_file(tmp, layer="consortia", driver="GeoJSON", COORDINATE_PRECISION=7)
        files["areas_geojson"] = "consortia.geojson"
        head, full = card.text(), card.text(table=True)
        table_text = full[len(head) :].strip("\n") if full.startswith(head) else full
        text = [head, "", "Plan", "----", f"quality: {summary['quality']}"]
        text.append(f"status: {plan.status} ({plan.source}, {plan.seconds:.1f} s)")
        if plan.gap is not None and plan.bound is not None:
            text.append(
                f"objective {plan.objective:,.0f} patient-km, bound {plan.bound:,.0f}, gap {gap_text(plan.gap)}"
            )
        else:
            text.append("bound: none")
        text += [f"settings: {settings_text(config)}", f"data: {DATA_VINTAGE}", str(validation)]
        if "beat" in summary:
            text.append(f"no worse than {config.beat} on every measure: {beat_text(summary['beat'])}")
        text += [f"nesting exception: {g.lad} joins {g.joins}: {g.reason}" for g in config.lad_groups]
        text += ["", table_text, "", ATTRIBUTION]
        files["summary"] = write_text(folder / "summary.txt", "\n".join(text) + "\n").name
        files["report"] = write_report(summary, folder / "report.html", map_href="map.html").name
        try:
            _render(plan, region, folder, config, ccg13, card)
            files["map"] = "map.html"
        except MissingAssetsError as err:  # the plan and its figures are kept: only the map waits for its assets
            summary["map_error"] = str(err)
    summary["files"] = files
    summary["seconds"] = round(clock() - started, 2)
    write_text(folder / "metrics.json", json.dumps(summary, indent=2, default=str) + "\n")
    files["metrics"] = "metrics.json"
    if "map_error" in summary:  # not done: a rerun, once the assets are installed, draws the map
        raise MissingAssetsError(f"{summary['map_error']} (the plan, metrics.json and the report were written)")
    done = {
        k: summary.get(k) for k in ("region", "status", "consortia", "bound_patient_km", "gap", "quality", "seconds")
    }
    write_text(folder / DONE, json.dumps(done) + "\n")
    return summary


def _render(plan: Plan, region: Region, folder: Path, config: RunConfig, ccg13, card) -> None:
    from boundaries.publish.maps import render_map

    render_map(
        plan,
        region,
        folder / "map.html",
        compare=ccg13,
        title=f"{region.name}: proposed consortia ({config.preset})",
        compare_name="2013 CCGs",
        card=card,
        settings=config,
        # the map links the files beside it: those written above, and metrics.json, written next
        downloads=[name for name in DOWNLOADS if name == "metrics.json" or (folder / name).is_file()],
        report="report.html",  # charts of the same scorecard, written above
        comment_email=config.comment_email,
    )


def _flat(frame):
    """GeoPackage columns hold scalars: lists and sets (e.g. the authorities a consortium covers) become text."""
    out = frame.copy()
    for column in out.columns:
        if column != "geometry" and out[column].dtype == object:
            out[column] = out[column].map(
                lambda v: "; ".join(map(str, sorted(v))) if isinstance(v, list | tuple | set | frozenset) else v
            )
    return out


def run_region(
    name: str, config: RunConfig, out_dir: str | Path, data_dir: str | None = None, started: float | None = None
) -> dict[str, Any]:
    """Solve one region and write its outputs under ``out_dir/<region-slug>/``, within ``config.time_limit``
    from ``started`` (a ``clock()`` reading: the command's start; default now): loading and writing come out
    of it (:func:`solver_seconds`). Never raises: a failure comes back as ``{"status": "error", "error": ...}``
    so a batch keeps the other regions' results; a time limit too short for the region is bad input."""
    from boundaries.data.region import load_region

    started = clock() if started is None else started
    folder = region_folder(out_dir, name)
    try:
        region = load_region(name, data_dir=data_dir)
        plan = solve_region(region, config, started)
        return write_outputs(plan, region, config, folder, started)
    except Exception as err:  # reported per region; the batch goes on
        return {
            "region": name,
            "status": Status.ERROR,
            "error": f"{type(err).__name__}: {err}",
            "input_error": isinstance(err, InputError),  # bad input (exit 2), not a failed solve (exit 1)
            "traceback": traceback.format_exc(),
            "seconds": round(clock() - started, 2),
        }


def region_folder(out_dir: str | Path, name: str) -> Path:
    """Where a region's outputs go: ``out_dir/<slug of its SHA name>`` ("Q38" and "south central" both write
    where the index links, ``south-central/``), or the slug of any other spec."""
    from boundaries.data.region import sha_name

    return Path(out_dir) / slug(sha_name(name) or name)


def run_region_task(name: str, config: RunConfig, data_dir: str | None = None) -> dict[str, Any]:
    """``run_region`` as a batch task: into a private temporary folder on whichever machine runs it, whose
    files come back with the summary (``outputs``: name -> bytes) for the client to write
    (:func:`save_region_outputs`).

    A worker of a real cluster does not share the client's disk: had it written to ``out_dir`` itself, the
    files would land on that machine while the client's index linked to nothing, and "already done" (checked
    on the client) would never be true.
    """
    with tempfile.TemporaryDirectory(prefix="boundaries-region-") as tmp:
        result = run_region(name, config, tmp, data_dir)
        folder = region_folder(tmp, name)
        if folder.is_dir():  # even a failed run may have written some files; the client keeps what it has
            result["outputs"] = {
                path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.name in (*OUTPUTS, DONE)
            }
    return result


def save_region_outputs(name: str, result: dict[str, Any], out_dir: str | Path) -> dict[str, Any]:
    """Write the files a batch task returned under ``out_dir`` on this machine, as ``write_outputs`` would
    have: old outputs and a killed run's temporaries removed first, each file whole (temporary and rename),
    the ``done.json`` marker last, so that a client killed part-way leaves a region to be solved again, not
    one that looks done. A result without files (the region failed before writing any) changes nothing."""
    outputs = result.pop("outputs", None)
    if outputs is None:
        return result
    folder = region_folder(out_dir, name)
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder, (*OUTPUTS, DONE))
    (folder / DONE).unlink(missing_ok=True)
    for stale in OUTPUTS:
        (folder / stale).unlink(missing_ok=True)
    for file_name in sorted(outputs, key=lambda n: n == DONE):  # the marker last
        if file_name not in (*OUTPUTS, DONE):  # only the files a region has, under their own names
            continue
        with atomic_path(folder / file_name) as tmp:
            tmp.write_bytes(outputs[file_name])
    return result


def remove_stale_temporaries(folder: str | Path, names: tuple[str, ...]) -> list[Path]:
    """Remove what a killed run left behind: the hidden temporaries ``atomic.atomic_path`` writes beside each
    output (``.plan.<random>.csv``, and a GeoPackage's ``-journal``, ``-wal`` or ``-shm`` beside its own). A
    run that finishes removes its own; one killed mid-write cannot. Only names of that exact shape go: the
    folder may be a planner's own, with hidden files of theirs."""
    removed: list[Path] = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for name in names:
        target = Path(name)
        shape = re.compile(rf"\.{re.escape(target.stem)}\.[a-z0-9_]+{re.escape(target.suffix)}(-journal|-wal|-shm)?")
        for tmp in folder.iterdir():
            if shape.fullmatch(tmp.name) and tmp.is_file():
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    return removed


def is_done(name: str, out_dir: str | Path) -> bool:
    """A region is done when a finished run left it a plan; one left infeasible or timed out is tried again
    (with the settings of the new run, e.g. a nesting exception added since)."""
    from boundaries.data.region import sha_name

    marker = Path(out_dir) / slug(sha_name(name) or name) / DONE
    if not marker.exists():
        return False
    try:
        return solved(json.loads(marker.read_text()).get("status"))
    except (OSError, ValueError):
        return False
