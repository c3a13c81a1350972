"""reparse: re-deriving articles from stored raw documents, in place, losing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from db.base import Base
from ingest import pipeline
from ingest.parse.document import ParsedDocument
from ingest.parse.layouts import generic as body
from ingest.read import iter_paths
from ingest.records import RawDocument
from ingest.reparse import reparse
from ingest.store import rewrite
from tests.conftest import SEED, older_parser_refuses, stored_raw, write
from tests.test_store import STANDING, page


def _snapshot(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                text(
                    "SELECT a.id, a.title, a.content_hash, a.parser_version, p.position, p.kind, "
                    "p.text FROM articles a JOIN paragraphs p ON p.article_id = a.id "
                    "ORDER BY a.id, p.position"
                )
            )
        ]


def _ingest(engine: Engine, *paths: Path) -> None:
    list(pipeline.run(engine, iter_paths([str(p) for p in paths])))


def test_reparse_changes_nothing_when_the_parser_has_not(engine: Engine, tmp_path: Path) -> None:
    for n, title in enumerate(["Bridge opens", "Dam repaired", "Port expands"]):
        write(tmp_path / f"{n}.txt", page(title, [f"Story number {n}."]))
    write(tmp_path / "plain.txt", "A plain headline\n\nJust a paragraph.\n")
    _ingest(engine, tmp_path, SEED)
    before = _snapshot(engine)
    result = reparse(engine)
    assert (result.documents, result.changed, result.added, result.unchanged) == (5, 0, 0, 5)
    assert _snapshot(engine) == before
    assert [row[5] for row in before if row[6] == STANDING] == ["boilerplate"] * 3


def test_reparse_reads_the_store_a_few_documents_at_a_time(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Documents come in chunks (the store's bytes are never all in memory): every one is
    reparsed once, in order, across the chunks' edges."""
    monkeypatch.setattr(rewrite, "REPARSE_CHUNK", 2)
    for n in range(5):
        write(tmp_path / f"{n}.txt", page(f"Story {n}", [f"Story number {n}."]))
    _ingest(engine, tmp_path)
    with Session(engine) as session:
        ids = [d.id for d in rewrite.documents_to_reparse(session)]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 5
    result = reparse(engine)
    assert (result.documents, result.unchanged) == (5, 5)


def test_reparse_rewrites_changed_articles_under_the_same_id(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "a.txt", "A plain headline\n\nJust a paragraph.\n")
    _ingest(engine, tmp_path)
    (article_id, *_), *_ = _snapshot(engine)
    newer = f"{body.VERSION}+1"
    monkeypatch.setattr(body, "VERSION", newer)
    result = reparse(engine)
    assert result.changed == 1
    after = _snapshot(engine)
    assert [(row[0], row[3]) for row in after] == [(article_id, newer)]
    assert stored_raw(engine) == (tmp_path / "a.txt").read_bytes()


def test_reparse_gives_a_failed_document_its_article_once_it_parses(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "a.txt", "A headline\n\nAnd its only paragraph.\n")
    parses_again = older_parser_refuses(monkeypatch)
    _ingest(engine, tmp_path)
    parses_again()
    result = reparse(engine)
    assert result.added == 1
    with engine.connect() as connection:
        status = connection.execute(text("SELECT status, error FROM documents")).one()
        title = connection.execute(text("SELECT title FROM articles")).scalar()
    assert tuple(status) == ("ingested", None)
    assert title == "A headline"


def test_reparse_fills_places_for_articles_stored_without_them(engine: Engine) -> None:
    """What a database upgraded from before places gets from `newsstore reparse`."""
    _ingest(engine, SEED)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM location_mentions"))
        connection.execute(text("DELETE FROM article_locations WHERE role = 'mention'"))
    before = _snapshot(engine)
    result = reparse(engine)
    assert result.changed == 1
    assert _snapshot(engine) == before  # same id, same paragraphs
    with engine.connect() as connection:
        named = connection.execute(
            text(
                "SELECT l.name FROM article_locations al JOIN locations l ON l.id = al.location_id "
                "WHERE al.role = 'mention' ORDER BY l.name"
            )
        ).scalars()
        assert list(named) == [
            "North Korea",
            "Primorsky Krai",
            "Russia",
            "Russian Far East",
            "Vladivostok",
        ]


def test_reparse_brings_every_parsed_column_up_to_date(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text did not change, but what the parser reads around it did: nothing stays stale."""
    from dataclasses import replace

    from ingest import prepare as prepare_module

    line = '{"title": "Ferry resumes", "text": "The ferry runs again.", "source": "Wire"}\n'
    write(tmp_path / "a.jsonl", line)
    _ingest(engine, tmp_path)
    real = prepare_module.parse_document

    def richer(raw: RawDocument, max_size: int) -> ParsedDocument:
        parsed = real(raw, max_size)
        article = replace(
            parsed.articles[0],
            url="https://example.org/ferry",
            guid="ferry-1",
            author="A. Writer",
            language="en",
            source_category="Local News",
        )
        return replace(parsed, articles=(article,))

    monkeypatch.setattr(prepare_module, "parse_document", richer)
    result = reparse(engine)
    assert (result.changed, result.unchanged) == (1, 0)
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT a.url, a.guid, a.author, a.language, s.category "
                "FROM articles a JOIN sources s ON s.id = a.source_id"
            )
        ).one()
    assert tuple(row) == ("https://example.org/ferry", "ferry-1", "A. Writer", "en", "Local News")
    assert reparse(engine).unchanged == 1  # and now it is up to date


def test_a_document_that_fails_to_reparse_keeps_its_articles(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "a.txt", "A plain headline\n\nJust a paragraph.\n")
    write(tmp_path / "b.txt", "Another headline\n\nAnother paragraph.\n")
    _ingest(engine, tmp_path)
    before = _snapshot(engine)
    newer = f"{body.VERSION}+1"
    monkeypatch.setattr(body, "VERSION", newer)  # every article changes
    from ingest.store import Store

    real = Store.insert_articles

    def failing(self: Store, jobs: list[tuple[int, object, int | None]]) -> list[int]:
        if any(record.article.title == "A plain headline" for _, record, _ in jobs):  # type: ignore[attr-defined]
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return real(self, jobs)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "insert_articles", failing)
    result = reparse(engine)
    assert (result.failed, result.changed) == (1, 1)
    after = _snapshot(engine)
    assert [r for r in after if r[1] == "A plain headline"] == [
        r for r in before if r[1] == "A plain headline"
    ]  # kept as it was
    assert {r[3] for r in after if r[1] == "Another headline"} == {newer}


_SEED_ARTICLE = "(SELECT id FROM articles WHERE title LIKE 'Uzbek%')"
_FIRST_BODY = (
    f"article_id = {_SEED_ARTICLE} AND position = (SELECT min(position) FROM paragraphs"
    f" WHERE article_id = {_SEED_ARTICLE} AND kind = 'body')"
)
_FIRST_MENTION = "id = (SELECT min(id) FROM location_mentions)"


def _stored_rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row ingest writes for articles, without the ids of rows that are written anew."""
    tables = {
        "articles": "created_at",
        "paragraphs": "id",
        "article_translations": "",
        "article_locations": "",
        "location_mentions": "id",
        "sources": "created_at",
        "locations": "",
        "source_paragraphs": "",
    }
    found = {}
    with engine.connect() as connection:
        for table, left_out in tables.items():
            names = [c.name for c in Base.metadata.tables[table].c if c.name != left_out]
            columns = ", ".join(names)
            rows = connection.execute(text(f"SELECT {columns} FROM {table} ORDER BY {columns}"))
            found[table] = [tuple(row) for row in rows]
    return found


@pytest.mark.parametrize(
    "tampering",
    [
        f"UPDATE articles SET page_temperature_c = 99 WHERE id = {_SEED_ARTICLE}",
        f"UPDATE articles SET source_id = NULL WHERE id = {_SEED_ARTICLE}",
        f"UPDATE articles SET page_location_id = NULL WHERE id = {_SEED_ARTICLE}",
        "UPDATE sources SET category = 'Elsewhere'",
        "DELETE FROM article_translations",
        f"UPDATE paragraphs SET kind = 'sidebar' WHERE {_FIRST_BODY}",
        f"UPDATE paragraphs SET text_hash = 0 WHERE {_FIRST_BODY}",
        f"UPDATE location_mentions SET end_offset = end_offset - 1 WHERE {_FIRST_MENTION}",
        f"UPDATE location_mentions SET surface = 'elsewhere' WHERE {_FIRST_MENTION}",
        f"DELETE FROM location_mentions WHERE {_FIRST_MENTION}",
        "UPDATE article_locations SET mentions = mentions + 1 WHERE role = 'mention'",
        "DELETE FROM article_locations WHERE role = 'page'",
    ],
)
def test_reparse_rewrites_an_article_stored_otherwise_than_ingest_writes_it(
    engine: Engine, tmp_path: Path, tampering: str
) -> None:
    """Any part of what ingest writes for an article, if it differs, is written again.

    Reparse tells a stale article by the store's one definition of what is
    stored for it; a part it did not compare would stay stale for good.
    """
    write(tmp_path / "plain.txt", "A plain headline\n\nJust a paragraph.\n")
    _ingest(engine, tmp_path, SEED)
    before = _stored_rows(engine)
    with engine.begin() as connection:
        assert connection.execute(text(tampering)).rowcount > 0
    assert _stored_rows(engine) != before
    result = reparse(engine)
    assert (result.changed, result.unchanged, result.failed) == (1, 1, 0)
    assert _stored_rows(engine) == before
    assert reparse(engine).unchanged == 2
