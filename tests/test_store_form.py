"""ingest.store.form: what is stored for an article, written once and read back the same."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.base import table_of
from db.models import (
    Article,
    ArticleLocation,
    ArticleTranslation,
    LocationMention,
    Paragraph,
)
from ingest import pipeline
from ingest.prepare import prepare
from ingest.read import iter_paths
from ingest.records import ArticleRecord, RawDocument
from ingest.store import Store
from ingest.store.form import (
    LINK_COLUMNS,
    MENTION_COLUMNS,
    NOT_FROM_THE_RECORD,
    PARAGRAPH_COLUMNS,
    TRANSLATION_COLUMNS,
    article_form,
    is_current,
    read_form,
)
from tests.conftest import SEED, write
from tests.test_store import STANDING, page


def _seed_record() -> ArticleRecord:
    raw = SEED.read_bytes()
    prepared = prepare(RawDocument(origin=str(SEED), raw=raw, sha256="0" * 64))
    (record,) = prepared.articles
    return record


def _ingest(engine: Engine, *paths: Path) -> None:
    outcomes = list(pipeline.run(engine, iter_paths([str(p) for p in paths]), workers=0))
    assert {o.status for o in outcomes} == {"ingested"}, outcomes


def _stored(session: Session) -> list[tuple[int, ArticleRecord]]:
    """Every stored article's id with the record the current parsers make of its document."""
    pairs = []
    store = Store(session)
    for document in store.documents_to_reparse():
        records = prepare(document.raw).articles
        pairs.extend(zip(store.article_ids(document.id), records, strict=True))
    return pairs


def test_every_column_of_an_articles_rows_is_in_the_form_or_named_as_not_read() -> None:
    """A column that ingest does not fill from the form would go stale unseen by reparse."""
    form = article_form(_seed_record())
    assert set(table_of(Article).c.keys()) == set(form.columns) | NOT_FROM_THE_RECORD
    assert set(table_of(Paragraph).c.keys()) == {"id", *PARAGRAPH_COLUMNS}
    assert set(table_of(LocationMention).c.keys()) == {"id", *MENTION_COLUMNS}
    assert set(table_of(ArticleLocation).c.keys()) == set(LINK_COLUMNS)
    assert set(table_of(ArticleTranslation).c.keys()) == set(TRANSLATION_COLUMNS)


def test_an_article_reads_back_as_the_form_it_was_written_from(engine: Engine) -> None:
    _ingest(engine, SEED)
    record = _seed_record()
    with Session(engine) as session:
        article_id = session.scalars(select(Article.id)).one()
        stored = read_form(session, article_id)
    assert stored == article_form(record)
    assert (stored.source, stored.source_category) == ("DailyNK", "North Korean Media")
    assert stored.translations == ("Korean",)
    assert stored.page_place == "geonames:1273294"  # Delhi, by its gazetteer record
    assert ("iso3166-1:RU", "mention", 6) in stored.links
    assert ("geonames:1273294", "page", 1) in stored.links
    names = [m[4] for m in stored.mentions if m[5] == "name"]
    assert names[:3] == ["Russian Far East", "Russia", "North Korea"]
    # Adjectives are mentions of their own form; a place named only so has its own role.
    assert [m[4] for m in stored.mentions][:2] == ["Russian", "North Korean"]
    assert ("iso3166-1:KR", "adjective", 2) in stored.links
    assert {link[0] for link in stored.links if link[1] == "mention"} == {
        "iso3166-1:RU",
        "iso3166-1:KP",
        "geonames:2013348",
        "iso3166-2:RU-PRI",
        "alias:russian-far-east",
    }


def test_every_article_ingest_wrote_is_current(engine: Engine, tmp_path: Path) -> None:
    """Learned boilerplate, sources, places, translations, feed fields: all read back as written."""
    for n in range(4):  # the standing paragraph becomes boilerplate from the third article on
        write(tmp_path / f"{n}.txt", page(f"Story {n}", [f"Body of story {n} in Lisbon."]))
    write(
        tmp_path / "feed.jsonl",
        '{"title": "Ferry resumes", "text": "The ferry to Porto runs again.", "source": "Wire",'
        ' "url": "https://example.org/ferry", "author": "A. Writer", "language": "en"}\n',
    )
    _ingest(engine, tmp_path, SEED)
    with Session(engine) as session:
        pairs = _stored(session)
        assert len(pairs) == 6
        assert all(is_current(session, article_id, record) for article_id, record in pairs)
        learned = [
            kind
            for article_id, _ in pairs
            for _, kind, text, _ in read_form(session, article_id).paragraphs
            if text == STANDING
        ]
    assert learned == ["boilerplate"] * 4


def test_a_record_that_differs_in_any_part_is_not_current(engine: Engine) -> None:
    _ingest(engine, SEED)
    record = _seed_record()
    parsed = record.article
    first, *rest = record.paragraphs
    differing = {
        "a column": replace(record, article=replace(parsed, author="Someone Else")),
        "the source": replace(record, article=replace(parsed, source_name="Other Wire")),
        "the source's category": replace(record, article=replace(parsed, source_category="X")),
        "the page's city": replace(
            record, article=replace(parsed, page_location="Lisbon"), page_place=None
        ),
        "a translation": replace(record, article=replace(parsed, translations=())),
        "a paragraph's kind": replace(record, paragraphs=(replace(first, kind="sidebar"), *rest)),
        "a paragraph's hash": replace(record, paragraphs=(replace(first, text_hash=0), *rest)),
        "a mention": replace(record, mentions=record.mentions[1:]),
        "a mention's words": replace(
            record, mentions=(replace(record.mentions[0], surface="Far East"), *record.mentions[1:])
        ),
    }
    with Session(engine) as session:
        article_id = session.scalars(select(Article.id)).one()
        assert is_current(session, article_id, record)
        # A source keeps its category when the parsers read none for it.
        assert is_current(
            session, article_id, replace(record, article=replace(parsed, source_category=None))
        )
        changed = [
            name for name, other in differing.items() if not is_current(session, article_id, other)
        ]
    assert changed == list(differing)
