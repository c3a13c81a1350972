"""``newsstore serve``: the command, a real server process, and a real headless browser.

The browser tests start ``newsstore serve`` on a free loopback port as a child process,
wait until it answers (polling, with a generous bound), and drive Debian's ``chromium``
through Playwright (``executable_path``; Playwright's own browser downloads are not
used). They load the map page and check that Leaflet drew the markers, run a search,
follow an article to its paragraphs, and record every request the pages make: none
leaves the machine but for map tiles, which are answered here with an empty image so
that no test depends on the internet. Without Playwright or a Chromium they are skipped,
saying which is missing (``.ci/run`` installs both).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from ingest.cli import app

READY_SECONDS = 120  # a loaded 2-core machine can take long to start Python and Datasette
TILE_HOSTS = ("tile.openstreetmap.org",)
# A 1x1 transparent PNG, the answer to every map tile request.
EMPTY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4b30000000049454e44ae426082"
)


def test_serve_has_help(runner: CliRunner) -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "Example: newsstore serve --open" in result.output


def test_a_postgresql_database_is_refused_in_one_line(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["--db", "postgresql+psycopg://nobody@127.0.0.1:1/nothing", "serve"]
    )
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "newsstore serve reads a SQLite file" in result.stderr


def test_a_missing_database_is_one_line_and_not_made(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "none.db"), "serve"])
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"newsstore: no database at {tmp_path / 'none.db'}: run 'newsstore ingest' first\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_without_the_extra_one_line_says_how_to_install_it(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from db import serve

    monkeypatch.setattr(serve, "missing_plugins", lambda: ["datasette", "datasette-cluster-map"])
    result = runner.invoke(app, ["--db", str(tmp_path / "x.db"), "serve"])
    assert result.exit_code == 1
    assert result.stderr == (
        "newsstore: serve needs datasette, datasette-cluster-map: pip install 'newsstore[serve]'\n"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_ready(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"newsstore serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)  # polling, not waiting for a time: it is up when it answers
    raise AssertionError(f"newsstore serve did not answer {url} in {READY_SECONDS} s")


@contextmanager
def running(database: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``newsstore serve`` on a free loopback port, as a child process, until Ctrl-C."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest", "--db", str(database), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(process, f"{base}/-/versions.json")
        yield base, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(news_db: Path) -> Iterator[str]:
    """The base URL of ``newsstore serve`` over the session's database."""
    pytest.importorskip("datasette", reason="the serve extra is not installed")
    with running(news_db) as (base, _process):
        yield base


def test_stopping_the_server_leaves_the_database_as_it_was(news_db: Path, tmp_path: Path) -> None:
    """Ctrl-C stops it; its connections are closed, so no -wal or -shm is left beside the file."""
    pytest.importorskip("datasette", reason="the serve extra is not installed")
    copy = tmp_path / "copy.db"
    shutil.copyfile(news_db, copy)
    before = copy.read_bytes()
    with running(copy) as (base, process):
        response = urllib.request.urlopen(f"{base}/copy/article_list.json")
        response.close()
        assert response.status == 200
    assert process.returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db"]
    assert copy.read_bytes() == before


def test_the_server_listens_on_loopback_and_serves_the_store(server: str) -> None:
    with urllib.request.urlopen(f"{server}/news/place_counts.json?_shape=objects") as response:
        assert response.status == 200
    assert server.startswith("http://127.0.0.1:")


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no chromium on this machine (Debian: apt-get install chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium (Debian's) driven by Playwright."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')"
    )
    executable = _chromium()
    with sync_api.sync_playwright() as playwright:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []  # root (CI) cannot sandbox
        launched = playwright.chromium.launch(executable_path=executable, args=args)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A page that records where each request goes; map tiles get an empty image."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.requested_hosts = set()

    def route(request_route: Any) -> None:
        host = urlsplit(request_route.request.url).hostname or ""
        opened.requested_hosts.add(host)
        if host.endswith(TILE_HOSTS):
            request_route.fulfill(status=200, content_type="image/png", body=EMPTY_PNG)
        elif host == "127.0.0.1":
            request_route.continue_()
        else:
            request_route.abort()

    opened.route("**/*", route)
    opened.set_default_timeout(60_000)
    try:
        yield opened
    finally:
        context.close()


def _outside_hosts(page: Any) -> set[str]:
    return {h for h in page.requested_hosts if h != "127.0.0.1" and not h.endswith(TILE_HOSTS)}


def test_the_map_of_places_renders_with_its_markers(page: Any, server: str) -> None:
    page.goto(f"{server}/news/place_counts?_size=max")
    page.wait_for_selector(".leaflet-container")
    # Markers, or clusters of them: Leaflet drew the places.
    page.wait_for_selector(".leaflet-marker-icon")
    assert page.locator(".leaflet-marker-icon").count() >= 3
    assert page.locator(".leaflet-tile").count() >= 1  # the tiles were asked for and drawn
    assert "GeoNames" in page.inner_text("body")  # the licence note
    assert _outside_hosts(page) == set()


def test_search_then_follow_an_article_to_its_paragraphs(page: Any, server: str) -> None:
    page.goto(f"{server}/news/search_articles")
    page.fill("input[name=q]", "defectors")
    page.click("input[type=submit]")
    page.wait_for_selector("td mark")
    assert page.inner_text("td mark") == "defectors"
    first = page.locator("td.col-title").first.inner_text()
    assert first.startswith("Uzbek arrested by Russian government")
    page.locator("td.col-article_id a").first.click()
    page.wait_for_url("**/news/articles/*")
    body = page.inner_text("body")
    assert "Uzbek arrested by Russian government" in body
    assert "DailyNK" in body  # the source's name, not its id
    page.click("a[href*='/news/paragraphs?article_id=']")
    page.wait_for_selector("td.col-text")
    texts = page.locator("td.col-text").all_inner_texts()
    assert any(t.startswith("The Russian government has arrested an Uzbek") for t in texts)
    assert _outside_hosts(page) == set()


def test_the_article_list_shows_facets_by_source_and_month(page: Any, server: str) -> None:
    page.goto(f"{server}/news/article_list")
    facets = page.inner_text(".facet-results")
    for name in ("source", "month", "Harbour Times", "2025-03"):
        assert name in facets
    page.click("a:has-text('Field Notes')")
    page.wait_for_url("**source=Field+Notes*")
    sources = set(page.locator("td.col-source").all_inner_texts())
    assert sources == {"Field Notes"}
    assert _outside_hosts(page) == set()
