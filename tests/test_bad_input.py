"""Every bad input a clear error: one row per case, run through the ``boundaries`` command in-process.

To add a case, add a ``Case`` to ``CASES``: the files it needs (``{tmp}`` in a path or an argument is the test's
temporary folder; ``FOLDER`` makes a folder), the command's arguments, the exit code, the fragments that must
name where the problem is (file, table and key, row, option: at least one), and a fragment of what it says.
Every case fails before any solving, so the whole table runs in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from typer.testing import CliRunner

from boundaries.app.cli import app
from boundaries.engine.problem import auto_count

FOLDER = object()  # a file entry that is a folder instead
NE_CODE = "A81001"  # a North East practice
SETTINGS = "{tmp}/settings.toml"
PLAN = "{tmp}/plan.csv"


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    where: tuple[str, ...]  # the message must name these: the file, table and key, row, field or option
    says: str  # and say this
    files: dict[str, object] = field(default_factory=dict)  # path -> text, bytes or FOLDER


def settings(text: str, where: tuple[str, ...], says: str, id: str) -> Case:
    """A settings file given to ``solve`` (1 s time limit: were the check to fail, the solve stays short)."""
    args = ("solve", "--region", "North East", "--config", SETTINGS, "--time-limit", "1", "--out", "{tmp}/out")
    return Case(id, args, 2, (SETTINGS, *where), says, {SETTINGS: text})


def plan(content: str | bytes | object, where: tuple[str, ...], says: str, id: str) -> Case:
    """A plan file given to ``evaluate`` for the North East."""
    return Case(id, ("evaluate", PLAN, "--region", "North East"), 2, (PLAN, *where), says, {PLAN: content})


def command(args: tuple[str, ...], where: tuple[str, ...], says: str, id: str, code: int = 2, **files) -> Case:
    return Case(id, args, code, where, says, files)


# outputs that cannot be written, for root too (permission bits do not stop root): each is checked before any work
UNWRITABLE = [
    ("evaluate-json", ("evaluate", "ccg2013", "--region", "North East"), "--json", "metrics.json"),
    ("compare-out", ("compare", "ccg2013", "ccg2013", "--region", "North East"), "--out", "compare.html"),
    ("solve-out", ("solve", "--region", "North East", "--time-limit", "1"), "--out", "out"),
    ("batch-out", ("batch", "--regions", "North East", "--time-limit", "1", "--workers", "1"), "--out", "maps"),
    ("export-model", ("solve", "--region", "North East", "--out", "{tmp}/out"), "--export-model", "model.mps"),
]

LONDON = '[run]\n[regions."{name}"]\nlad_groups = [{{ lad = "{lad}", joins = "{joins}", reason = "test" }}]\n'

CASES = [
    # --- settings files: unknown keys and tables, with a suggestion ---------------------------------------------
    settings('[run]\ncolour = "red"\n', ("field '[run] colour'",), "unknown key 'colour'", "unknown-key"),
    settings("[run]\ntime_limt = 5\n", ("field '[run] time_limt'",), "did you mean 'time_limit'?", "misspelt-key"),
    settings("[runn]\ntime_limit = 5\n", ("field '[runn]'",), "did you mean 'run'?", "misspelt-table-run"),
    settings("[run]\n[weight]\nhealth = 1\n", ("field '[weight]'",), "did you mean 'weights'?", "misspelt-table-w"),
    settings("[run]\n[weights]\nhelth = 1\n", ("field '[weights] helth'",), "did you mean 'health'?", "weight-key"),
    settings('preset = "hub"\n', ("field 'preset'",), "put it under [run]", "run-key-at-top"),
    settings("", (), "no [run] table", "no-run-table"),
    settings('[run]\n[regions."Londn"]\nseed = 1\n', ('[regions."Londn"]',), "did you mean 'London'?", "region"),
    settings(
        '[run]\n[regions."q36"]\nseed = 1\n[regions."LONDON"]\nseed = 2\n',
        ('[regions."LONDON"]',),
        'already given as [regions."q36"]',
        "region-twice",
    ),
    settings(
        '[run]\n[regions."London"]\nlad_groups = [{ lad = "E09000001", join = "E09000012", reason = "x" }]\n',
        ("field '[regions.\"London\"] lad_groups[1].join'",),
        "did you mean 'joins'?",
        "lad-group-key",
    ),
    settings(
        '[run]\n[regions."London"]\nlad_groups = [{ lad = "E09000001" }]\n',
        ("field '[regions.\"London\"] lad_groups[1].joins'",),
        "each entry needs lad, joins and reason",
        "lad-group-missing",
    ),
    # --- settings files: types and ranges, named with the value --------------------------------------------------
    settings("[run]\ntime_limit = -3\n", ("field '[run] time_limit'",), "-3 is not allowed", "negative-time"),
    settings("[run]\ntime_limit = true\n", ("field '[run] time_limit'",), "true is not allowed", "bool-time"),
    settings("[run]\ntime_limit = nan\n", ("field '[run] time_limit'",), "finite number", "nan-time"),
    settings("[run]\ngap = 1\n", ("field '[run] gap'",), "1 is not allowed: input should be less than 1", "gap-1"),
    settings("[run]\ngap = -0.1\n", ("field '[run] gap'",), "-0.1 is not allowed", "gap-negative"),
    settings("[run]\nseed = 1.5\n", ("field '[run] seed'",), "valid integer", "float-seed"),
    settings('[run]\npreset = "hubb"\n', ("field '[run] preset'",), "'hubb' is not a preset (did you mean", "preset"),
    settings('[run]\nnesting = "loose"\n', ("field '[run] nesting'",), "'loose' is not a nesting", "nesting"),
    settings('[run]\nbackend = "gurobi"\n', ("field '[run] backend'",), "'gurobi' is not a backend", "backend"),
    settings("[run]\n[weights]\nhealth = -1\n", ("field '[weights] health'",), "-1 is not allowed", "neg-weight"),
    settings(
        "[run]\nmin_population = 500000\nmax_population = 200000\n",
        ("field '[run] max_population'",),
        "200000 is below min_population 500,000",
        "min-above-max",
    ),
    settings(
        "[run]\nmin_population = 300000\n",
        ("field '[run] min_population'",),
        "min_population = 300000 makes the population bounds 300,000–210,000",
        "min-above-preset-max",
    ),
    settings("[run]\nn_consortia = [9, 3]\n", ("field '[run] n_consortia'",), "low 9 is above high 3", "count-range"),
    settings("[run]\nn_consortia = 0\n", ("field '[run] n_consortia'",), "0 is not allowed", "count-zero"),
    settings('extends = "settings.toml"\n[run]\n', ("field 'extends'",), "extend themselves in a loop", "extends-loop"),
    settings(b"\xff\xfe\x00\x01[run]", ("row 1",), "not a text file", "not-text"),
    settings("[run\npreset =", (), "not valid TOML", "broken-toml"),
    # --- settings that need the region: exceptions naming authorities it lacks, bounds that allow no count ------
    settings(
        LONDON.format(name="North East", lad="E09000001", joins="E06000001"),
        ("field '[regions.\"North East\"] lad_groups[1].lad'",),
        "'E09000001' is not a local authority of North East",
        "lad-of-another-region",
    ),
    settings(
        LONDON.format(name="q30", lad="E06000001", joins="Middlesbrough"),
        ("field '[regions.\"q30\"] lad_groups[1].joins'",),
        "did you mean 'E06000002', the code of Middlesbrough?",
        "lad-by-name",
    ),
    settings(
        "[run]\nmin_population = 1400000\nmax_population = 1400000\n",
        ("field '[run] min_population'",),
        "1,400,000–1,400,000 allow no number of consortia for North East's 2,710,613 patients",
        "bounds-allow-no-count",
    ),
    Case(
        "missing-settings-file",
        ("solve", "--region", "North East", "--config", "{tmp}/typo.toml", "--out", "{tmp}/out"),
        2,
        ("{tmp}/typo.toml",),
        "no such settings file",
    ),
    Case(
        "settings-file-is-a-folder",
        ("solve", "--region", "North East", "--config", "{tmp}/dir", "--out", "{tmp}/out"),
        2,
        ("{tmp}/dir",),
        "is a folder",
        {"{tmp}/dir": FOLDER},
    ),
    # --- command-line options -------------------------------------------------------------------------------------
    command(("solve", "--region", "North East", "--gap", "1.5", "--out", "{tmp}"), ("[options] gap",), "1.5", "gap"),
    command(("solve", "--region", "Atlantis", "--out", "{tmp}"), ("region spec",), "unknown region 'Atlantis'", "r"),
    command(("solve", "--region", "[/]", "--out", "{tmp}"), ("region spec",), "unknown region '[/]'", "markup"),
    command(("batch", "--regions", ",", "--out", "{tmp}"), ("field '--regions'",), "names no region", "no-regions"),
    command(("batch", "--regions", "London,", "--out", "{tmp}"), ("entry 2",), "is empty", "empty-entry"),
    command(
        ("batch", "--regions", "London,q36", "--out", "{tmp}"), ("entry 2 'q36'",), "London again (entry 1)", "dup"
    ),
    command(("batch", "--regions", "Londn", "--out", "{tmp}"), ("entry 1 'Londn'",), "did you mean 'London'", "bad"),
    command(("batch", "--workers", "0", "--out", "{tmp}"), ("field '--workers'",), "at least 1 worker", "workers-0"),
    command(("batch", "--workers", "-1", "--out", "{tmp}"), ("field '--workers'",), "-1 is not allowed", "workers-1"),
    command(
        ("batch", "--regions", "London", "--scheduler", "not an address", "--out", "{tmp}"),
        ("field '--scheduler'",),
        "cannot reach a Dask scheduler at 'not an address': missing port number",
        "scheduler",
    ),
    command(
        ("batch", "--regions", "London", "--scheduler", "tcp://127.0.0.1:1", "--out", "{tmp}"),
        ("field '--scheduler'", "'tcp://127.0.0.1:1'"),
        "nothing is listening on port 1 of 127.0.0.1",
        "scheduler-not-listening",
    ),
    command(
        ("batch", "--regions", "London", "--scheduler", "127.0.0.1:99999", "--out", "{tmp}"),
        ("field '--scheduler'",),
        "port 99999 is not a port number",
        "scheduler-bad-port",
    ),
    command(
        ("batch", "--regions", "London", "--out", "{tmp}/file"),
        ("{tmp}/file",),
        "is a file: --out needs a folder",
        "batch-out-file",
        **{"{tmp}/file": "x"},
    ),
    command(
        ("evaluate", "ccg2013", "--region", "North East", "--json", "{tmp}"),
        ("{tmp}",),
        "is a folder: --json needs a file name",
        "json-folder",
    ),
    command(
        ("compare", "ccg2013", "ccg2013", "--region", "North East", "--out", "{tmp}"),
        ("{tmp}",),
        "is a folder: --out needs a file name",
        "compare-out-folder",
    ),
    *[
        command(
            (*args, option, path),
            (path, f"{option} cannot be written there" if "file" in path else f"choose another {option}"),
            f"{parent} is a file, not a folder" if "file" in path else f"cannot write in {parent}",
            f"{name}-{'under-a-file' if 'file' in path else 'in-proc'}",
            **({"{tmp}/file": "x"} if "file" in path else {}),
        )
        for name, args, option, leaf in UNWRITABLE
        # a folder that is a file; /proc, where nobody (root included) can create a file
        for parent, path in (("{tmp}/file", f"{{tmp}}/file/{leaf}"), ("/proc", f"/proc/{leaf}"))
    ],
    command(
        ("solve", "--region", "North East", "--baseline", "ccg2014", "--out", "{tmp}"),
        ("ccg2014",),
        "no such file: give a plan CSV (code, consortium) or 'ccg2013'",
        "baseline-misspelt",
    ),
    # --- plan files -------------------------------------------------------------------------------------------
    plan(FOLDER, (), "is a folder, not a plan file", "plan-folder"),
    plan("Code;Team\nA81001;North\n", ("row 1",), "missing a consortium column", "plan-no-consortium-column"),
    plan("name,consortium\nX,North\n", ("row 1",), "missing a practice code column", "plan-no-code-column"),
    plan("code,consortium\nA81001,North\nA81001,South\n", ("row 3", "field 'code'"), "appears twice", "plan-dup"),
    plan("code,consortium\nZZ9999,North\n", ("row 2", "field 'code'"), "ZZ9999 is not in region", "plan-unknown"),
    plan("code,consortium\nA81001, \n", ("row 2", "field 'consortium'"), "has no consortium", "plan-blank"),
    plan("code,consortium\nA81001\n", ("row 2",), "wrong number of fields", "plan-short-row"),
    plan("code,consortium\nA81001,Caf\xe9\n".encode("latin-1"), ("row 2",), "save the plan as CSV UTF-8", "latin1"),
    plan("code,consortium\nA81001,North\n".encode("utf-16-le"), ("row 1",), "UTF-16 without a byte-order", "utf16"),
    plan(f"code,consortium\n{NE_CODE},{'x' * 200_000}\n", ("row 2",), "not a readable CSV row", "plan-huge-field"),
    plan("", ("row 1",), "empty file", "plan-empty"),
    command(
        ("evaluate", "{tmp}/[bold]a[/]b.csv", "--region", "North East"),
        ("{tmp}/[bold]a[/]b.csv",),
        "no such file",
        "plan-name-with-markup",
    ),
]


def one_line(text: str) -> str:
    return " ".join(text.split())


def make_files(files: dict[str, object], tmp: str) -> None:
    from pathlib import Path

    for name, content in files.items():
        path = Path(name.format(tmp=tmp))
        if content is FOLDER:
            path.mkdir(parents=True, exist_ok=True)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(str(content), encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_clear_error(case: Case, tmp_path):
    assert case.where, "every case must say where the problem is named (file, key, row or option)"
    tmp = str(tmp_path)
    make_files(case.files, tmp)
    result = CliRunner().invoke(app, [arg.format(tmp=tmp) for arg in case.args])
    message = one_line(result.stderr)
    assert result.exit_code == case.code, (result.exit_code, message, result.stdout)
    assert message.startswith("error:"), message
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in (*case.where, case.says):
        assert fragment.format(tmp=tmp) in message, (fragment, message)


def test_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


# --- the boundary itself: interrupted, unexpected, --debug ----------------------------------------------------


def _raise(error: BaseException):
    def broken(*args, **kwargs):
        raise error

    return broken


def test_ctrl_c_exits_130_without_a_traceback(monkeypatch):
    monkeypatch.setattr("boundaries.data.region.load_region", _raise(KeyboardInterrupt()))
    result = CliRunner().invoke(app, ["evaluate", "ccg2013", "--region", "North East"])
    assert result.exit_code == 130 and one_line(result.stderr) == "error: interrupted"


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setattr("boundaries.data.region.load_region", _raise(RuntimeError("[bold]boom[/]")))
    result = CliRunner().invoke(app, ["evaluate", "ccg2013", "--region", "North East"])
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert (
        one_line(result.stderr) == "error: unexpected RuntimeError: [bold]boom[/] (run with --debug for the traceback)"
    )
    result = CliRunner().invoke(app, ["--debug", "evaluate", "ccg2013", "--region", "North East"])
    assert result.exit_code == 1 and "Traceback (most recent call last)" in result.stderr
    result = CliRunner().invoke(app, ["evaluate", "ccg2013", "--region", "North East"], env={"BOUNDARIES_DEBUG": "1"})
    assert "Traceback (most recent call last)" in result.stderr


# --- silently wrong before: now right ---------------------------------------------------------------------------


def test_automatic_count_with_custom_bounds_is_a_range_the_bounds_allow():
    # North East, 500,000-2,000,000 with the hub preset's typical 120,000 used to ask for 19-5 consortia
    assert auto_count(2_710_613, 500_000, 2_000_000, 120_000) == (4, 5)
    assert auto_count(2_710_613, 30_000, 210_000, 120_000) == (19, 26)  # the presets are unchanged
    low, high = auto_count(2_710_613, 0, 2_000_000, 120_000)  # no minimum: no longer a range upside down
    assert low <= high


def test_a_region_given_by_code_gets_its_settings_table():
    from boundaries.app.config import load_config

    config = load_config("default")
    assert config.for_region("Q36") == config.for_region("london") == config.for_region("London")
    assert [g.lad for g in config.for_region("q36").lad_groups] == ["E09000001"]


def test_batch_names_each_region_once_under_one_name():
    from boundaries.app.batch import parse_regions

    assert parse_regions("Q38, london") == ["South Central", "London"]
    assert len(parse_regions("all")) == 10


def test_the_sha_table_matches_the_bundle():
    from boundaries.data.region import SHA_REGIONS, sha_regions

    assert dict(sha_regions()["name"]) == SHA_REGIONS


def test_a_killed_runs_temporaries_are_removed_on_the_next_run(tmp_path):
    from boundaries.app.runner import OUTPUTS, remove_stale_temporaries

    stale = [tmp_path / ".plan.k2j4h.csv", tmp_path / ".consortia.x81.gpkg", tmp_path / ".consortia.x81.gpkg-journal"]
    for path in [*stale, tmp_path / "plan.csv", tmp_path / ".hidden-note"]:
        path.write_text("partial")
    assert sorted(remove_stale_temporaries(tmp_path, OUTPUTS)) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hidden-note", "plan.csv"]


def test_settings_and_run_config_know_the_same_keys():
    from dataclasses import fields

    from boundaries.app.config import RunConfig, RunSchema

    assert set(RunSchema.model_fields) == {f.name for f in fields(RunConfig)} - {"origins"}


# --- the Python API: Problem checks its inputs, naming the unit and the field ----------------------------------
#
# To add a case, add an ``ApiCase``: a change to a small valid grid problem (``grid_graph`` attributes to set on a
# node, or keyword arguments for ``Problem.from_graph``), the field the error must name, and what it must say.


def grid_graph(ids: str = "tuple"):
    """A 3 x 3 grid of units (tuples, or ints with ``ids="int"``), two local authorities, all data present."""
    import networkx as nx

    graph = nx.grid_2d_graph(3, 3)
    for node in graph.nodes:
        graph.nodes[node].update(
            population=100, x=node[0] * 1000.0, y=node[1] * 1000.0, lad="A" if node[0] < 2 else "B", imd=10.0
        )
    return nx.convert_node_labels_to_integers(graph, ordering="sorted") if ids == "int" else graph


@dataclass(frozen=True)
class ApiCase:
    id: str
    node: dict[str, object]  # attributes set on the first unit (unit (0, 0), or 0 with int ids)
    settings: dict[str, object]  # keyword arguments for Problem.from_graph
    field: str  # the field named
    says: str
    ids: str = "tuple"
    names_unit: bool = True  # the first unit is named too


nan, inf = float("nan"), float("inf")
API_CASES = [
    ApiCase("nan-population", {"population": nan}, {}, "population", "has population nan: missing data"),
    ApiCase("none-population", {"population": None}, {}, "population", "missing data"),
    ApiCase("text-population", {"population": "100"}, {}, "population", "has population '100': not a number"),
    ApiCase("bool-population", {"population": True}, {}, "population", "True: not a number"),
    ApiCase("inf-population", {"population": inf}, {}, "population", "inf: not a finite number"),
    ApiCase("negative-population", {"population": -5}, {}, "population", "negative population (-5)"),
    ApiCase("nan-x", {"x": nan}, {}, "x", "has x nan: missing data"),
    ApiCase("inf-y", {"y": inf}, {}, "y", "has y inf: not a finite number"),
    ApiCase("text-x", {"x": "1km"}, {}, "x", "'1km': not a number"),
    ApiCase("nan-imd", {"imd": nan}, {"imd": "imd"}, "imd", "has imd nan: missing data"),
    ApiCase("int-ids-nan-population", {"population": nan}, {}, "population", "unit 0 has population nan", "int"),
    ApiCase("missing-lad", {"lad": None}, {"lad": "lad"}, "lad", "has no lad (missing data"),
    ApiCase("nan-lad-soft", {"lad": nan}, {"lad": "lad", "nesting": "soft"}, "lad", "has no lad (missing data"),
    ApiCase("weights-misspelt", {}, {"weights": {"helth": 1.0}}, "weights", "did you mean 'health'?", names_unit=False),
    ApiCase(
        "weights-negative", {}, {"weights": {"health": -1}}, "weights.health", "-1 is not allowed", names_unit=False
    ),
    ApiCase("weights-nan", {}, {"weights": {"border": nan}}, "weights.border", "not a finite number", names_unit=False),
    ApiCase("count-reversed", {}, {"n_consortia": (5, 2)}, "n_consortia", "low end above its high", names_unit=False),
    ApiCase("count-bool", {}, {"n_consortia": True}, "n_consortia", "True is not an integer", names_unit=False),
    ApiCase("health-floor-2", {}, {"health_floor": 2.0}, "health_floor", "at most 1", names_unit=False),
    ApiCase("health-floor-no-data", {}, {"health_floor": 0.5}, "health_floor", "'community' column", names_unit=False),
    ApiCase("imd-band-no-data", {}, {"imd_band": 5.0}, "imd_band", "needs an 'imd' column", names_unit=False),
    ApiCase("max-practices-0", {}, {"max_practices": 0}, "max_practices", "0 is not allowed", names_unit=False),
]


@pytest.mark.parametrize("case", API_CASES, ids=[c.id for c in API_CASES])
def test_bad_api_input_is_one_clear_error(case: ApiCase):
    from boundaries import InputError, Problem

    graph = grid_graph(case.ids)
    first = min(graph.nodes)
    graph.nodes[first].update(case.node)
    with pytest.raises(InputError) as caught:
        Problem.from_graph(graph, 200, 500, **case.settings)
    message = str(caught.value)
    assert caught.value.field == case.field and message.startswith(f"field {case.field!r}: "), message
    assert case.says in message, message
    if case.names_unit:
        assert f"unit {first!r} " in message, message


def test_weights_may_be_a_dict_of_some_fields():
    from boundaries import Problem, Weights

    problem = Problem.from_graph(grid_graph(), 200, 500, weights={"health": 1.0, "border": 3})
    assert problem.weights == Weights(health=1.0, border=3)
    with pytest.raises(TypeError, match="weights must be a Weights or a dict"):
        Problem.from_graph(grid_graph(), 200, 500, weights=[1.0])


def test_a_good_problem_is_still_solved_with_tuple_and_int_ids():
    from boundaries import Problem, solve

    for ids in ("tuple", "int"):
        graph = grid_graph(ids)
        plan = solve(Problem.from_graph(graph, 200, 500, lad="lad"), time_limit=5)
        assert plan.validation.ok and set(plan.assignment.index) == set(graph.nodes)


def test_a_scheduler_address_where_no_dask_scheduler_answers_is_bad_input(tmp_path):
    # something listens (a web server, a typo'd port) but hangs up: no Dask handshake, no traceback
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def hang_up() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connection.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
            connection.close()

    threading.Thread(target=hang_up, daemon=True).start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    try:
        result = CliRunner().invoke(
            app, ["batch", "--regions", "London", "--scheduler", address, "--out", str(tmp_path)]
        )
    finally:
        server.close()
    message = one_line(result.stderr)
    assert result.exit_code == 2 and "Traceback" not in result.stderr + result.stdout, message
    assert message.startswith(f"error: field '--scheduler': cannot reach a Dask scheduler at {address!r}"), message
    assert "answer" in message, message


def test_a_killed_runs_temporary_beside_an_output_file_is_removed_on_the_next_run(tmp_path):
    stale, theirs = tmp_path / ".metrics.k2j4h_8a.json", tmp_path / ".metrics-notes.json"
    for path in (stale, theirs):
        path.write_text("partial")
    result = CliRunner().invoke(
        app, ["evaluate", "ccg2013", "--region", "North East", "--json", f"{tmp_path}/metrics.json"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [".metrics-notes.json", "metrics.json"]


def test_a_rerun_removes_a_killed_runs_temporaries_from_a_region_it_keeps_as_done(tmp_path):
    # the region is done, so the batch does not solve it again: its folder is still cleaned of temporaries
    import json

    folder = tmp_path / "north-east"
    folder.mkdir()
    (folder / "done.json").write_text(json.dumps({"region": "North East", "status": "optimal", "gap": 0.0}))
    stale = [folder / ".plan.k2j4h_8a.csv", folder / ".consortia.x81.gpkg-journal", tmp_path / ".index.q1w2.html"]
    for path in stale:
        path.write_text("partial")
    result = CliRunner().invoke(app, ["batch", "--regions", "North East", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "already done" in result.stdout
    assert f"maps: {tmp_path / 'index.html'}" in result.stdout.splitlines()  # a line of its own, after the table
    assert not [path for path in stale if path.exists()]
    assert sorted(p.name for p in folder.iterdir()) == ["done.json"]
