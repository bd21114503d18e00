"""Every region at once on Dask distributed: a local cluster by default, any cluster given its scheduler.

Each region is one task (``runner.run_region_task``) that solves it on whichever machine the scheduler picks and
returns its summary with its files, which the client writes under ``out_dir``: workers need not share the
client's disk. A region that fails is reported and never costs another its results, and a rerun skips regions
already done (their files are on the client, where that is checked).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from boundaries.app.config import ConfigFile
from boundaries.app.runner import (
    DONE,
    OUTPUTS,
    is_done,
    region_folder,
    remove_stale_temporaries,
    run_region_task,
    save_region_outputs,
)
from boundaries.atomic import slug, write_text
from boundaries.check.quality import ATTRIBUTION, DATA_VINTAGE, DOWNLOADS, OGL_URL, gap_text, is_proven, quality_label
from boundaries.data.region import SHA_REGIONS, sha_choices, sha_name
from boundaries.errors import InputError, did_you_mean
from boundaries.publish.pages import Markup, render
from boundaries.status import Status, solved

SHA_NAMES = tuple(SHA_REGIONS.values())
LOCAL_HTTP = "127.0.0.1:0"  # the local scheduler's HTTP endpoint: any free port, this machine only
SCHEDULER_TIMEOUT = 10.0  # seconds to reach a --scheduler: a cluster answers in well under this, or not at all
POLL_SECONDS = 0.5  # how often a running batch looks at which regions are solving, for its progress display


@dataclass
class RegionProgress:
    """Where one region of a batch is: ``state`` is "waiting" (for a worker), "solving", "done", "kept"
    (skipped: done before, or --improve kept the saved plan) or "failed"; ``result`` once it has one."""

    region: str
    state: str = "waiting"
    started: float | None = None
    finished: float | None = None
    result: dict[str, Any] | None = None


class BatchProgress:
    """What a batch's progress display shows, region by region, while regions solve (issue 15, item 11).

    The solver reports nothing while it runs (it works inside a worker process, maybe on another machine), so
    a region's own figures come when it ends; until then the display shows which regions are solving and for
    how long (from when a worker is first seen executing its task), so it moves every poll instead of
    only when a whole region ends. The best gap shown is the region's plan's, when it has one, and the best of
    the batch so far in the heading. ``clock`` is injectable so the reporter is tested without waiting.
    """

    def __init__(self, regions: Iterable[str], clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.regions = {name: RegionProgress(name) for name in regions}

    def solving(self, name: str) -> None:
        entry = self.regions[name]
        if entry.state == "waiting":
            entry.state, entry.started = "solving", self.clock()

    def finished(self, result: dict[str, Any]) -> None:
        entry = self.regions.setdefault(str(result["region"]), RegionProgress(str(result["region"])))
        entry.result, entry.finished = result, self.clock()
        if result.get("skipped"):
            entry.state = "kept"
        else:
            entry.state = "done" if solved(result.get("status")) else "failed"

    @property
    def done(self) -> int:
        return sum(1 for e in self.regions.values() if e.result is not None)

    def gaps(self) -> tuple[float, float] | None:
        """The least and the widest gap of the regions solved so far (the widest is what the batch can claim
        for every region; the least alone read as the batch's result at the end of a run)."""
        gaps = [e.result.get("gap") for e in self.regions.values() if e.result and solved(e.result.get("status"))]
        numbers = [g for g in gaps if isinstance(g, int | float)]
        return (min(numbers), max(numbers)) if numbers else None

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(region, state in words, time, plan) per region, in the batch's order: what the display draws."""
        now = self.clock()
        out = []
        for entry in self.regions.values():
            result = entry.result or {}
            if entry.state == "waiting":
                words, elapsed, plan = "waiting for a worker", "", ""
            elif entry.state == "solving":
                words, elapsed, plan = "solving", _duration(now - (entry.started or now)), "no plan yet"
            else:
                words = {"done": "solved", "kept": "already done", "failed": "no plan"}[entry.state]
                # the region's own time, measured where it ran: the scheduler may list a task on a worker
                # long before the worker starts it (a batch of ten on two workers showed 3:03 for a 5 s region)
                seconds = result.get("seconds", result.get("solve_seconds"))
                if not isinstance(seconds, int | float) and entry.started is not None and entry.finished is not None:
                    seconds = entry.finished - entry.started
                elapsed = _duration(seconds) if isinstance(seconds, int | float) and entry.state != "kept" else ""
                gap = result.get("gap")
                plan = quality_label(result.get("status"), gap, result.get("bound_patient_km"))
                if solved(result.get("status")) and isinstance(gap, int | float):
                    plan = f"gap {gap_text(gap)}: {plan}"
            out.append((entry.region, words, elapsed, plan))
        return out

    def heading(self) -> str:
        solving = sum(1 for e in self.regions.values() if e.state == "solving")
        text = f"{self.done}/{len(self.regions)} regions done, {solving} solving"
        gaps = self.gaps()
        if gaps is None:
            return text
        least, widest = gaps
        if least == widest:
            return f"{text}; gap {gap_text(least)}"
        return f"{text}; gaps {gap_text(least)} to {gap_text(widest)}"


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def parse_regions(text: str, option: str = "--regions") -> list[str]:
    """The SHA regions a ``--regions`` list names ("all", or names and codes separated by commas), each once
    under its one name; an empty, unknown or repeated entry is an error naming it.

    A region named twice would be solved twice and listed twice; one named by code would be written under a
    folder the index does not link to; an empty list would "succeed" doing nothing.
    """
    if text.strip().lower() == "all":
        return list(SHA_NAMES)
    entries = text.split(",")
    if not any(e.strip() for e in entries):
        raise InputError(f'{text!r} names no region: give "all" or names/codes such as "London,Q31"', field=option)
    names: list[str] = []
    for k, entry in enumerate(entries, start=1):
        item = entry.strip()
        if not item:
            raise InputError(f"entry {k} of {text!r} is empty (a stray comma?)", field=option)
        name = sha_name(item)
        if name is None:
            hint = did_you_mean(item, [*SHA_NAMES, *SHA_REGIONS])
            raise InputError(f"entry {k} {item!r} is not an SHA region{hint}; regions: {sha_choices()}", field=option)
        if name in names:
            first = names.index(name) + 1
            raise InputError(f"entry {k} {item!r} is {name} again (entry {first})", field=option)
        names.append(name)
    return names


def _one_each(regions: Iterable[str]) -> list[str]:
    """SHA regions under their one name and once each (other specs as given), in the order first named."""
    seen: list[str] = []
    for region in regions:
        name = sha_name(region) or region
        if name not in seen:
            seen.append(name)
    return seen


def _scheduler_error(scheduler: str, reason: str) -> InputError:
    return InputError(f"cannot reach a Dask scheduler at {scheduler!r}: {reason}", field="--scheduler")


def check_scheduler(scheduler: str, timeout: float = SCHEDULER_TIMEOUT) -> None:
    """A malformed address, an unknown host or a port with nothing listening is bad input, said at once: Dask
    itself retries a refused connection until its 30 s timeout and then raises a long traceback. A TCP
    address is tried with one plain socket first (other protocols are left to Dask)."""
    import socket

    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        protocol, location = parse_address(scheduler)
        if protocol not in ("tcp", "tls"):
            return
        host, port = parse_host_port(location)
    except ValueError as err:
        raise _scheduler_error(scheduler, f"{err} (expected tcp://host:port, e.g. tcp://10.0.0.5:8786)") from None
    if not 0 < port < 65536:
        raise _scheduler_error(scheduler, f"port {port} is not a port number (1-65535)")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except socket.gaierror:
        raise _scheduler_error(scheduler, f"unknown host {host!r}") from None
    except ConnectionRefusedError:
        raise _scheduler_error(scheduler, f"nothing is listening on port {port} of {host} (is it running?)") from None
    except TimeoutError:
        raise _scheduler_error(scheduler, f"no answer within {timeout:g} s") from None
    except OSError as err:
        raise _scheduler_error(scheduler, err.strerror or str(err)) from None


def _client(scheduler: str | None, workers: int):
    """A Dask client and the local cluster it owns (None with ``scheduler``); a scheduler that cannot be
    reached, a malformed address, or a port where something other than a Dask scheduler answers is bad
    input, said within ``SCHEDULER_TIMEOUT`` seconds, not a traceback."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        check_scheduler(scheduler)
        try:
            return Client(scheduler, timeout=SCHEDULER_TIMEOUT), None
        except OSError as err:  # connected, then no Dask handshake within the timeout, or the line dropped
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise _scheduler_error(scheduler, f"no Dask scheduler answered ({reason})") from err
        except Exception as err:  # whatever answered spoke another protocol (Dask misreads it as a huge frame)
            raise _scheduler_error(
                scheduler, f"something other than a Dask scheduler answers there ({type(err).__name__})"
            ) from err
    # No dashboard. The scheduler still serves a small HTTP endpoint (health checks): on a free port of this
    # machine only, so a second batch (or any program on 8787) never prints "Port 8787 is already in use".
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=LOCAL_HTTP,
        scheduler_kwargs={"dashboard": False},
    )
    return Client(cluster), cluster


def run_batch(
    regions: Iterable[str],
    config: ConfigFile,
    out_dir: str | Path,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    force: bool = False,
    improve: bool = False,
    data_dir: str | None = None,
    overrides: dict[str, Any] | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    on_progress: Callable[[BatchProgress], None] | None = None,
) -> list[dict[str, Any]]:
    """Solve every region not yet done; returns one summary per region (skipped ones say so).

    SHA regions are taken under their one name, once each, whether given by name or code in any case.
    ``force`` solves done regions again; ``improve`` only those whose saved plan is not proven (no bound, or
    more than ``quality.CLOSE_ENOUGH`` from it), keeping the saved plan unless the new one is better
    (``_better``): a region kept "done" at a 14% gap would otherwise never be improved by a rerun.
    ``on_progress`` is called with the batch's ``BatchProgress`` whenever it changes and every
    ``POLL_SECONDS`` while regions solve, for a display that moves.
    """
    if not scheduler and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InputError(f"{workers!r} is not allowed: at least 1 worker", field="workers")
    regions = _one_each(regions)  # read twice: once to run, once to order the results
    out_dir = Path(out_dir)
    remove_stale_temporaries(out_dir, ("batch.json", "index.html"))
    settings = {name: config.for_region(name, **(overrides or {})) for name in regions}  # bad options: at once
    progress = BatchProgress(regions)
    results: list[dict[str, Any]] = []
    todo: list[str] = []
    saved: dict[str, dict[str, Any]] = {}  # regions re-solved by --improve: their saved summary
    for name in regions:
        if not force and is_done(name, out_dir):
            # a killed run's temporaries go even where the region is not solved again
            remove_stale_temporaries(region_folder(out_dir, name), (*OUTPUTS, DONE))
            done = _done_summary(region_folder(out_dir, name))
            if improve and not is_proven(done.get("status"), done.get("gap"), done.get("bound_patient_km")):
                saved[name] = done
                todo.append(name)
                continue
            result = {**done, "region": name, "folder": region_folder(out_dir, name).name, "skipped": True}
            results.append(result)
            progress.finished(result)
            if on_result:
                on_result(result)
            if on_progress:
                on_progress(progress)
        else:
            todo.append(name)
    if todo:
        client, cluster = _client(scheduler, workers)
        try:
            futures = {
                client.submit(
                    run_region_task,
                    name,
                    settings[name],
                    data_dir,
                    key=f"region-{slug(name)}",
                    pure=False,
                ): name
                for name in todo
            }
            keys = {future.key: name for future, name in futures.items()}
            if on_progress:
                on_progress(progress)
            for future in _as_they_end(client, futures, keys, progress, on_progress):
                name = futures[future]
                try:
                    result = future.result()
                    folder = region_folder(out_dir, name)
                    if name in saved and not _better(result, folder):
                        result = {**saved[name], "region": name, "skipped": True, "kept": _kept(result)}
                    else:
                        result = save_region_outputs(name, result, out_dir)  # written here, by the client
                    result["folder"] = folder.name
                except Exception as err:  # a worker died, or this disk refused: reported, the rest go on
                    result = {"region": name, "status": Status.ERROR, "error": f"{type(err).__name__}: {err}"}
                results.append(result)
                progress.finished(result)
                if on_result:
                    on_result(result)
                if on_progress:
                    on_progress(progress)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    order = {name: k for k, name in enumerate(regions)}
    results.sort(key=lambda r: order.get(r["region"], len(order)))
    write_index(results, out_dir, data_dir)
    return results


def _executing(dask_worker) -> list[str]:
    """Run on each worker: the keys of the tasks it is executing."""
    return [str(task.key) for task in dask_worker.state.executing]


def _as_they_end(client, futures, keys, progress: BatchProgress, on_progress):
    """The futures as each ends, like ``as_completed``; while none is ready, every ``POLL_SECONDS`` the regions
    the scheduler has on a worker are marked solving and the display is told, so that it shows time passing."""
    from dask.distributed import as_completed

    pending = as_completed(futures)
    while not pending.is_empty():
        if pending.has_ready():
            yield from pending.next_batch(block=False)
            continue
        try:  # tasks a worker is running now, not those only queued on it
            running = client.run(_executing)
        except Exception:  # a worker or scheduler that will not say: what the scheduler has on each worker
            try:
                running = client.processing()
            except Exception:  # nor that: the display shows waiting
                running = {}
        for tasks in running.values():
            for key in tasks:
                if key in keys:
                    progress.solving(keys[key])
        if on_progress:
            on_progress(progress)
        time.sleep(POLL_SECONDS)


#: Settings that change how long or how a plan is searched for, not what the best plan is: a saved plan and a
#: new one that differ only in these are plans of the same problem, and the lower objective is the better.
SEARCH_SETTINGS = ("time_limit", "gap", "seed", "backend")


def _better(result: dict[str, Any], folder: Path) -> bool:
    """Whether a re-solved region's new plan should replace its saved one (``run_batch(improve=True)``): it
    has a plan, and either the rules changed since, or it costs less, or it costs the same and is proven
    closer to its bound. A rerun that found a worse plan in its time must not throw a better one away."""
    if not solved(result.get("status")):
        return False
    try:
        old = json.loads((folder / "metrics.json").read_text())
    except (OSError, ValueError):
        return True

    def rules(summary: dict[str, Any]) -> dict[str, Any]:  # as JSON has them: tuples read back as lists
        settings = {k: v for k, v in (summary.get("settings") or {}).items() if k not in SEARCH_SETTINGS}
        return json.loads(json.dumps(settings, default=str))

    if rules(old) != rules(result):
        return True
    new_cost, old_cost = result.get("objective_patient_km"), old.get("objective_patient_km")
    if new_cost is None or old_cost is None:
        return old_cost is None
    tolerance = 1e-9 * max(1.0, abs(old_cost))
    if new_cost < old_cost - tolerance:
        return True
    new_gap, old_gap = result.get("gap"), old.get("gap")
    return new_cost <= old_cost + tolerance and new_gap is not None and (old_gap is None or new_gap < old_gap)


def _kept(result: dict[str, Any]) -> str:
    """Why --improve kept a saved plan, in the words the progress line and the index show."""
    if not solved(result.get("status")):
        return f"the new run found no plan ({result.get('status')}); the saved plan is kept"
    return "the new run found no better plan; the saved plan is kept"


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


def _folder(result: dict[str, Any]) -> str:
    """The folder a result's files are in: the one the batch wrote (named from the spec asked for, which for a
    list of authorities is not the region's name), else the slug of its name."""
    return str(result.get("folder") or slug(str(result["region"])))


def _quality(result: dict[str, Any]) -> str:
    return quality_label(result.get("status"), result.get("gap"), result.get("bound_patient_km"))


def _download_links(result: dict[str, Any], out_dir: Path) -> list[tuple[str, str, str]]:
    """(href relative to the index, text, description) of the region's published files that exist
    (``quality.DOWNLOADS``); none for a region without a plan (its folder may hold an older run's files; its
    notes say why)."""
    if not solved(result.get("status")):
        return []
    folder = _folder(result)
    return [
        (quote(f"{folder}/{name}"), text, about)
        for name, (text, about) in DOWNLOADS.items()
        if (out_dir / folder / name).is_file()
    ]


def _figures(result: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """The headline figures of a solved region's plan, from its ``metrics.json`` (the scorecard's summary):
    read from the file, so that a region skipped as done shows the same figures as one solved now."""
    if not solved(result.get("status")):
        return {}
    try:
        metrics = json.loads((out_dir / _folder(result) / "metrics.json").read_text())
    except (OSError, ValueError):
        return {}
    summary = (metrics.get("scorecard") or {}).get("summary") if isinstance(metrics, dict) else None
    return summary if isinstance(summary, dict) else {}


def _share(value: Any) -> str:
    return f"{value:.0%}" if isinstance(value, int | float) and not isinstance(value, bool) else "—"


def _one_decimal(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) and not isinstance(value, bool) else "—"


def _gap_words(result: dict[str, Any]) -> str:
    gap = result.get("gap")
    return gap_text(gap) if isinstance(gap, int | float) else "—"


def _page_links(result: dict[str, Any], out_dir: Path) -> list[tuple[str, str]]:
    """(text, href relative to the index) of a solved region's map and report, those that exist (a region
    done before reports were written has none until it is solved again)."""
    if not solved(result.get("status")):
        return []
    folder = _folder(result)
    pages = (("Map", "map.html"), ("Report", "report.html"))
    return [(text, quote(f"{folder}/{name}")) for text, name in pages if (out_dir / folder / name).is_file()]


def write_index(results: list[dict[str, Any]], out_dir: Path, data_dir: str | None = None) -> None:
    """``batch.json`` and ``index.html``: an England overview (issue 15, item 10) and a table of every region.

    The overview maps the ten SHA regions, each coloured by how good its plan is (``maps.status_class``:
    proven optimal, within 5%, not proven, no plan; a region not in this batch shows as no plan), with a card
    of its headline figures (consortia, quality and gap in words, hospital coherence, IMD spread, from its
    ``metrics.json``) and links to its map and report. The table lists every region asked for (names and
    notes escaped) with the same figures and links to the files of its plan that exist. The page works offline
    (Leaflet inlined, no tiles) and ends with the data's dates and the licence attribution, kept on screen.
    """
    from boundaries.publish.maps import overview_html, status_class

    out_dir = Path(out_dir)
    slim = [
        {
            **{k: v for k, v in r.items() if k not in ("scorecard", "ccg2013_scorecard", "traceback")},
            "quality": _quality(r),
        }
        for r in results
    ]
    write_text(out_dir / "batch.json", json.dumps(slim, indent=2, default=str) + "\n")
    rows = []
    entries: dict[str, dict[str, Any]] = {}
    codes = {name: code for code, name in SHA_REGIONS.items()}
    for r in results:
        folder = _folder(r)
        figures = _figures(r, out_dir)
        pages = dict(_page_links(r, out_dir))
        gap = r.get("gap")
        rows.append(
            {
                "name": str(r["region"]),
                "map": quote(f"{folder}/map.html") if solved(r.get("status")) else None,
                "status": str(r.get("status")),
                "css": "proven" if is_proven(r.get("status"), gap, r.get("bound_patient_km")) else "not-proven",
                "quality": _quality(r),
                "gap": _gap_words(r),
                "consortia": str(r.get("consortia", "")),
                "coherence": _share(figures.get("coherence")),
                "imd_spread": _one_decimal(figures.get("imd_spread")),
                "report": pages.get("Report"),
                "downloads": _download_links(r, out_dir),
                "notes": str(r.get("error") or r.get("explanation") or r.get("kept") or ""),
            }
        )
        code = codes.get(str(r["region"]))
        if code is not None:
            entries[code] = {
                "code": code,
                "name": str(r["region"]),
                "cls": status_class(r.get("status"), gap, r.get("bound_patient_km")),
                "quality": _quality(r),
                "figures": [
                    ["Consortia", str(r.get("consortia") if r.get("consortia") is not None else "—")],
                    ["Status", str(r.get("status"))],
                    ["Gap", _gap_words(r)],
                    ["Hospital coherence", _share(figures.get("coherence"))],
                    ["IMD spread", _one_decimal(figures.get("imd_spread"))],
                ],
                "links": [list(pair) for pair in _page_links(r, out_dir)],
            }
    for code, name in SHA_REGIONS.items():  # the overview shows all of England
        entries.setdefault(
            code,
            {"code": code, "name": name, "cls": "no-plan", "quality": "not in this batch", "figures": [], "links": []},
        )
    head, overview = overview_html([entries[code] for code in sorted(entries)], data_dir)
    page = render(
        "index.html.j2",
        head=Markup(head),
        overview=Markup(overview),
        rows=rows,
        data_vintage=DATA_VINTAGE,
        attribution=ATTRIBUTION,
        ogl_url=OGL_URL,
    )
    page += "\n"
    write_text(out_dir / "index.html", page)
