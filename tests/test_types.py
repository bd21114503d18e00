"""The package type-checks clean: mypy with the settings in pyproject.toml ([tool.mypy]: the files, the
strictness, and the few libraries that ship no types), run by this Python, so with the libraries and the stubs
(pandas-stubs, from the test extra) of the environment the tests run in."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_type_checks_clean():
    run = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, f"mypy (exit {run.returncode}):\n{run.stdout}{run.stderr}"
