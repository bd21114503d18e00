"""The README's Python API example runs as written and makes the map it promises."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_api_example(heading: str = "Python API") -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1]
    match = re.search(r"^```python\n(.*?)^```", section, flags=re.DOTALL | re.MULTILINE)
    assert match, f"no ```python block under '## {heading}'"
    return match.group(1)


def test_the_python_api_example_runs_and_writes_its_map(tmp_path, monkeypatch, capsys):
    code = python_api_example()
    # The only change to the README's code: a 10-second solve instead of 60, to keep the test run short.
    assert code.count("time_limit=60") == 1
    code = code.replace("time_limit=60", "time_limit=10")
    monkeypatch.chdir(tmp_path)

    namespace = {"__name__": "readme_example"}
    exec(compile(code, f"{README}:Python API", "exec"), namespace)

    page = tmp_path / "maps" / "north-east.html"
    assert page.is_file() and page.stat().st_size > 10_000
    assert "2013 CCGs" in page.read_text(encoding="utf-8")
    printed = capsys.readouterr().out
    assert re.search(r"^(optimal|feasible) gap \d+\.\d\d%", printed, flags=re.MULTILINE)
    assert "Scorecard: North East" in printed
    plan, areas = namespace["plan"], namespace["areas"]
    assert plan.validation.ok
    assert len(areas) == plan.assignment.nunique()


def test_the_any_graph_example_proves_what_it_says(capsys):
    code = python_api_example("The engine: a plan in seconds, then a proof")
    exec(compile(code, f"{README}:any graph", "exec"), {"__name__": "readme_graph_example"})
    printed = capsys.readouterr().out.split()
    expected = re.search(r"# (optimal [\d.]+ \w+)$", code, flags=re.MULTILINE).group(1).split()
    assert printed == expected
