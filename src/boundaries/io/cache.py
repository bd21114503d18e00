"""On-disk cache of built regions, so that a region already built loads in well under a second.

A region is a pure function of its spec, the bundle bytes and the code that builds cells and graphs, so the
key is a hash of exactly those three. A stale entry can never be served: changing the bundle or the building
code changes the key. Entries are pickles (geopandas and networkx objects round-trip exactly and fast); they
live in ``$BOUNDARIES_CACHE_DIR``, else the user's cache folder for ``boundaries`` (``platformdirs``: on Linux
``$XDG_CACHE_HOME/boundaries``, else ``~/.cache/boundaries``), outside the repo, never committed. Deleting the
folder is always safe.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import platformdirs

CACHE_ENV = "BOUNDARIES_CACHE_DIR"
FORMAT = 2  # 2: cells in one piece with marked island parts (issue 10)
_CODE_MODULES = ("cells.py", "graph.py", "region.py", "data.py", "io/cache.py")


def cache_dir() -> Path:
    """``$BOUNDARIES_CACHE_DIR`` when set, else the platform's cache folder for ``boundaries``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path(platformdirs.user_cache_dir("boundaries", appauthor=False))


def code_version() -> str:
    """Hash of the modules whose code decides what a region contains."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(str(FORMAT).encode())
    for name in _CODE_MODULES:
        path = root / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def key(spec_key: str, data_hash: str) -> str:
    return hashlib.sha256(f"{spec_key}\n{data_hash}\n{code_version()}".encode()).hexdigest()[:32]


def load(entry: str) -> Any | None:
    """The cached object, or None when absent or unreadable (a corrupt entry is simply rebuilt)."""
    path = cache_dir() / f"region-{entry}.pkl"
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def save(entry: str, value: Any) -> Path | None:
    """Write atomically (temp file + rename) so parallel runs never read half a file. None if not writable."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".tmp") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            tmp = Path(handle.name)
        target = folder / f"region-{entry}.pkl"
        os.replace(tmp, target)
        return target
    except OSError:
        return None
