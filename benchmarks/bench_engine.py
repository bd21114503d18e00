"""An engine that always answers (issue 11): time to the first valid plan, final gap and the deadline kept, on the
ten SHA regions and on generic graphs, with the ratio to a previous engine on the same instances in the same run.

Run outside the tests (regions about 45 min with a previous engine; generic graphs about 35 min with ``--quick``,
about 3 h without):

    git worktree add /tmp/prev 9568fb0          # the previous engine, optional
    .venv/bin/python benchmarks/bench_engine.py [--part all|regions|generic] [--limit 60] [--generic-limit 60] \
        [--quick] [--new CHECKOUT] [--previous /tmp/prev] [--regions "North East,London"] [--jobs 2] \
        [--match TEXT] [--gap 0.01] [--json FILE]

(a) **Regions**: the ten SHA regions in five settings: the ``hub`` preset with strict nesting (``default.toml``),
    the same with soft nesting and with nesting off, the ``consortium`` preset (strict), and the ``consortium``
    preset (strict) with as many consortia as the region had 2013 CCGs ("consortium ccg": ``n_consortia`` = the
    distinct CCG codes among the region's practices, ``region.ccg_assignment().nunique()``, instead of the
    settings file's count; the count used is reported as ``n_consortia`` in the per-solve line). Each checkout
    builds its own regions and problems from its own code and settings files. ``--gap 0.01`` stops each region
    solve once it is proven within 1%: its wall time is then the time to a 1% proof.
(b) **Generic graphs**: practice graphs of single large authorities (Birmingham, Leeds, Cornwall, and Kent: the
    practices of its twelve districts) and square grids of unit populations with tuple ids, cut into k districts
    of equal population within ±0.5% or ±2% (``min/max = total/k * (1 -/+ tol)``, rounded inwards), nesting off,
    objective ``cut`` (border weight 1 on a length of 1 km per edge, compactness 0: the number of cut edges) or
    ``distance`` (default weights: patient-distance to the centre). The graphs are built once, here, with this
    checkout's code, and handed to both engines through a pickle, so both solve the very same graph. The new
    engine gets them through ``Problem.from_graph``; an engine without it gets ``Problem(units, graph)`` as its
    own tests built problems, and when it refuses the ids it is given string ids instead (column "build").

Every solve runs in its own subprocess (at most ``--jobs`` at once, at most 2), with ``PYTHONPATH`` pointing at
the checkout's ``src``; a subprocess still running at 3 x the limit after its solve started is killed with its
process group ("killed"). Per solve: the wall time of the ``solve`` call, the time to the first valid plan (from
``plan.progress``; the heuristic's entries there are timed from the heuristic's own start, so the time
before it inside ``solve`` is added back; for an engine without progress, the wall time if it found a plan), the
status, the final gap ("-" without a bound), the time when the plan was first proven within 5% and within 1% (the
best objective and the best bound among the progress entries so far; new engine only), whether the limit was
kept (``wall <= limit + max(2 s, 5% of limit)``), and whether the plan is valid (re-checked with the checkout's
own ``boundaries.check.validation``).

Optima proven once are kept in ``generic_optima.json`` (``--record`` adds those a run proves); every run is checked
against them, and a plan below or a bound above a recorded optimum is a fault (exit 1).

Targets (the new engine; exit 1 when one is missed):
- (a) every region has a valid plan within 10 s in every setting; soft nesting and nesting off report a bound;
- (b) every generic instance up to 1,500 units has a valid plan within 10 s (an instance proven infeasible is
  reported, not counted);
- every solve keeps its limit (issue 11, item 2).
Prints the machine (cores, ``uptime`` load averages at the start and end of each part) and Markdown tables.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import pickle
import platform
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHA_NAMES = (
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East Coast",
    "South Central",
    "South West",
)
#: setting -> (settings file next to default.toml, nesting override)
SETTINGS = {
    "hub strict": ("default.toml", None),
    "hub soft": ("default.toml", "soft"),
    "hub off": ("default.toml", "off"),
    "consortium strict": ("consortium.toml", None),
    "consortium ccg": ("consortium.toml", None),
}
#: settings whose number of consortia is the region's number of 2013 CCGs
CCG_COUNT = ("consortium ccg",)
KENT = tuple(f"E070001{n:02d}" for n in range(5, 17))  # Ashford ... Tunbridge Wells (Kent's 12 districts, LAD13)
AUTHORITIES = {
    "Birmingham": ("E08000025",),
    "Leeds": ("E08000035",),
    "Cornwall": ("E06000052",),
    "Kent": KENT,
}
FIRST_PLAN_TARGET_S = 10.0
#: Issue 12's proof targets on generic graphs: (most units, most districts, seconds to a proof of optimality).
PROOF_TARGETS = ((100, 7, 60.0), (500, 4, 600.0))
#: Optima proven once (instance name -> objective; null: proven infeasible), kept with ``--record``: every later
#: run is checked against them, so a plan below or a bound above a recorded optimum is reported as a fault.
OPTIMA = Path(__file__).with_name("generic_optima.json")
#: How far a bound may pass a recorded optimum: the models round each coefficient to 1/100 of a patient-km (one
#: assignment per unit), so a bound may stand that much above the plan's exact objective.
ROUNDING_PER_UNIT = 0.005
#: Relative gaps whose time is reported ("to 5% s", "to 1% s"): when the plan was first proven that close.
GAPS = (0.05, 0.01)
MAX_UNITS = 1500
KILL_FACTOR = 3.0
SETUP_ALLOWANCE_S = 900.0  # for loading or building a region before the solve starts


def allowed(limit: float) -> float:
    return limit + max(2.0, 0.05 * limit)


# -- the worker: one solve in its own process, importing whichever checkout is on PYTHONPATH ----------------------


def _problem_for_region(spec):
    from boundaries.app.config import DEFAULT_CONFIG, load_config
    from boundaries.data.region import load_region
    from boundaries.engine.problem import Problem

    file, nesting = SETTINGS[spec["setting"]]
    region = load_region(spec["region"])
    # the 2013 CCG count overrides the file's n_consortia as a command-line option would (None: the file's)
    n_consortia = int(region.ccg_assignment().nunique()) if spec["setting"] in CCG_COUNT else None
    config = load_config(Path(DEFAULT_CONFIG).parent / file).for_region(
        spec["region"], nesting=nesting, n_consortia=n_consortia
    )
    problem = Problem.from_region(region, **config.problem_settings())
    return problem, config.backend, config.seed, spec.get("gap", config.gap), "from_region"


def _problem_for_graph(spec):
    import networkx as nx
    import pandas as pd

    from boundaries.engine.problem import Problem, Weights

    with open(spec["pickle"], "rb") as fh:
        inst = pickle.load(fh)
    graph = inst["graph"]
    weights = Weights(**inst["weights"])
    common = dict(n_consortia=inst["k"], weights=weights)
    if hasattr(Problem, "from_graph"):
        problem = Problem.from_graph(graph, inst["lo"], inst["hi"], **common)
        return problem, "highs", 0, 0.0, "from_graph"

    # an engine without from_graph: units and graph, as its own tests (tests/grids.py) built problems
    def direct(g):
        nodes = list(g.nodes)
        units = pd.DataFrame(
            {c: [g.nodes[n][c] for n in nodes] for c in ("population", "x", "y")},
            index=pd.Index(nodes, tupleize_cols=False),
        )
        return Problem(
            units=units, graph=g, min_population=inst["lo"], max_population=inst["hi"], nesting="off", **common
        )

    try:
        return direct(graph), "highs", 0, 0.0, "units+graph"
    except Exception as err:  # e.g. ids made strings by the Problem, no longer the graph's nodes
        refused = f"{type(err).__name__}: {err}"
    relabelled = nx.relabel_nodes(graph, {n: str(n) for n in graph.nodes})
    spec["refused_ids"] = refused
    return direct(relabelled), "highs", 0, 0.0, "str ids (own ids refused)"


def _solved(plan, name: str):
    """What a solve learnt: a typed field of the plan, or (engines before 093b532) an entry of ``plan.details``."""
    return getattr(plan, name) if hasattr(plan, name) else (getattr(plan, "details", None) or {}).get(name)


def worker(spec_path: str) -> None:
    with open(spec_path) as fh:
        spec = json.load(fh)
    out: dict = {"status": "crashed"}

    def save():
        with open(spec["result"], "w") as fh:
            json.dump(out, fh, default=str)

    try:
        import boundaries

        out["module"] = str(Path(boundaries.__file__).parent)
        try:
            build = _problem_for_region if spec["kind"] == "region" else _problem_for_graph
            problem, backend, seed, gap, how = build(spec)
        except Exception as err:
            out.update(status="refused", error=f"{type(err).__name__}: {err}")
            return
        out["build"] = how
        if "refused_ids" in spec:
            out["refused_ids"] = spec["refused_ids"]
        out["units"] = len(problem.units)
        out["n_consortia"] = getattr(problem, "n_consortia", None)
        import boundaries.engine.solver as solver_module

        heuristic: dict = {}
        if hasattr(solver_module, "first_plan"):  # to time the heuristic's progress from the solve's start
            inner = solver_module.first_plan

            def timed_first_plan(*args, **kwargs):
                heuristic.setdefault("start", time.perf_counter())
                result = inner(*args, **kwargs)
                heuristic.setdefault("result", result)
                return result

            solver_module.first_plan = timed_first_plan
        with open(spec["started"], "w") as fh:
            fh.write(repr(time.time()))
        t0 = time.perf_counter()
        plan = solver_module.solve(problem, backend=backend, time_limit=spec["limit"], seed=seed, gap=gap)
        wall = time.perf_counter() - t0
        feasible = plan.status in ("optimal", "feasible")
        progress = [p for p in _solved(plan, "progress") or [] if p[1] is not None]
        first = None
        if progress:
            first = progress[0][0]
            found = heuristic.get("result")
            if found is not None and found.progress and tuple(found.progress[0][:2]) == tuple(progress[0][:2]):
                out["heuristic_offset"] = heuristic["start"] - t0
                first += heuristic["start"] - t0
        elif feasible:
            first = wall
        out.update(
            status=plan.status,
            wall=wall,
            first=first if feasible else None,
            to_gap={f"{g:g}": time_to_gap(progress, g) for g in GAPS} if feasible else {},
            objective=plan.objective,
            bound=plan.bound,
            gap=plan.gap,
            explanation=(plan.explanation or "")[:300] or None,
        )
        if feasible:
            try:
                from boundaries.check.validation import validate

                check = validate(plan, problem)
                out["valid"] = bool(check.ok)
                out["violations"] = list(check.violations)[:3]
            except ImportError:  # an engine before the layers: its own verdict
                out["valid"] = bool(_solved(plan, "validation"))
    except Exception as err:
        out.update(status="crashed", error=f"{type(err).__name__}: {err}", trace=traceback.format_exc()[-2000:])
    finally:
        save()


def time_to_gap(progress: list, gap: float) -> float | None:
    """When the plan was first proven within ``gap`` (relative to its objective): the best objective and the
    best bound known at each entry of ``plan.progress`` (seconds, objective, bound or None)."""
    best, bound = math.inf, -math.inf
    for seconds, objective, at in sorted(progress, key=lambda p: p[0]):
        best = min(best, objective)
        bound = bound if at is None else max(bound, at)
        if bound > -math.inf and best - bound <= gap * abs(best) + 1e-9:
            return seconds
    return None


# -- the runner -----------------------------------------------------------------------------------------------------


def run_one(job: dict, workdir: Path) -> dict:
    """Run one solve in a subprocess with the checkout's src on PYTHONPATH; kill it at 3 x the limit."""
    tag = f"{job['id']}-{job['engine']}"
    spec = {k: v for k, v in job.items() if k not in ("src",)}
    spec.update(result=str(workdir / f"{tag}.result.json"), started=str(workdir / f"{tag}.started"))
    spec_path = workdir / f"{tag}.spec.json"
    spec_path.write_text(json.dumps(spec))
    env = dict(os.environ, PYTHONPATH=job["src"])
    launched = time.time()
    killed_at = None
    with open(workdir / f"{tag}.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", str(spec_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tempfile.gettempdir(),
            start_new_session=True,  # its own process group, so a kill takes any solver child with it
        )
        while proc.poll() is None:
            time.sleep(0.5)
            started = Path(spec["started"])
            if started.exists() and started.read_text():
                deadline = float(started.read_text()) + KILL_FACTOR * job["limit"]
            else:
                deadline = launched + KILL_FACTOR * job["limit"] + SETUP_ALLOWANCE_S
            if time.time() > deadline:
                killed_at = time.time()
                with contextlib.suppress(ProcessLookupError):  # the solve with any solver child it started
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    result: dict = {}
    if killed_at is not None:
        started = Path(spec["started"])
        begun = float(started.read_text()) if started.exists() and started.read_text() else launched
        result = {"status": "killed", "wall": killed_at - begun}
    elif Path(spec["result"]).exists():
        result = json.loads(Path(spec["result"]).read_text())
    else:
        tail = (workdir / f"{tag}.log").read_text()[-500:]
        result = {"status": "crashed", "error": f"exit code {proc.returncode}: {tail}"}
    result.update(engine=job["engine"], id=job["id"], limit=job["limit"])
    wall = result.get("wall")
    result["kept"] = wall is not None and result["status"] != "killed" and wall <= allowed(job["limit"])
    print(json.dumps({k: v for k, v in result.items() if k != "trace"}, default=str), flush=True)
    return result


def run_part(instances: list[dict], engines: dict[str, str], jobs: int, workdir: Path, heading: str, out: list):
    """Run one part's solves; append its heading and the load at its start and end to ``out``."""
    load_start = uptime()
    started = time.perf_counter()
    results = run_all(instances, engines, jobs, workdir)
    out += [
        f"\n### {heading}\n",
        f"start: {load_start}",
        f"end:   {uptime()}  ({(time.perf_counter() - started) / 60:.0f} min)\n",
    ]
    return results


def run_all(instances: list[dict], engines: dict[str, str], jobs: int, workdir: Path) -> dict:
    todo = [dict(inst, engine=engine, src=src) for inst in instances for engine, src in engines.items()]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda job: run_one(job, workdir), todo))
    return {(r["id"], r["engine"]): r for r in results}


# -- the generic instances ------------------------------------------------------------------------------------------


def bounds(total: int, k: int, tol: float) -> tuple[int, int]:
    ideal = total / k
    return math.ceil(round(ideal * (1 - tol), 9)), math.floor(round(ideal * (1 + tol), 9))


def practice_graph(codes: tuple[str, ...]):
    import networkx as nx

    from boundaries.data.region import load_region

    region = load_region(list(codes))
    practices = region.practices
    graph = nx.Graph()
    for code in sorted(region.graph.nodes):
        row = practices.loc[code]
        graph.add_node(code, population=int(row["patients"]), x=float(row.geometry.x), y=float(row.geometry.y))
    for a, b, data in region.graph.edges(data=True):
        graph.add_edge(a, b, length=float(data.get("length", 0.0)), island=bool(data.get("island", False)))
    return graph


def grid_graph(n: int):
    import networkx as nx

    graph = nx.grid_2d_graph(n, n)
    for node in graph.nodes:
        graph.nodes[node].update(population=1, x=node[1] * 1000.0, y=node[0] * 1000.0)
    nx.set_edge_attributes(graph, 1000.0, "length")
    return graph


def generic_instances(quick: bool, limit: float, workdir: Path) -> tuple[list[dict], list[str]]:
    ks = (4, 10) if quick else (2, 4, 6, 10)
    tols = (0.005,) if quick else (0.005, 0.02)
    graphs = [
        (f"{name} ({len(codes)} LAD{'s' if len(codes) > 1 else ''})", practice_graph(codes), ("cut", "distance"))
        for name, codes in AUTHORITIES.items()
    ]
    for n in (6, 10, 20, 30, 38):  # 38 x 38 = 1,444 units: the largest size the target names (1,500)
        graphs.append((f"grid {n}x{n}", grid_graph(n), ("cut",) if quick else ("cut", "distance")))
    instances, skipped = [], []
    for label, graph, objectives in graphs:
        total = sum(d["population"] for _, d in graph.nodes(data=True))
        for k in ks:
            for tol in tols:
                lo, hi = bounds(total, k, tol)
                for objective in objectives:
                    name = f"{label}, {graph.number_of_nodes()} units, k={k}, ±{tol:.1%}, {objective}"
                    if lo > hi:
                        skipped.append(f"{name}: no whole population within ±{tol:.1%} of {total / k:g}")
                        continue
                    g = graph.copy()
                    if objective == "cut":
                        for a, b in g.edges:  # 1 km a cut edge: the border counts cut edges
                            g.edges[a, b]["length"] = 1000.0
                        weights = {"border": 1.0, "compactness": 0.0}
                    else:
                        weights = {}
                    ident = f"g{len(instances):03d}"
                    path = workdir / f"{ident}.pkl"
                    with open(path, "wb") as fh:
                        pickle.dump({"graph": g, "lo": lo, "hi": hi, "k": k, "weights": weights}, fh)
                    instances.append(
                        {
                            "id": ident,
                            "kind": "graph",
                            "name": name,
                            "pickle": str(path),
                            "limit": limit,
                            "units": g.number_of_nodes(),
                            "k": k,
                        }
                    )
    return instances, skipped


def against_optimum(inst: dict, result: dict, optima: dict) -> str | None:
    """What in ``result`` contradicts the optimum recorded for the instance, if anything."""
    if inst["name"] not in optima:
        return None
    optimum = optima[inst["name"]]
    objective, bound = result.get("objective"), result.get("bound")
    if optimum is None:
        return "a plan where none exists (recorded infeasible)" if objective is not None else None
    if result.get("status") == "infeasible":
        return f"proven infeasible, but an optimum of {optimum:g} is recorded"
    slack = 0.01 + ROUNDING_PER_UNIT * inst["units"]
    if objective is not None and objective < optimum - slack:
        return f"a plan of {objective:g}, below the recorded optimum {optimum:g}"
    if bound is not None and bound > optimum + slack:
        return f"a bound of {bound:g}, above the recorded optimum {optimum:g}"
    return None


def record_optima(instances: list[dict], results: dict, optima: dict) -> int:
    """Add the optima this run proved (new engine, valid plan) to ``OPTIMA``; written whole, then renamed."""
    added = 0
    for inst in instances:
        new = results[(inst["id"], "new")]
        if inst["name"] in optima or against_optimum(inst, new, optima):
            continue
        if new["status"] == "optimal" and new.get("valid"):
            optima[inst["name"]] = new["objective"]
        elif new["status"] == "infeasible":
            optima[inst["name"]] = None
        else:
            continue
        added += 1
    partial = OPTIMA.with_suffix(".json.partial")
    partial.write_text(json.dumps(dict(sorted(optima.items())), indent=1, ensure_ascii=False) + "\n")
    partial.replace(OPTIMA)
    return added


# -- tables ---------------------------------------------------------------------------------------------------------


def fmt_s(value) -> str:
    return "-" if value is None else f"{value:.2f}" if value < 1 else f"{value:.1f}"


def fmt_gap(r: dict) -> str:
    if r.get("status") not in ("optimal", "feasible"):
        return "-"
    return "-" if r.get("gap") is None else f"{r['gap']:.2%}"


def fmt_status(r: dict) -> str:
    status = r.get("status", "?")
    if status == "refused" or status == "crashed":
        return f"{status}: {str(r.get('error', ''))[:60]}"
    return status


def fmt_valid(r: dict) -> str:
    if r.get("status") not in ("optimal", "feasible"):
        return "-"
    return "yes" if r.get("valid") else "**NO**"


def ratio(prev, new) -> str:
    if prev is None or new is None or new <= 0:
        return "-"
    return f"{prev / new:.2g}" if prev / new < 10 else f"{prev / new:.0f}"


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return f"load average: {os.getloadavg()}"


def table(instances: list[dict], results: dict, engines: dict[str, str], first_col: str) -> list[str]:
    previous = "previous" in engines
    head = f"| {first_col} | units | first plan s | status | gap | to 5% s | to 1% s | wall s | limit kept | valid |"
    rule = "|---|---:|---:|---|---:|---:|---:|---:|---|---|"
    if previous:
        head += (
            " prev: build | prev: first plan s | prev: status | prev: gap | prev: wall s | prev: kept | prev: valid "
        )
        head += "| ratio first (prev/new) | ratio wall (prev/new) |"
        rule += "---|---:|---|---:|---:|---|---|---:|---:|"
    lines = [head, rule]
    for inst in instances:
        new = results[(inst["id"], "new")]
        units = new.get("units", inst.get("units", "-"))
        line = (
            f"| {inst['name']} | {units} | {fmt_s(new.get('first'))} | {fmt_status(new)} | {fmt_gap(new)} "
            f"| {fmt_s((new.get('to_gap') or {}).get('0.05'))} | {fmt_s((new.get('to_gap') or {}).get('0.01'))} "
            f"| {fmt_s(new.get('wall'))} | {'yes' if new['kept'] else '**no**'} | {fmt_valid(new)} |"
        )
        if previous:
            old = results[(inst["id"], "previous")]
            both_ran = old.get("status") not in ("killed", "refused", "crashed") and new.get("status") != "killed"
            line += (
                f" {old.get('build', '-')} | {fmt_s(old.get('first'))} | {fmt_status(old)} | {fmt_gap(old)} "
                f"| {fmt_s(old.get('wall'))} | {'yes' if old['kept'] else '**no**'} | {fmt_valid(old)} "
                f"| {ratio(old.get('first'), new.get('first'))} "
                f"| {ratio(old.get('wall'), new.get('wall')) if both_ran else '-'} |"
            )
        lines.append(line)
    return lines


def has_valid_plan_in_time(r: dict) -> bool:
    return (
        r.get("status") in ("optimal", "feasible")
        and bool(r.get("valid"))
        and (r.get("first") is not None and r["first"] <= FIRST_PLAN_TARGET_S)
    )


# -- main -----------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "regions", "generic"), default="all")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds per region solve")
    parser.add_argument("--generic-limit", type=float, default=60.0, help="seconds per generic-graph solve")
    parser.add_argument("--regions", default="all", help='"all" or a comma-separated list of SHA names')
    parser.add_argument("--settings", default="all", help=f'"all" or a comma-separated list of {list(SETTINGS)}')
    parser.add_argument("--quick", action="store_true", help="fewer generic instances (k 4 and 10, ±0.5%%)")
    parser.add_argument("--new", default=None, help="checkout of the engine measured (default: this one)")
    parser.add_argument("--previous", default=None, help="checkout of the previous engine (default: skip it)")
    parser.add_argument("--jobs", type=int, default=2, choices=(1, 2), help="solves at once (at most 2)")
    parser.add_argument("--match", default=None, help="only instances whose name contains this text")
    parser.add_argument("--max-units", type=int, default=None, help="only generic instances this size or less")
    parser.add_argument("--min-units", type=int, default=None, help="only generic instances this size or more")
    parser.add_argument("--max-k", type=int, default=None, help="only generic instances of k this or less")
    parser.add_argument("--json", default=None, help="also write every result to this file")
    parser.add_argument("--record", action="store_true", help=f"add newly proven optima to {OPTIMA.name}")
    parser.add_argument("--gap", type=float, default=None, help="stop a region solve at this relative gap")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return 0

    new_root = Path(args.new).resolve() if args.new else ROOT
    if not (new_root / "src" / "boundaries").is_dir():
        parser.error(f"{new_root} holds no src/boundaries")
    engines = {"new": str(new_root / "src")}
    if args.previous:
        prev_src = Path(args.previous).resolve() / "src"
        if not (prev_src / "boundaries").is_dir():
            parser.error(f"{args.previous} holds no src/boundaries")
        engines["previous"] = str(prev_src)
    sys.path.insert(0, engines["new"])
    workdir = Path(tempfile.mkdtemp(prefix="bench_engine_"))
    print(f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"new engine: {engines['new']}; previous: {engines.get('previous', 'none')}; jobs {args.jobs}")
    print(f"work files: {workdir}\n")
    out: list[str] = []
    missed: list[str] = []
    all_results: list[dict] = []

    if args.part in ("all", "regions"):
        names = SHA_NAMES if args.regions == "all" else tuple(r.strip() for r in args.regions.split(","))
        settings = list(SETTINGS) if args.settings == "all" else [s.strip() for s in args.settings.split(",")]
        instances = [
            {
                "id": f"r{i:02d}{j}",
                "kind": "region",
                "region": name,
                "setting": setting,
                "limit": args.limit,
                "name": f"{name} / {setting}",
                **({} if args.gap is None else {"gap": args.gap}),
            }
            for i, name in enumerate(names)
            for j, setting in enumerate(settings)
        ]
        instances = [i for i in instances if not args.match or args.match in i["name"]]
        heading = f"(a) Regions, {args.limit:g} s per solve (limit kept: wall <= {allowed(args.limit):g} s)"
        results = run_part(instances, engines, args.jobs, workdir, heading, out)
        all_results += list(results.values())
        out += table(instances, results, engines, "region / setting")
        for inst in instances:
            new = results[(inst["id"], "new")]
            if not has_valid_plan_in_time(new):
                missed.append(f"(a) no valid plan within {FIRST_PLAN_TARGET_S:g} s: {inst['name']} ({new['status']})")
            if inst["setting"].endswith(("soft", "off")) and new.get("bound") is None:
                missed.append(f"(a) {inst['setting']} without a bound: {inst['name']} ({new['status']})")
            if not new["kept"]:
                missed.append(f"(a) limit not kept: {inst['name']} (wall {fmt_s(new.get('wall'))} s)")

    if args.part in ("all", "generic"):
        instances, skipped = generic_instances(args.quick, args.generic_limit, workdir)
        instances = [
            i
            for i in instances
            if (not args.match or args.match in i["name"])
            and (args.max_units is None or i["units"] <= args.max_units)
            and (args.min_units is None or i["units"] >= args.min_units)
            and (args.max_k is None or i["k"] <= args.max_k)
        ]
        heading = (
            f"(b) Generic graphs, {args.generic_limit:g} s per solve (limit kept: wall <= "
            f"{allowed(args.generic_limit):g} s){' (--quick)' if args.quick else ''}"
        )
        results = run_part(instances, engines, args.jobs, workdir, heading, out)
        all_results += list(results.values())
        out += table(instances, results, engines, "instance")
        optima = json.loads(OPTIMA.read_text()) if OPTIMA.exists() else {}
        if skipped:
            out += ["", "Not run (no whole population in the band):"] + [f"- {s}" for s in skipped]
        if args.record:
            added = record_optima(instances, results, optima)
            out.append(f"- {added} optimum(s) added to {OPTIMA.name} ({len(optima)} recorded)")
        for inst in instances:
            new = results[(inst["id"], "new")]
            if inst["units"] <= MAX_UNITS and new["status"] != "infeasible" and not has_valid_plan_in_time(new):
                missed.append(f"(b) no valid plan within {FIRST_PLAN_TARGET_S:g} s: {inst['name']} ({new['status']})")
            if not new["kept"]:
                missed.append(f"(b) limit not kept: {inst['name']} (wall {fmt_s(new.get('wall'))} s)")
            if new["status"] == "infeasible":
                out.append(f"- proven infeasible, not counted: {inst['name']}")
            fault = against_optimum(inst, new, optima)
            if fault:
                missed.append(f"(b) {fault}: {inst['name']}")
            for units, k, seconds in PROOF_TARGETS:
                if inst["units"] > units or inst["k"] > k or seconds > args.generic_limit:
                    continue  # not in this target's class, or the solve was not given the target's time
                if new["status"] not in ("optimal", "infeasible") or (new.get("wall") or math.inf) > seconds:
                    missed.append(
                        f"(b) not proven within {seconds:g} s (units <= {units}, k <= {k}): {inst['name']} "
                        f"({fmt_status(new)}, gap {fmt_gap(new)})"
                    )
                break

    print("\n".join(out))
    print("\n### Targets (new engine)\n")
    if missed:
        print("\n".join(f"- MISSED {m}" for m in missed))
    else:
        print("- every target met")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(all_results, fh, indent=2, default=str)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
