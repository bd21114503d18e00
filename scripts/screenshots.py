"""The README's screenshots, made from the bundled data: a region's map and the England overview.

    .venv/bin/python scripts/screenshots.py [--time-limit 60] [--out docs/images]

Solves the North East (hub preset, the default settings, a short time limit) into a temporary folder, writes
its outputs and a batch index for it (``batch.write_index``, as ``boundaries batch`` does), opens each page in
headless Chromium (Debian's ``/usr/bin/chromium``, or ``BOUNDARIES_CHROMIUM``; the ``playwright`` package of the
``test`` extra) with every network request blocked, at 1366 x 768, and saves ``map-north-east.png`` and
``index.png``. Each PNG is reduced to at most 256 colours (Pillow) when that makes it smaller, and must come out
under ``MAX_BYTES``. A page that tries the network or logs a JavaScript error fails the script.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("BOUNDARIES_CHROMIUM", "/usr/bin/chromium")
SIZE = {"width": 1366, "height": 768}
MAX_BYTES = 300_000
REGION = "North East"


def solve_north_east(folder: Path, time_limit: float) -> dict:
    """The North East's outputs under ``folder/north-east/`` and a batch index for it in ``folder``."""
    from boundaries.app.batch import write_index
    from boundaries.app.config import load_config
    from boundaries.app.runner import run_region
    from boundaries.status import solved

    settings = load_config().for_region(REGION, time_limit=time_limit)
    result = run_region(REGION, settings, folder)
    if not solved(result["status"]):
        raise SystemExit(f"{REGION}: no plan ({result['status']}): {result.get('error') or result.get('explanation')}")
    write_index([result], folder)
    return result


def shoot(browser, page_path: Path, ready: str, png: Path) -> None:
    """Open ``page_path`` offline, wait for ``ready`` (a CSS selector) and the page to settle, save a PNG."""
    errors: list[str] = []
    requests: list[str] = []

    def route(request_route) -> None:
        url = request_route.request.url
        if url.startswith(("file:", "data:")):
            request_route.continue_()
        else:
            requests.append(url)
            request_route.abort()

    context = browser.new_context(viewport=SIZE, offline=True)
    try:
        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(page_path.as_uri())
        page.wait_for_selector(ready, state="attached", timeout=30_000)
        page.wait_for_timeout(800)  # names placed and fonts drawn
        raw = page.screenshot()
    finally:
        context.close()
    if errors or requests:
        raise SystemExit(f"{page_path.name}: JavaScript errors {errors[:3]}, network requests {requests[:3]}")
    save_small(raw, png)


def save_small(raw: bytes, png: Path) -> None:
    """The screenshot as the smaller of the optimised PNG and a 256-colour one; refused if over MAX_BYTES."""
    from PIL import Image

    image = Image.open(io.BytesIO(raw)).convert("RGB")
    candidates = []
    for version in (image, image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)):
        buffer = io.BytesIO()
        version.save(buffer, format="PNG", optimize=True)
        candidates.append(buffer.getvalue())
    data = min(candidates, key=len)
    if len(data) > MAX_BYTES:
        raise SystemExit(f"{png}: {len(data):,} bytes, over {MAX_BYTES:,}")
    png.parent.mkdir(parents=True, exist_ok=True)
    png.write_bytes(data)
    print(f"{png}: {image.width}x{image.height}, {len(data):,} bytes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds for the North East's solve")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="folder for the PNGs")
    args = parser.parse_args(argv)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit(
            "needs the playwright package (pip install -e '.[test]'; never `playwright install`)"
        ) from None
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"needs Chromium at {CHROMIUM} (apt-get install -y chromium, or set BOUNDARIES_CHROMIUM)")
    from boundaries.publish.maps import AREA_CLASS, OVERVIEW_CLASS

    with tempfile.TemporaryDirectory(prefix="boundaries-screenshots-") as tmp:
        folder = Path(tmp)
        result = solve_north_east(folder, args.time_limit)
        print(f"{REGION}: {result.get('consortia')} consortia, {result['status']}, {result.get('quality')}")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                region_map = folder / "north-east" / "map.html"
                shoot(browser, region_map, f"path.{AREA_CLASS}", args.out / "map-north-east.png")
                shoot(browser, folder / "index.html", f"path.{OVERVIEW_CLASS}", args.out / "index.png")
            finally:
                browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
