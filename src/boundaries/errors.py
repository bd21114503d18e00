"""Errors raised when an input cannot be used.

One class, :class:`InputError`, so that the CLI can catch every bad-input case in one place and print a
message a planner can act on: it always names the file, and the row and field whenever they are known.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class InputError(ValueError):
    """An input file (or region spec) that cannot be used as given.

    ``row`` is the 1-based line number in the file (line 1 is the header of a delimited file; for a GeoJSON or
    TopoJSON file it is the 1-based feature number). ``field`` is the column or property name.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = str(file) if file is not None else None
        self.row = row
        self.field = field
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.problem}" if where else self.problem


def did_you_mean(word: str, choices: Iterable[str], *, fold: bool = True) -> str:
    """`` (did you mean 'x'?)`` for the choice closest to a misspelt ``word``, or "" when none is close.

    A planner who types ``[runn]`` or ``preset = "hubb"`` should be told the right word, not only that theirs is
    wrong. ``fold`` compares case-insensitively (region and key names are matched that way too).
    """
    choices = [str(c) for c in choices]
    key = (lambda s: s.lower()) if fold else (lambda s: s)
    folded = {key(c): c for c in choices}
    close = difflib.get_close_matches(key(str(word)), list(folded), n=1, cutoff=0.6)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""
