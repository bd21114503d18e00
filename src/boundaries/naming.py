"""Readable, deterministic consortium names: by the local authorities they cover.

A consortium holding a whole authority takes its name ("Wirral"); several inside one authority are numbered
north to south ("Manchester 1", "Manchester 2"); a union of whole authorities joins their names.
"""

from __future__ import annotations

from collections import defaultdict

from .problem import Problem


def _lad_names(problem: Problem) -> dict[str, str]:
    region = problem.region
    if region is not None and "lad_name" in region.lads.columns:
        return region.lads["lad_name"].astype(str).to_dict()
    return {}


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

    lad_names = _lad_names(problem)
    base: dict[str, str] = {}
    for centre, group in members.items():
        pops = units.loc[group].groupby("lad")["population"].sum().sort_values(ascending=False, kind="stable")
        labels = [lad_names.get(code, code) for code in pops.index]
        if len(labels) > 3:
            labels = labels[:2] + [f"{len(labels) - 2} more"]
        base[centre] = " & ".join(labels)
    # number those that share a name, north to south
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
