"""Strict reading of the raw delimited files, with errors that name file, row and field.

The raw files come with odd delimiters (``¬``), Latin-1 text and no header at all (``epraccur``). pandas would
read them, but silently: a row cut short becomes NaNs, a stray text in a number column becomes ``object``
dtype. Here every record is checked against the header, and each parse helper reports the first bad value by
its line number. Every frame returned carries a ``_row`` column (the 1-based line number where the record
starts; line 1 is the header when there is one) so that later checks (duplicates, coordinates, codes) can name
the row too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from boundaries.errors import InputError

ROW = "_row"


def read_delimited(
    path: str | Path,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    names: Sequence[str] | None = None,
    required: Iterable[str] = (),
) -> pd.DataFrame:
    """Read a delimited text file into a frame of strings, refusing anything malformed.

    ``names`` gives the column names of a file without header (then every record must have exactly that many
    fields). ``required`` lists the columns that must be present. Blank lines are skipped.

    Raises InputError for: an unreadable or undecodable file, an empty file, a missing column, a record with
    too few fields (a truncated row, also what a file cut off mid-row looks like), a record with too many
    fields, and a file ending inside a quoted field.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", file=path) from exc
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"not valid {encoding} text (byte {exc.start})", file=path, row=line) from exc

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = list(names) if names is not None else None
    start = 1
    try:
        for record in reader:
            if record:
                if header is None:
                    header = [h.strip().lstrip("\ufeff") for h in record]
                else:
                    records.append(record)
                    lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        rest = text.splitlines()[start - 1 :]
        partial = "\n".join(rest)
        index = partial[: partial.rfind('"')].count(delimiter) if '"' in partial else 0
        cols = header or []
        field = cols[index] if index < len(cols) else f"#{index + 1}"
        raise InputError(
            f"truncated file: it ends inside a quoted field, or a quote is malformed ({exc})",
            file=path,
            row=start,
            field=field,
        ) from exc

    if header is None:
        raise InputError("empty file: no header", file=path, row=1)
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise InputError("column named twice in the header", file=path, row=1, field=dup)
    for col in required:
        if col not in header:
            raise InputError("missing column", file=path, row=1 if names is None else None, field=col)

    width = len(header)
    for record, line in zip(records, lines, strict=True):
        if len(record) < width:
            missing = header[len(record)]
            raise InputError(
                f"truncated row: {len(record)} of {width} fields (file cut off or row damaged)",
                file=path,
                row=line,
                field=missing,
            )
        if len(record) > width:
            raise InputError(
                f"row has {len(record)} fields, the header has {width}",
                file=path,
                row=line,
                field=f"#{width + 1}",
            )

    frame = (
        pd.DataFrame(records, columns=header, dtype=object)
        if records
        else pd.DataFrame({h: pd.Series(dtype=object) for h in header})
    )
    frame[ROW] = np.asarray(lines, dtype=np.int64)
    return frame


def _first_bad(frame: pd.DataFrame, mask: np.ndarray) -> int:
    return int(frame[ROW].to_numpy()[np.flatnonzero(mask)[0]])


def parse_number(
    frame: pd.DataFrame,
    column: str,
    path: str | Path,
    *,
    integer: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    allow_blank: bool = False,
    what: str = "a number",
) -> pd.Series:
    """Parse one column as numbers; the first bad value raises InputError naming its row and the field.

    Thousands separators ("155,793") are accepted. Blank cells give NaN when ``allow_blank``.
    """
    raw = frame[column].astype(str).str.strip().str.replace(",", "", regex=False)
    blank = raw.eq("").to_numpy()
    values = pd.to_numeric(raw.where(~blank, None), errors="coerce").astype(float)
    bad = np.isnan(values.to_numpy()) & ~blank
    if bad.any():
        row = _first_bad(frame, bad)
        shown = frame[column].to_numpy()[np.flatnonzero(bad)[0]]
        raise InputError(f"expected {what}, got {shown!r}", file=path, row=row, field=column)
    if blank.any() and not allow_blank:
        raise InputError(f"expected {what}, the cell is empty", file=path, row=_first_bad(frame, blank), field=column)
    arr = values.to_numpy()
    shown = frame[column].to_numpy()
    present = ~np.isnan(arr)
    checks = []  # (cells that break the rule, message for the first of them)
    if integer:
        checks.append((present & (arr != np.round(arr)), lambda v: f"expected a whole number, got {v!r}"))
    if minimum is not None:
        word = "negative" if minimum == 0 else f"below {minimum}"
        checks.append((present & (arr < minimum), lambda v: f"{word} value {v!r}"))
    if maximum is not None:
        checks.append((present & (arr > maximum), lambda v: f"value {v!r} above {maximum}"))
    for broken, message in checks:
        if broken.any():
            first = shown[np.flatnonzero(broken)[0]]
            raise InputError(message(first), file=path, row=_first_bad(frame, broken), field=column)
    if integer and not blank.any():
        return pd.Series(arr.astype(np.int64), index=frame.index, name=column)
    return pd.Series(arr, index=frame.index, name=column)


def require_text(frame: pd.DataFrame, column: str, path: str | Path, what: str = "a value") -> pd.Series:
    """Strip a text column and refuse empty cells (a code or key that is missing)."""
    values = frame[column].astype(str).str.strip()
    blank = values.eq("").to_numpy()
    if blank.any():
        raise InputError(f"expected {what}, the cell is empty", file=path, row=_first_bad(frame, blank), field=column)
    return values


def require_unique(frame: pd.DataFrame, column: str, path: str | Path, what: str = "code") -> None:
    """Refuse a key that appears twice, naming the second occurrence and the first."""
    dup = frame[column].duplicated().to_numpy()
    if dup.any():
        i = np.flatnonzero(dup)[0]
        value = frame[column].to_numpy()[i]
        first = int(frame.loc[frame[column] == value, ROW].iloc[0])
        raise InputError(
            f"duplicate {what} {value!r} (first seen at row {first})",
            file=path,
            row=_first_bad(frame, dup),
            field=column,
        )
