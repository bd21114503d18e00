"""Small synthetic problems with known structure, for engine tests that need no real data."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from boundaries.engine.problem import Problem, Weights


def grid_units(
    rows: int, cols: int, seed: int = 1, lads: int = 1, cell_m: float = 2000.0
) -> tuple[pd.DataFrame, nx.Graph]:
    """A rows x cols grid of practices 2 km apart; LADs are vertical strips; deterministic populations."""
    rng = np.random.default_rng(seed)
    records = {}
    graph = nx.Graph()
    for r in range(rows):
        for c in range(cols):
            code = f"P{r:02d}{c:02d}"
            records[code] = {
                "population": int(rng.integers(5_000, 15_000)),
                "x": c * cell_m,
                "y": r * cell_m,
                "lad": f"L{min(lads - 1, c * lads // cols)}",
                "community": "T1" if c < cols / 2 else "T2",
                "imd": float(rng.uniform(5, 50)),
            }
            graph.add_node(code)
            if r:
                graph.add_edge(code, f"P{r - 1:02d}{c:02d}", length=cell_m)
            if c:
                graph.add_edge(code, f"P{r:02d}{c - 1:02d}", length=cell_m)
    return pd.DataFrame.from_dict(records, orient="index"), graph


def grid_problem(rows=4, cols=4, lo=20_000, hi=60_000, lads=1, seed=1, **settings) -> Problem:
    units, graph = grid_units(rows, cols, seed=seed, lads=lads)
    settings.setdefault("nesting", "off")
    settings.setdefault("weights", Weights())
    return Problem(units=units, graph=graph, min_population=lo, max_population=hi, **settings)
