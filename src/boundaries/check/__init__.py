"""The check layer: an independent validator and the scorecard, sharing no code with the engine.

``validation`` re-checks every hard rule of a problem on any plan; ``metrics`` is the scorecard of any plan (ours,
the 2013 CCG map, a planner's spreadsheet); ``quality`` turns figures into a planner's words; ``dominance`` reads
the targets a plan must meet to beat a reference. Each measure is defined once, in docs/measures.md. Imports the
data layer and the foundation; the engine calls it, never the other way round.
"""
