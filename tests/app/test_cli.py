"""The ``boundaries`` command on the real bundle: regions, solve, evaluate, compare, and its exit codes.

The one real solve (North East, HiGHS, 20 s) runs once through the installed console script and every test
about its outputs reads the same folder. Bad inputs run in-process through typer's CliRunner: they fail before
any solving, so they are quick.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from boundaries.app.batch import SHA_NAMES
from boundaries.app.cli import app
from boundaries.data.region import load_region
from boundaries.publish.planfile import read_plan_csv, write_plan_csv

CONSOLE_SCRIPT = Path(sys.executable).with_name("boundaries")
REGION = "North East"
NORTH_EAST_PRACTICES = 392
NORTH_EAST_PATIENTS = 2_710_613


def run_console(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """The installed ``boundaries`` command, as a script or a planner runs it (wide terminal: no wrapping)."""
    env = {**os.environ, "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([str(CONSOLE_SCRIPT), *args], capture_output=True, text=True, env=env, timeout=timeout)


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def region():
    return load_region(REGION)


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """``boundaries solve`` for the North East, run once for the module: (completed process, folder)."""
    out = tmp_path_factory.mktemp("solve-out")
    completed = run_console("solve", "--region", REGION, "--time-limit", "20", "--backend", "highs", "--out", str(out))
    return completed, out / "north-east"


@pytest.fixture(scope="module")
def metrics(solved):
    return json.loads((solved[1] / "metrics.json").read_text())


@pytest.fixture(scope="module")
def good_plan_csv(region, tmp_path_factory):
    """A valid plan file for the North East (the real 2013 CCG map), to spoil in the bad-input tests."""
    return write_plan_csv(region.ccg_assignment(), region, tmp_path_factory.mktemp("plans") / "ccg.csv")


# --- regions ------------------------------------------------------------------------------------------------


def test_help_lists_every_command():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("regions", "solve", "batch", "evaluate", "compare"):
        assert command in result.stdout


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    import boundaries

    completed = run_console("--version")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"boundaries {version('boundaries')}"
    assert version("boundaries") == boundaries.__version__  # the source tree agrees with what is installed


def test_help_shows_the_defaults_with_where_they_come_from():
    import tomllib

    from boundaries.app.config import DEFAULT_CONFIG

    run = tomllib.loads(DEFAULT_CONFIG.read_text())["run"]
    solve = one_line(run_console("solve", "--help").stdout)  # wide: each option on one line
    for option, key in (("--preset", "preset"), ("--backend", "backend"), ("--time-limit", "time_limit")):
        assert re.search(rf"{option} .*?\[default: \({run[key]}, from the settings file\)\]", solve), option
    assert "[default: (built-in default)]" in solve and "[default: out]" in solve
    batch = one_line(run_console("batch", "--help").stdout)
    for shown in ("[default: all]", "[default: 2]", "[default: maps]", f"[default: ({run['time_limit']}, from"):
        assert shown in batch, shown


def test_regions_lists_the_ten_sha_regions_with_practices_and_patients():
    completed = run_console("regions")
    assert completed.returncode == 0, completed.stderr
    rows = {}
    for line in completed.stdout.splitlines():
        match = re.search(r"(Q3\d)\W+([A-Za-z][A-Za-z ]*?)\W+([\d,]+)\W+([\d,]+)\W+(\d+)\W+(\d+)", line)
        if match:
            code, name, practices, patients, lads, ccgs = match.groups()
            rows[code] = (name, int(practices.replace(",", "")), int(patients.replace(",", "")), int(ccgs))
    assert sorted(rows) == [f"Q3{k}" for k in range(10)]
    assert {name for name, *_ in rows.values()} == set(SHA_NAMES)
    assert sum(practices for _, practices, _, _ in rows.values()) == 7_875
    assert sum(patients for _, _, patients, _ in rows.values()) == 56_793_044
    assert rows["Q30"] == (REGION, NORTH_EAST_PRACTICES, NORTH_EAST_PATIENTS, 12)


# --- solve --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_solve_exits_0_and_says_where_the_outputs_are(solved):
    completed, folder = solved
    assert completed.returncode == 0, completed.stderr
    assert re.search(r"North East: \d+ consortia, (optimal|feasible)", completed.stdout)
    assert str(folder / "map.html") in one_line(completed.stdout)
    assert "error" not in completed.stderr


@pytest.mark.slow
def test_solve_writes_every_output_and_no_temporary_file(solved):
    folder = solved[1]
    names = {p.name for p in folder.iterdir()}
    expected = {"plan.csv", "consortia.gpkg", "consortia.geojson", "metrics.json", "summary.txt", "map.html"}
    assert expected <= names
    leftovers = [p for p in folder.parent.rglob("*") if p.name.startswith(".")]
    assert leftovers == []


@pytest.mark.slow
def test_plan_csv_places_every_practice_exactly_once(solved, region, metrics):
    path = solved[1] / "plan.csv"
    raw = pd.read_csv(path, dtype=str)
    assert raw["code"].is_unique
    assert set(raw["code"]) == set(region.practices.index)
    assert len(raw) == NORTH_EAST_PRACTICES
    plan = read_plan_csv(path, region)  # the strict reader: every practice of the region, once, nothing else
    assert len(plan) == NORTH_EAST_PRACTICES
    assert plan.nunique() == metrics["consortia"]


@pytest.mark.slow
def test_consortium_areas_have_one_feature_per_consortium(solved, metrics):
    folder = solved[1]
    plan = read_plan_csv(folder / "plan.csv")
    gpkg = gpd.read_file(folder / "consortia.gpkg")
    geojson = gpd.read_file(folder / "consortia.geojson")
    for areas in (gpkg, geojson):
        assert len(areas) == metrics["consortia"]
        assert set(areas["consortium"]) == set(plan)
        assert areas.geometry.is_valid.all() and not areas.geometry.is_empty.any()
        assert areas["patients"].sum() == NORTH_EAST_PATIENTS
    assert geojson.crs.to_epsg() == 4326
    assert json.loads((folder / "consortia.geojson").read_text())["name"] == "consortia"  # not the temp name
    assert gpkg.crs.to_epsg() == 27700
    # the areas tile the region: no overlaps, and together the region's 8,592 km2
    assert gpkg.area.sum() / 1e6 == pytest.approx(8592.2, rel=0.01)
    assert gpkg.union_all().area / 1e6 == pytest.approx(gpkg.area.sum() / 1e6, rel=1e-3)


@pytest.mark.slow
def test_metrics_json_has_status_validation_and_scorecard(metrics):
    assert metrics["region"] == REGION
    assert metrics["status"] in ("optimal", "feasible")
    assert metrics["source"] == "highs"
    assert metrics["settings"]["time_limit"] == 20
    assert metrics["validation"]["ok"] is True and metrics["validation"]["violations"] == []
    # only consortia holding Holy Island or both banks of the Wear need an island link (inside one authority)
    linked = metrics["validation"]["island_linked"]  # "Sunderland", or by main town: "Alnwick (Northumberland)"
    assert all("Northumberland" in label or "Sunderland" in label for label in linked), linked
    # every consortium's area checked on the ground: one piece of land each, island parts named
    pieces = metrics["validation"]["pieces"]
    assert len(pieces) == metrics["consortia"] and set(pieces.values()) == {1}
    assert set(metrics["validation"]["island_parts"]) <= set(pieces)
    summary = metrics["scorecard"]["summary"]
    assert summary["consortia"] == metrics["consortia"]
    assert summary["practices"] == NORTH_EAST_PRACTICES
    assert summary["patients"] == NORTH_EAST_PATIENTS
    assert metrics["ccg2013_scorecard"]["consortia"] == 12


@pytest.mark.slow
def test_summary_and_map_are_written(solved, metrics):
    folder = solved[1]
    summary = (folder / "summary.txt").read_text()
    assert "Scorecard: North East" in summary
    assert f"status: {metrics['status']} (highs" in summary
    page = (folder / "map.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "2013 CCGs" in page
    assert "NHS Darlington CCG" in page  # the 2013 CCGs by name, not only by code ("00C")


# --- the time limit is the command's: loading and writing come out of it (a fake clock: no timing assumed) ----


@pytest.fixture
def command_clock(monkeypatch):
    """A fake clock for ``solve``: reading the settings takes 1 s on it, loading the region 2 s; ``solve``
    records the time limit it is given and nothing is written. Returns the list of limits given."""
    import boundaries.app.cli
    import boundaries.app.config
    import boundaries.data.region
    import boundaries.engine.solver
    from boundaries.app import runner

    now = [1000.0]
    monkeypatch.setattr(boundaries.app.cli, "clock", lambda: now[0])  # the command's start
    monkeypatch.setattr(runner, "clock", lambda: now[0])  # and what the runner reads after
    read, load = boundaries.app.config.load_config, boundaries.data.region.load_region

    def slow_read(path=None):
        now[0] += 1.0
        return read(path)

    def slow_load(name, data_dir=None):
        now[0] += 2.0
        return load(name, data_dir=data_dir)

    given = []

    def recorded_solve(problem, **options):
        given.append(options["time_limit"])

    summary = {"region": REGION, "status": "feasible", "consortia": 20, "gap": 0.0, "bound_patient_km": 1.0}
    monkeypatch.setattr(boundaries.app.config, "load_config", slow_read)
    monkeypatch.setattr(boundaries.data.region, "load_region", slow_load)
    monkeypatch.setattr(boundaries.engine.solver, "solve", recorded_solve)
    monkeypatch.setattr(runner, "write_outputs", lambda *args: summary)
    return given


def test_solve_gives_the_solver_what_the_command_has_left_of_its_time_limit(command_clock, tmp_path):
    from boundaries.app.runner import write_reserve

    result = invoke("solve", "--region", REGION, "--time-limit", "30", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    # 30 s less the settings (1 s) and the region (2 s) read, less the reserve for writing the outputs
    assert command_clock == [pytest.approx(30 - 3.0 - write_reserve(NORTH_EAST_PRACTICES))]


def test_solve_refuses_a_time_limit_too_short_for_the_region_naming_the_option(command_clock, tmp_path):
    from boundaries.app.runner import MIN_SOLVE_SECONDS, MIN_SOLVE_SHARE, write_reserve

    spent = 3.0 + write_reserve(NORTH_EAST_PRACTICES)
    least = max(spent + MIN_SOLVE_SECONDS, spent / (1 - MIN_SOLVE_SHARE))
    least = int(least) + (least > int(least))  # whole seconds, up
    out = tmp_path / "out"
    result = invoke("solve", "--region", REGION, "--time-limit", str(least - 1), "--out", str(out))
    assert_bad_input(result, f"--time-limit {least - 1} is too short for North East", f"--time-limit {least} or more")
    assert command_clock == [] and not out.exists()  # refused before solving; nothing written
    assert invoke("solve", "--region", REGION, "--time-limit", str(least), "--out", str(out)).exit_code == 0

    settings = tmp_path / "short.toml"
    settings.write_text(f"[run]\ntime_limit = {least - 1}\n")
    result = invoke("solve", "--region", REGION, "--config", str(settings), "--out", str(out))
    assert_bad_input(result, str(settings), "field '[run] time_limit'", f"--time-limit {least} or more")


# --- evaluate and compare -----------------------------------------------------------------------------------


def test_evaluate_scores_the_real_2013_ccg_map(tmp_path):
    result = invoke("evaluate", "ccg2013", "--region", REGION, "--json", str(tmp_path / "ccg.json"))
    assert result.exit_code == 0, result.stderr
    assert "Scorecard: North East" in result.stdout
    assert re.search(r"Consortia\s+12 \(392 practices, 2,710,613 patients\)", result.stdout)
    card = json.loads((tmp_path / "ccg.json").read_text())
    assert card["summary"]["consortia"] == 12
    assert card["summary"]["patients"] == NORTH_EAST_PATIENTS
    assert [p.name for p in tmp_path.iterdir()] == ["ccg.json"]


@pytest.mark.slow
def test_evaluating_the_solved_plan_agrees_with_its_metrics(solved, metrics, tmp_path):
    plan = str(solved[1] / "plan.csv")
    result = invoke("evaluate", plan, "--region", REGION, "--json", str(tmp_path / "m.json"))
    assert result.exit_code == 0, result.stderr
    assert re.search(rf"Consortia\s+{metrics['consortia']} \(392 practices", result.stdout)
    assert json.loads((tmp_path / "m.json").read_text())["summary"]["consortia"] == metrics["consortia"]


@pytest.mark.slow
def test_compare_prints_a_table_and_the_moves_and_writes_a_map(solved, metrics, tmp_path):
    plan = str(solved[1] / "plan.csv")
    result = invoke("compare", plan, "ccg2013", "--region", REGION, "--out", str(tmp_path / "compare.html"))
    assert result.exit_code == 0, result.stderr
    assert "Consortia" in result.stdout and "ccg2013" in result.stdout
    moved = re.search(r"([\d,]+) practices are in a different consortium", result.stdout)
    assert moved, result.stdout
    # the same count as the solve's scorecard, which measured moves from the 2013 CCGs too
    assert int(moved.group(1).replace(",", "")) == metrics["scorecard"]["summary"]["moved_practices"]
    assert 0 < int(moved.group(1).replace(",", "")) < NORTH_EAST_PRACTICES
    page = (tmp_path / "compare.html").read_text()
    assert "<html" in page.lower() and "ccg2013" in page


# --- an infeasible request ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_infeasible_region_exits_1_and_explains_in_planners_words(tmp_path):
    config = tmp_path / "no-exceptions.toml"
    config.write_text("[run]\n")  # no [regions."South West"] table: no exception for the Isles of Scilly
    result = invoke(
        "solve",
        "--region",
        "South West",
        "--config",
        str(config),
        "--backend",
        "highs",
        "--time-limit",
        "10",
        "--out",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 1
    message = one_line(result.stderr)
    assert "South West: no plan (infeasible)" in message
    assert "Isles of Scilly" in message and "30,000 minimum" in message
    assert "lad_groups" in message  # and what to do about it
    assert result.stdout.strip() == ""


# --- bad arguments and bad files: exit code 2, the message names what is wrong ------------------------------


def assert_bad_input(result, *parts: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    message = one_line(result.stderr)
    assert message.startswith("error:")
    for part in parts:
        assert part in message, (part, message)
    assert "Traceback" not in result.stderr + result.stdout


def test_unknown_region(tmp_path):
    result = invoke("solve", "--region", "Atlantis", "--out", str(tmp_path))
    assert_bad_input(result, "unknown region 'Atlantis'", "North East")
    assert list(tmp_path.iterdir()) == []
    assert_bad_input(invoke("evaluate", "ccg2013", "--region", "Atlantis"), "unknown region 'Atlantis'")


@pytest.mark.parametrize(
    "option, value, field",
    [("--preset", "huge", "preset"), ("--nesting", "maybe", "nesting"), ("--backend", "gurobi", "backend")],
)
def test_unknown_choice(tmp_path, option, value, field):
    result = invoke("solve", "--region", REGION, option, value, "--out", str(tmp_path))
    assert_bad_input(result, f"'{value}'", f"field '[options] {field}'")
    assert list(tmp_path.iterdir()) == []


def test_bad_config_names_the_file_and_field(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[run]\nbackend = "gurobi"\n')
    result = invoke("solve", "--region", REGION, "--config", str(config), "--out", str(tmp_path / "out"))
    assert_bad_input(result, str(config), "field '[run] backend'", "'gurobi'")

    config.write_text("[run\npreset =\n")
    result = invoke("solve", "--region", REGION, "--config", str(config), "--out", str(tmp_path / "out"))
    assert_bad_input(result, str(config), "not valid TOML")


def test_missing_config_file(tmp_path):
    missing = tmp_path / "typo.toml"
    result = invoke("solve", "--region", REGION, "--config", str(missing), "--out", str(tmp_path / "out"))
    assert_bad_input(result, str(missing), "no such settings file")
    assert not (tmp_path / "out").exists()


def spoil(good: Path, tmp_path: Path, edit) -> Path:
    lines = good.read_text().splitlines()
    path = tmp_path / "plan.csv"
    path.write_text("\n".join(edit(lines)) + "\n")
    return path


def evaluate_file(path: Path):
    return invoke("evaluate", str(path), "--region", REGION)


def test_plan_missing_a_column(good_plan_csv, tmp_path):
    path = spoil(good_plan_csv, tmp_path, lambda lines: [lines[0].replace("consortium", "team"), *lines[1:]])
    assert_bad_input(evaluate_file(path), str(path), "row 1", "consortium column")


def test_plan_with_an_unknown_practice(good_plan_csv, tmp_path):
    stranger = "ZZ9999,Nowhere Surgery,00C,1,E1,X,ZZ9 9ZZ"
    path = spoil(good_plan_csv, tmp_path, lambda lines: [lines[0], stranger, *lines[1:]])
    assert_bad_input(evaluate_file(path), str(path), "row 2", "field 'code'", "ZZ9999 is not in region North East")


def test_plan_with_a_duplicate_practice(good_plan_csv, tmp_path):
    path = spoil(good_plan_csv, tmp_path, lambda lines: [*lines, lines[5]])
    code = good_plan_csv.read_text().splitlines()[5].split(",")[0]
    assert_bad_input(
        evaluate_file(path),
        str(path),
        f"row {NORTH_EAST_PRACTICES + 2}",
        "field 'code'",
        f"practice {code} appears twice",
    )


def test_plan_leaving_a_practice_out(good_plan_csv, tmp_path):
    code = good_plan_csv.read_text().splitlines()[7].split(",")[0]
    path = spoil(good_plan_csv, tmp_path, lambda lines: lines[:7] + lines[8:])
    assert_bad_input(evaluate_file(path), str(path), "1 practice(s) of North East are in no consortium", code)


def test_plan_with_a_practice_in_no_consortium(good_plan_csv, tmp_path):
    path = spoil(good_plan_csv, tmp_path, lambda lines: [lines[0], re.sub(r",00\w,", ",,", lines[1]), *lines[2:]])
    assert_bad_input(evaluate_file(path), str(path), "row 2", "field 'consortium'", "has no consortium")


def test_missing_plan_file(tmp_path):
    missing = tmp_path / "nowhere.csv"
    assert_bad_input(evaluate_file(missing), str(missing), "no such file")
    result = invoke("compare", str(missing), "ccg2013", "--region", REGION, "--out", str(tmp_path / "c.html"))
    assert_bad_input(result, str(missing), "no such file")
    assert not (tmp_path / "c.html").exists()


def test_export_model_writes_a_file_another_solver_reads(tmp_path):
    import highspy

    from boundaries.app.config import load_config
    from boundaries.app.runner import region_problem
    from boundaries.engine.model import build_model

    target = tmp_path / "north-east.mps"
    result = invoke("solve", "--region", REGION, "--export-model", str(target), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "out" / "north-east").exists()  # exported, not solved
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(target)) == highspy.HighsStatus.kOk
    expected = build_model(region_problem(load_region(REGION), load_config(None).for_region(REGION))).lp
    assert h.getNumCol() == expected.n_vars and h.getNumRow() >= len(expected.rows)
    assert not list(tmp_path.glob(".north-east*"))  # no temporary file left beside it


def test_export_model_names_a_wrong_suffix(tmp_path):
    result = invoke("solve", "--region", REGION, "--export-model", str(tmp_path / "model.txt"))
    assert result.exit_code == 2
    assert "--export-model" in result.output and ".mps or .lp" in result.output
    assert not list(tmp_path.iterdir())


def test_evaluate_against_another_plan_says_better_or_worse_per_measure(tmp_path):
    region = load_region(REGION)
    by_authority = region.practices["lad"].astype(str).rename("consortium")
    path = tmp_path / "by-authority.csv"
    write_plan_csv(by_authority, region, path)
    result = invoke("evaluate", str(path), "--region", REGION, "--against", "ccg2013", "--preset", "consortium")
    assert result.exit_code == 0, result.output
    assert "Against ccg2013" in result.output
    # one consortium per authority: coterminous by construction, the 2013 map is not
    assert re.search(r"not coterminous\s+0 vs\s+1\s+better", result.output)
    assert re.search(r"^This plan is (worse on|better on|at least as good)", result.output, flags=re.MULTILINE)
    bad = invoke("evaluate", str(path), "--region", REGION, "--against", "ccg2013", "--preset", "huge")
    assert bad.exit_code == 2 and "--preset 'huge'" in bad.output


@pytest.mark.slow
def test_solve_beat_ccg2013_at_its_count_says_how_the_plan_compares(tmp_path):
    # a plan that comes back is no worse than the 2013 map on every measure and says so; no plan exits 1 and
    # names the reference (what holds at any stopping point: no timing assumed)
    out = tmp_path / "out"
    args = ("--preset", "consortium", "--beat", "ccg2013", "--count", "12", "--time-limit", "20")
    done = run_console("solve", "--region", REGION, *args, "--out", str(out))
    text = one_line(done.stdout + done.stderr)
    assert done.returncode in (0, 1), text
    if done.returncode == 0:
        assert "no worse than the reference on every measure: outside bounds 0 (reference 0)" in text
        metrics = json.loads((out / "north-east" / "metrics.json").read_text())
        assert set(metrics["beat"]) == {
            "outside_bounds",
            "non_coterminous",
            "la_splits",
            "coherence",
            "imd_spread",
            "compactness_km",
        }
        assert metrics["consortia"] == 12
    else:
        assert "reference" in text


@pytest.mark.slow
def test_tradeoff_writes_the_curve_and_says_which_plans_beat_the_2013_map(tmp_path):
    out = tmp_path / "out"
    args = ("--preset", "consortium", "--count", "12", "--points", "2", "--time-limit", "20", "--workers", "2")
    done = run_console("tradeoff", "--region", REGION, *args, "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = one_line(done.stdout)
    assert "reference (2013 CCGs): hospital coherence 0.9089, IMD spread 4.951" in text
    assert "end: leaning on hospital coherence" in text and "end: leaning on IMD spread" in text
    assert "frontier plans no worse than the 2013 CCGs on both:" in text
    folder = out / "north-east" / "tradeoff"
    summary = json.loads((folder / "tradeoff.json").read_text())
    assert summary["method"] == "epsilon"
    assert [p["kind"] for p in summary["points"]] == ["end", "end", "level", "level"]
    for point in summary["points"]:  # each row of the table says what its point proves
        assert point["verdict"] in text and point["label"] in text
    assert (folder / "tradeoff.svg").is_file() and len(summary["frontier_files"]) >= 1
