"""The parse stage end to end: formats told apart by content, many articles per file, revisions."""

from __future__ import annotations

import gzip
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from db.models import Article, Document, Paragraph, Source
from ingest import pipeline
from ingest.cli import app
from ingest.errors import ReadError
from ingest.parse.document import looks_like_text, parse_document
from ingest.read import iter_paths
from ingest.records import RawDocument
from tests.conftest import SEED, write

START = datetime(2024, 6, 3, 8, 15, tzinfo=UTC)


def _raw(name: str, data: bytes) -> RawDocument:
    return RawDocument(origin=f"/in/{name}", raw=data, sha256="x")


def _body(n: int) -> list[str]:
    return [f"Paragraph one of story {n} about the harbour.", f"Paragraph two of story {n}."]


def rss(items: int) -> str:
    entries = "".join(
        f"""<item><title>RSS story {n}</title><link>https://rss.example.org/{n}</link>
        <guid isPermaLink="false">rss-{n}</guid>
        <pubDate>{(START + timedelta(hours=n)).strftime("%a, %d %b %Y %H:%M:%S")} +0200</pubDate>
        <content:encoded><![CDATA[{"".join(f"<p>{p}</p>" for p in _body(n))}]]></content:encoded>
        </item>"""
        for n in range(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Harbour Courier</title><link>https://rss.example.org/</link>{entries}"
        "</channel></rss>"
    )


def atom(entries: int) -> str:
    items = "".join(
        f"""<entry><title>Atom story {n}</title><id>urn:atom:{n}</id>
        <link href="https://atom.example.org/{n}"/>
        <updated>{(START + timedelta(hours=n)).isoformat()}</updated>
        <content type="html">{"".join(f"&lt;p&gt;{p}&lt;/p&gt;" for p in _body(100 + n))}</content>
        </entry>"""
        for n in range(entries)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Coast Atom</title><id>urn:atom</id><updated>2024-06-03T00:00:00Z</updated>"
        f"{items}</feed>"
    )


def jsonl(records: int) -> str:
    return "".join(
        json.dumps(
            {
                "title": f"JSON story {n}",
                "text": "\n\n".join(_body(200 + n)),
                "published_at": (START + timedelta(hours=n)).isoformat(),
                "source": "JSON Wire",
                "url": f"https://json.example.org/{n}",
            }
        )
        + "\n"
        for n in range(records)
    )


def test_formats_are_told_apart_by_content() -> None:
    feed = parse_document(_raw("feed.txt", rss(2).encode()))
    assert feed.format == "feed" and [a.title for a in feed.articles] == [
        "RSS story 0",
        "RSS story 1",
    ]
    assert parse_document(_raw("a.json", jsonl(1).encode())).format == "jsonl"
    page = "<!doctype html><html><head><title>T</title></head><body><article>"
    page += "".join(f"<p>{p} It is long enough to count as text.</p>" for p in _body(1) * 3)
    page += "</article></body></html>"
    assert parse_document(_raw("page.xml", gzip.compress(page.encode()))).format == "html"
    assert parse_document(_raw("a.txt", b"Headline\n\nBody text.\n")).format == "text"


def test_sixty_articles_from_three_formats_and_nothing_on_reingest(
    engine: Engine, tmp_path: Path
) -> None:
    write(tmp_path / "coast.rss", rss(20))
    write(tmp_path / "coast.atom", atom(20))
    write(tmp_path / "wire.jsonl", jsonl(20))
    outcomes = list(pipeline.run(engine, iter_paths([str(tmp_path)])))
    assert sorted((o.status, o.articles) for o in outcomes) == [("ingested", 20)] * 3
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                Article.id,
                Article.title,
                Article.published_at,
                Source.name,
                Article.url,
                Article.guid,
                Document.format,
            )
            .join(Source, Source.id == Article.source_id)
            .join(Document, Document.id == Article.document_id)
            .order_by(Article.id)
        ).all()
        bodies: dict[int, list[str]] = {}
        for article_id, paragraph in connection.execute(
            select(Paragraph.article_id, Paragraph.text)
            .where(Paragraph.kind == "body")
            .order_by(Paragraph.article_id, Paragraph.position)
        ):
            bodies.setdefault(article_id, []).append(paragraph)
    by_title = {r.title: (*r[1:], bodies.get(r.id)) for r in rows}
    assert len(rows) == 60
    assert by_title["RSS story 3"][1:] == (
        datetime(2024, 6, 3, 9, 15),  # 11:15 at +0200, stored in UTC
        "Harbour Courier",
        "https://rss.example.org/3",
        "rss-3",
        "feed",
        ["Paragraph one of story 3 about the harbour.", "Paragraph two of story 3."],
    )
    assert by_title["Atom story 5"][1:6] == (
        datetime(2024, 6, 3, 13, 15),
        "Coast Atom",
        "https://atom.example.org/5",
        "urn:atom:5",
        "feed",
    )
    assert by_title["JSON story 19"][1:4] == (
        datetime(2024, 6, 4, 3, 15),
        "JSON Wire",
        "https://json.example.org/19",
    )
    again = list(pipeline.run(engine, iter_paths([str(tmp_path)])))
    assert [o.status for o in again] == ["unchanged"] * 3


def test_same_url_new_text_is_a_revision(engine: Engine, tmp_path: Path) -> None:
    first = {"title": "Bridge", "text": "It opened.", "url": "https://x.example/bridge"}
    write(tmp_path / "1.jsonl", json.dumps(first) + "\n")
    write(tmp_path / "2.jsonl", json.dumps(first) + "\n" + json.dumps(first) + "\n")
    write(tmp_path / "3.jsonl", json.dumps(first | {"text": "It opened. Update: it shut."}) + "\n")
    statuses = [o.status for o in pipeline.run(engine, iter_paths([str(tmp_path)]))]
    assert statuses == ["ingested", "duplicate", "ingested"]
    with engine.connect() as connection:
        revisions = connection.execute(
            text("SELECT revision FROM articles WHERE url = 'https://x.example/bridge' ORDER BY id")
        ).scalars()
        assert list(revisions) == [1, 2]


def test_bad_jsonl_lines_fail_alone(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    lines = jsonl(2).splitlines()
    path = write(tmp_path / "mixed.jsonl", "\n".join([lines[0], "{not json", lines[1], "{}"]))
    result = runner.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 1
    assert "2 new articles" in result.stdout and "2 bad records" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert errors[0].startswith(f"error: {path}: line 2:")
    assert errors[1].startswith(f"error: {path}: line 4:")


def test_looks_like_text_counts_control_and_replacement_characters() -> None:
    junk = {chr(c) for c in range(32) if chr(c) not in "\t\n\r\f"} | {"\x7f", "\ufffd"}
    assert {c for c in map(chr, range(sys.maxunicode + 1)) if not looks_like_text(c)} == junk
    assert looks_like_text("a" * 98 + "\x00\ufffd")
    assert not looks_like_text("a" * 97 + "\x00\x0b\ufffd")


# --- decoding, per file and honest ------------------------------------------------------


def test_a_stray_byte_in_utf8_text_is_replaced_not_a_reason_to_guess_again() -> None:
    seed = SEED.read_bytes()
    cut = seed.index("“".encode()) + 3
    parsed = parse_document(_raw("seed.txt", seed[:cut] + b"\x9d" + seed[cut:]))
    assert parsed.encoding == "utf-8"
    assert parsed.notes == ("1 invalid utf-8 byte replaced by U+FFFD",)
    text = " ".join(p.text for a in parsed.articles for p in a.paragraphs)
    assert "“" in text and "â€" not in text and "‚Äú" not in text


def test_utf16_with_a_bom_is_text() -> None:
    for codec in ("utf-16", "utf-32"):
        parsed = parse_document(
            _raw("a.txt", "A headline\n\nThe body, in “UTF-16”.\n".encode(codec))
        )
        assert parsed.format == "text" and parsed.encoding == codec
        assert parsed.articles[0].title == "A headline"
    page = (
        "<html><head><title>Café</title></head><body><h1>Café opens</h1>"
        + ("<p>" + "The café opened its doors on the square this morning. " * 8 + "</p>") * 3
    )
    parsed = parse_document(_raw("a.html", page.encode("utf-16")))
    assert parsed.format == "html" and "café" in parsed.articles[0].paragraphs[0].text


def test_a_page_is_read_in_the_charset_it_declares_when_not_utf8() -> None:
    body = "<p>" + "Zürich’s café reopened, the city’s mayor said on Friday. " * 8 + "</p>"
    page = f'<html><head><meta charset="windows-1252"><title>Zürich</title></head><body>{body}'
    parsed = parse_document(_raw("a.html", page.encode("cp1252")))
    assert parsed.encoding == "cp1252" and parsed.notes == ()
    assert "Zürich’s café" in parsed.articles[0].paragraphs[0].text


def test_a_feed_with_a_stray_byte_keeps_its_utf8() -> None:
    data = rss(2).replace("Harbour Courier", "Hafen-Kurier München").encode()
    cut = data.index(b"<item>")
    parsed = parse_document(_raw("feed.xml", data[:cut] + b"\xff" + data[cut:]))
    assert parsed.format == "feed" and parsed.notes == ("1 invalid utf-8 byte replaced by U+FFFD",)
    assert {a.source_name for a in parsed.articles} == {"Hafen-Kurier München"}


def test_a_feed_with_a_bom_is_read_in_the_encoding_it_names() -> None:
    # Decoded once, here, and given to feedparser as UTF-8 that says so: the declaration
    # ("utf-8", left by an editor that saved the file as UTF-16) does not count.
    for codec in ("utf-16", "utf-32"):
        for reference, read in (("", ""), ("&#xD800; ", "\ufffd ")):
            data = rss(2).replace("Harbour Courier", f"Harbour {reference}Courier").encode(codec)
            parsed = parse_document(_raw("feed.xml", data))
            assert parsed.format == "feed" and parsed.encoding == codec
            assert [a.source_name for a in parsed.articles] == [f"Harbour {read}Courier"] * 2


def test_gzip_is_bounded_by_the_size_limit_once_unpacked() -> None:
    page = b"A headline\n\n" + b"A paragraph of words. " * 10_000
    packed = gzip.compress(page)
    assert parse_document(_raw("a.txt.gz", packed), max_size=len(page)).format == "text"
    with pytest.raises(ReadError, match="unpacks to more than 1,000 bytes"):
        parse_document(_raw("a.txt.gz", packed), max_size=1000)
