"""The data layer: England's public data for one SHA region, as plain structures (GeoDataFrame, Graph).

``bundle`` reads the bundled files, ``sources`` builds them from the raw downloads, ``cells`` gives every practice
a catchment cell, ``graph`` joins neighbouring practices, ``region`` puts them together (and caches them), and
``areas`` draws a plan's consortia from the cells. Imports only the foundation (``errors``, ``status``, ``presets``,
``atomic``).
"""
