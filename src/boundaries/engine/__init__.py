"""The engine: the problem, the models and solvers, and the plan they return.

``problem`` and ``plan`` are what goes in and what comes out; ``solver.solve`` is the entry point. Under it:
``heuristic`` (a valid plan in seconds), ``model``/``linear`` (the neutral MIP model) and ``backends`` (CP-SAT,
HiGHS, PuLP), ``exact`` (one solve with contiguity cuts), ``labels`` and ``columns`` (cut-edge models),
``decompose`` (authority by authority under strict nesting), ``lagrange`` and ``bounds`` (lower bounds),
``neighbourhood`` (re-solving groups of consortia), ``repair``, ``explain`` (an infeasible request in a planner's
words) and ``naming``. Imports the check and data layers and the foundation.
"""
