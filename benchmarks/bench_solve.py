"""Solve every SHA region with the hub preset and strict nesting, and compare on the same metrics with the real
2013 CCG map and a GerryChain ReCom run given the same constraints and time.

Run outside the tests (it takes a while):  .venv/bin/python benchmarks/bench_solve.py [--regions "North East"]
Prints a Markdown table; ``--json FILE`` also keeps the raw figures. Figures are from one run on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time

import networkx as nx

from boundaries.app.batch import SHA_NAMES
from boundaries.app.config import load_config
from boundaries.check.metrics import evaluate
from boundaries.data.region import load_region
from boundaries.engine.problem import Problem
from boundaries.engine.solver import solve


def recom(region, problem: Problem, k: int, seconds: float, seed: int = 0):
    """GerryChain ReCom from a random spanning-tree partition into k parts, keeping the most compact plan seen
    that meets the population bounds (ReCom knows no local-authority nesting)."""
    from functools import partial

    from gerrychain import Graph, MarkovChain, Partition, accept, constraints, updaters
    from gerrychain.partition import recursive_tree_part
    from gerrychain.proposals import recom as recom_step

    random.seed(seed)
    pop = problem.units["population"].to_dict()
    # GerryChain 1.0 works on integer node ids internally: label practices 0..n-1 and map back at the end
    codes = sorted(region.graph.nodes)
    plain = nx.relabel_nodes(region.graph, {c: k for k, c in enumerate(codes)})
    for node in plain.nodes:
        plain.nodes[node]["population"] = int(pop[codes[node]])
    graph = Graph.from_networkx(plain)
    total = sum(pop.values())
    ideal = total / k
    # the tighter of the two sides, so that ReCom's balance rule implies our bounds
    epsilon = min(0.99, (problem.max_population - ideal) / ideal, (ideal - problem.min_population) / ideal)
    started = time.perf_counter()
    try:
        seed_plan = recursive_tree_part(graph, range(k), ideal, "population", epsilon)
    except Exception as err:  # ReCom cannot always seed a plan within the bounds
        return None, f"no seed plan: {err}"
    partition = Partition(graph, seed_plan, {"population": updaters.Tally("population", alias="population")})
    proposal = partial(recom_step, pop_col="population", pop_target=ideal, epsilon=epsilon)
    within = constraints.within_percent_of_ideal_population(partition, epsilon)
    chain = MarkovChain(proposal, [within], accept.always_accept, partition, total_steps=10**9)
    best, best_score = None, float("inf")
    for step in chain:
        pops = step["population"].values()
        if min(pops) >= problem.min_population and max(pops) <= problem.max_population:
            card = evaluate({codes[int(n)]: str(d) for n, d in dict(step.assignment).items()}, region)
            if card.summary["compactness_km"] < best_score:
                best, best_score = card, card.summary["compactness_km"]
        if time.perf_counter() - started > seconds:
            break
    return best, "" if best else "no plan within the bounds was visited"


def within(plan, gap: float) -> float | None:
    """Seconds into the run when its plan and bound were first within ``gap`` of each other."""
    for seconds, objective, bound in plan.progress:
        if bound is not None and objective - bound <= gap * abs(objective):
            return round(seconds, 1)
    return None


def row(card) -> dict:
    s = card.summary
    return {
        "consortia": s["consortia"],
        "outside_hub": s["outside_presets"]["hub"],
        "not_coterminous": s["non_coterminous"],
        "la_splits": s["la_split_pairs"],
        "coherence": round(s["coherence"], 3),
        "imd_spread": round(s["imd_spread"], 1),
        "compactness_km": round(s["compactness_km"], 2),
        "disconnected": s["disconnected"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--regions", default="all")
    parser.add_argument("--first-limit", type=float, default=60.0, help="seconds for the first run")
    parser.add_argument("--limit", type=float, default=600.0, help="seconds for the run to a 1%% gap")
    parser.add_argument("--backend", default="highs")
    parser.add_argument("--recom-seconds", type=float, default=None, help="default: as long as our first run")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    names = list(SHA_NAMES) if args.regions == "all" else [r.strip() for r in args.regions.split(",")]
    config = load_config()
    results = []
    for name in names:
        settings = config.for_region(name, preset="hub", nesting="strict")
        t0 = time.perf_counter()
        region = load_region(name)
        load_s = time.perf_counter() - t0
        problem = Problem.from_region(region, **settings.problem_settings())
        first = solve(problem, backend=args.backend, time_limit=args.first_limit, seed=0)
        final = first
        if first.has_plan and (first.gap or 0) > 0.01:
            # a longer run, stopping once a 1% gap is proven
            final = solve(problem, backend=args.backend, time_limit=args.limit, seed=0, gap=0.01)
        entry = {
            "region": name,
            "practices": len(region.practices),
            "load_s": round(load_s, 1),
            "status": final.status,
            "first_plan_s": round(first.progress[0][0], 1) if first.has_plan else None,
            "first_run_s": round(first.seconds, 1),
            "to_1pct_s": within(first, 0.01) or within(final, 0.01),
            "final_gap": final.gap,
            "valid": bool(final.validation) if final.has_plan else None,
            "explanation": final.explanation,
            "ccg2013": row(evaluate(region.ccg_assignment(), region)),
        }
        if final.has_plan:
            entry["ours"] = row(evaluate(final, region))
            seconds = args.recom_seconds or first.seconds
            card, note = recom(region, problem, entry["ours"]["consortia"], seconds)
            entry["recom"] = row(card) if card else None
            entry["recom_note"] = note
        results.append(entry)
        print(json.dumps(entry), flush=True)

    print(f"\nMachine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("\n| region | practices | consortia | first plan (s) | to 1% gap (s) | final gap | first run (s) | valid |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for e in results:
        gap = f"{e['final_gap']:.2%}" if e["final_gap"] is not None else "-"
        n = e.get("ours", {}).get("consortia", "-")
        print(
            f"| {e['region']} | {e['practices']} | {n} | {e['first_plan_s'] or '-'} | {e['to_1pct_s'] or '-'} "
            f"| {gap} | {e['first_run_s']} | {e['valid']} |"
        )
    print(
        "\n| region | plan | consortia | outside hub bounds | not coterminous | LA splits | same main trust "
        "| IMD spread | mean km to centre | disconnected |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for e in results:
        for label in ("ours", "ccg2013", "recom"):
            r = e.get(label)
            if r:
                print(
                    f"| {e['region']} | {label} | {r['consortia']} | {r['outside_hub']} | {r['not_coterminous']} "
                    f"| {r['la_splits']} | {r['coherence']:.1%} | {r['imd_spread']} | {r['compactness_km']} "
                    f"| {r['disconnected']} |"
                )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2, default=str)


if __name__ == "__main__":
    main()
