"""Consortium names a reader recognises: authority names, main towns inside an authority, numbers last."""

from boundaries.data.region import load_region
from boundaries.engine.naming import name_consortia
from boundaries.engine.problem import Problem


def test_consortia_inside_one_authority_take_their_main_town():
    # County Durham (E06000047) cut into one consortium per town: each is named by its town and authority
    region = load_region(["E06000047"])
    problem = Problem.from_region(region, "small")
    towns = region.practices["town"]
    centres = {u: min(towns.index[towns == towns[u]]) for u in problem.units.index}
    names = name_consortia(centres, problem)
    for unit, name in names.items():
        town = towns[unit]
        if town.replace(" ", "").lower() == "countydurham":
            continue
        assert name == f"{town} (County Durham)" or name.startswith(f"{town} (County Durham) "), (unit, name)
    assert len(set(names.values())) == len(set(centres.values()))  # every consortium its own name


def test_whole_authorities_keep_their_names_and_one_town_twice_is_numbered():
    region = load_region(["E06000001", "E06000004"])  # Hartlepool, Stockton-on-Tees
    problem = Problem.from_region(region, "small")
    lad = problem.units["lad"]
    hartlepool = sorted(problem.units.index[lad == "E06000001"])
    stockton = sorted(problem.units.index[lad == "E06000004"])
    towns = region.practices["town"]
    # Stockton split in two halves whose main town is the same: told apart by numbers, north first
    main = [u for u in stockton if towns[u] == towns[stockton].mode()[0]]
    half = set(main[: len(main) // 2]) | {u for u in stockton if towns[u] != towns[stockton].mode()[0]}
    centres = {u: hartlepool[0] for u in hartlepool}
    centres |= {u: min(half) if u in half else min(set(stockton) - half) for u in stockton}
    names = name_consortia(centres, problem)
    assert {names[u] for u in hartlepool} == {"Hartlepool"}
    # their main town, "Stockton on Tees", is the authority's name written otherwise: no "X (X)", numbers instead
    assert {names[u] for u in stockton} == {"Stockton-on-Tees 1", "Stockton-on-Tees 2"}


def test_names_are_the_same_for_the_same_plan_however_it_is_listed():
    # two authorities (column strips L0, L1) each cut into a north and a south half: the names depend on the
    # plan alone, not on the order its units or centres come in, nor on an earlier call
    from grids import grid_problem

    problem = grid_problem(4, 4, lads=2)
    units = list(problem.units.index)
    centres = {u: f"P{int(u[1:3]) // 2 * 2:02d}{int(u[3:5]) // 2 * 2:02d}" for u in units}
    names = name_consortia(centres, problem)
    # rows grow northwards (y = 2 km x row): the half of rows 2-3 is the north one, numbered first
    assert names["P0300"] == "L0 1" and names["P0000"] == "L0 2"
    assert names["P0303"] == "L1 1" and names["P0003"] == "L1 2"
    assert len(set(names.values())) == 4
    assert name_consortia(centres, problem) == names
    backwards = {u: centres[u] for u in reversed(units)}
    assert name_consortia(backwards, problem) == names
    renamed = {u: max(v for v in units if centres[v] == c) for u, c in centres.items()}  # other centres
    assert name_consortia(renamed, problem) == names


def test_names_come_from_the_units_not_from_the_region():
    """The engine reads a problem's words from its units (``name``, ``lad_name``, ``town``): the same problem
    without its region names its consortia the same, and without those columns by codes."""
    from dataclasses import replace

    region = load_region(["E06000001", "E06000004"])
    problem = Problem.from_region(region, "small")
    centres = {u: min(problem.units.index[problem.units["lad"] == g]) for u, g in problem.units["lad"].items()}
    named = name_consortia(centres, problem)
    assert sorted(set(named.values())) == ["Hartlepool", "Stockton-on-Tees"]
    assert name_consortia(centres, replace(problem, region=None)) == named
    bare = replace(problem, region=None, units=problem.units.drop(columns=["name", "lad_name", "town"]))
    assert sorted(set(name_consortia(centres, bare).values())) == ["E06000001", "E06000004"]
