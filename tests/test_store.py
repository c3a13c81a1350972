"""The store stage: sources, page places, translations, and boilerplate learned per source."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, Row, select, text, update

from db.models import Article, ArticleLocation, ArticleTranslation, Location, Source
from db.raw import unpack
from ingest import pipeline, store
from ingest.read import iter_paths
from ingest.records import ArticleRecord
from ingest.store import boilerplate, plan, revisits
from ingest.store.form import ArticleForm, article_form
from tests.conftest import aggregator_page, write

STANDING = "Example Wire is an independent newsroom funded by its readers across the region."


def page(title: str, body: list[str], source: str = "Example Wire(World)") -> str:
    """A page in the aggregator layout, with the source's standing paragraph after the body."""
    return aggregator_page(title, [*body, STANDING], source)


def _ingest(engine: Engine, folder: Path) -> None:
    for outcome in pipeline.run(engine, iter_paths([str(folder)])):
        assert outcome.status == "ingested", outcome


def _kinds(engine: Engine, paragraph: str) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT kind FROM paragraphs WHERE text = :t ORDER BY article_id"),
            {"t": paragraph},
        )
        return list(rows.scalars())


def test_standing_text_in_two_articles_stays_body(engine: Engine, tmp_path: Path) -> None:
    write(tmp_path / "1.txt", page("Bridge opens", ["The new bridge opened on Monday."]))
    write(tmp_path / "2.txt", page("Dam repaired", ["Repairs to the dam are complete."]))
    _ingest(engine, tmp_path)
    assert _kinds(engine, STANDING) == ["body", "body"]


def test_third_article_makes_it_boilerplate_everywhere(engine: Engine, tmp_path: Path) -> None:
    write(tmp_path / "1.txt", page("Bridge opens", ["The new bridge opened on Monday."]))
    write(tmp_path / "2.txt", page("Dam repaired", ["Repairs to the dam are complete."]))
    _ingest(engine, tmp_path)
    later = tmp_path / "later"
    write(later / "3.txt", page("Port expands", ["The port will add two berths."]))
    write(later / "4.txt", page("Rail strike", ["Train drivers will strike on Friday."]))
    _ingest(engine, later)
    assert _kinds(engine, STANDING) == ["boilerplate"] * 4
    assert _kinds(engine, "The new bridge opened on Monday.") == ["body"]
    with engine.connect() as connection:
        evidence = connection.execute(
            text("SELECT articles, text FROM source_paragraphs WHERE text = :t"), {"t": STANDING}
        ).one()
    assert tuple(evidence) == (4, STANDING)


def test_other_sources_do_not_count(engine: Engine, tmp_path: Path) -> None:
    write(tmp_path / "1.txt", page("Bridge opens", ["The bridge opened."], "Example Wire(World)"))
    write(tmp_path / "2.txt", page("Dam repaired", ["The dam is fixed."], "Other Daily(Local)"))
    write(tmp_path / "3.txt", page("Port expands", ["The port grows."], "Third Post"))
    _ingest(engine, tmp_path)
    assert _kinds(engine, STANDING) == ["body", "body", "body"]


def test_page_fields_sources_places_and_translations(engine: Engine, tmp_path: Path) -> None:
    doc = page("Bridge opens", ["The bridge opened."]).replace(
        "March 1, 2025", "Read in Portuguese\n\nMarch 1, 2025"
    )
    write(tmp_path / "1.txt", doc)
    write(tmp_path / "2.txt", page("Dam repaired", ["The dam is fixed."], "Third Post"))
    _ingest(engine, tmp_path)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                Article.title,
                Article.published_at,
                Article.page_date,
                Article.page_temperature_c,
                Source.name,
                Source.category,
                Location.name,
                ArticleLocation.role,
                ArticleTranslation.language,
            )
            .join(Source, Source.id == Article.source_id)
            .join(Location, Location.id == Article.page_location_id)
            .join(
                ArticleLocation,
                (ArticleLocation.article_id == Article.id)
                & (ArticleLocation.location_id == Location.id),
            )
            .outerjoin(ArticleTranslation, ArticleTranslation.article_id == Article.id)
            .order_by(Article.id)
        ).all()
        places = connection.execute(text("SELECT count(*) FROM locations")).scalar()
    when, day = datetime(2025, 3, 1, 10, 15), date(2025, 3, 3)
    assert [tuple(r) for r in rows] == [
        ("Bridge opens", when, day, 18.0, "Example Wire", "World", "Lisbon", "page", "Portuguese"),
        ("Dam repaired", when, day, 18.0, "Third Post", None, "Lisbon", "page", None),
    ]
    assert places == 1


def test_sources_remembered_across_batches_still_gain_a_category(
    engine: Engine, tmp_path: Path
) -> None:
    write(tmp_path / "1.txt", page("Bridge opens", ["The bridge opened."], "Example Wire"))
    write(tmp_path / "2.txt", page("Dam repaired", ["The dam is fixed."], "Example Wire(World)"))
    paths = list(iter_paths([str(tmp_path)]))
    outcomes = list(pipeline.run(engine, paths, batch_size=1, workers=0))
    assert [o.status for o in outcomes] == ["ingested", "ingested"]
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT name, category FROM sources")).all()
    assert [tuple(r) for r in rows] == [("Example Wire", "World")]


def test_counts_across_many_batches_make_standing_text_boilerplate(
    engine: Engine, tmp_path: Path
) -> None:
    for n in range(5):
        write(tmp_path / f"{n}.txt", page(f"Story {n}", [f"Body of story {n}."]))
    paths = list(iter_paths([str(tmp_path)]))
    list(pipeline.run(engine, paths, batch_size=1, workers=0))
    assert _kinds(engine, STANDING) == ["boilerplate"] * 5
    with engine.connect() as connection:
        evidence = connection.execute(
            text("SELECT articles FROM source_paragraphs WHERE text = :t"), {"t": STANDING}
        ).scalar()
    assert evidence == 5


@pytest.mark.sqlite_only(reason="SQLite has no date types: the stored text is the contract")
def test_dates_are_stored_as_sqlalchemy_writes_them(engine: Engine, tmp_path: Path) -> None:
    """The hot path hands rows to the driver itself: its dates must read back as the ORM's.

    SQLAlchemy's text form, which sorts as time does and which SQL written by
    hand (and Datasette) compares with ISO dates.
    """
    write(tmp_path / "1.txt", page("Bridge opens", ["The bridge opened."]))
    _ingest(engine, tmp_path)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT published_at, page_date FROM articles")).one()
    assert tuple(stored) == ("2025-03-01 10:15:00.000000", "2025-03-03")


@pytest.mark.sqlite_only(reason="reads SQLite's query plans")
@pytest.mark.parametrize(
    "module, statement",
    [(plan, name) for name in ("_BY_ORIGIN", "_BY_SHA", "_BY_CONTENT")]
    + [(boilerplate, name) for name in ("_COUNTED", "_UNCOUNTED")]
    + [(boilerplate, name) for name in ("_FORGET_COUNT", "_RELABEL", "_UNMENTION")],
)
def test_batch_look_ups_search_an_index(engine: Engine, module: object, statement: str) -> None:
    """Every statement a batch runs finds its rows through an index, never by a scan.

    A scan costs time in proportion to what is stored, for every batch: an
    ingest would slow down as the database grows. (Row-value IN lists, for one,
    make SQLite scan.)
    """
    query = getattr(module, statement)
    if isinstance(query, str):  # a look-up by a list of values: two of them
        compiled: object = query.format(marks="?, ?")
        values: tuple[object, ...] = ("a", "b")
    else:  # executed many times, one row's values each time
        compiled = query.compile(engine)
        row = compiled.construct_params({"a": 1, "p": 1, "s": 1, "h": "a"})
        values = tuple(row[name] for name in compiled.positiontup or ())
    with engine.connect() as connection:
        steps = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", values)
        plan = [step[-1] for step in steps]
    assert plan and not [step for step in plan if step.startswith("SCAN")], plan


def test_a_document_that_cannot_be_written_fails_alone(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever writing one document raises, the rest of the batch is stored."""
    for name in ("a", "b", "c"):
        write(tmp_path / f"{name}.txt", f"Headline {name}\n\nParagraph of story {name}.\n")

    def broken(record: ArticleRecord) -> ArticleForm:
        if record.article.title == "Headline b":
            raise ValueError("a value no column takes")
        return article_form(record)

    monkeypatch.setattr("ingest.store.rows.article_form", broken)
    outcomes = list(pipeline.run(engine, iter_paths([str(tmp_path)]), workers=0))
    assert [o.status for o in outcomes] == ["ingested", "failed", "ingested"]
    assert outcomes[1].error == "internal error: ValueError: a value no column takes"
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT status, raw, raw_codec FROM documents ORDER BY id")
        ).all()
        titles = connection.execute(text("SELECT title FROM articles ORDER BY id")).scalars()
        assert list(titles) == ["Headline a", "Headline c"]
    assert [r.status for r in rows] == ["ingested", "failed", "ingested"]
    # its bytes are kept (compressed: db.raw)
    assert unpack(rows[1].raw, rows[1].raw_codec) == (tmp_path / "b.txt").read_bytes()


def test_a_full_disk_is_no_documents_fault(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error about the whole database stops the batch rather than failing each file."""
    from sqlalchemy.exc import OperationalError

    write(tmp_path / "a.txt", "Headline\n\nParagraph.\n")

    def full(session: object, plans: object) -> list[int]:
        raise OperationalError("INSERT", {}, Exception("database or disk is full"))

    monkeypatch.setattr(store, "insert_documents", full)
    with pytest.raises(OperationalError, match="disk is full"):
        list(pipeline.run(engine, iter_paths([str(tmp_path)]), workers=0))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM documents")).scalar() == 0


def test_the_same_file_twice_in_a_batch_is_stored_once(engine: Engine, tmp_path: Path) -> None:
    path = str(write(tmp_path / "a.txt", "Headline\n\nParagraph.\n"))
    outcomes = list(pipeline.run(engine, [path, path, path], workers=0))
    assert [o.status for o in outcomes] == ["ingested", "unchanged", "unchanged"]
    assert len({o.document_id for o in outcomes}) == 1
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM documents")).scalar() == 1


def test_a_file_name_that_is_not_utf8_is_stored_and_recognised_again(
    engine: Engine, tmp_path: Path
) -> None:
    path = str(tmp_path / os.fsdecode(b"caf\xe9.txt"))
    write(Path(path), "Headline\n\nParagraph.\n")
    assert [o.status for o in pipeline.run(engine, [path], workers=0)] == ["ingested"]
    again = list(pipeline.run(engine, [path], workers=0))
    assert [o.status for o in again] == ["unchanged"]
    assert again[0].origin == str(tmp_path) + "/caf\\xe9.txt"
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT origin FROM documents")).scalar()
    assert stored == str(tmp_path) + "/caf\\xe9.txt"


def test_namesakes_are_stored_apart(engine: Engine, tmp_path: Path) -> None:
    """Two towns of one name in one country are two rows, each with its own point and
    admin code (the old key, name, kind and country, made them one)."""
    write(
        tmp_path / "1.txt",
        page("Storm", ["The storm reached Springfield, Illinois on Monday."]),
    )
    write(
        tmp_path / "2.txt",
        page("Flood", ["Rivers rose in Springfield, Missouri overnight."]),
    )
    _ingest(engine, tmp_path)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Location.admin1, Location.latitude, Location.gazetteer_id)
            .where(Location.name == "Springfield")
            .order_by(Location.admin1)
        ).all()
    assert [r.admin1 for r in rows] == ["IL", "MO"]
    assert len({r.gazetteer_id for r in rows}) == 2
    assert rows[0].latitude != rows[1].latitude


def test_a_place_stored_by_an_older_gazetteer_takes_its_current_point(
    engine: Engine, tmp_path: Path
) -> None:
    """A row made when countries sat at their capitals moves to the gazetteer's point, and
    keeps its id, the first time a run meets the place again."""
    write(tmp_path / "a" / "1.txt", page("Talks", ["Envoys met in Russia on Monday."]))
    _ingest(engine, tmp_path / "a")
    now = _russia(engine)
    with engine.begin() as connection:  # Moscow's point: what an earlier version stored
        connection.execute(
            update(Location).where(Location.id == now.id).values(latitude=55.75, longitude=37.62)
        )
    write(tmp_path / "b" / "2.txt", page("Trade", ["Grain left Russia by sea this week."]))
    _ingest(engine, tmp_path / "b")
    later = _russia(engine)
    assert later == now
    assert (later.latitude, later.longitude) != (55.75, 37.62)


def _russia(engine: Engine) -> Row[tuple[int, float | None, float | None]]:
    with engine.connect() as connection:
        return connection.execute(
            select(Location.id, Location.latitude, Location.longitude).where(
                Location.gazetteer_id == "iso3166-1:RU"
            )
        ).one()


@pytest.mark.sqlite_only(reason="reads SQLite's query plans")
@pytest.mark.parametrize(
    "statement, index",
    [
        (revisits._BY_RECORD_ID.format(marks="?, ?"), "ix_documents_record_id"),
        (revisits._BY_DIGEST.format(marks="?, ?"), "ix_documents_payload_digest"),
        (
            "SELECT url, max(revision) FROM articles WHERE url IN (?, ?) GROUP BY url",
            "ix_articles_url",
        ),
        (
            "SELECT guid, max(revision) FROM articles WHERE guid IN (?, ?) GROUP BY guid",
            "ix_articles_guid",
        ),
        (
            "SELECT record_offset, record_id FROM documents WHERE archive = ?"
            " AND record_offset IS NOT NULL ORDER BY record_offset DESC LIMIT 1",
            "ix_documents_archive_record_offset",
        ),
    ],
)
def test_look_ups_by_a_column_mostly_null_use_its_partial_index(
    engine: Engine, statement: str, index: str
) -> None:
    """Those indexes hold only the rows where the column is given (revision c81f0d2e6a47);
    every look-up by the column is by = or IN, which SQLite knows imply it."""
    with engine.connect() as connection:
        made = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = ?", (index,)
        ).scalar_one()
        values = ("a", "b")[: statement.count("?")]
        steps = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", values)
        plan = " ".join(step[-1] for step in steps)
    assert "IS NOT NULL" in made
    assert f"INDEX {index}" in plan, plan
