"""Web archives through ingest: each HTML response a document, the rest skipped and counted.

The archives are built at test time with FastWARC from invented news pages
(``benchmarks/news_archive.py``): a crawl of 60 pages with its request,
metadata, warcinfo, resource, non-HTML, 404 and revisit records.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import brotli
import pytest
from fastwarc.warc import WarcRecordType
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from benchmarks.news_archive import (
    ArchiveWriter,
    Page,
    news_page,
    write_crawl,
    write_wacz,
)
from db.migrate import upgrade
from db.models import Article, Document
from db.session import make_engine
from ingest import archives, pipeline
from ingest.cli import app
from ingest.parse.formats.warc import http_body
from ingest.reparse import reparse
from ingest.store import Outcome
from tests.conftest import stored_raw, write

PAGES = [news_page(n) for n in range(60)]
URLS = {page.url for page in PAGES}
SKIPPED = {
    "warcinfo": 1,
    "request": 60,
    "metadata": 60,
    "resource": 1,
    "response not HTML": 3,
    "response HTTP 404": 1,
}


def _crawl(pages: list[Page] = PAGES, *, gzip_records: bool = True, **options: object) -> bytes:
    out = io.BytesIO()
    write_crawl(out, pages, gzip=gzip_records, **options)  # type: ignore[arg-type]
    return out.getvalue()


CRAWL = _crawl()


def _run(engine: Engine, path: Path, **options: object) -> list[Outcome]:
    return list(pipeline.run(engine, [str(path)], **options))  # type: ignore[arg-type]


def _skipped(outcomes: list[Outcome]) -> Counter[str]:
    found: Counter[str] = Counter()
    for outcome in outcomes:
        found.update(dict(outcome.skipped))
    return found


def _bodies(engine: Engine) -> dict[str, tuple[str, list[str]]]:
    """url -> (title, body paragraphs) of every stored article."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT a.url, a.title, p.text FROM articles a JOIN paragraphs p"
                " ON p.article_id = a.id AND p.kind = 'body' ORDER BY a.id, p.position"
            )
        )
        found: dict[str, tuple[str, list[str]]] = {}
        for url, title, paragraph in rows:
            found.setdefault(url, (title, []))[1].append(paragraph)
    return found


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A second database, on SQLite, for what the same bytes give as files."""
    url = f"sqlite:///{tmp_path / 'other.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_sixty_pages_give_sixty_articles_with_their_uris_and_the_body_of_their_html(
    engine: Engine, sqlite_engine: Engine, tmp_path: Path
) -> None:
    archive = write(tmp_path / "crawl.warc.gz", CRAWL)
    outcomes = _run(engine, archive, workers=1)
    assert Counter(o.status for o in outcomes) == {"ingested": 60, "duplicate": 2, "part": 1}
    assert _skipped(outcomes) == SKIPPED
    assert sum(o.files for o in outcomes) == 1
    from_archive = _bodies(engine)
    assert set(from_archive) == URLS
    for page in PAGES:
        write(tmp_path / "pages" / f"{page.url.rsplit('-', 1)[1]}.html", page.html)
    list(pipeline.run(sqlite_engine, [str(p) for p in sorted((tmp_path / "pages").iterdir())]))
    assert from_archive == _bodies(sqlite_engine)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Document.origin, Document.record_offset, Document.url, Document.fetched_at)
            .where(Document.status == "ingested")
            .order_by(Document.id)
        ).all()
    fetched = {page.url: page.fetched.replace(tzinfo=None) for page in PAGES}
    for origin, offset, url, when in rows:
        assert origin == f"{archive}@{offset}"
        assert when == fetched[url]  # WARC-Date; published_at is what the page says


def test_a_revisit_is_a_duplicate_of_the_capture_it_repeats(engine: Engine, tmp_path: Path) -> None:
    _run(engine, write(tmp_path / "crawl.warc.gz", CRAWL), workers=0)
    with engine.connect() as connection:
        revisits = connection.execute(
            text(
                "SELECT d.size, o.url FROM documents d JOIN documents o ON o.id = d.duplicate_of"
                " WHERE d.status = 'duplicate' ORDER BY d.id"
            )
        ).all()
        articles = connection.scalar(select(text("count(*)")).select_from(Article))
    assert revisits == [(0, PAGES[0].url), (0, PAGES[1].url)]
    assert articles == 60


@pytest.mark.parametrize("kind", ["warc", "wacz"])
def test_a_warc_and_a_wacz_give_what_the_warc_gz_gives(
    kind: str, engine: Engine, sqlite_engine: Engine, tmp_path: Path
) -> None:
    _run(sqlite_engine, write(tmp_path / "crawl.warc.gz", CRAWL), workers=0)
    plain = _crawl(gzip_records=False)
    if kind == "warc":
        archive = write(tmp_path / "crawl.warc", plain)
    else:
        archive = tmp_path / "crawl.wacz"
        write_wacz(archive, {"crawl-1.warc": plain[: len(plain) // 2], "crawl-2.warc.gz": CRAWL})
        # the first WARC cut in half: its damage fails the rest of that WARC alone
    outcomes = _run(engine, archive, workers=1)
    if kind == "wacz":
        damaged = [o for o in outcomes if o.reason == "damaged archive"]
        assert len(damaged) == 1 and "crawl-1.warc@" in damaged[0].origin
    assert _bodies(engine) == _bodies(sqlite_engine)


def _written(pages: list[Page], *, gzip_records: bool = True) -> tuple[bytes, list[int]]:
    """A crawl of ``pages`` with no extras nor revisits, and the offsets of its records."""
    out = write_crawl(io.BytesIO(), pages, gzip=gzip_records, extras=False, revisits=0)
    assert isinstance(out.stream, io.BytesIO)
    return out.stream.getvalue(), [offset for *_, offset in out.records]


def test_a_truncated_archive_stores_the_records_before_the_cut_and_fails_the_rest(
    engine: Engine, tmp_path: Path, runner: CliRunner, db_url: str
) -> None:
    data, offsets = _written(PAGES[:10])
    cut = offsets[2 + 3 * 6]  # warcinfo, then request, response, metadata per page
    archive = write(tmp_path / "cut.warc.gz", data[: cut + 150])
    result = runner.invoke(app, ["--db", db_url, "ingest", str(archive)])
    assert result.exit_code == 1
    assert "6 new articles" in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert lines[0].startswith(
        f"error: {archive}@{cut}: damaged archive at offset {cut:,}: truncated record: "
    )
    assert lines[0].endswith("; the records from there on are not read")
    with engine.connect() as connection:
        failed = connection.execute(
            text("SELECT record_offset FROM documents WHERE status = 'failed'")
        ).all()
    assert failed == [(cut,)]
    assert len(stored_raw(engine, "status = 'failed'") or b"") == 150


def test_a_bad_record_header_fails_the_archive_from_there(engine: Engine, tmp_path: Path) -> None:
    data, offsets = _written(PAGES[:8], gzip_records=False)
    at = offsets[1 + 3 * 4]  # the request of the fifth page
    archive = write(tmp_path / "bad.warc", data[:at] + b"NOT A WARC HEADER\r\n\r\n" + data[at:])
    outcomes = [o for o in _run(engine, archive, workers=0) if o.status != "part"]
    assert [o.status for o in outcomes] == ["ingested"] * 4 + ["failed"]
    assert outcomes[4].origin == f"{archive}@{at}"
    assert outcomes[4].error is not None and f"at offset {at:,}" in outcomes[4].error


def test_a_reingest_adds_nothing_and_a_grown_archive_only_its_new_records(
    engine: Engine, tmp_path: Path
) -> None:
    archive = tmp_path / "growing.warc.gz"
    with archive.open("wb") as stream:
        write_crawl(stream, PAGES[:40], extras=False, revisits=0)
    first = _run(engine, archive)
    assert Counter(o.status for o in first)["ingested"] == 40
    again = _run(engine, archive)
    assert [o.status for o in again] == ["unchanged", "part"]  # its last record, read again
    with archive.open("ab") as stream:  # the crawl goes on
        write_crawl(stream, PAGES[40:], extras=False, revisits=0, info=False)
    grown = _run(engine, archive)
    statuses = Counter(o.status for o in grown)
    assert statuses == {"unchanged": 1, "ingested": 20, "part": 1}
    assert _skipped(grown) == {"request": 20, "metadata": 21}
    assert set(_bodies(engine)) == URLS


def test_an_archive_is_split_across_workers_by_record_offsets(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archives, "PART_RECORDS", 16)
    archive = write(tmp_path / "crawl.warc.gz", CRAWL)
    parts = list(archives.parts(str(archive), "warc", lambda name: None))
    assert len(parts) == 12 and [p.last for p in parts] == [False] * 11 + [True]
    assert all(a.end == b.start for a, b in zip(parts, parts[1:], strict=False))
    outcomes = _run(engine, archive, workers=2, batch_size=16)
    assert Counter(o.status for o in outcomes) == {"ingested": 60, "duplicate": 2, "part": 12}
    assert _skipped(outcomes) == SKIPPED
    with engine.connect() as connection:
        offsets = connection.scalars(select(Document.record_offset).order_by(Document.id)).all()
    assert offsets == sorted(offsets)  # written in the archive's order, as one writer would


def test_a_record_that_kills_its_worker_fails_alone(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest import prepare

    real = prepare.prepare

    def killing(
        raw: object, max_size: int = 0, homes: object = None, dictionaries: object = None
    ) -> object:
        record = getattr(raw, "record", None)
        if record is not None and record.url == PAGES[7].url:
            os._exit(9)
        return real(raw, max_size, homes, dictionaries)  # type: ignore[arg-type]

    monkeypatch.setattr(prepare, "prepare", killing)
    archive = write(tmp_path / "crawl.warc.gz", CRAWL)
    problems: list[str] = []
    outcomes = list(pipeline.run(engine, [str(archive)], workers=1, on_problem=problems.append))
    failed = [o for o in outcomes if o.status == "failed"]
    assert len(failed) == 1 and failed[0].reason == "worker died"
    assert Counter(o.status for o in outcomes)["ingested"] == 59
    assert sum(o.files for o in outcomes) == 1 and len(problems) == 1


def test_the_http_charset_is_honoured(engine: Engine, tmp_path: Path) -> None:
    """A page that names its charset only in the HTTP header: read in it, not guessed."""
    greek = "Η κυβέρνηση ανακοίνωσε νέα μέτρα"
    page = news_page(3)
    html = page.html.decode().replace("<p>", f"<p>{greek}. ", 1)
    html = html.replace('<meta charset="utf-8">', "")
    out = ArchiveWriter(io.BytesIO())
    out.response(page.url, html.encode("iso-8859-7"), "text/html; charset=ISO-8859-7")
    _run(engine, write(tmp_path / "greek.warc.gz", out.stream.getvalue()), workers=0)
    ((_, body),) = _bodies(engine).values()
    assert body[0].startswith(greek)


def _hostile(out: ArchiveWriter) -> None:
    """Records that fail or are skipped, then two pages with odd headers that are stored."""
    ok = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
    out.response("https://example/big", b"<html><title>Big</title><p>" + b"word " * 300_000)
    lying = ok + b"Content-Encoding: gzip\r\n\r\nnot gzip"
    out.write(WarcRecordType.response, lying, "https://example/lying-encoding")
    out.write(WarcRecordType.response, b"garbage, no status line\r\n\r\n<html>", "https://x/g")
    out.write(WarcRecordType.response, b"", "https://example/empty")
    bomb = gzip.compress(b"<html><title>bomb</title>" + b"\x00" * 50_000_000)
    out.write(WarcRecordType.response, ok + b"Content-Encoding: gzip\r\n\r\n" + bomb, "https://b/")
    for number, date, uri in (
        (1, "0000-01-01T00:00:00Z", b"https://example/caf\xe9"),
        (2, "99999-12-31", None),
    ):
        headers: list[tuple[str, str | bytes]] = [("WARC-Date", date)]
        if uri is not None:
            headers.append(("WARC-Target-URI", uri))
        html = ok + b"\r\n" + news_page(number).html
        out.write(WarcRecordType.response, html, headers=headers)


def test_hostile_records_fail_alone_and_are_skipped_with_a_reason(
    engine: Engine, tmp_path: Path, runner: CliRunner, db_url: str
) -> None:
    out = ArchiveWriter(io.BytesIO())
    _hostile(out)
    archive = write(tmp_path / "hostile.warc.gz", out.stream.getvalue())
    result = runner.invoke(app, ["--db", db_url, "ingest", "--max-size", "1M", str(archive)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3, errors  # too large twice (the bomb unpacks past 1M), a lying encoding
    assert sum("too large" in line for line in errors) == 2
    assert sum("unreadable payload" in line for line in errors) == 1
    assert "response without HTTP status 2" in result.stdout
    assert "2 new articles" in result.stdout
    with engine.connect() as connection:
        rows = connection.execute(
            select(Document.url, Document.fetched_at).where(Document.status == "ingested")
        ).all()
    assert set(rows) == {("https://example/caf%E9", None), (None, None)}


def test_reparse_leaves_the_articles_of_an_archive_as_they_are(
    engine: Engine, tmp_path: Path
) -> None:
    _run(engine, write(tmp_path / "crawl.warc.gz", CRAWL), workers=0)
    result = reparse(engine)
    assert (result.changed, result.added, result.unchanged) == (0, 0, 60)


def test_show_names_the_record(
    engine: Engine, tmp_path: Path, runner: CliRunner, db_url: str
) -> None:
    archive = write(tmp_path / "crawl.warc.gz", CRAWL)
    _run(engine, archive, workers=0)
    shown = runner.invoke(app, ["--db", db_url, "show", "1"])
    assert shown.exit_code == 0, shown.output
    assert "fetched" in shown.stdout  # when, and the record id (the table wraps them)
    result = runner.invoke(app, ["--db", db_url, "show", "1", "--json"])
    detail = json.loads(result.stdout)
    assert detail["origin"].startswith(f"{archive}@")
    assert detail["url"] == PAGES[0].url
    assert detail["fetched_at"] == "2025-03-01 00:00:00"
    assert detail["record_id"].startswith("<urn:uuid:")


def test_a_fetch_time_is_stored_as_utc(engine: Engine, tmp_path: Path) -> None:
    out = ArchiveWriter(io.BytesIO())
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + news_page(4).html
    zoned = [("WARC-Date", "2025-03-01T12:00:00+02:00")]
    out.write(WarcRecordType.response, http, "https://x/", headers=zoned)
    _run(engine, write(tmp_path / "zone.warc.gz", out.stream.getvalue()), workers=0)
    with engine.connect() as connection:
        assert connection.scalar(select(Document.fetched_at)) == datetime(2025, 3, 1, 10, 0)


def test_a_warc_on_standard_input_fails_with_a_reason(runner: CliRunner, db_url: str) -> None:
    plain = _crawl(PAGES[:2], gzip_records=False)
    result = runner.invoke(app, ["--db", db_url, "ingest", "-"], input=plain)
    assert result.exit_code == 1
    assert "error: -: a web archive (WARC) is read from a file, not standard input" in result.stderr


@pytest.mark.parametrize(
    ("body", "transfer", "encoding", "expected"),
    [
        (b"5\r\nhello\r\n6; x=y\r\n world\r\n0\r\n\r\n", "chunked", "", b"hello world"),
        (gzip.compress(b"<p>page</p>"), "", "gzip", b"<p>page</p>"),
        (zlib.compress(b"<p>page</p>"), "", "deflate", b"<p>page</p>"),
        (zlib.compress(b"<p>page</p>")[2:-4], "", "deflate", b"<p>page</p>"),  # raw deflate
        (brotli.compress(b"<p>page</p>"), "", "br", b"<p>page</p>"),
        (gzip.compress(brotli.compress(b"<p>x</p>")), "", "br, gzip", b"<p>x</p>"),
        (b"<p>page</p>", "", "identity", b"<p>page</p>"),
    ],
)
def test_http_bodies_are_decoded_as_sent(
    body: bytes, transfer: str, encoding: str, expected: bytes
) -> None:
    assert http_body(body, transfer, encoding, 1000) == expected


@pytest.mark.parametrize(
    ("body", "transfer", "encoding"),
    [
        (b"zz\r\nhello", "chunked", ""),
        (b"not gzip", "", "gzip"),
        (b"not brotli", "", "br"),
        (b"<p>", "", "compress"),
    ],
)
def test_bodies_that_are_not_what_they_say_raise(body: bytes, transfer: str, encoding: str) -> None:
    with pytest.raises(ValueError):
        http_body(body, transfer, encoding, 1000)


def test_a_decoded_body_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"\0" * 10_000_000)
    assert len(http_body(bomb, "", "gzip", 1000)) == 1001
    assert len(http_body(brotli.compress(b"\0" * 10_000_000), "", "br", 1000)) < 100_000


def test_a_wacz_ingested_again_adds_nothing_and_a_new_warc_in_it_only_its_records(
    engine: Engine, tmp_path: Path
) -> None:
    first, _ = _written(PAGES[:20])
    second, _ = _written(PAGES[20:30])
    path = tmp_path / "site.wacz"
    write_wacz(path, {"a.warc.gz": first})
    assert Counter(o.status for o in _run(engine, path))["ingested"] == 20
    assert Counter(o.status for o in _run(engine, path)) == {"unchanged": 1, "part": 1}
    write_wacz(path, {"a.warc.gz": first, "b.warc.gz": second})  # the zip itself changed
    again = Counter(o.status for o in _run(engine, path))
    assert again == {"unchanged": 1, "ingested": 10, "part": 2}


def test_an_archive_replaced_by_another_at_the_same_path_is_read_whole(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(_written(PAGES[:20])[0])
    _run(engine, path)
    path.write_bytes(_written(PAGES[30:60])[0])  # other records at the same offsets
    outcomes = _run(engine, path)
    assert Counter(o.status for o in outcomes)["ingested"] == 30
    assert not [o for o in outcomes if o.status == "failed"]
