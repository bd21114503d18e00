"""Plans from CSV files (a planner's spreadsheet, an earlier run) and to CSV, with errors that name the row."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from .atomic import atomic_path
from .errors import InputError
from .region import Region

CODE_FIELDS = ("code", "practice", "practice_code", "GP_PRACTICE_CODE", "ods_code")
LABEL_FIELDS = ("consortium", "ccg", "group", "label")


def read_plan_csv(path: str | Path, region: Region | None = None) -> pd.Series:
    """Read practice code -> consortium from a CSV with a code column and a consortium column.

    With a region, every practice of the region must be placed once and no other code may appear.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", file=path)
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        code_field = next((f for f in CODE_FIELDS if f in header), None)
        label_field = next((f for f in LABEL_FIELDS if f in header), None)
        if code_field is None or label_field is None:
            need = "a practice code column (code)" if code_field is None else "a consortium column (consortium)"
            raise InputError(f"missing {need}; the header has {header}", file=path, row=1)
        plan: dict[str, str] = {}
        for row_number, row in enumerate(reader, start=2):
            if None in row or any(v is None for v in row.values()):
                raise InputError("wrong number of fields (truncated or extra commas?)", file=path, row=row_number)
            code = (row[code_field] or "").strip()
            label = (row[label_field] or "").strip()
            if not code:
                raise InputError("empty practice code", file=path, row=row_number, field=code_field)
            if not label:
                raise InputError(f"practice {code} has no consortium", file=path, row=row_number, field=label_field)
            if code in plan:
                raise InputError(f"practice {code} appears twice", file=path, row=row_number, field=code_field)
            if region is not None and code not in region.practices.index:
                raise InputError(
                    f"practice {code} is not in region {region.name}",
                    file=path,
                    row=row_number,
                    field=code_field,
                )
            plan[code] = label
    if region is not None:
        missing = region.practices.index.difference(list(plan))
        if len(missing):
            raise InputError(
                f"{len(missing)} practice(s) of {region.name} are in no consortium, e.g. {', '.join(missing[:5])}",
                file=path,
            )
    series = pd.Series(plan, name="consortium", dtype=object)
    series.index.name = "code"
    return series


def write_plan_csv(assignment: pd.Series, region: Region, path: str | Path) -> Path:
    """code, name, consortium, patients, lad: readable in a spreadsheet and readable back by read_plan_csv."""
    practices = region.practices.loc[assignment.index]
    frame = pd.DataFrame(
        {
            "code": assignment.index,
            "name": practices["name"].to_numpy(),
            "consortium": assignment.to_numpy(),
            "patients": practices["patients"].to_numpy(),
            "lad": practices["lad"].to_numpy(),
            "lad_name": practices["lad_name"].to_numpy(),
        }
    ).sort_values(["consortium", "code"])
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return Path(path)
