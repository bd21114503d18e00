"""Reading the raw public files and building the England bundle (used by scripts/build_data.py)."""
