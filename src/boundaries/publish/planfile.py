"""Plans from CSV files (a planner's spreadsheet, an earlier run) and to CSV, with errors that name the row."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from boundaries.atomic import atomic_path
from boundaries.data.region import Region
from boundaries.errors import InputError, did_you_mean

CODE_FIELDS = ("code", "practice", "practice_code", "GP_PRACTICE_CODE", "ods_code")
LABEL_FIELDS = ("consortium", "ccg", "group", "label")
DELIMITERS = (",", ";", "\t")  # spreadsheets in some locales save "CSV" with semicolons; tabs from copy-paste
MAX_BYTES = 50_000_000  # a plan of England's ~8,000 practices is well under 1 MB; anything this big is not one
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def _plan_text(path: Path) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark) or UTF-16 with one, which is what
    spreadsheets write as "CSV UTF-8" and "Unicode text". Anything else is refused with the encoding it needs,
    rather than guessed: a wrong guess would turn consortium names into mojibake without a word."""
    if path.is_dir():
        raise InputError("is a folder, not a plan file (CSV)", file=path)
    if not path.is_file():
        raise InputError("no such file", file=path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{size:,} bytes is too big for a plan file (at most {MAX_BYTES:,})", file=path)
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read the file ({err.strerror})", file=path) from None
    encoding = next((name for bom, name in _BOMS if raw.startswith(bom)), "utf-8")
    advice = "save the plan as CSV UTF-8 (or UTF-16 with a byte-order mark)"
    if encoding == "utf-8" and b"\x00" in raw:  # valid UTF-8 all the same, when the text is ASCII
        row = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputError(f"it looks like UTF-16 without a byte-order mark: {advice}", file=path, row=row)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as err:
        row = raw[: err.start].count(b"\n") + 1
        need = f"byte 0x{raw[err.start]:02x} is not {encoding} text (Latin-1 or Windows-1252?)"
        raise InputError(f"{need}: {advice}", file=path, row=row) from None


def _columns(header: Sequence[str]) -> tuple[str | None, str | None]:
    """The practice-code and consortium columns of a header, matched by name in any case."""
    by_lower = {h.strip().lower(): h for h in header}
    code = next((by_lower[f.lower()] for f in CODE_FIELDS if f.lower() in by_lower), None)
    label = next((by_lower[f.lower()] for f in LABEL_FIELDS if f.lower() in by_lower), None)
    return code, label


def _delimiter(first_line: str) -> str:
    """The delimiter under which the header names most of the needed columns, then splits into most fields
    (a comma on a tie), so that a semicolon file missing a column is told which one, not shown one long name."""

    def score(delimiter: str) -> tuple[int, int, bool]:
        header = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(c is not None for c in _columns(header)), len(header), delimiter == ","

    return max(DELIMITERS, key=score)


def read_plan_csv(path: str | Path, region: Region | None = None) -> pd.Series:
    """Read practice code -> consortium from a CSV with a code column and a consortium column.

    With a region, every practice of the region must be placed once and no other code may appear. Every
    problem is an :class:`InputError` naming the file, and the row and field when there is one.
    """
    path = Path(path)
    text = _plan_text(path)
    if not text.strip():
        raise InputError("empty file: expected a header such as code,consortium", file=path, row=1)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_delimiter(text.splitlines()[0]))
    plan: dict[str, str] = {}
    done = 0  # lines read whole: a row that cannot be read starts after them
    try:
        header = reader.fieldnames or []
        done = reader.line_num
        code_field, label_field = _columns(header)
        if code_field is None or label_field is None:
            need = "a practice code column (code)" if code_field is None else "a consortium column (consortium)"
            raise InputError(f"missing {need}; the header has {header}", file=path, row=1)
        for row in reader:
            _add_row(plan, row, reader.line_num, code_field, label_field, path, region)
            done = reader.line_num
    except csv.Error as err:  # a field over the csv module's limit, a quote left open, ...
        raise InputError(f"not a readable CSV row ({err})", file=path, row=done + 1) from None
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


def _add_row(
    plan: dict[str, str],
    row: dict[str | None, str | None],
    row_number: int,
    code_field: str,
    label_field: str,
    path: Path,
    region: Region | None,
) -> None:
    """One row into the plan, or an error naming the row and the field that is wrong."""
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
            f"practice {code} is not in region {region.name}{did_you_mean(code, region.practices.index)}",
            file=path,
            row=row_number,
            field=code_field,
        )
    plan[code] = label


def write_plan_csv(assignment: pd.Series, region: Region, path: str | Path) -> Path:
    """code, name, consortium, patients, lad, lad_name and, when the region has them, the practices' list
    postcodes (last, so that a reader counting columns still finds the others where they were): readable in a
    spreadsheet and readable back by read_plan_csv, which reads columns by name and ignores the rest."""
    practices = region.practices.loc[assignment.index]
    columns = {
        "code": assignment.index,
        "name": practices["name"].to_numpy(),
        "consortium": assignment.to_numpy(),
        "patients": practices["patients"].to_numpy(),
        "lad": practices["lad"].to_numpy(),
        "lad_name": practices["lad_name"].to_numpy(),
    }
    if "postcode" in practices:
        columns["postcode"] = practices["postcode"].fillna("").astype(str).str.strip().to_numpy()
    frame = pd.DataFrame(columns).sort_values(["consortium", "code"])
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return Path(path)
