"""On-disk cache of built regions, so that a region already built loads in well under a second.

A region is a pure function of its spec, the bundle bytes and the code that builds cells and graphs (with the
libraries it builds them with, on the Python that pickles them), so the key is a hash of exactly those. A stale
entry can never be served: changing the bundle, the building code or a library's version changes the key.
Entries are pickles (geopandas and networkx objects round-trip exactly and fast); they live in
``$BOUNDARIES_CACHE_DIR``, else the user's cache folder for ``boundaries`` (``platformdirs``: on Linux
``$XDG_CACHE_HOME/boundaries``, else ``~/.cache/boundaries``), outside the repo, never committed. Deleting the
folder is always safe.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import platformdirs

CACHE_ENV = "BOUNDARIES_CACHE_DIR"
FORMAT = 2  # 2: cells in one piece with marked island parts (issue 10)
_CODE_MODULES = ("data/cells.py", "data/graph.py", "data/region.py", "data/bundle.py", "data/sources/cache.py")


def cache_dir() -> Path:
    """``$BOUNDARIES_CACHE_DIR`` when set, else the platform's cache folder for ``boundaries``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path(platformdirs.user_cache_dir("boundaries", appauthor=False))


#: The libraries whose versions decide what a region contains (geometry, graph and tables) and whether its pickle
#: reads back: an upgrade of any of them builds the region afresh.
_LIBRARIES = ("shapely", "geopandas", "pyogrio", "networkx", "pandas", "numpy")


def code_version() -> str:
    """Hash of the modules whose code decides what a region contains, of the libraries they build it with and
    of the Python that pickles it."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256(str(FORMAT).encode())
    digest.update(sys.version.encode())
    for library in _LIBRARIES:
        digest.update(f"{library}=={_version(library)}".encode())
    for name in _CODE_MODULES:
        path = root / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def _version(library: str) -> str:
    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return "absent"


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
