"""db.serve: what Datasette is told about the store, and what it answers, in process (HTTP).

The pages are asked for through Datasette's own test client (``datasette.client``), on
the session's database made from ``seeds/`` and generated pages that name places
(``news_db``); ``tests/test_cli_serve.py`` runs the real command and a real browser.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from db.descriptions import DESCRIPTIONS, MACHINERY
from db.engine import make_engine
from db.errors import NoDatabase, SchemaError
from db.migrate import ensure_current
from db.serve import (
    PLACE_LICENCE,
    QUERIES,
    Served,
    ServeUnavailable,
    connect,
    datasette,
    metadata,
    served_file,
)
from tests.conftest import NEWS_PAGES, aggregator_page, ingest_pages, story_paragraphs

pytest.importorskip("datasette", reason="the serve extra is not installed")


@pytest.fixture(scope="module")
def app(news_db: Path) -> Iterator[Any]:
    served = datasette(served_file(str(news_db)))
    asyncio.run(served.invoke_startup())
    yield served
    for database in served.databases.values():
        database.close()  # as newsstore serve does at exit: no -wal or -shm left behind


def get(app: Any, path: str) -> Any:
    return asyncio.run(app.client.get(path))


def test_metadata_describes_every_table_view_and_column() -> None:
    tables = metadata("news")["databases"]["news"]["tables"]
    for name, described in DESCRIPTIONS.items():
        assert tables[name]["description"] == described.summary
        assert set(tables[name]["columns"]) == set(described.columns)
        assert not any("`" in text for text in tables[name]["columns"].values())
    for name in MACHINERY:
        assert tables[name]["hidden"] is True
    for name in ("locations", "place_counts", "place_mentions"):
        assert tables[name]["license"] == PLACE_LICENCE["license"]


def test_the_served_metadata_is_ours_and_the_plugins_are_there(app: Any) -> None:
    served = get(app, "/-/metadata.json").json()
    assert "GeoNames (CC BY 4.0)" in served["description"]
    assert "license" not in served  # the licence is the place data's, not every table's
    assert served["databases"]["news"]["tables"]["locations"]["license_url"] == (
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert set(served["databases"]["news"]["queries"]) == set(QUERIES)
    plugins = {p["name"] for p in get(app, "/-/plugins.json").json()}
    assert {"datasette-cluster-map", "datasette-leaflet", "newsstore-links"} <= plugins
    page = get(app, "/news/articles").text
    assert DESCRIPTIONS["articles"].summary.split(" (")[0] in page


def test_article_list_reads_well_with_facets_by_source_and_month(app: Any) -> None:
    data = get(app, "/news/article_list.json?_shape=objects&_size=max").json()
    rows = data["rows"]
    assert len(rows) == NEWS_PAGES + 1
    assert {"source", "month", "category"} <= set(data["facet_results"])
    months = {r["value"] for r in data["facet_results"]["month"]["results"]}
    assert {"2025-01", "2025-06", "2024-05"} <= months
    seed = next(r for r in rows if r["source"] == "DailyNK")
    assert seed["places"].startswith("Russia")
    assert seed["first_paragraph"].startswith("The Russian government has arrested")
    page = get(app, "/news/article_list").text
    # The article ids of a view link to the articles' rows (the links plugin).
    assert re.search(r'<a href="/news/articles/\d+">\d+</a>', page)


def test_place_counts_has_coordinates_counts_and_the_map(app: Any) -> None:
    data = get(app, "/news/place_counts.json?_shape=objects&_size=max").json()
    places = {r["place"]: r for r in data["rows"]}
    assert places["Vladivostok"]["articles"] == 1
    assert places["Lisbon"]["pages"] == NEWS_PAGES
    assert round(places["Paris"]["latitude"]) == 49
    assert {"kind", "country_code"} <= set(data["facet_results"])
    page = get(app, "/news/place_counts").text
    assert "datasette-cluster-map.js" in page


def test_every_script_and_stylesheet_is_served_locally(app: Any) -> None:
    """Nothing is fetched from the internet but map tiles (which the map asks for itself)."""
    for path in ("/news/place_counts", "/news/article_list", "/news", "/"):
        page = get(app, path).text
        fetched = re.findall(r'<script[^>]* src="([^"]+)"', page)
        fetched += re.findall(r'<link[^>]* href="([^"]+)"', page)
        assert fetched
        for url in fetched:
            # Its own pages name themselves by the host asked (the test client's: localhost).
            assert url.startswith(("/", "http://localhost/")) and not url.startswith("//"), url
        for url in re.findall(r"(?:import|URL:)\s*['\"]([^'\"]+)['\"]", page):
            assert url.startswith("/"), url
    assert (
        get(app, "/-/static-plugins/datasette-cluster-map/leaflet.markercluster.js").status_code
        == 200
    )


def test_search_articles_gives_each_article_once_with_its_best_paragraph(app: Any) -> None:
    data = get(app, "/news/search_articles.json?q=Nairobi&_shape=objects").json()
    rows = data["rows"]
    assert rows and len({r["article_id"] for r in rows}) == len(rows)
    assert all("<mark>Nairobi</mark>" in r["snippet"] for r in rows)
    page = get(app, "/news/search_articles?q=defectors").text
    assert "<mark>defectors</mark>" in page  # highlighted, not shown as markup


def test_search_boxes_on_paragraphs_and_article_titles(app: Any) -> None:
    paragraphs = get(app, "/news/paragraphs.json?_search=ferry&_shape=objects&_size=max").json()
    assert len(paragraphs["rows"]) == NEWS_PAGES
    titles = get(app, "/news/article_list.json?_search=Uzbek&_shape=objects").json()
    assert [r["source"] for r in titles["rows"]] == ["DailyNK"]


def test_canned_queries_answer_the_questions(app: Any) -> None:
    month = get(app, "/news/places_in_month.json?month=2025-03&_shape=objects").json()["rows"]
    assert month and {"latitude", "longitude", "articles"} <= set(month[0])
    sources = get(app, "/news/sources_of_story.json?q=harbour&_shape=objects").json()["rows"]
    assert sum(r["articles"] for r in sources) == NEWS_PAGES
    week = get(app, "/news/source_week.json?source=DailyNK&day=2024-05-30&_shape=objects").json()[
        "rows"
    ]
    assert [r["title"][:5] for r in week] == ["Uzbek"]
    (document,) = get(app, "/news/document_raw.json?id=1&_shape=objects").json()["rows"]
    # Stored compressed, given back as read: Datasette shows bytes that are UTF-8 as text.
    raw = document["raw"]
    raw = base64.b64decode(raw["encoded"]) if isinstance(raw, dict) else raw.encode("utf-8")
    assert len(raw) == document["size"] and hashlib.sha256(raw).hexdigest() == document["sha256"]


def test_the_story_queries_list_a_story_and_who_carried_it(tmp_path: Path) -> None:
    lead = "A lead paragraph of the site's own, written for its readers this very morning."
    one = story_paragraphs(41)
    path = tmp_path / "stories.db"
    engine = make_engine(str(path))
    try:
        ensure_current(engine)
        ingest_pages(
            engine,
            tmp_path / "pages",
            {
                "a.txt": aggregator_page(
                    "Original", one, "Wire A(World)", "March 2, 2025 at 9:00AM"
                ),
                "b.txt": aggregator_page(
                    "Copy", [lead, *one[:-1]], "Site B(World)", "March 3, 2025 at 9:00AM"
                ),
                "c.txt": aggregator_page(
                    "Update",
                    [*one, *story_paragraphs(42, 1)],
                    "Wire A(World)",
                    "March 4, 2025 at 9:00AM",
                ),
                "d.txt": aggregator_page(
                    "Other", story_paragraphs(43), "Site B(World)", "March 5, 2025 at 9:00AM"
                ),
            },
        )
        with engine.connect() as connection:
            ids = dict(connection.execute(text("SELECT title, id FROM articles")).all())
    finally:
        engine.dispose()
    served = datasette(served_file(str(path)))
    asyncio.run(served.invoke_startup())
    try:
        (story,) = get(served, "/stories/biggest_stories.json?_shape=objects").json()["rows"]
        assert (story["articles"], story["sources"], story["title"]) == (3, 2, "Original")
        rows = get(served, f"/stories/story_articles.json?id={ids['Copy']}&_shape=objects").json()[
            "rows"
        ]
        listed = get(served, "/stories/article_list.json?_shape=objects").json()["rows"]
    finally:
        for database in served.databases.values():
            database.close()
    assert [(r["title"], r["relation"]) for r in rows] == [
        ("Original", "first"),
        ("Copy", "copy"),
        ("Update", "update"),
    ]
    assert rows[0]["similarity"] == 1.0 and 0 < rows[1]["similarity"] < 1
    story_of = {r["title"]: r["story_id"] for r in listed}
    assert story_of["Copy"] == story_of["Update"] == story_of["Original"] == story["story_id"]
    assert story_of["Other"] != story["story_id"]


def test_writes_are_refused(app: Any, news_db: Path) -> None:
    before = news_db.read_bytes()
    response = get(app, "/news.json?sql=" + "delete from articles")
    assert response.status_code == 400
    response = get(app, "/news.json?sql=" + "insert into sources (name) values ('x')")
    assert response.status_code == 400
    assert news_db.read_bytes() == before


def test_the_connections_refuse_writes_whatever_the_sql(news_db: Path) -> None:
    connection = connect(served_file(str(news_db)))
    try:
        for statement in (
            "DELETE FROM articles",
            "PRAGMA query_only = OFF",
            "CREATE TEMP TABLE t (x)",
            "ATTACH 'file:elsewhere.db?mode=rwc' AS other",
        ):
            with pytest.raises(sqlite3.DatabaseError):
                connection.execute(statement)
        assert connection.execute("SELECT count(*) FROM articles").fetchone() == (NEWS_PAGES + 1,)
    finally:
        connection.close()


def test_a_file_that_cannot_be_written_is_served_immutable(news_db: Path) -> None:
    """What ``db.read_only`` chooses for such a file (``immutable=1``) Datasette is told too."""
    served = Served(news_db, {"mode": "ro", "immutable": "1"}, "frozen")
    assert served.immutable
    app = datasette(served)
    try:
        asyncio.run(app.invoke_startup())
        assert app.databases["frozen"].is_mutable is False
        rows = get(app, "/frozen/place_counts.json?_shape=objects&place=Paris").json()["rows"]
        assert [r["place"] for r in rows] == ["Paris"]
    finally:
        for database in app.databases.values():
            database.close()


def test_only_a_sqlite_file_at_the_schema_head_is_served(tmp_path: Path) -> None:
    with pytest.raises(ServeUnavailable, match="reads a SQLite file"):
        served_file("postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    with pytest.raises(NoDatabase):
        served_file(str(tmp_path / "missing.db"))
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(SchemaError):
        served_file(str(empty))
    assert not (tmp_path / "missing.db").exists()
