"""The application: settings files, one region's run, the Dask batch, the trade-off curve and the CLI.

The top layer: it may import everything below, nothing imports it.
"""
