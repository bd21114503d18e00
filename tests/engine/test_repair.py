"""Reconnecting a plan in pieces: the piece moves, and an overflow is rebalanced without cutting anything."""

import networkx as nx
from test_model import path_problem

from boundaries.check.validation import validate
from boundaries.engine.repair import reconnect


def test_piece_moves_and_overflow_is_handed_back():
    # U4 is cut off from its centre U0; its only neighbours belong to U5's consortium, which it would overflow
    problem = path_problem([10_000] * 6, lo=20_000, hi=30_000)
    plan = {"U0": "U0", "U1": "U0", "U4": "U0", "U2": "U5", "U3": "U5", "U5": "U5"}
    fixed = reconnect(plan, problem, problem.contiguity_graph())
    assert fixed == {"U0": "U0", "U1": "U0", "U2": "U0", "U3": "U5", "U4": "U5", "U5": "U5"}
    assert validate(fixed, problem).ok


def test_consortium_left_too_small_takes_a_border_unit():
    problem = path_problem([10_000] * 6, lo=25_000, hi=40_000)
    plan = {"U0": "U0", "U1": "U0", "U4": "U0", "U2": "U5", "U3": "U5", "U5": "U5"}
    fixed = reconnect(plan, problem, problem.contiguity_graph())
    assert fixed is not None and validate(fixed, problem).ok
    for centre in set(fixed.values()):
        members = [u for u, c in fixed.items() if c == centre]
        assert nx.is_connected(problem.contiguity_graph().subgraph(members))
        assert 25_000 <= 10_000 * len(members) <= 40_000


def test_no_repair_when_no_move_fits_the_bounds():
    # 30,000 patients cannot make consortia of exactly 15,000 from units of 10,000
    problem = path_problem([10_000] * 3, lo=15_000, hi=15_000)
    assert reconnect({"U0": "U0", "U2": "U0", "U1": "U1"}, problem, problem.contiguity_graph()) is None
