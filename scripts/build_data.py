"""Rebuild the England bundle in data/geo/ from the raw public files in ../shared/data.

    /work/venv/bin/python scripts/build_data.py [--shared PATH] [--out PATH]

Everything the product reads at run time comes from the bundle; this is the only place the raw files are read.
The output is deterministic: running it twice gives byte-identical files. See docs/data.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from boundaries.data.sources.build import build_bundle
from boundaries.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=ROOT.parent / "shared" / "data",
        help="the shared/data folder with the raw files (default: ../shared/data)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "src" / "boundaries" / "data" / "geo",
        help="bundle folder (default: src/boundaries/data/geo, shipped inside the package)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        report = build_bundle(args.shared, args.out)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pr = report["practices"]
    print(f"bundle written to {args.out} in {time.perf_counter() - started:.1f} s")
    print(
        f"practices {pr['kept']:,}/{pr['listed']:,}, "
        f"patients {pr['kept_patients']:,}/{pr['listed_patients']:,}, left out {len(pr['left_out'])}"
    )
    rules = ", ".join(f"{k} {v['practices']}" for k, v in report["geocode"]["rules"].items())
    print(f"geocode: {rules}")
    print(f"snapped: {len(report['snapped']['practices'])}, IMD imputed: {report['imd']['imputed']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
