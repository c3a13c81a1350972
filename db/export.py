"""Exporting articles: which ones, streamed in chunks, written as JSON Lines or CSV.

What ``newsstore export`` writes, callable from Python too: ``export_articles``
chooses the articles (all those ``ArticleFilters`` lets through, oldest
first, or those matching a search query, best first) and reads them in
chunks; ``write_articles`` writes them to a text stream. Where the stream
goes (a file replaced only once complete, standard output) is the caller's
choice.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, TextIO

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from db.base import table_of
from db.filters import ArticleFilters
from db.in_lists import placeholder
from db.models import Article, Location, Source
from db.search import rank_articles

# What ``write_articles`` writes: one JSON object per line, or CSV with a header.
FORMATS = ("jsonl", "csv")
CSV_COLUMNS = [
    "id",
    "title",
    "source",
    "category",
    "published_at",
    "page_date",
    "page_location",
    "url",
    "revision",
    "story_id",
    "body",
    "locations",
]


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
    story_id: int  # its story: its copies and updated versions share it (``db.stories``)
    paragraphs: list[str]
    locations: list[dict[str, object]]


_ARTICLES, _SOURCES, _LOCATIONS = table_of(Article), table_of(Source), table_of(Location)
# The fields of ``ExportedArticle``, in order: the keys of an exported JSON object.
FIELDS = tuple(field.name for field in dataclasses.fields(ExportedArticle))
# The keys of a place of an exported article, in order.
PLACE_KEYS = ("name", "kind", "country_code", "latitude", "longitude", "role", "mentions")


def export_articles(
    session: Session,
    filters: ArticleFilters | None = None,
    *,
    query: str | None = None,
    chunk: int = 500,
) -> Iterator[ExportedArticle]:
    """The articles ``filters`` lets through, oldest first; with ``query``, those matching it.

    A ``query`` (as for ``db.search.search``) ranks the articles best first,
    and is run now: a malformed one raises ``SearchError`` here, before
    anything is written. The articles themselves are read as the iterator is
    consumed, in chunks with one query each for their paragraphs and places,
    so memory stays flat however many are exported.
    """
    filters = filters or ArticleFilters()
    ranked = None
    if query is not None:
        ranked = [row[0] for row in rank_articles(session, query, filters, limit=None)]
    return _articles(session, filters, ranked, chunk)


def _articles(
    session: Session, filters: ArticleFilters, ranked: Sequence[int] | None, chunk: int
) -> Iterator[ExportedArticle]:
    """Stream articles: the ranked ids in that order, else all that ``filters`` lets through."""
    if ranked is not None:
        pending: Iterable[list[int]] = (
            list(ranked[i : i + chunk]) for i in range(0, len(ranked), chunk)
        )
    else:
        params: dict[str, Any] = {}
        ids = session.execute(
            text(
                f"SELECT a.id FROM articles a LEFT JOIN sources s ON s.id = a.source_id "
                f"WHERE {filters.where(params)} "
                "ORDER BY a.published_at IS NULL, a.published_at, a.id"
            ),
            params,
        ).scalars()
        pending = iter(lambda: list(islice(ids, chunk)), [])
    for batch in pending:
        yield from _export_batch(session, batch)


def _export_batch(session: Session, ids: list[int]) -> Iterator[ExportedArticle]:
    """The articles of one chunk of ids, in that order: three queries, whatever the chunk.

    Core statements over the tables, not ORM ones: the ORM's processing of each row
    was a quarter of an export's time, for plain columns that need none of it.
    """
    if not ids:
        return
    a, s, loc = _ARTICLES, _SOURCES, _LOCATIONS
    rows = {
        r.id: r
        for r in session.execute(
            select(
                a.c.id,
                a.c.title,
                s.c.name.label("source"),
                s.c.category,
                a.c.published_at,
                a.c.page_date,
                loc.c.name.label("page_location"),
                a.c.url,
                a.c.revision,
                a.c.story_id,
            )
            .select_from(
                a.outerjoin(s, s.c.id == a.c.source_id).outerjoin(
                    loc, loc.c.id == a.c.page_location_id
                )
            )
            .where(a.c.id.in_(ids))
        ).all()
    }
    body: dict[int, list[str]] = {i: [] for i in ids}
    for article_id, paragraph in _driver_rows(session, _BODY, ids):
        body[article_id].append(paragraph)
    places: dict[int, list[dict[str, object]]] = {i: [] for i in ids}
    for article_id, *place in _driver_rows(session, _PLACES, ids):
        places[article_id].append(dict(zip(PLACE_KEYS, place, strict=True)))
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
            story_id=row.story_id,
            paragraphs=body[article_id],
            locations=places[article_id],
        )


# An article's body paragraphs, and its places, for a chunk of articles (``{ids}``: their
# ids): driver SQL, as these rows need no conversion (``_driver_rows``).
_BODY = """SELECT article_id, text FROM paragraphs
           WHERE article_id IN ({ids}) AND kind = 'body' ORDER BY article_id, position"""
_PLACES = """SELECT al.article_id, l.name, l.kind, l.country_code, l.latitude, l.longitude,
                    al.role, al.mentions
             FROM article_locations al JOIN locations l ON l.id = al.location_id
             WHERE al.article_id IN ({ids}) ORDER BY al.article_id, al.role DESC, l.name"""


def _driver_rows(session: Session, sql: str, ids: list[int]) -> list[Any]:
    """The rows of ``sql`` for ``ids``, as the driver gives them.

    A month of a large store is a hundred thousand paragraph rows: SQLAlchemy's
    making of a result row for each (types, keys) cost as much again as SQLite
    took to read them, for plain integers and strings that need no conversion; so
    they are read through the driver's cursor, on the session's own connection.
    """
    connection = session.connection()
    mark = placeholder(connection)
    cursor = connection.connection.cursor()  # the driver's own: plain tuples
    try:
        cursor.execute(sql.format(ids=", ".join([mark] * len(ids))), tuple(ids))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def write_articles(articles: Iterable[ExportedArticle], stream: TextIO, fmt: str = "jsonl") -> int:
    """Write ``articles`` to ``stream`` in one of ``FORMATS``; returns how many were written.

    ``jsonl``: one JSON object per line, the fields of ``ExportedArticle``.
    ``csv``: a header (``CSV_COLUMNS``), then one row per article (``csv_row``).
    """
    if fmt not in FORMATS:
        raise ValueError(f"no export format {fmt!r}: {', '.join(FORMATS)}")
    writer = csv.writer(stream) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    count = 0
    for article in articles:
        count += 1
        if writer is None:
            stream.write(json.dumps(as_dict(article), ensure_ascii=False))
            stream.write("\n")
        else:
            writer.writerow(csv_row(article))
    return count


def as_dict(article: ExportedArticle) -> dict[str, object]:
    """An article as its JSON object: ``dataclasses.asdict`` without its deep copy.

    ``asdict`` copies every paragraph and place again, recursively: at a month of
    a large store, half the time of an export went there. Here the lists are the
    article's own (the object is only serialised, never changed).
    """
    return {name: getattr(article, name) for name in FIELDS}


def csv_row(article: ExportedArticle) -> list[object]:
    """An article as a CSV row: its body paragraphs apart by blank lines, its places in one cell.

    A place reads "name (kind, country code, role xmentions)"; places are apart by "; ".
    """
    places = "; ".join(
        f"{p['name']} ({p['kind']}, {p['country_code'] or '-'}, {p['role']} x{p['mentions']})"
        for p in article.locations
    )
    return [
        article.id,
        article.title,
        article.source,
        article.category,
        article.published_at,
        article.page_date,
        article.page_location,
        article.url,
        article.revision,
        article.story_id,
        "\n\n".join(article.paragraphs),
        places,
    ]
