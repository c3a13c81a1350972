"""The read API: what the CLI shows, callable from Python too.

Each function takes the caller's session and returns plain frozen dataclasses,
so results can be printed, serialised or compared without a live session.

    from db import open_session
    from db.queries import article_detail

    with open_session() as session:
        print(article_detail(session, 1))
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import String, func, select, text
from sqlalchemy.orm import Session

from db.errors import interrupted
from db.models import (
    Article,
    ArticleLocation,
    Document,
    Location,
    Paragraph,
    Source,
    SourceParagraph,
)
from db.read_only import PROGRESS_STEPS, authorize_reading, keep_going
from db.search import MAX_LIMIT
from db.urls import sqlite_file


@dataclass(frozen=True)
class PlaceCount:
    name: str
    kind: str
    country_code: str | None
    latitude: float | None
    longitude: float | None
    role: str
    mentions: int


@dataclass(frozen=True)
class ParagraphRow:
    position: int
    kind: str
    text: str


@dataclass(frozen=True)
class ArticleDetail:
    id: int
    title: str
    source: str | None
    category: str | None
    published_at: datetime | None
    page_date: date | None
    page_temperature_c: float | None
    layout: str
    parser_version: str
    url: str | None
    revision: int
    language: str | None
    author: str | None
    document_id: int
    origin: str
    translations: tuple[str, ...]
    places: tuple[PlaceCount, ...]
    paragraphs: tuple[ParagraphRow, ...]

    @property
    def body(self) -> list[str]:
        return [p.text for p in self.paragraphs if p.kind == "body"]


# Ids are 64-bit integers on both engines; a larger number names no article (and
# cannot even be sent to SQLite: OverflowError).
MAX_ID = 2**63 - 1


def article_detail(session: Session, article_id: int) -> ArticleDetail | None:
    """Everything about one article, or None if there is no such article."""
    if not -MAX_ID - 1 <= article_id <= MAX_ID:
        return None
    row = session.execute(
        select(Article, Source.name, Source.category, Document.origin)
        .join(Document, Document.id == Article.document_id)
        .outerjoin(Source, Source.id == Article.source_id)
        .where(Article.id == article_id)
    ).first()
    if row is None:
        return None
    article, source, category, origin = row
    places = tuple(
        PlaceCount(loc.name, loc.kind, loc.country_code, loc.latitude, loc.longitude, role, n)
        for loc, role, n in session.execute(
            select(Location, ArticleLocation.role, ArticleLocation.mentions)
            .join(ArticleLocation, ArticleLocation.location_id == Location.id)
            .where(ArticleLocation.article_id == article_id)
            .order_by(ArticleLocation.role.desc(), ArticleLocation.mentions.desc(), Location.name)
        )
    )
    paragraphs = tuple(
        ParagraphRow(position, kind, text)
        for position, kind, text in session.execute(
            select(Paragraph.position, Paragraph.kind, Paragraph.text)
            .where(Paragraph.article_id == article_id)
            .order_by(Paragraph.position)
        )
    )
    return ArticleDetail(
        id=article.id,
        title=article.title,
        source=source,
        category=category,
        published_at=article.published_at,
        page_date=article.page_date,
        page_temperature_c=article.page_temperature_c,
        layout=article.layout,
        parser_version=article.parser_version,
        url=article.url,
        revision=article.revision,
        language=article.language,
        author=article.author,
        document_id=article.document_id,
        origin=origin,
        translations=tuple(sorted(t.language for t in article.translations)),
        places=places,
        paragraphs=paragraphs,
    )


def boilerplate_evidence(session: Session, article_id: int) -> dict[int, int]:
    """For the article's learned-boilerplate paragraphs: position -> articles of the source."""
    rows = session.execute(
        select(Paragraph.position, SourceParagraph.articles)
        .join(Article, Article.id == Paragraph.article_id)
        .join(
            SourceParagraph,
            (SourceParagraph.source_id == Article.source_id)
            & (SourceParagraph.text_hash == Paragraph.text_hash),
        )
        .where(Paragraph.article_id == article_id)
    )
    return {position: count for position, count in rows}


# --- export ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportedArticle:
    """One article as ``newsstore export`` writes it."""

    id: int
    title: str
    source: str | None
    category: str | None
    published_at: str | None
    page_date: str | None
    page_location: str | None
    url: str | None
    revision: int
    paragraphs: list[str]
    locations: list[dict[str, object]]


def export_articles(
    session: Session,
    article_ids: Sequence[int] | None = None,
    *,
    filters_where: str = "1 = 1",
    params: dict[str, object] | None = None,
    chunk: int = 500,
) -> Iterator[ExportedArticle]:
    """Stream articles (the given ids in that order, else all matching ``filters_where``).

    Articles are read in chunks with one query each for their paragraphs and
    places, so memory stays flat however many are exported.
    """
    if article_ids is not None:
        pending: Iterable[list[int]] = (
            list(article_ids[i : i + chunk]) for i in range(0, len(article_ids), chunk)
        )
    else:
        ids = session.execute(
            text(
                f"SELECT a.id FROM articles a LEFT JOIN sources s ON s.id = a.source_id "
                f"WHERE {filters_where} ORDER BY a.published_at IS NULL, a.published_at, a.id"
            ),
            params or {},
        ).scalars()
        pending = iter(lambda: list(islice(ids, chunk)), [])
    for batch in pending:
        yield from _export_batch(session, batch)


def _export_batch(session: Session, ids: list[int]) -> Iterator[ExportedArticle]:
    if not ids:
        return
    rows = {
        r.id: r
        for r in session.execute(
            select(
                Article.id,
                Article.title,
                Source.name.label("source"),
                Source.category,
                Article.published_at,
                Article.page_date,
                Location.name.label("page_location"),
                Article.url,
                Article.revision,
            )
            .outerjoin(Source, Source.id == Article.source_id)
            .outerjoin(Location, Location.id == Article.page_location_id)
            .where(Article.id.in_(ids))
        )
    }
    body: dict[int, list[str]] = {i: [] for i in ids}
    for article_id, paragraph in session.execute(
        select(Paragraph.article_id, Paragraph.text)
        .where(Paragraph.article_id.in_(ids), Paragraph.kind == "body")
        .order_by(Paragraph.article_id, Paragraph.position)
    ):
        body[article_id].append(paragraph)
    places: dict[int, list[dict[str, object]]] = {i: [] for i in ids}
    for article_id, loc, role, mentions in session.execute(
        select(ArticleLocation.article_id, Location, ArticleLocation.role, ArticleLocation.mentions)
        .join(Location, Location.id == ArticleLocation.location_id)
        .where(ArticleLocation.article_id.in_(ids))
        .order_by(ArticleLocation.article_id, ArticleLocation.role.desc(), Location.name)
    ):
        places[article_id].append(
            dict(
                name=loc.name,
                kind=loc.kind,
                country_code=loc.country_code,
                latitude=loc.latitude,
                longitude=loc.longitude,
                role=role,
                mentions=mentions,
            )
        )
    for article_id in ids:
        row = rows.get(article_id)
        if row is None:
            continue
        yield ExportedArticle(
            id=row.id,
            title=row.title,
            source=row.source,
            category=row.category,
            published_at=row.published_at.isoformat(sep=" ") if row.published_at else None,
            page_date=row.page_date.isoformat() if row.page_date else None,
            page_location=row.page_location,
            url=row.url,
            revision=row.revision,
            paragraphs=body[article_id],
            locations=places[article_id],
        )


# --- stats -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    articles: int
    paragraphs: int
    by_source: list[tuple[str, int]]
    by_month: list[tuple[str, int]]
    documents: dict[str, int]


def stats(session: Session) -> Stats:
    """Counts for ``newsstore stats``: per source, per month of publication, per status."""
    by_source = [
        (name or "(no source)", n)
        for name, n in session.execute(
            select(Source.name, func.count(Article.id))
            .select_from(Article)
            .outerjoin(Source, Source.id == Article.source_id)
            .group_by(Source.name)
            .order_by(func.count(Article.id).desc())
        )
    ]
    month = func.substr(func.cast(Article.published_at, String), 1, 7)
    by_month = [
        (m or "(undated)", n)
        for m, n in session.execute(
            select(month, func.count()).select_from(Article).group_by(month).order_by(month)
        )
    ]
    documents = {
        status: n
        for status, n in session.execute(
            select(Document.status, func.count()).group_by(Document.status)
        )
    }
    return Stats(
        articles=sum(n for _, n in by_source),
        paragraphs=int(session.scalar(select(func.count()).select_from(Paragraph)) or 0),
        by_source=by_source,
        by_month=by_month,
        documents=documents,
    )


def database_bytes(session: Session) -> int | None:
    """The database's size on disk: a SQLite file with its WAL, or a PostgreSQL database."""
    url = session.get_bind().engine.url
    if url.get_backend_name() == "postgresql":
        return int(session.scalar(text("SELECT pg_database_size(current_database())")) or 0)
    path = sqlite_file(url)
    if path is None:
        return None
    # Named, not globbed: a file name may hold glob characters ('[', '*', '?').
    files = (path, Path(f"{path}-wal"))
    return sum(p.stat().st_size for p in files if p.is_file())


# --- plain SQL ---------------------------------------------------------------------------


class SqlError(Exception):
    """The statement failed (malformed, refused, stopped); the message says why in one line."""


class SqlRefused(SqlError):
    """The statement would write, attach a file or change the connection: refused."""


class SqlTimeout(SqlError):
    """The statement ran longer than the timeout it was given, and was stopped."""


class SqlInterrupted(SqlError):
    """The statement was stopped because ``stop()`` said so."""


Rows = tuple[list[str], list[tuple[object, ...]]]
# The longest statement_timeout PostgreSQL takes, in milliseconds (about 24 days).
_PG_MAX_TIMEOUT_MS = 2**31 - 1


def run_sql(
    session: Session,
    sql: str,
    *,
    timeout: float | None = None,
    stop: Callable[[], bool] | None = None,
) -> Rows:
    """Run one statement, exactly as written, and return its column names and rows.

    The text goes to the driver's cursor as it is, with no parameters: no
    ``:name`` (SQLAlchemy) or ``%`` (psycopg) in it is taken for a bind
    parameter, so ``SELECT 'a :b'`` is that text. One statement only.

    Give it a read-only session (``make_engine(..., readonly=True)``). On
    SQLite the statement also runs under ``db.read_only.authorize_reading``,
    whatever the session: a write, ATTACH, DETACH or a PRAGMA that sets
    something is refused (``SqlRefused``) before it runs. A progress handler
    stops it when ``stop()`` returns true (``SqlInterrupted``), after
    ``timeout`` seconds (``SqlTimeout``), or on Ctrl-C (``KeyboardInterrupt``,
    which SQLite would otherwise not see until the statement ends). On
    PostgreSQL the session's READ ONLY transaction refuses writes, the
    timeout is the server's ``statement_timeout`` for this transaction, and
    psycopg cancels the statement on Ctrl-C.
    """
    connection = session.connection()  # begins the session's (read-only) transaction
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name == "sqlite":
        return _run_on_sqlite(driver, sql, timeout, stop)
    return _run_on_server(driver, connection.dialect.loaded_dbapi, sql, timeout)


_ACTIONS = {
    getattr(sqlite3, f"SQLITE_{name}"): name.replace("_", " ")
    for name in """INSERT UPDATE DELETE ATTACH DETACH PRAGMA ALTER_TABLE REINDEX ANALYZE
    CREATE_INDEX CREATE_TABLE CREATE_TEMP_INDEX CREATE_TEMP_TABLE CREATE_TEMP_TRIGGER
    CREATE_TEMP_VIEW CREATE_TRIGGER CREATE_VIEW CREATE_VTABLE DROP_INDEX DROP_TABLE
    DROP_TEMP_INDEX DROP_TEMP_TABLE DROP_TEMP_TRIGGER DROP_TEMP_VIEW DROP_TRIGGER DROP_VIEW
    DROP_VTABLE FUNCTION""".split()
}


def _run_on_sqlite(
    driver: sqlite3.Connection, sql: str, timeout: float | None, stop: Callable[[], bool] | None
) -> Rows:
    deadline = None if timeout is None else time.monotonic() + timeout
    stopped: list[str] = []
    refused: list[str] = []

    def progress() -> int:
        if stop is not None and stop():
            stopped.append("stop")
            return 1
        if deadline is not None and time.monotonic() >= deadline:
            stopped.append("timeout")
            return 1
        return 0

    def authorize(action: int, arg1: str | None, arg2: str | None, *rest: str | None) -> int:
        verdict = authorize_reading(action, arg1, arg2, *rest)
        if verdict != sqlite3.SQLITE_OK:
            what = " ".join(str(a) for a in (arg1, arg2) if a is not None)
            refused.append(f"{_ACTIONS.get(action, 'that')} {what}".strip())
        return verdict

    # A connection of a read-only engine goes back to its authorizer; any other to none.
    read_only = bool(driver.execute("PRAGMA query_only").fetchone()[0])
    driver.set_authorizer(authorize)
    driver.set_progress_handler(progress, PROGRESS_STEPS)
    cursor = driver.cursor()
    try:
        cursor.execute(sql)
        if cursor.description is None:
            return [], []
        return [d[0] for d in cursor.description], [tuple(row) for row in cursor.fetchall()]
    except (sqlite3.Error, sqlite3.Warning) as exc:
        if stopped == ["stop"]:
            raise SqlInterrupted("stopped") from None
        if stopped == ["timeout"]:
            raise SqlTimeout(f"stopped after the timeout of {timeout:g} s") from None
        if interrupted(exc):  # Ctrl-C raised in the progress handler, which SQLite swallowed
            raise KeyboardInterrupt from None
        if refused:
            raise SqlRefused(f"refused: the sql command is read-only ({refused[0]})") from None
        message = " ".join(str(exc).split())
        if "readonly" in message or "read-only" in message:
            raise SqlRefused(f"refused: the sql command is read-only ({message})") from None
        raise SqlError(message) from None
    finally:
        cursor.close()
        driver.set_authorizer(authorize_reading if read_only else None)
        driver.set_progress_handler(keep_going if read_only else None, PROGRESS_STEPS)


def _run_on_server(driver: Any, dbapi: Any, sql: str, timeout: float | None) -> Rows:
    """The statement on PostgreSQL (psycopg), in the session's transaction."""
    cursor = driver.cursor()
    try:
        if timeout is not None:
            ms = max(1, min(round(timeout * 1000), _PG_MAX_TIMEOUT_MS))
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", (str(ms),))
        # prepare=True: a prepared statement is one statement, and with no parameters
        # psycopg does not look for '%' in it; sent as a simple query, "COMMIT; DELETE ..."
        # would run both, the second outside the READ ONLY transaction.
        cursor.execute(sql, prepare=True)
        if cursor.description is None:
            return [], []
        return [d[0] for d in cursor.description], [tuple(row) for row in cursor.fetchall()]
    except dbapi.Error as exc:
        message = " ".join(str(exc).split())
        sqlstate = getattr(exc, "sqlstate", None)
        if sqlstate == "57014" and timeout is not None:  # query_canceled by statement_timeout
            raise SqlTimeout(f"stopped after the timeout of {timeout:g} s") from None
        if sqlstate == "25006":  # read_only_sql_transaction
            raise SqlRefused(f"refused: the sql command is read-only ({message})") from None
        raise SqlError(message) from None
    finally:
        cursor.close()


# --- places ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceTotal:
    name: str
    kind: str
    country_code: str | None
    latitude: float | None
    longitude: float | None
    articles: int
    mentions: int


def top_places(
    session: Session,
    filters_where: str = "1 = 1",
    params: dict[str, object] | None = None,
    *,
    kind: str | None = None,
    country: str | None = None,
    role: str = "mention",
    limit: int = 20,
) -> list[PlaceTotal]:
    """The places named in the most articles.

    ``filters_where`` is a WHERE clause over ``articles a`` and ``sources s``
    (see ``db.search.filters_sql``), with its ``params``.
    """
    params = dict(params or {}, role=role, limit=min(limit, MAX_LIMIT))
    where = [filters_where, "al.role = :role"]
    if kind:
        where.append("l.kind = :kind")
        params["kind"] = kind
    if country:
        where.append("l.country_code = upper(:country)")
        params["country"] = country
    rows = session.execute(
        text(
            f"""SELECT l.name, l.kind, l.country_code, l.latitude, l.longitude,
                       count(DISTINCT a.id) AS articles, sum(al.mentions) AS mentions
                FROM article_locations al
                JOIN locations l ON l.id = al.location_id
                JOIN articles a ON a.id = al.article_id
                LEFT JOIN sources s ON s.id = a.source_id
                WHERE {" AND ".join(where)}
                GROUP BY l.id
                ORDER BY articles DESC, mentions DESC, l.name
                LIMIT :limit"""
        ),
        params,
    )
    return [PlaceTotal(*row) for row in rows]
