"""Readable, deterministic consortium names: by the local authorities they cover and their main towns.

A consortium holding a whole authority takes its name ("Wirral"); a union of whole authorities joins their names.
Several inside one authority are told apart by their main town, the town of the most of their patients
("Hexham (Northumberland)"); "County Durham 1-7" meant nothing to a reader. Only those that still share a name
(one town: "Birmingham") are numbered, north to south ("Birmingham 1", "Birmingham 2").
"""

from __future__ import annotations

import re
from collections import defaultdict

from boundaries.engine.problem import Problem


def name_consortia(centres: dict[str, str], problem: Problem) -> dict[str, str]:
    """unit -> consortium name, from unit -> centre unit."""
    units = problem.units
    members: dict[str, list[str]] = defaultdict(list)
    for unit, centre in centres.items():
        members[centre].append(unit)
    if "lad" not in units.columns:
        order = sorted(
            members, key=lambda c: (-units.loc[members[c], "y"].mean(), units.loc[members[c], "x"].mean(), c)
        )
        width = len(str(len(order)))
        names = {c: f"C{k + 1:0{width}d}" for k, c in enumerate(order)}
        return {u: names[centres[u]] for u in centres}

    lad_names = problem.lad_names()
    base: dict[str, str] = {}
    for centre, group in members.items():
        pops = units.loc[group].groupby("lad")["population"].sum().sort_values(ascending=False, kind="stable")
        labels = [lad_names.get(code, code) for code in pops.index]
        if len(labels) > 3:
            labels = labels[:2] + [f"{len(labels) - 2} more"]
        base[centre] = " & ".join(labels)
    # those that share a name take their main town, when it tells them apart
    towns = _towns(problem)
    shared: dict[str, list[str]] = defaultdict(list)
    for centre, name in base.items():
        shared[name].append(centre)
    for name, group in shared.items():
        if len(group) > 1 and towns is not None:
            for centre in group:
                town = _main_town(members[centre], units, towns)
                if town and _letters(town) != _letters(name):  # "Stockton on Tees" is Stockton-on-Tees
                    base[centre] = f"{town} ({name})"
    # number those that still share a name, north to south
    by_name: dict[str, list[str]] = defaultdict(list)
    for centre, name in base.items():
        by_name[name].append(centre)
    final: dict[str, str] = {}
    for name, centres_ in by_name.items():
        if len(centres_) == 1:
            final[centres_[0]] = name
            continue
        order = sorted(
            centres_,
            key=lambda c: (-units.loc[members[c], "y"].mean(), units.loc[members[c], "x"].mean(), c),
        )
        for k, c in enumerate(order):
            final[c] = f"{name} {k + 1}"
    return {u: final[centres[u]] for u in centres}


def _letters(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def _towns(problem: Problem):
    """unit -> its town (the practice's post town in the bundle), or None without one."""
    return problem.units["town"] if "town" in problem.units.columns else None


def _main_town(group: list, units, towns) -> str | None:
    """The town of the most of the group's patients (ties to the first name), or None."""
    known = [u for u in group if u in towns.index and isinstance(towns[u], str) and towns[u]]
    if not known:
        return None
    patients = units.loc[known, "population"].groupby(towns[known].to_numpy()).sum()
    best = patients.max()
    return sorted(t for t, n in patients.items() if n == best)[0]
