"""Publishing: offline folium maps, HTML reports, plan files, all through autoescaped Jinja2 templates.

Imports the check layer (the scorecard), the data layer and the foundation; never the engine, so a plan
from a spreadsheet is published exactly like a solved one.
"""
