"""The ``boundaries`` command: list regions, solve one, batch-solve all, score and compare any plans.

Exit codes: 0 success; 1 a region could not be planned (infeasible, timed out or failed: the message says
why), or an unexpected failure; 2 bad arguments or a bad input file (the message names the file, row and
field); 130 interrupted (Ctrl-C). Every error is one line on stderr, without a traceback unless ``--debug``
(or ``BOUNDARIES_DEBUG=1``) asks for it.
"""

from __future__ import annotations

import atexit
import functools
import gc
import os
import time
import tomllib
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from boundaries.status import Status, solved

app = typer.Typer(
    help="Design, compare and publish GP commissioning consortium boundaries for England's SHA regions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# soft_wrap: messages and scorecards are never broken at the terminal's width, so scripts can grep them whole
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
for _out in (console, err):
    if not _out.is_terminal:  # piped: rich would assume 80 columns and squeeze tables; keep their rows whole
        _out.width = 160


def _file_defaults() -> dict:
    """The ``[run]`` table of the built-in ``default`` settings (``config.DEFAULT_CONFIG``), for the defaults
    ``--help`` shows. Read with tomllib: importing ``boundaries.app.config`` would slow the start of every command."""
    try:
        with (Path(__file__).resolve().parent / "solvers" / "default.toml").open("rb") as file:
            run = tomllib.load(file).get("run", {})
    except (OSError, ValueError):
        return {}
    return run if isinstance(run, dict) else {}


_DEFAULTS = _file_defaults()


def _from_file(key: str) -> str:
    """How --help shows an option whose default comes from the settings file (a region's table may differ)."""
    value = _DEFAULTS.get(key)
    return "from the settings file" if value is None else f"{value}, from the settings file"


RegionOpt = Annotated[str, typer.Option("--region", "-r", help='SHA region name or code, e.g. "North West" or Q31.')]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Settings file (a path to a .toml), or a built-in one: default, hub, consortium, locality.",
        show_default="built-in default",
    ),
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")]
PresetOpt = Annotated[
    str | None, typer.Option(help="hub | consortium | locality | small", show_default=_from_file("preset"))
]
CountOpt = Annotated[
    int | None,
    typer.Option("--count", help="The number of consortia (default: the settings file's n_consortia)."),
]
WorkersOpt = Annotated[int, typer.Option(help="Local Dask workers (processes).")]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(help="Address of an existing Dask scheduler.", show_default="a local cluster of --workers"),
]
DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Bundled data folder (default: the package's data/geo).", hidden=True)
]


BAD_INPUT, NO_PLAN, INTERRUPTED = 2, 1, 130
# what a command's --time-limit is kept by, read as it starts (runner.clock is the same clock: tests replace both)
clock = time.perf_counter
_state = {"debug": False}


def _version() -> str:
    """The installed package's version (its metadata), else the source tree's."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("boundaries")
    except PackageNotFoundError:
        from boundaries import __version__

        return __version__


def _show_version(value: bool) -> None:
    if value:
        console.print(f"boundaries {_version()}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", envvar="BOUNDARIES_DEBUG", help="Show the traceback behind an error.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Design, compare and publish GP commissioning consortium boundaries for England's SHA regions."""
    _state["debug"] = debug


def _fail(message: str, code: int, trace: str | None = None) -> None:
    # the message is plain text: "[run] backend" or a region called "[/]" must not be read as Rich markup
    if trace and _state["debug"]:
        err.print(trace.rstrip(), markup=False, highlight=False)
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
    raise typer.Exit(code)


def _classify(error: BaseException) -> tuple[str, int]:
    """The message and exit code for an error: bad input (2) when the planner can fix it, else 1."""
    from boundaries.data.areas import AssignmentError
    from boundaries.errors import InputError

    if isinstance(error, InputError | AssignmentError):
        return str(error), BAD_INPUT
    if isinstance(error, OSError) and error.filename is not None:  # a path that is missing, a folder, read-only
        return f"{error.filename}: {error.strerror or error}", BAD_INPUT
    hint = "" if _state["debug"] else " (run with --debug for the traceback)"
    return f"unexpected {type(error).__name__}: {error}{hint}", NO_PLAN


def _guard(fn):
    """The CLI's one error boundary: every failure becomes one line and an exit code (2 bad input, 1 no plan
    or an unexpected failure, 130 interrupted); the traceback only with ``--debug``."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            _fail("interrupted", INTERRUPTED, traceback.format_exc())
        except Exception as error:
            message, code = _classify(error)
            _fail(message, code, traceback.format_exc())

    return wrapper


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_output(path: Path, option: str, *, folder: bool) -> None:
    """An output path must be usable before any work is done: a file where a folder is wanted (or the
    reverse), or a place that cannot be written, is bad input named with its option. A file's stale
    temporaries from a killed run (``.compare.<random>.html``) are removed here; a folder's by the writers."""
    from boundaries.errors import InputError

    if folder and path.exists() and not path.is_dir():
        raise InputError(f"is a file: {option} needs a folder", file=path)
    if not folder and path.is_dir():
        raise InputError(f"is a folder: {option} needs a file name", file=path)
    base = _nearest_existing(path if folder else path.parent)
    if not base.is_dir():
        raise InputError(f"{base} is a file, not a folder: {option} cannot be written there", file=path)
    if not os.access(base, os.W_OK | os.X_OK):
        raise InputError(f"cannot write in {base} (permission denied): choose another {option}", file=path)
    _try_writing(base, path, option)
    if not folder and path.parent.is_dir():  # a killed run's hidden temporary beside this file goes now
        from boundaries.app.runner import remove_stale_temporaries

        remove_stale_temporaries(path.parent, (path.name,))


def _try_writing(base: Path, path: Path, option: str) -> None:
    """Create and remove a file in ``base``, the folder an output goes in (or its nearest existing
    ancestor): permission bits do not stop root but a read-only mount or /proc does, and that only shows
    when something is written, so a place that cannot be written is found before the work, not after."""
    import tempfile

    from boundaries.errors import InputError

    try:
        fd, probe = tempfile.mkstemp(prefix=".boundaries-check.", dir=base)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InputError(f"cannot write in {base} ({reason}): choose another {option}", file=path) from error
    os.close(fd)
    os.unlink(probe)


@app.command()
@_guard
def regions(data: DataOpt = None) -> None:
    """The ten SHA regions with their practices, patients, local authorities and 2013 CCGs."""
    from boundaries.data.region import sha_regions

    frame = sha_regions(data_dir=data) if data else sha_regions()
    table = Table(title="SHA regions (practices and patients: July 2014)")
    frame = frame.reset_index()
    for column in frame.columns:
        table.add_column(str(column), justify="right" if frame[column].dtype.kind in "if" else "left", no_wrap=True)
    for row in frame.itertuples(index=False):
        table.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in row])
    console.print(table)


@app.command()
@_guard
def assets(
    dest: Annotated[
        Path | None,
        typer.Argument(help="Folder for the assets.", show_default="$BOUNDARIES_ASSETS, else the user's data folder"),
    ] = None,
) -> None:
    """Fetch the map assets (Leaflet, Leaflet.markercluster: pinned versions, checksummed) from the npm registry:
    once per machine, so maps open offline. An installed package needs this; a checkout's set-up does it."""
    from boundaries.publish.map_assets import fetch_assets

    if dest is not None:
        _check_output(dest, "DEST", folder=True)
    console.print(f"map assets installed in {escape(str(fetch_assets(dest)))}")


@app.command()
@_guard
def solve(
    region: RegionOpt,
    preset: PresetOpt = None,
    backend: Annotated[
        str | None,
        typer.Option(help="highs | cpsat | pulp (CBC through PuLP)", show_default=_from_file("backend")),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            help="Seconds for the whole command: loading the region and writing the outputs come out of it.",
            show_default=_from_file("time_limit"),
        ),
    ] = None,
    gap: Annotated[
        float | None,
        typer.Option(
            help="Stop once proven within this relative gap (0.01 = 1%; 0 proves optimality).",
            show_default=_from_file("gap"),
        ),
    ] = None,
    nesting: Annotated[
        str | None,
        typer.Option(help="strict | soft | off (local-authority nesting)", show_default=_from_file("nesting")),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Random seed (same seed, same plan).", show_default=_from_file("seed"))
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(help="ccg2013 or a plan CSV to limit or price moves from.", show_default="none"),
    ] = None,
    beat: Annotated[
        str | None,
        typer.Option(
            help="ccg2013 or a plan CSV: find the best plan no worse than it on every measure (docs/measures.md), "
            "or say which measures conflict. Needs strict or soft nesting.",
            show_default="none",
        ),
    ] = None,
    count: CountOpt = None,
    config: ConfigOpt = None,
    out: OutOpt = Path("out"),
    export_model: Annotated[
        Path | None,
        typer.Option(
            "--export-model",
            help="Write the model as MPS or LP (by the file's suffix) for another solver, and stop. It is the "
            "base model: contiguity cuts are added during a solve.",
        ),
    ] = None,
    data: DataOpt = None,
) -> None:
    """Solve one region and write its plan (CSV), areas (GeoPackage, GeoJSON), metrics (JSON, text) and map,
    all within --time-limit from now: the solver gets what loading and writing leave."""
    started = clock()  # the time limit is the command's: all that follows comes out of it, imports too
    from boundaries.app.config import load_config
    from boundaries.app.runner import run_region
    from boundaries.atomic import slug
    from boundaries.data.region import sha_name

    region = sha_name(region) or region  # "q36" is London: its settings table, its folder
    _check_output(out, "--out", folder=True)
    settings = load_config(config).for_region(
        region,
        preset=preset,
        backend=backend,
        time_limit=time_limit,
        gap=gap,
        nesting=nesting,
        seed=seed,
        baseline=baseline,
        beat=beat,
        n_consortia=count,
    )
    if export_model is not None:
        from boundaries.app.runner import export_model as write_model_file
        from boundaries.data.region import load_region

        _check_output(export_model, "--export-model", folder=False)
        written = write_model_file(load_region(region, data_dir=str(data) if data else None), settings, export_model)
        console.print(f"model: {written}", markup=False, highlight=False)
        return
    with console.status(
        f"solving {escape(region)} ({settings.preset}, {settings.nesting} nesting, {settings.backend})"
    ):
        result = run_region(region, settings, out, str(data) if data else None, started=started)
    # the process ends after the report: its last garbage collection, over every object a solve left, would come
    # on top of the time limit (exit 1.3 s after the North East's, 0.3 s frozen, measured); frozen, the objects
    # are left to the operating system (the files are all written and closed by now)
    atexit.register(gc.freeze)
    _report(result, out / slug(region), clock() - started)


def _report(result: dict, folder: Path, seconds: float) -> None:
    status = result["status"]
    if status == Status.ERROR:
        if result.get("input_error"):
            _fail(result["error"].split(": ", 1)[-1], BAD_INPUT, result.get("traceback"))
        _fail(f"{result['region']}: {result['error']}", NO_PLAN, result.get("traceback"))
    if not solved(status):
        _fail(f"{result['region']}: no plan ({status}). {result.get('explanation') or ''}", NO_PLAN)
    from boundaries.check.quality import gap_text, quality_label

    gap = result.get("gap")
    console.print(
        f"[bold]{escape(str(result['region']))}[/]: {result.get('consortia')} consortia, {status}"
        + (f" (gap {gap_text(gap)})" if gap is not None else "")
        + f" in {seconds:.0f} s: {quality_label(status, gap, result.get('bound_patient_km'))}"
    )
    if result.get("beat"):
        from boundaries.app.runner import beat_text

        console.print(f"no worse than the reference on every measure: {beat_text(result['beat'])}", markup=False)
    console.print(f"map: {folder / 'map.html'}", markup=False, highlight=False)
    console.print(f"outputs: {folder}", markup=False, highlight=False)


@app.command()
@_guard
def batch(
    regions_: Annotated[str, typer.Option("--regions", help='"all" or comma-separated region names/codes.')] = "all",
    config: ConfigOpt = None,
    workers: WorkersOpt = 2,
    scheduler: SchedulerOpt = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            help="Seconds per region, loading it and writing its outputs included.",
            show_default=_from_file("time_limit"),
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Solve again regions already done.")] = False,
    improve: Annotated[
        bool,
        typer.Option(
            help="Solve again regions done with a plan that is not proven (no bound, or over 5% from it), "
            "keeping the saved plan unless the new one is better."
        ),
    ] = False,
    out: OutOpt = Path("maps"),
    data: DataOpt = None,
) -> None:
    """Solve every region (resumable), with a progress display; one failing region never loses the others."""
    from rich.live import Live

    from boundaries.app.batch import BatchProgress, parse_regions, run_batch
    from boundaries.app.config import load_config
    from boundaries.errors import InputError

    names = parse_regions(regions_)
    if scheduler is None and workers < 1:
        raise InputError(f"{workers} is not allowed: at least 1 worker (a local Dask process)", field="--workers")
    _check_output(out, "--out", folder=True)
    cfg = load_config(config)
    failures: list[str] = []
    bad_input: list[str] = []
    # redrawn every poll while regions solve (batch.POLL_SECONDS), not only when one ends
    with Live(progress_table(BatchProgress(names)), console=console, auto_refresh=False, transient=False) as live:

        def on_progress(progress: BatchProgress) -> None:
            live.update(progress_table(progress), refresh=True)

        def on_result(result: dict) -> None:
            status = result["status"]
            note = _done_note(result) if result.get("skipped") else ""
            colour = "green" if solved(status) else "red"
            detail = escape(str(result.get("error") or result.get("explanation") or ""))
            live.console.print(
                f"[{colour}]{escape(str(result['region']))}: {status}{note}[/]"
                + (f" [dim]{detail}[/]" if colour == "red" else "")
            )
            if colour == "red":
                failures.append(result["region"])
                if result.get("input_error"):
                    bad_input.append(result["region"])

        run_batch(
            names,
            cfg,
            out,
            workers=workers,
            scheduler=scheduler,
            force=force,
            improve=improve,
            data_dir=str(data) if data else None,
            overrides={"time_limit": time_limit},
            on_result=on_result,
            on_progress=on_progress,
        )
    if not console.is_terminal:  # piped, rich draws the table once as it stops, without ending its last line
        console.line()
    console.print(f"maps: {out / 'index.html'}", markup=False, highlight=False)
    if failures:
        code = BAD_INPUT if bad_input else NO_PLAN  # a settings mistake to fix first
        _fail(f"{len(failures)} region(s) without a plan: {', '.join(failures)}", code)


def progress_table(progress) -> Table:
    """The batch's progress display (a ``batch.BatchProgress``): a heading with how many regions are done
    and the gaps so far (least to widest), then one row per region: solving for how long, or how it ended and its plan's
    gap and quality. Names are escaped: a region spec is the user's text."""
    table = Table(title=escape(progress.heading()), title_justify="left", show_edge=False, pad_edge=False)
    for column in ("region", "state", "time", "plan"):
        table.add_column(column, justify="right" if column == "time" else "left")
    styles = {"solving": "yellow", "solved": "green", "already done": "green", "no plan": "red"}
    for region, state, elapsed, plan in progress.rows():
        style = styles.get(state, "dim")
        table.add_row(escape(region), f"[{style}]{escape(state)}[/]", elapsed, escape(plan))
    return table


def _done_note(result: dict) -> str:
    """What a batch says of a region it did not solve again: kept by --improve (and why), or done, and when
    the saved plan is not proven, how far it may be from the best and how to improve it (a rerun alone never
    does: a done region is skipped)."""
    from boundaries.check.quality import is_proven, quality_label

    if result.get("kept"):
        return f" ({result['kept']})"
    status, gap, bound = result.get("status"), result.get("gap"), result.get("bound_patient_km")
    if is_proven(status, gap, bound):
        return " (already done)"
    return f" (already done; {quality_label(status, gap, bound)}: --improve solves it again)"


@app.command()
@_guard
def evaluate(
    plan: Annotated[str, typer.Argument(help="A plan CSV (code, consortium) or 'ccg2013' for the real 2013 map.")],
    region: RegionOpt,
    baseline: Annotated[str | None, typer.Option(help="Another plan to count moves from.")] = None,
    against: Annotated[
        str | None, typer.Option(help="Another plan ('ccg2013' or a CSV) to compare with, measure by measure.")
    ] = None,
    preset: Annotated[
        str | None, typer.Option(help="With --against: also compare consortia outside this preset's bounds.")
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the metrics as JSON here.")] = None,
    data: DataOpt = None,
) -> None:
    """The metrics of any plan: ours, the real 2013 CCG map, or a planner's spreadsheet."""
    import json

    from boundaries.app.runner import resolve_baseline
    from boundaries.atomic import write_text
    from boundaries.check.metrics import evaluate as score
    from boundaries.data.region import load_region
    from boundaries.errors import InputError
    from boundaries.presets import PRESETS

    if json_out is not None:
        _check_output(json_out, "--json", folder=False)
    reg = load_region(region, data_dir=data) if data else load_region(region)
    if preset is not None and preset not in PRESETS:
        raise InputError(f"--preset {preset!r}: choose one of {', '.join(PRESETS)}")
    card = score(
        resolve_baseline(plan, reg),
        reg,
        baseline=resolve_baseline(baseline, reg),
        against=resolve_baseline(against, reg),
        against_name=against,
        preset=preset,
    )
    console.print(card.text(table=True), highlight=False, markup=False)
    if json_out:
        write_text(json_out, json.dumps(card.to_dict(), indent=2, default=str))


@app.command()
@_guard
def compare(
    plan_a: Annotated[str, typer.Argument(help="A plan CSV or 'ccg2013'.")],
    plan_b: Annotated[str, typer.Argument(help="A plan CSV or 'ccg2013'.")],
    region: RegionOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Comparison map (HTML).")] = Path("compare.html"),
    data: DataOpt = None,
) -> None:
    """Two plans side by side: a table of their metrics and a map with the practices that move."""
    from boundaries.app.runner import resolve_baseline
    from boundaries.check.metrics import evaluate as score
    from boundaries.data.region import load_region
    from boundaries.publish.maps import render_map

    _check_output(out, "--out", folder=False)
    reg = load_region(region, data_dir=data) if data else load_region(region)
    a, b = resolve_baseline(plan_a, reg), resolve_baseline(plan_b, reg)
    card_a, card_b = score(a, reg, baseline=b), score(b, reg)
    table = Table(title=escape(f"{reg.name}: {plan_a} vs {plan_b}"))  # file names are user text, not markup
    table.add_column("metric")
    table.add_column(escape(plan_a))
    table.add_column(escape(plan_b))
    for (name, va), (_, vb) in zip(card_a.headlines(), card_b.headlines()):
        table.add_row(escape(name), escape(va), escape(vb))
    console.print(table)
    moved = card_a.summary.get("moved_practices", 0)
    console.print(f"{moved:,} practices are in a different consortium")
    render_map(a, reg, out, compare=b, compare_name=plan_b, title=f"{reg.name}: {plan_a} compared with {plan_b}")
    console.print(f"map: {out}", markup=False, highlight=False)


@app.command()
@_guard
def tradeoff(
    region: RegionOpt,
    between: Annotated[
        str, typer.Option(help="Two measures, comma-separated: coherence, imd_spread, compactness_km.")
    ] = "coherence,imd_spread",
    points: Annotated[
        int, typer.Option(help="Levels of the second measure (epsilon), or plans (weights), the two ends included.")
    ] = 5,
    method: Annotated[
        str,
        typer.Option(
            help="epsilon: each level of the second measure a rule, leaning on the first; weights: weighted sums "
            "(no rule, any nesting; only the convex part of a frontier)."
        ),
    ] = "epsilon",
    preset: PresetOpt = None,
    count: CountOpt = None,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", help="Seconds for each plan.", show_default=_from_file("time_limit")),
    ] = None,
    gap: Annotated[
        float | None, typer.Option(help="Stop each plan at this relative gap.", show_default=_from_file("gap"))
    ] = None,
    config: ConfigOpt = None,
    workers: WorkersOpt = 2,
    scheduler: SchedulerOpt = None,
    out: OutOpt = Path("out"),
    data: DataOpt = None,
) -> None:
    """The trade-off between two measures by the epsilon-constraint method: the plans leaning on each, then at
    each level of the second the best found leaning on the first, the frontier of the plans found, what each
    proves, a chart with the 2013 CCG map marked, and which frontier plans beat it on both."""
    from boundaries.app.config import load_config
    from boundaries.app.tradeoff import LABELS, METHODS, write_tradeoff
    from boundaries.atomic import slug
    from boundaries.data.region import sha_name
    from boundaries.errors import InputError

    region = sha_name(region) or region
    if method not in METHODS:
        raise InputError(f"--method {method!r}: choose from {', '.join(METHODS)}", field="method")
    _check_output(out, "--out", folder=True)
    settings = load_config(config).for_region(region, preset=preset, time_limit=time_limit, gap=gap, n_consortia=count)
    folder = out / slug(region) / "tradeoff"
    pair = [m.strip() for m in between.split(",")]
    with console.status(f"trade-off for {escape(region)}: {escape(' and '.join(pair))}, {points} {method} points"):
        summary = write_tradeoff(
            region,
            settings,
            pair,
            folder,
            points,
            method=method,
            scheduler=scheduler,
            workers=workers,
            data_dir=str(data) if data else None,
        )
    first, second = summary["between"]
    reference = summary["reference"]
    console.print(
        f"reference (2013 CCGs): {LABELS[first]} {reference[first]:.4g}, {LABELS[second]} {reference[second]:.4g}",
        markup=False,
    )
    table = Table(box=None, pad_edge=False)
    for column in ("plan", "status", LABELS[first], LABELS[second], "level met", "what it proves", "frontier"):
        table.add_column(escape(column))
    for point in summary["points"]:
        values = point["measures"]
        shown = (f"{values[first]:.4g}", f"{values[second]:.4g}") if values else ("-", "-")
        met = "-" if point["met"] is None else ("yes" if point["met"] else "no")
        status = point["status"] + (f" {point['gap']:.2%}" if point["status"] == "feasible" and point["gap"] else "")
        edge = (point["frontier_file"] or "") + (", beats 2013" if point["beats_reference"] else "")
        cells = (point["label"], status, *shown, met, point["verdict"], edge)
        table.add_row(*(escape(str(c)) for c in cells))
    console.print(table)
    console.print(f"proven: {summary['proves']}", markup=False)
    beats = [p["frontier_file"] for p in summary["points"] if p["beats_reference"]]
    verdict = ", ".join(beats) if beats else "none"
    console.print(f"frontier plans no worse than the 2013 CCGs on both: {verdict}", markup=False)
    console.print(f"chart: {folder / 'tradeoff.svg'}", markup=False, highlight=False)
    if not any(p["measures"] for p in summary["points"]):  # nothing to trade: the exit code says so
        said = "; ".join(f"{p['label']}: {p['verdict']}" for p in summary["points"])
        _fail(f"{region}: no plan for the trade-off ({said})", NO_PLAN)


def main() -> None:  # pragma: no cover - console entry
    app(prog_name="boundaries")


if __name__ == "__main__":  # pragma: no cover
    main()  # typer exits with the command's code
