"""Models: foreign keys enforced, cascades, relationships, and the session's transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from db import open_session
from db.models import Article, ArticleLocation, Document, Location, Paragraph, Source, Story


def _article(session_url: str) -> int:
    with open_session(session_url) as session:
        document = Document(origin="/x.txt", sha256="0" * 64, size=3, raw=b"abc", status="ingested")
        source = Source(name="Example News", category="World")
        city = Location(
            name="Delhi", kind="city", country_code="IN", latitude=28.65, longitude=77.23
        )
        # An article is a story of its own until it has copies; the story is named after it.
        session.add(Story(id=1, first_article_id=1, articles=1, sources=1))
        article = Article(
            id=1,
            story_id=1,
            document=document,
            source=source,
            title="A headline",
            content_hash="1" * 64,
            layout="plain",
            parser_version="1",
            page_location=city,
        )
        article.paragraphs = [
            Paragraph(position=2, kind="body", text="Second.", text_hash=2),
            Paragraph(position=1, kind="body", text="First.", text_hash=1),
        ]
        article.location_links = [ArticleLocation(location=city, role="page", mentions=1)]
        session.add(article)
        session.flush()
        return article.id


def test_relationships_load_in_order(engine: Engine, db_url: str) -> None:
    article_id = _article(db_url)
    with open_session(db_url) as session:
        article = session.get_one(Article, article_id)
        assert [p.text for p in article.paragraphs] == ["First.", "Second."]
        assert article.body == ["First.", "Second."]
        assert article.source is not None and article.source.name == "Example News"
        assert article.page_location is not None and article.page_location.country_code == "IN"
        assert [loc.name for loc in article.locations] == ["Delhi"]
        assert article.document.origin == "/x.txt"
        assert [a.id for a in article.source.articles] == [article_id]
        assert [a.id for a in article.page_location.articles] == [article_id]


def test_orphan_paragraph_is_refused(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(IntegrityError):
        connection.exec_driver_sql(
            "INSERT INTO paragraphs (article_id, position, kind, text, text_hash) "
            "VALUES (999, 1, 'body', 'x', 1)"
        )


def test_deleting_an_article_deletes_its_paragraphs(engine: Engine, db_url: str) -> None:
    article_id = _article(db_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM articles WHERE id = :id"), {"id": article_id})
        left = connection.execute(text("SELECT count(*) FROM paragraphs")).scalar()
    assert left == 0


def test_bad_status_is_refused(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(IntegrityError):
        connection.execute(
            text(
                "INSERT INTO documents (origin, sha256, size, raw, status) "
                "VALUES ('/y', 'y', 0, :raw, 'lost')"
            ),
            {"raw": b""},
        )


def test_open_session_rolls_back_on_error(engine: Engine, db_url: str) -> None:
    with pytest.raises(RuntimeError), open_session(db_url) as session:
        session.add(Source(name="Never stored"))
        session.flush()
        raise RuntimeError("boom")
    with open_session(db_url) as session:
        assert session.scalar(select(func.count()).select_from(Source)) == 0


@pytest.mark.sqlite_only(reason="PRAGMAs: SQLite enforces foreign keys only when asked, WAL")
def test_connections_use_wal_and_foreign_keys(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
