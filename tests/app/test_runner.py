"""One region end to end (the unit a batch hands a worker): never raises, never leaves a half-done folder."""

import html
import json
import math
import re
import time

import geopandas as gpd
import pytest

import boundaries.data.region
import boundaries.engine.solver
import boundaries.publish.maps
from boundaries.app import runner
from boundaries.app.config import RunConfig, load_config
from boundaries.app.runner import DONE, is_done, region_folder, resolve_baseline, run_region, write_outputs
from boundaries.atomic import slug
from boundaries.check.quality import ATTRIBUTION, DATA_VINTAGE, DOWNLOADS
from boundaries.data.region import load_region
from boundaries.engine.plan import Plan
from boundaries.publish.planfile import read_plan_csv


@pytest.fixture(scope="module")
def quick():
    """Settings for a quick real solve: HiGHS, 20 seconds in all, loading and writing included (a first plan,
    not a good one)."""
    return load_config().for_region("North East", backend="highs", time_limit=20)


@pytest.mark.slow
def test_a_failure_while_writing_outputs_is_reported_and_leaves_no_done_marker(monkeypatch, tmp_path, quick):
    folder = tmp_path / "north-east"
    folder.mkdir()
    (folder / DONE).write_text(json.dumps({"region": "North East", "status": "feasible"}))  # an earlier run
    assert is_done("North East", tmp_path)

    def broken_render_map(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(boundaries.publish.maps, "render_map", broken_render_map)
    result = run_region("North East", quick, tmp_path)

    assert result["status"] == "error"
    assert result["error"] == "OSError: disk full"
    assert "broken_render_map" in result["traceback"]
    assert not (folder / DONE).exists() and not is_done("North East", tmp_path)
    assert not (folder / "map.html").exists() and not (folder / "metrics.json").exists()
    assert [p.name for p in tmp_path.rglob(".*")] == []  # no temporary file left behind
    # what was written before the failure is whole
    region = load_region("North East")
    plan = read_plan_csv(folder / "plan.csv", region)
    assert len(gpd.read_file(folder / "consortia.gpkg")) == plan.nunique()
    assert len(gpd.read_file(folder / "consortia.geojson")) == plan.nunique()
    assert (folder / "summary.txt").read_text().startswith("Scorecard: North East")


def test_an_unknown_region_is_reported_not_raised_and_writes_nothing(tmp_path, quick):
    result = run_region("Atlantis", quick, tmp_path / "out")
    assert result["status"] == "error" and result["region"] == "Atlantis"
    assert "unknown region 'Atlantis'" in result["error"]
    assert list(tmp_path.iterdir()) == []


HOSTILE = [
    "..",
    ".",
    "../../Atlantis",
    "../..",
    "/etc/passwd",
    "a/../../b",
    "..\\..\\windows",
    "C:\\temp",
    "~root",
    "North East/../../..",
    "\x00..",
    "...",
    "..\u2024/\u2025",  # one- and two-dot leaders: NFKD makes them dots
    "",
    " ",
    "x" * 500,
]


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_folder_names_are_sanitised_from_region_names(tmp_path, name):
    out = tmp_path / "out"
    folder = region_folder(out, name)
    assert folder.parent == out  # one plain folder directly inside the output folder
    assert folder.name not in ("", ".", "..") and not set(folder.name) & set("/\\:\x00~")
    assert folder.resolve().is_relative_to(out.resolve())
    assert len(folder.name) <= 80
    folder.mkdir(parents=True)  # the folder can be made, and is where it was meant to be
    assert {p for p in tmp_path.rglob("*") if p.is_dir()} == {out, folder}


def test_folder_names_of_real_regions_are_their_slugs(tmp_path):
    assert region_folder(tmp_path, "q30") == region_folder(tmp_path, "NORTH EAST") == tmp_path / "north-east"
    assert slug("North East") == "north-east"
    assert slug("Yorkshire and the Humber") == "yorkshire-and-the-humber"
    assert slug("../../Atlantis") == "atlantis"
    assert slug("Île de <b>France</b>") == "ile-de-b-france-b"


@pytest.mark.parametrize(
    "marker, done",
    [
        ({"status": "optimal"}, True),
        ({"status": "feasible"}, True),
        ({"status": "infeasible"}, False),  # no plan: tried again, perhaps with a nesting exception added
        ({"status": "timed_out"}, False),
        (None, False),
    ],
)
def test_only_regions_with_a_plan_count_as_done(tmp_path, marker, done):
    folder = tmp_path / slug("South West")
    folder.mkdir()
    if marker is not None:
        (folder / DONE).write_text(json.dumps({"region": "South West", **marker}))
    assert is_done("South West", tmp_path) is done


def test_a_corrupt_done_marker_is_not_done(tmp_path):
    (tmp_path / "south-west").mkdir()
    (tmp_path / "south-west" / DONE).write_text('{"status": "feas')
    assert not is_done("South West", tmp_path)


def test_baselines_are_the_2013_ccgs_or_a_plan_file(tmp_path):
    region = load_region("North East")
    assert resolve_baseline(None, region) is None
    assert resolve_baseline("ccg2013", region).equals(region.ccg_assignment(names=True))
    path = tmp_path / "b.csv"
    path.write_text(
        "code,consortium\n" + "".join(f"{code},{label}\n" for code, label in region.ccg_assignment().items())
    )
    assert resolve_baseline(str(path), region).to_dict() == region.ccg_assignment().to_dict()


def test_a_rerun_without_a_plan_removes_the_old_plan_files(tmp_path):
    from boundaries.app.config import RunConfig
    from boundaries.app.runner import OUTPUTS, run_region

    folder = tmp_path / "south-west"
    folder.mkdir()
    for name in OUTPUTS:
        (folder / name).write_text("from an earlier run")
    result = run_region("South West", RunConfig(time_limit=5), tmp_path)  # no Scilly exception: infeasible
    assert result["status"] == "infeasible"
    assert sorted(p.name for p in folder.iterdir()) == ["done.json", "metrics.json"]  # the marker says infeasible
    assert "earlier" not in (folder / "metrics.json").read_text()
    assert '"infeasible"' in (folder / "done.json").read_text()


@pytest.mark.slow
def test_missing_map_assets_keep_the_plan_and_its_metrics(monkeypatch, tmp_path, quick):
    """An install without the offline map assets (a wheel, say) still gets its plan and figures; only the map
    waits, the run is not marked done, and the error says what was kept."""
    import boundaries.publish.map_assets as map_assets

    def missing():
        raise map_assets.MissingAssetsError("Offline map assets (Leaflet, Leaflet.markercluster) are missing")

    monkeypatch.setattr(map_assets, "asset_dir", missing)
    region = load_region("North East")
    plan = Plan.from_assignment(region.ccg_assignment(), region=region, source="highs")
    plan.status = "feasible"
    folder = tmp_path / "north-east"
    with pytest.raises(map_assets.MissingAssetsError, match="the plan, metrics.json and the report were written"):
        write_outputs(plan, region, quick, folder, time.perf_counter())
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["map_error"].startswith("Offline map assets") and "map" not in metrics["files"]
    assert read_plan_csv(folder / "plan.csv", region).nunique() == plan.assignment.nunique()
    assert (folder / "report.html").is_file() and not (folder / "map.html").exists()
    assert not (folder / DONE).exists() and not is_done("North East", tmp_path)


@pytest.mark.slow
def test_summary_metrics_and_map_say_how_good_the_plan_is(tmp_path, quick):
    region = load_region("North East")
    plan = Plan.from_assignment(region.ccg_assignment(), region=region, source="highs")
    plan.status, plan.objective, plan.bound, plan.gap = "feasible", 1_000_000.0, 580_000.0, 0.42
    label = "not proven: up to 42% from the best possible"
    folder = tmp_path / "north-east"
    write_outputs(plan, region, quick, folder, time.perf_counter())

    metrics = json.loads((folder / "metrics.json").read_text())
    assert (metrics["status"], metrics["bound_patient_km"], metrics["gap"]) == ("feasible", 580_000.0, 0.42)
    assert metrics["quality"] == label and metrics["data_vintage"] == DATA_VINTAGE
    done = json.loads((folder / DONE).read_text())
    assert [done[k] for k in ("status", "bound_patient_km", "gap", "quality")] == ["feasible", 580_000.0, 0.42, label]

    summary = (folder / "summary.txt").read_text()
    assert summary.startswith("Scorecard: North East")
    assert f"quality: {label}\nstatus: feasible (highs" in summary
    assert "objective 1,000,000 patient-km, bound 580,000, gap 42.00%" in summary
    assert "settings: hub preset (30,000–210,000 patients); strict nesting; count auto; HiGHS, 20 s limit" in summary
    assert f"data: {DATA_VINTAGE}" in summary and "July 2014" in summary
    assert summary.index("quality:") < summary.index("patients  practices")  # before the long consortium table
    assert summary.rstrip().endswith(ATTRIBUTION)

    page = (folder / "map.html").read_text()
    assert f"<th>Plan quality</th><td>{label}</td>" in page
    assert "<th>Settings</th><td>hub preset (30,000–210,000 patients)" in page
    assert html.escape(ATTRIBUTION) in page
    # the map links every published file beside it, each of which exists once the run is done
    linked = re.findall(r"<a href='([^']*)' download>", page)
    assert linked == list(DOWNLOADS) and all((folder / name).is_file() for name in linked)
    assert read_plan_csv(folder / "plan.csv", region).equals(read_plan_csv(folder / "plan.csv"))
    assert (folder / "plan.csv").read_text().splitlines()[0].endswith(",postcode")


# --- the time limit is the run's: loading and writing come out of it (a fake clock: no timing assumed) ---------


class FakeClock:
    """``runner.clock`` that moves only when a test says: loading "takes" what the test decides."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake(monkeypatch):
    """A fake clock; loading a region takes 2.5 s on it; ``solve`` records the time limit it is given, and
    ``write_outputs`` what it is asked, without solving or writing anything."""
    clock = FakeClock()
    monkeypatch.setattr(runner, "clock", clock)
    load = boundaries.data.region.load_region
    loaded = {}

    def slow_load(name, data_dir=None):
        if name not in loaded:  # the real region (once for the module), 2.5 s on the fake clock
            loaded[name] = load(name, data_dir=data_dir)
        clock.now += 2.5
        return loaded[name]

    given = []

    def recorded_solve(problem, **options):
        given.append(options["time_limit"])
        return Plan.from_assignment(problem.region.ccg_assignment(), region=problem.region, source="highs")

    monkeypatch.setattr(boundaries.data.region, "load_region", slow_load)
    monkeypatch.setattr(boundaries.engine.solver, "solve", recorded_solve)
    monkeypatch.setattr(runner, "write_outputs", lambda plan, region, config, folder, started: {"status": "feasible"})
    return clock, given


def test_the_solver_gets_the_time_limit_less_loading_and_the_writing_reserve(fake, tmp_path):
    clock, given = fake
    reserve = runner.write_reserve(392)  # the North East's practices
    assert run_region("North East", RunConfig(time_limit=30), tmp_path)["status"] == "feasible"
    assert given == [pytest.approx(30 - 2.5 - reserve)]
    # timed from the command's start when it is given: 1 s spent before the region was asked for
    run_region("North East", RunConfig(time_limit=30), tmp_path, started=clock.now - 1.0)
    assert given[1] == pytest.approx(30 - 3.5 - reserve)
    # a batch task (no start given) is timed from its own start
    result = runner.run_region_task("North East", RunConfig(time_limit=60))
    assert result["status"] == "feasible" and given[2] == pytest.approx(60 - 2.5 - reserve)


def test_the_writing_reserve_is_a_fixed_part_and_a_part_per_practice():
    assert runner.write_reserve(0) == runner.WRITE_SECONDS_FIXED > 0  # the least any region is given
    assert runner.write_reserve(15) > runner.WRITE_SECONDS_FIXED  # Hartlepool, one authority
    assert runner.write_reserve(392) < runner.write_reserve(926) < runner.write_reserve(1425)
    assert runner.write_reserve(926) == pytest.approx(
        runner.WRITE_SECONDS_FIXED + 926 * runner.WRITE_SECONDS_PER_PRACTICE
    )


def test_a_time_limit_too_short_for_the_region_is_refused_before_solving(fake, tmp_path):
    _, given = fake
    reserve = runner.write_reserve(392)
    least = math.ceil(max(2.5 + reserve + runner.MIN_SOLVE_SECONDS, (2.5 + reserve) / (1 - runner.MIN_SOLVE_SHARE)))
    short = 2.5 + reserve + 0.5  # half a second left for the solver
    result = run_region("North East", RunConfig(time_limit=short), tmp_path / "out")
    assert result["status"] == "error" and result["input_error"] is True  # bad input: the CLI exits 2
    message = result["error"]
    assert f"--time-limit {short:g} is too short for North East" in message
    assert "loading took 2.5 s" in message and f"about {reserve:.1f} s" in message
    assert f"North East needs --time-limit {least} or more" in message
    assert given == [] and not (tmp_path / "out").exists()  # not solved, nothing written
    # the least it names is enough, and a second less is not
    assert run_region("North East", RunConfig(time_limit=least), tmp_path / "out")["status"] == "feasible"
    assert given == [pytest.approx(least - 2.5 - reserve)]
    assert given[0] >= max(runner.MIN_SOLVE_SECONDS, runner.MIN_SOLVE_SHARE * least)
    assert run_region("North East", RunConfig(time_limit=least - 1), tmp_path / "out")["status"] == "error"
    assert len(given) == 1


def test_a_short_limit_from_a_settings_file_names_the_file_the_key_and_the_option(fake, tmp_path):
    settings = tmp_path / "short.toml"
    settings.write_text("[run]\ntime_limit = 3\n")
    result = run_region("North East", load_config(settings).for_region("North East"), tmp_path / "out")
    assert result["input_error"] is True
    assert f"{settings}, field '[run] time_limit': time_limit = 3 is too short for North East" in result["error"]
    assert "North East needs --time-limit" in result["error"]


def test_a_problem_infeasible_on_its_face_is_not_refused_for_its_time_limit(tmp_path):
    # no Isles of Scilly exception: the precheck proves it at once and only metrics.json is written, so even a
    # limit shorter than the writing reserve is kept (the real clock and solver: no time is assumed)
    assert runner.write_reserve(701) > 1
    result = run_region("South West", RunConfig(time_limit=1), tmp_path)
    assert result["status"] == "infeasible" and "Isles of Scilly" in result["explanation"]
