"""An installed wheel works with no checkout: the England bundle, the built-in settings files and the HTML
templates are package data, found beside the code, not in a source tree.

The wheel is built from this checkout (offline: setuptools from the test tools, no build isolation) and installed
into a folder of its own; a child Python runs from an empty folder with only that install ahead of the
dependencies, so nothing can come from ``src/`` or from the current folder.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from boundaries.publish import map_assets

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import boundaries
    from boundaries import Problem, evaluate, load_region, render_map, solve
    from boundaries.app.config import load_config
    from boundaries.data.bundle import default_data_dir
    from boundaries.publish.report import write_report

    region = load_region(["E06000047"])  # County Durham: one authority, one solve of a few seconds
    settings = load_config("hub").for_region("North East")
    problem = Problem.from_region(region, preset="hub", nesting="strict")
    plan = solve(problem, backend="highs", time_limit=30, seed=0)
    card = evaluate(plan, region)
    page = write_report({"region": region.name, "status": plan.status, "scorecard": card.to_dict()},
                        Path("report.html"))
    render_map(plan, region, "map.html")  # the assets from $BOUNDARIES_ASSETS, where `boundaries assets` puts them
    print(json.dumps({
        "package": boundaries.__file__,
        "data": str(default_data_dir()),
        "preset": settings.preset,
        "status": str(plan.status),
        "valid": bool(plan.validation and plan.validation.ok),
        "consortia": plan.assignment.nunique(),
        "report": page.stat().st_size,
        "map": Path("map.html").stat().st_size,
    }))
    """
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """This checkout as a wheel, installed into a folder of its own."""
    source, dist, site = (tmp_path_factory.mktemp(name) for name in ("source", "dist", "site"))
    # a copy of the tree as git would give it: setuptools builds in place, and a build/ folder left by an
    # earlier build would put files in the wheel that the package's own settings leave out
    leftovers = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "vendor-assets")
    shutil.copytree(ROOT / "src", source / "src", ignore=leftovers)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(dist), str(source)]
    subprocess.run(build, check=True, cwd=dist, env={**os.environ, "PIP_NO_CACHE_DIR": "1"})
    (wheel,) = dist.glob("boundaries-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)], check=True)
    return site


def test_the_wheel_holds_the_data_the_settings_and_the_templates(installed):
    package = installed / "boundaries"
    for name in ("england.gpkg", "practices.csv", "lads.csv", "trust_shares.csv"):
        assert (package / "data" / "geo" / name).is_file(), name
    assert sorted(p.stem for p in (package / "app" / "solvers").glob("*.toml")) == [
        "consortium",
        "default",
        "hub",
        "locality",
    ]
    assert list((package / "publish" / "templates").glob("*.j2"))


def test_an_installed_wheel_plans_and_reports_outside_the_checkout(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOUNDARIES_")}
    env.update(PYTHONPATH=str(installed), BOUNDARIES_CACHE_DIR=str(tmp_path / "cache"))
    env["BOUNDARIES_ASSETS"] = str(map_assets.asset_dir())  # the set-up's copy: not in the wheel, by design
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(out["package"]).is_relative_to(installed)  # not src/, not the editable install
    assert Path(out["data"]).is_relative_to(installed)
    assert out["preset"] == "hub"
    assert out["status"] in ("optimal", "feasible") and out["valid"] and out["consortia"] >= 2
    assert out["report"] > 10_000 and out["map"] > 100_000  # Leaflet inlined
