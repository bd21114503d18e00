"""Batch over regions on a local Dask cluster: failures are reported per region, reruns resume, pages escape.

One real batch runs for the module (North East solved by HiGHS in 10 s, an unknown region, and South West
without its nesting exception, which the precheck finds infeasible at once); the other tests read its
folder or rerun over it.
"""

import json
import re
import socket
import time
import warnings
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from boundaries.app.batch import _client, run_batch, write_index
from boundaries.app.cli import app
from boundaries.app.config import load_config
from boundaries.check.quality import ATTRIBUTION, DOWNLOADS, quality_label

REGIONS = ["North East", "Atlantis", "South West"]


def _markup(page: str) -> str:
    """The index page without its inlined scripts and styles (Leaflet's source holds links of its own)."""
    return re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)


TIME_LIMIT = 20  # seconds for a region in all (loading and writing come out of it): a first plan, and room under load


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    path = tmp_path_factory.mktemp("settings") / "batch.toml"
    path.write_text('[run]\nbackend = "highs"\n')  # and no [regions."South West"] nesting exception
    return load_config(path)


@pytest.fixture(scope="module")
def first(config, tmp_path_factory):
    out = tmp_path_factory.mktemp("maps")
    reported, snapshots = [], []
    results = run_batch(
        REGIONS,
        config,
        out,
        workers=2,
        overrides={"time_limit": TIME_LIMIT},
        on_result=reported.append,
        on_progress=lambda progress: snapshots.append((progress.done, progress.rows())),
    )
    by_region = {r["region"]: r for r in results}
    return SimpleNamespace(out=out, results=results, reported=reported, by_region=by_region, snapshots=snapshots)


@pytest.mark.slow
def test_every_region_is_reported_and_a_failing_one_stops_no_other(first):
    assert [r["region"] for r in first.results] == REGIONS  # in the order asked
    assert sorted(r["region"] for r in first.reported) == sorted(REGIONS)  # progress: one call per region
    north_east, atlantis, south_west = (first.by_region[name] for name in REGIONS)
    assert north_east["status"] in ("optimal", "feasible") and north_east["consortia"] > 0
    assert north_east["settings"]["backend"] == "highs" and north_east["settings"]["time_limit"] == TIME_LIMIT
    assert atlantis["status"] == "error" and "unknown region 'Atlantis'" in atlantis["error"]
    assert south_west["status"] == "infeasible" and "Isles of Scilly" in south_west["explanation"]
    assert not any(r.get("skipped") for r in first.results)


@pytest.mark.slow
def test_a_solved_region_has_all_its_files(first):
    folder = first.out / "north-east"
    for name in (
        "plan.csv",
        "consortia.gpkg",
        "consortia.geojson",
        "metrics.json",
        "summary.txt",
        "report.html",
        "map.html",
        "done.json",
    ):
        assert (folder / name).stat().st_size > 0, name
    assert json.loads((folder / "metrics.json").read_text())["validation"]["ok"] is True
    assert not (first.out / "atlantis").exists()
    assert [p.name for p in first.out.rglob(".*")] == []


@pytest.mark.slow
def test_index_and_batch_json_list_every_region(first):
    listed = json.loads((first.out / "batch.json").read_text())
    assert [r["region"] for r in listed] == REGIONS
    assert all("scorecard" not in r and "traceback" not in r for r in listed)
    page = (first.out / "index.html").read_text()
    assert '<a href="north-east/map.html">North East</a>' in page
    assert "Atlantis" in page and 'href="atlantis' not in page  # listed, with no map to link
    assert "South West" in page and 'href="south-west' not in page
    assert "Isles of Scilly" in page  # why South West has no plan


@pytest.mark.slow
def test_index_and_batch_json_say_how_good_each_plan_is(first):
    listed = {r["region"]: r for r in json.loads((first.out / "batch.json").read_text())}
    page = (first.out / "index.html").read_text()
    north_east = first.by_region["North East"]
    label = quality_label(north_east["status"], north_east["gap"], north_east["bound_patient_km"])
    assert listed["North East"]["quality"] == label == north_east["quality"]
    assert listed["North East"]["gap"] == north_east["gap"] and "bound_patient_km" in listed["North East"]
    gap = f"{north_east['gap']:.2%}" if north_east["gap"] is not None else "—"
    assert f">{label}</td><td>{gap}</td>" in page
    assert listed["South West"]["quality"] == "no plan: the rules cannot all be met"
    assert listed["Atlantis"]["quality"] == "no plan: the run failed"
    assert "<th>Plan quality</th><th>Gap</th>" in page
    assert f"<footer class='attribution'>{ATTRIBUTION} " in page and "July 2014" in page


@pytest.mark.slow
def test_the_map_and_the_index_link_every_file_of_a_solved_region(first):
    folder = first.out / "north-east"
    section = re.search(r"<details class='downloads'>(.*?)</details>", (folder / "map.html").read_text()).group(1)
    assert re.findall(r"<a href='([^']*)' download>", section) == list(DOWNLOADS)  # beside the map
    page = _markup((first.out / "index.html").read_text())
    hrefs = re.findall(r'<a href="([^"]*)" title="[^"]*" download>', page)
    assert hrefs == [f"north-east/{name}" for name in DOWNLOADS]  # the failed regions have none
    assert all((first.out / href).is_file() for href in hrefs)


@pytest.mark.slow
def test_the_map_and_the_index_link_the_regions_report(first):
    folder = first.out / "north-east"
    assert "<p class='report-link'><a href='report.html'>Report: " in (folder / "map.html").read_text()
    report = (folder / "report.html").read_text()
    assert report.count("<figure id='chart-") == 3 and "<a href='map.html'>" in report
    card = json.loads((folder / "metrics.json").read_text())["scorecard"]
    assert f"{card['summary']['coherence']:.0%}" in report
    page = (first.out / "index.html").read_text()
    assert "<td class='report'><a href=\"north-east/report.html\">Report</a></td>" in page
    assert page.count("report.html") >= 2  # in the table and in the overview's card of the North East
    assert "<td class='report'></td>" in page  # the regions without a plan have none


def test_the_index_links_only_files_that_exist(tmp_path):
    for folder, names in {"north-east": ("plan.csv", "consortia.gpkg"), "atlantis": ("plan.csv",)}.items():
        (tmp_path / folder).mkdir()
        for name in names:
            (tmp_path / folder / name).write_text("data\n")
    results = [
        {"region": "North East", "status": "feasible", "consortia": 3},
        {"region": "Atlantis", "status": "error", "error": "failed"},  # its folder holds an older run's file
    ]
    write_index(results, tmp_path)
    page = _markup((tmp_path / "index.html").read_text())
    assert re.findall(r'<a href="([^"]*)" title', page) == ["north-east/plan.csv", "north-east/consortia.gpkg"]
    assert f">{DOWNLOADS['plan.csv'][0]}</a> · <a" in page and "<th>Downloads</th>" in page


def test_a_local_cluster_leaves_port_8787_alone():
    # a second batch, or anything else on Dask's dashboard port, must not print "Port 8787 is already in use"
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 8787))
        holder.listen(1)
    except OSError:
        pass  # already taken by something else: the same situation
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            client, cluster = _client(None, 1)
            try:
                assert client.submit(sum, [1, 2]).result() == 3
                server = cluster.scheduler.http_server  # its health checks: a free port of this machine only
                assert server.address == "127.0.0.1" and server.port != 8787
            finally:
                client.close()
                cluster.close()
        assert [str(w.message) for w in caught if "8787" in str(w.message)] == []
    finally:
        holder.close()


def test_index_labels_plans_far_from_their_bound(tmp_path):
    results = [
        {"region": "Rough", "status": "feasible", "consortia": 3, "gap": 0.42, "bound_patient_km": 5.0},
        {"region": "Close", "status": "feasible", "consortia": 3, "gap": 0.0027, "bound_patient_km": 5.0},
        {"region": "Best", "status": "optimal", "consortia": 3, "gap": 0.0, "bound_patient_km": 5.0},
        {"region": "Unbounded", "status": "feasible", "consortia": 3, "gap": None, "bound_patient_km": None},
    ]
    write_index(results, tmp_path)
    page = (tmp_path / "index.html").read_text()
    assert "<td class='not-proven'>not proven: up to 42% from the best possible</td><td>42.00%</td>" in page
    assert "<td class='proven'>within 0.27% of the best possible</td><td>0.27%</td>" in page
    assert "<td class='proven'>proven optimal</td><td>0.00%</td>" in page
    assert "<td class='not-proven'>no bound: quality not proven</td><td>—</td>" in page
    assert [r["quality"] for r in json.loads((tmp_path / "batch.json").read_text())] == [
        "not proven: up to 42% from the best possible",
        "within 0.27% of the best possible",
        "proven optimal",
        "no bound: quality not proven",
    ]
    assert ATTRIBUTION in page


def test_a_done_region_from_before_quality_was_recorded_keeps_its_gap(tmp_path, config):
    folder = tmp_path / "north-east"
    folder.mkdir()
    (folder / "done.json").write_text(json.dumps({"region": "North East", "status": "feasible", "consortia": 20}))
    (folder / "metrics.json").write_text(json.dumps({"status": "feasible", "gap": 0.003, "bound_patient_km": 9.0}))
    results = run_batch(["North East"], config, tmp_path, workers=1)
    assert results[0]["skipped"] is True and results[0]["gap"] == 0.003
    assert "within 0.30% of the best possible" in (tmp_path / "index.html").read_text()


def test_index_escapes_region_names_and_notes(tmp_path):
    evil = "<script>alert(1)</script>"
    results = [
        {"region": evil, "status": "feasible", "consortia": 3},
        {"region": "Atlantis", "status": "error", "error": "<img src=x onerror=alert(2)>"},
    ]
    write_index(results, tmp_path)
    page = (tmp_path / "index.html").read_text()
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x" in page
    assert 'href="script-alert-1-script/map.html"' in page  # the link goes to the sanitised folder
    assert json.loads((tmp_path / "batch.json").read_text())[0]["region"] == evil


@pytest.mark.slow
def test_a_rerun_skips_done_regions_and_retries_the_others(first, config):
    plan = first.out / "north-east" / "plan.csv"
    written = plan.stat().st_mtime_ns
    results = run_batch(REGIONS, config, first.out, workers=2, overrides={"time_limit": TIME_LIMIT})
    by_region = {r["region"]: r for r in results}
    north_east = by_region["North East"]
    assert north_east["skipped"] is True and north_east["status"] == first.by_region["North East"]["status"]
    assert north_east["consortia"] == first.by_region["North East"]["consortia"]
    assert plan.stat().st_mtime_ns == written  # not solved again
    assert not by_region["South West"].get("skipped") and by_region["South West"]["status"] == "infeasible"
    assert by_region["Atlantis"]["status"] == "error"
    assert "skipped" not in json.loads((first.out / "batch.json").read_text())[1]  # Atlantis ran again


@pytest.mark.slow
def test_a_rerun_of_done_regions_only_starts_no_cluster(first, config, monkeypatch):
    import dask.distributed

    import boundaries.app.batch

    def no_cluster(*args, **kwargs):
        raise AssertionError("a Dask cluster or client was started for regions already done")

    monkeypatch.setattr(boundaries.app.batch, "_client", no_cluster)
    monkeypatch.setattr(dask.distributed, "LocalCluster", no_cluster)
    monkeypatch.setattr(dask.distributed, "Client", no_cluster)
    results = run_batch(["North East"], config, first.out, workers=2)
    assert [r["region"] for r in results] == ["North East"] and results[0]["skipped"] is True


@pytest.mark.slow
def test_the_batch_command_resumes_too(first):
    result = CliRunner().invoke(app, ["batch", "--regions", "North East", "--out", str(first.out)])
    assert result.exit_code == 0, result.output
    status = first.by_region["North East"]["status"]
    assert f"North East: {status} (already done" in result.stdout  # and, were its plan not proven, how far off
    assert f"maps: {first.out / 'index.html'}" in result.stdout


@pytest.mark.slow
def test_force_solves_a_done_region_again(first, config):
    plan = first.out / "north-east" / "plan.csv"
    written = plan.stat().st_mtime_ns
    results = run_batch(["North East"], config, first.out, workers=1, force=True, overrides={"time_limit": 20})
    assert not results[0].get("skipped")
    assert results[0]["status"] in ("optimal", "feasible") and results[0]["settings"]["time_limit"] == 20
    assert plan.stat().st_mtime_ns > written
    assert json.loads((first.out / "batch.json").read_text())[0]["region"] == "North East"


@pytest.fixture
def cluster(tmp_path):
    """A Dask scheduler and one worker as separate programs, each started in its own empty folder: a worker's
    working folder is not the client's, as on a real cluster where it is another machine's disk."""
    import subprocess
    import sys
    from pathlib import Path

    dask = str(Path(sys.executable).parent / "dask")
    folders = {name: tmp_path / name for name in ("scheduler", "worker", "client")}
    for folder in folders.values():
        folder.mkdir()
    address_file = folders["scheduler"] / "scheduler.json"
    common = ["--no-dashboard"]
    programs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--scheduler-file", str(address_file), *common],
            cwd=folders["scheduler"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + 120
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(address_file.read_text())["address"]
        programs.append(
            subprocess.Popen(
                [dask, "worker", address, "--nworkers", "1", "--nthreads", "1", *common],
                cwd=folders["worker"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        from dask.distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=120)
        yield SimpleNamespace(address=address, **folders)
    finally:
        for program in reversed(programs):
            program.terminate()
            try:
                program.wait(timeout=30)
            except subprocess.TimeoutExpired:
                program.kill()


@pytest.mark.slow
def test_a_batch_on_a_cluster_writes_every_file_where_the_client_is(cluster, config, monkeypatch):
    # one small region (Hartlepool, one local authority) with a short limit: only what holds at any stopping
    # point is asserted, the files the client was told about exist on its side and the index links resolve
    monkeypatch.chdir(cluster.client)
    results = run_batch(["E06000001"], config, "maps", scheduler=cluster.address, overrides={"time_limit": 15})
    (result,) = results
    assert result["status"] != "error", result
    folder = cluster.client / "maps" / "e06000001"
    assert (folder / "done.json").is_file() and (folder / "metrics.json").is_file()
    assert json.loads((folder / "metrics.json").read_text())["status"] == result["status"]
    assert all((folder / name).is_file() for name in result["files"].values()), result["files"]
    page = _markup((cluster.client / "maps" / "index.html").read_text())
    hrefs = [href for href in re.findall(r"href=[\"']([^\"']*)[\"']", page) if not href.startswith("https://")]
    assert ("e06000001/report.html" in hrefs) == (result["status"] in ("optimal", "feasible"))
    assert all((cluster.client / "maps" / href).is_file() for href in hrefs), hrefs
    assert list(cluster.worker.rglob("*.csv")) == list(cluster.worker.rglob("*.json")) == []  # nothing left there
    # "already done" is checked where the files are: a rerun solves nothing
    again = run_batch(["E06000001"], config, "maps", scheduler=cluster.address)
    assert again[0]["skipped"] is True


def _saved_region(out, config, *, objective: float, gap: float | None, bound: float | None = 1.0):
    """A done region (Hartlepool, one authority) from an earlier run: its marker, its metrics, its plan."""
    folder = out / "e06000001"
    folder.mkdir(parents=True)
    settings = config.for_region("E06000001", time_limit=15).to_dict()
    summary = {"region": "Hartlepool", "status": "feasible", "consortia": 1, "gap": gap, "bound_patient_km": bound}
    (folder / "done.json").write_text(json.dumps(summary))
    metrics = {**summary, "objective_patient_km": objective, "settings": settings}
    (folder / "metrics.json").write_text(json.dumps(metrics, default=str))
    (folder / "plan.csv").write_text("saved plan\n")
    return folder


def test_a_done_region_that_is_not_proven_says_so(tmp_path):
    (tmp_path / "north-east").mkdir()
    marker = {"region": "North East", "status": "feasible", "consortia": 20, "gap": 0.14, "bound_patient_km": 5.0}
    (tmp_path / "north-east" / "done.json").write_text(json.dumps(marker))
    result = CliRunner().invoke(app, ["batch", "--regions", "North East", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    line = " ".join(result.stdout.split())
    assert "North East: feasible (already done; not proven: up to 14% from the best possible: --improve" in line


@pytest.mark.slow
def test_improve_solves_an_unproven_region_again_and_keeps_the_better_plan(tmp_path, config):
    worse = _saved_region(tmp_path / "worse", config, objective=1e12, gap=0.14)  # any real plan beats it
    (result,) = run_batch(
        ["E06000001"], config, tmp_path / "worse", workers=1, improve=True, overrides={"time_limit": 15}
    )
    assert not result.get("skipped") and result["status"] in ("optimal", "feasible"), result
    assert (worse / "plan.csv").read_text() != "saved plan\n"
    assert json.loads((worse / "metrics.json").read_text())["objective_patient_km"] < 1e12

    better = _saved_region(tmp_path / "better", config, objective=0.0, gap=0.14)  # no real plan beats it
    (result,) = run_batch(
        ["E06000001"], config, tmp_path / "better", workers=1, improve=True, overrides={"time_limit": 15}
    )
    assert result["skipped"] is True and result["kept"].startswith("the new run found no better plan"), result
    assert (better / "plan.csv").read_text() == "saved plan\n"
    assert "the saved plan is kept" in (tmp_path / "better" / "index.html").read_text()

    proven = _saved_region(tmp_path / "proven", config, objective=1e12, gap=0.0)  # proven: not solved again
    (result,) = run_batch(["E06000001"], config, tmp_path / "proven", workers=1, improve=True)
    assert result["skipped"] is True and "kept" not in result
    assert (proven / "plan.csv").read_text() == "saved plan\n"


def test_the_client_writes_a_regions_files_whole_and_only_its_own(tmp_path):
    from boundaries.app.runner import save_region_outputs

    folder = tmp_path / "north-east"
    folder.mkdir()
    for name in (".plan.k2j4h.csv", "map.html", "done.json"):  # a killed run's temporary, an older run's files
        (folder / name).write_text("old")
    outputs = {"done.json": b'{"status": "feasible"}', "plan.csv": b"code,consortium\n", "../escape.txt": b"x"}
    result = save_region_outputs("North East", {"region": "North East", "outputs": outputs}, tmp_path)
    assert "outputs" not in result  # the bytes are not kept in the summary (nor in batch.json)
    assert sorted(p.name for p in folder.iterdir()) == ["done.json", "plan.csv"]
    assert (folder / "plan.csv").read_text() == "code,consortium\n"
    assert not (tmp_path / "escape.txt").exists()


def _overview(page: str) -> dict:
    return json.loads(re.search(r"var OVERVIEW = (\{.*?\});\n", page).group(1))


def test_the_overview_colours_every_region_by_its_plan(tmp_path):
    from boundaries.publish.maps import STATUS_CLASSES

    results = [
        {"region": "North East", "status": "optimal", "consortia": 12, "gap": 0.0, "bound_patient_km": 5.0},
        {"region": "London", "status": "feasible", "consortia": 30, "gap": 0.003, "bound_patient_km": 5.0},
        {"region": "South West", "status": "feasible", "consortia": 20, "gap": 0.42, "bound_patient_km": 5.0},
        {"region": "North West", "status": "infeasible", "explanation": "too small"},
        {"region": "<b>Atlantis</b>", "status": "feasible", "consortia": 3},  # not an SHA region: table only
    ]
    for folder in ("north-east", "london"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "map.html").write_text("map\n")
    (tmp_path / "north-east" / "report.html").write_text("report\n")
    scorecard = {"summary": {"coherence": 0.873, "imd_spread": 4.56}}
    (tmp_path / "north-east" / "metrics.json").write_text(json.dumps({"scorecard": scorecard}))
    write_index(results, tmp_path)
    page = (tmp_path / "index.html").read_text()
    regions = {f["properties"]["name"]: f["properties"] for f in _overview(page)["regions"]["features"]}
    assert len(regions) == 10  # all of England, whatever the batch held
    kinds = {name: props["cls"] for name, props in regions.items()}
    assert kinds.pop("North East") == "optimal" and kinds.pop("London") == "close"
    assert kinds.pop("South West") == "not-proven" and kinds.pop("North West") == "no-plan"
    assert set(kinds.values()) == {"no-plan"} and regions["East Midlands"]["quality"] == "not in this batch"
    north_east = regions["North East"]
    assert dict(north_east["figures"]) == {
        "Consortia": "12",
        "Status": "optimal",
        "Gap": "0.00%",
        "Hospital coherence": "87%",
        "IMD spread": "4.6",
    }
    assert north_east["links"] == [["Map", "north-east/map.html"], ["Report", "north-east/report.html"]]
    assert regions["London"]["links"] == [["Map", "london/map.html"]]  # only pages that exist
    assert regions["North West"]["links"] == []
    assert "<td>87%</td><td>4.6</td>" in page  # the table has the same figures
    for kind, (colour, words) in STATUS_CLASSES.items():  # the legend, with how many regions each
        count = sum(1 for props in regions.values() if props["cls"] == kind)
        assert (
            f"<li class='status-{kind}'><span class='swatch' style='background:{colour}'></span> {words} ({count})"
            in page
        )
    assert "&lt;b&gt;Atlantis&lt;/b&gt;" in page and "<b>Atlantis" not in page
    assert not re.search(r"<script[^>]+src=", page) and not re.search(r"<link[^>]+href=", page)  # offline


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_progress_reporter_moves_while_regions_solve():
    from rich.console import Console

    from boundaries.app.batch import BatchProgress
    from boundaries.app.cli import progress_table

    clock = Clock()
    progress = BatchProgress(["North East", "London", "[bold]Atlantis"], clock=clock)
    assert [row[1] for row in progress.rows()] == ["waiting for a worker"] * 3
    progress.solving("North East")
    progress.solving("London")
    clock.now += 75
    assert progress.rows()[0] == ("North East", "solving", "1:15", "no plan yet")
    assert progress.heading() == "0/3 regions done, 2 solving"
    clock.now += 10
    progress.solving("North East")  # seen again on a worker: still timed from the first sighting
    assert progress.rows()[0][2] == "1:25"
    progress.finished({"region": "London", "status": "feasible", "gap": 0.21, "bound_patient_km": 1.0})
    progress.finished({"region": "[bold]Atlantis", "status": "error", "error": "unknown region"})
    clock.now += 5
    rows = {row[0]: row for row in progress.rows()}
    assert rows["London"] == ("London", "solved", "1:25", "gap 21.00%: not proven: up to 21% from the best possible")
    assert rows["North East"][1:3] == ("solving", "1:30")  # the one still running keeps moving
    assert rows["[bold]Atlantis"][1] == "no plan" and rows["[bold]Atlantis"][3] == "no plan: the run failed"
    assert progress.heading() == "2/3 regions done, 1 solving; gap 21.00%"
    progress.finished({"region": "North East", "status": "optimal", "gap": 0.0, "bound_patient_km": 1.0})
    assert progress.heading() == "3/3 regions done, 0 solving; gaps 0.00% to 21.00%"  # the widest stays seen
    console = Console(record=True, width=160)
    console.print(progress_table(progress))
    text = console.export_text()
    assert "[bold]Atlantis" in text  # markup in a name is shown, not obeyed
    assert "gap 0.00%: proven optimal" in text and "3/3 regions done" in text
    # a region seen on a worker long before it ran shows its own time, measured where it ran
    queued = BatchProgress(["East of England"], clock=clock)
    queued.solving("East of England")
    clock.now += 180
    queued.finished({"region": "East of England", "status": "optimal", "gap": 0.0, "seconds": 5.46})
    assert queued.rows()[0][2] == "0:05"
    skipped = BatchProgress(["North East"], clock=clock)
    skipped.finished(
        {"region": "North East", "status": "feasible", "gap": 0.003, "skipped": True, "bound_patient_km": 1}
    )
    assert skipped.rows()[0][1:3] == ("already done", "")


@pytest.mark.slow
def test_the_batch_tells_its_display_before_and_after_each_region_ends(first):
    snapshots = first.snapshots
    assert snapshots[0][0] == 0 and snapshots[-1][0] == len(REGIONS)  # told before any region ended, and at the end
    states = {region: state for region, state, _, _ in snapshots[0][1]}
    assert set(states) == set(REGIONS) and set(states.values()) <= {"waiting for a worker", "solving"}
    final = {region: (state, plan) for region, state, _, plan in snapshots[-1][1]}
    assert final["North East"][0] == "solved" and final["North East"][1].endswith(
        first.by_region["North East"]["quality"]
    )
    assert final["Atlantis"] == ("no plan", "no plan: the run failed")
    done_counts = [done for done, _ in snapshots]
    assert done_counts == sorted(done_counts) and len(snapshots) > len(REGIONS)  # once per region, and between
