"""Migrations: one head, up from nothing, down and up again, models equal to migrations."""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
import time
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from db import migrate
from db.base import Base
from db.session import make_engine
from ingest.fingerprint import paragraph_hash
from ingest.signature import BANDS

TABLES = {
    "documents",
    "sources",
    "articles",
    "paragraphs",
    "locations",
    "article_locations",
    "article_translations",
    "source_paragraphs",
    "location_mentions",
}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_there_is_exactly_one_head() -> None:
    assert len(ScriptDirectory.from_config(migrate.alembic_config()).get_heads()) == 1


def test_the_head_the_code_knows_is_alembics() -> None:
    """``migrate.HEAD`` lets commands skip importing Alembic: a new revision must update it."""
    assert migrate.heads() == (migrate.HEAD,)


def test_upgrade_from_empty_creates_every_table(db_url: str) -> None:
    migrate.upgrade(db_url)
    assert _tables(db_url) >= TABLES


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    migrate.upgrade(db_url)
    migrate.downgrade(db_url, "base")
    assert _tables(db_url) == set()
    migrate.upgrade(db_url)
    assert _tables(db_url) >= TABLES


def test_models_match_migrations(db_url: str) -> None:
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "include_object": migrate.include_object},
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_new_database_is_created_at_head_and_old_one_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate.ensure_current(engine)
        assert migrate.current_revisions(engine) == migrate.heads()
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'feedfacecafe'")
        try:
            migrate.ensure_current(engine)
        except migrate.SchemaUnknown as exc:
            assert "newer version" in str(exc)
        else:
            raise AssertionError("an unknown revision was accepted")
    finally:
        engine.dispose()


# Waits until the given time, then does what a command does first on a new database.
CREATE = """
import sys, time
from db.migrate import ensure_current
from db.session import make_engine
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
ensure_current(make_engine(sys.argv[1]))
"""


def test_two_commands_starting_on_a_new_database_create_it_once(db_url: str) -> None:
    """The second waits for the first's schema instead of making its own (and failing)."""
    start = str(time.time() + 2)  # both processes are running by then
    processes = [
        subprocess.Popen([sys.executable, "-c", CREATE, db_url, start], stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for process in processes:
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode()
    engine = make_engine(db_url)
    try:
        assert migrate.current_revisions(engine) == migrate.heads()
    finally:
        engine.dispose()


def test_a_foreign_database_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE something_else (x INTEGER)")
        try:
            migrate.ensure_current(engine)
        except migrate.SchemaUnknown as exc:
            assert "no newsstore schema" in str(exc)
        else:
            raise AssertionError("a database without a revision was taken over")
    finally:
        engine.dispose()


FIRST = "2ddb0a6660c7"


def test_upgrading_a_database_with_data_keeps_every_row(db_url: str) -> None:
    migrate.upgrade(db_url, FIRST)
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO documents (id, origin, sha256, size, raw, status) "
                    "VALUES (1, '/a.txt', 'aa', 3, :raw, 'ingested')"
                ),
                {"raw": b"abc"},
            )
            run = connection.exec_driver_sql
            run("INSERT INTO sources (id, name, category) VALUES (1, 'Wire', 'World')")
            run(
                "INSERT INTO locations (id, name, kind, country_code, latitude, longitude) "
                "VALUES (1, 'Delhi', 'city', 'IN', 28.65, 77.23)"
            )
            run(
                "INSERT INTO articles (id, document_id, source_id, title, page_location_id, "
                "content_hash, layout, parser_version) VALUES (1, 1, 1, 'T', 1, 'h', 'plain', '1')"
            )
            run(
                "INSERT INTO paragraphs (article_id, position, kind, text, text_hash) "
                "VALUES (1, 1, 'body', 'x', 'hx')"
            )
            run("INSERT INTO article_locations VALUES (1, 1, 'page', 1)")
            run("INSERT INTO article_translations VALUES (1, 'Korean')")
            run("INSERT INTO source_paragraphs VALUES (1, 'hx', 1, 'x')")
            before = {  # by column name: a rebuilt table may have its columns in another order
                t: [dict(row._mapping) for row in run(f"SELECT * FROM {t}")]
                for t in sorted(TABLES - {"location_mentions"})
            }
        with pytest.raises(migrate.SchemaOutdated, match="newsstore db upgrade"):
            migrate.ensure_current(engine)
        migrate.upgrade(db_url)
        # Paragraph hashes became integers (61f29514ff84), derived again from the texts.
        rehashed = paragraph_hash("x")
        for table in ("paragraphs", "source_paragraphs"):
            before[table] = [{**row, "text_hash": rehashed} for row in before[table]]
        with engine.connect() as connection:
            run = connection.exec_driver_sql
            for table, rows in before.items():
                after = [dict(row._mapping) for row in run(f"SELECT * FROM {table}")]
                assert [{k: row[k] for k in rows[0]} for row in after] == rows, table
            assert run("SELECT approximate, gazetteer_id FROM locations").one() == (0, None)
    finally:
        engine.dispose()


INTEGER_HASHES = "61f29514ff84"


def _revision_module(revision: str) -> Any:
    script = ScriptDirectory.from_config(migrate.alembic_config()).get_revision(revision)
    assert script is not None
    return script.module


@pytest.mark.parametrize(
    "text", ["Plain.", "  Two\n\nlines\u00a0and\tTABS ", "\ufeffCafe\u0301 CAFÉ", "Straße"]
)
def test_the_rehashing_revision_hashes_as_ingest_does(text: str) -> None:
    """The revision keeps its own copy of the hash: it must give the values ingest gives."""
    assert _revision_module(INTEGER_HASHES).integer_hash(text) == paragraph_hash(text)


def test_paragraph_hashes_are_derived_again_both_ways(db_url: str) -> None:
    """Up to integer hashes and back down to hex digits, computed from the stored texts."""
    texts = ["The bridge opened.", "Wire works with a network of correspondents."]
    migrate.upgrade(db_url, _revision_module(INTEGER_HASHES).down_revision)
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            run = connection.exec_driver_sql
            run("INSERT INTO sources (id, name) VALUES (1, 'Wire')")
            run(
                "INSERT INTO documents (id, origin, sha256, size, raw, status) "
                "VALUES (1, '/a.txt', 'aa', 3, 'abc', 'ingested')"
            )
            run(
                "INSERT INTO articles (id, document_id, source_id, title, content_hash, layout, "
                "parser_version) VALUES (1, 1, 1, 'T', 'h', 'plain', '1')"
            )
            for position, body in enumerate(texts, start=1):
                connection.execute(
                    text(
                        "INSERT INTO paragraphs (article_id, position, kind, text, text_hash) "
                        "VALUES (1, :p, 'body', :t, 'old')"
                    ),
                    {"p": position, "t": body},
                )
            connection.execute(
                text("INSERT INTO source_paragraphs VALUES (1, 'old', 2, :t)"), {"t": texts[1]}
            )
        migrate.upgrade(db_url, INTEGER_HASHES)
        with engine.connect() as connection:
            run = connection.exec_driver_sql
            stored = run("SELECT text, text_hash FROM paragraphs ORDER BY position").all()
            counted = run("SELECT source_id, text_hash, articles FROM source_paragraphs").all()
            found = (
                run(  # the full-text triggers were made again with the table
                    "SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH 'bridge'"
                )
                if engine.dialect.name == "sqlite"
                else None
            )
        assert [tuple(row) for row in stored] == [(t, paragraph_hash(t)) for t in texts]
        assert [tuple(row) for row in counted] == [(1, paragraph_hash(texts[1]), 2)]
        if found is not None:
            assert found.scalar() == 1
        migrate.downgrade(db_url, _revision_module(INTEGER_HASHES).down_revision)
        old = _revision_module(INTEGER_HASHES).hex_hash
        with engine.connect() as connection:
            stored = connection.exec_driver_sql("SELECT text, text_hash FROM paragraphs").all()
        assert sorted(tuple(row) for row in stored) == sorted((t, old(t)) for t in texts)
        assert all(len(old(t)) == 32 for t in texts)
    finally:
        engine.dispose()


def test_an_unknown_target_revision_changes_nothing(db_url: str) -> None:
    migrate.upgrade(db_url)
    for revision in ("nope", "+5", "-99", "ffffffffffff"):
        with pytest.raises(migrate.RevisionError):
            migrate.upgrade(db_url, revision)
        with pytest.raises(migrate.RevisionError):
            migrate.downgrade(db_url, revision)
    engine = make_engine(db_url, readonly=True)
    try:
        assert migrate.current_revisions(engine) == (migrate.HEAD,)
    finally:
        engine.dispose()


def test_another_programs_database_is_not_migrated(tmp_path: Any) -> None:
    path = tmp_path / "other.db"
    engine = make_engine(str(path))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE recipes (name TEXT)")
    engine.dispose()
    with pytest.raises(migrate.SchemaUnknown, match="newsstore database"):
        migrate.upgrade(str(path))
    assert _tables(str(path)) == {"recipes"}


def test_downgrade_never_makes_a_database(tmp_path: Any) -> None:
    from db.errors import NoDatabase

    with pytest.raises(NoDatabase):
        migrate.downgrade(str(tmp_path / "missing.db"), "base")
    assert list(tmp_path.iterdir()) == []


KEYED_BY_RECORD = "b2ca821921f7"


def _seed_places(connection: Any, locations: list[tuple[int, str, str | None]]) -> None:
    """An article linked to and mentioning each of ``locations`` (id, name, gazetteer id),
    with the second as its page's place."""
    connection.execute(
        text(
            "INSERT INTO documents (id, origin, sha256, size, raw, status) "
            "VALUES (1, '/a.txt', 'aa', 3, :raw, 'ingested')"
        ),
        {"raw": b"abc"},
    )
    run = connection.exec_driver_sql
    for location_id, name, gid in locations:
        gid_sql = f"'{gid}'" if gid else "NULL"
        run(
            "INSERT INTO locations (id, name, kind, country_code, latitude, longitude, "
            f"approximate, gazetteer_id) VALUES ({location_id}, '{name}', 'city', 'US', "
            f"1.0, 2.0, false, {gid_sql})"
        )
    run(
        "INSERT INTO articles (id, document_id, title, page_location_id, content_hash, layout, "
        f"parser_version) VALUES (1, 1, 'T', {locations[1][0]}, 'h', 'plain', '1')"
    )
    for i, (location_id, name, _gid) in enumerate(locations):
        run(f"INSERT INTO article_locations VALUES (1, {location_id}, 'mention', 2)")
        run(
            "INSERT INTO location_mentions (article_id, location_id, paragraph_position, "
            f"start_offset, end_offset, surface) VALUES (1, {location_id}, 1, {10 * i}, "
            f"{10 * i + 4}, '{name}')"
        )


def _places(run: Any) -> tuple[list[Any], list[Any], list[Any], Any]:
    return (
        [tuple(r) for r in run("SELECT id, name, gazetteer_id FROM locations ORDER BY id")],
        [tuple(r) for r in run("SELECT location_id, mentions FROM article_locations ORDER BY 1")],
        [r[0] for r in run("SELECT location_id FROM location_mentions ORDER BY start_offset")],
        run("SELECT page_location_id FROM articles").scalar(),
    )


def test_rows_sharing_a_gazetteer_record_are_merged_on_upgrade(db_url: str) -> None:
    """The old key let two names of one record be two rows; the new key makes them one."""
    migrate.upgrade(db_url, INTEGER_HASHES)
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            _seed_places(
                connection,
                [(1, "Kiev", "geonames:703448"), (2, "Kyiv", "geonames:703448"), (3, "Oz", None)],
            )
        migrate.upgrade(db_url)
        with engine.connect() as connection:
            places, links, mentions, page = _places(connection.exec_driver_sql)
    finally:
        engine.dispose()
    assert places == [(1, "Kiev", "geonames:703448"), (3, "Oz", None)]
    assert links == [(1, 4), (3, 2)]  # the merged link's counts added up
    assert mentions == [1, 1, 3]
    assert page == 1


def test_namesakes_are_two_rows_and_merged_on_downgrade(db_url: str) -> None:
    """Washington, DC and Washington, Utah: two rows from this revision on; the old key
    (name, kind, country code) can hold only one, so a downgrade merges them."""
    migrate.upgrade(db_url, KEYED_BY_RECORD)  # rows as that revision's code wrote them
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            _seed_places(
                connection,
                [(1, "Washington", "geonames:4140963"), (2, "Washington", "geonames:5549222")],
            )
        with engine.connect() as connection:
            assert len(_places(connection.exec_driver_sql)[0]) == 2
        migrate.downgrade(db_url, INTEGER_HASHES)
        with engine.connect() as connection:
            places, links, mentions, page = _places(connection.exec_driver_sql)
        migrate.upgrade(db_url)
    finally:
        engine.dispose()
    assert places == [(1, "Washington", "geonames:4140963")]
    assert links == [(1, 4)]
    assert mentions == [1, 1]
    assert page == 1


def test_adjectival_mentions_have_a_form_and_a_role_and_go_on_downgrade(db_url: str) -> None:
    """Rows stored before the revision are names; adjectives ('Russian') are new rows the
    old schema cannot tell from names, so a downgrade deletes them."""
    migrate.upgrade(db_url, INTEGER_HASHES)
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            _seed_places(connection, [(1, "Russia", "iso3166-1:RU"), (2, "Oz", None)])
        migrate.upgrade(db_url)
        with engine.begin() as connection:
            run = connection.exec_driver_sql
            assert {r[0] for r in run("SELECT form FROM location_mentions")} == {"name"}
            run("INSERT INTO article_locations VALUES (1, 1, 'adjective', 3)")
            run(
                "INSERT INTO location_mentions (article_id, location_id, paragraph_position, "
                "start_offset, end_offset, surface, form) "
                "VALUES (1, 1, 2, 0, 7, 'Russian', 'adjective')"
            )
        with pytest.raises(Exception, match="(?i)check"), engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO location_mentions (article_id, location_id, paragraph_position, "
                "start_offset, end_offset, surface, form) VALUES (1, 1, 3, 0, 7, 'x', 'other')"
            )
        migrate.downgrade(db_url, INTEGER_HASHES)
        with engine.connect() as connection:
            run = connection.exec_driver_sql
            surfaces = sorted(r[0] for r in run("SELECT surface FROM location_mentions"))
            roles = sorted(r[0] for r in run("SELECT role FROM article_locations"))
        migrate.upgrade(db_url)
    finally:
        engine.dispose()
    assert surfaces == ["Oz", "Russia"]
    assert roles == ["mention", "mention"]


COMPRESSED_RAW = "9641a9fe9a20"


def test_raw_documents_are_compressed_on_upgrade_and_restored_on_downgrade(db_url: str) -> None:
    """Every row keeps its bytes (read back through db.raw.unpack) and its sha256; bytes zstd
    cannot shrink stay as they are; downgrading gives back the bytes as they were."""
    from db.raw import unpack

    page = b"Storm closes the harbour bridge\n\n" + b"The ferry stopped at noon. " * 120
    documents = {
        1: page,
        2: random.Random(3).randbytes(5000),  # noise: zstd makes it no smaller
        3: b"",  # a file that could not be read: no bytes kept
        **{n: page + str(n).encode() for n in range(4, 40)},
    }
    migrate.upgrade(db_url, _revision_module(COMPRESSED_RAW).down_revision)
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            for n, data in documents.items():
                connection.execute(
                    text(
                        "INSERT INTO documents (id, origin, sha256, size, raw, status) "
                        "VALUES (:id, :origin, :sha, :size, :raw, 'ingested')"
                    ),
                    dict(
                        id=n,
                        origin=f"/d/{n}.txt",
                        sha=hashlib.sha256(data).hexdigest(),
                        size=len(data),
                        raw=data,
                    ),
                )
        migrate.upgrade(db_url, COMPRESSED_RAW)
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT id, raw, raw_codec, sha256 FROM documents ORDER BY id"
            ).all()
        assert [row.id for row in rows] == sorted(documents)
        for row in rows:
            assert unpack(row.raw, row.raw_codec) == documents[row.id]
            assert row.sha256 == hashlib.sha256(documents[row.id]).hexdigest()
        codecs = {row.id: row.raw_codec for row in rows}
        assert codecs[1] == "zstd" and codecs[2] is None and codecs[3] is None
        assert len(rows[0].raw) < len(page) / 5
        migrate.downgrade(db_url, _revision_module(COMPRESSED_RAW).down_revision)
        with engine.connect() as connection:
            assert "raw_codec" not in {
                c["name"] for c in inspect(connection).get_columns("documents")
            }
            back = connection.exec_driver_sql("SELECT id, raw FROM documents ORDER BY id").all()
        assert {row.id: bytes(row.raw) for row in back} == documents
    finally:
        engine.dispose()


def test_the_compressing_revision_reads_a_bounded_chunk_at_a_time(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of ids in order, each within CHUNK_BYTES (or one larger row) and CHUNK_ROWS."""
    revision = _revision_module(COMPRESSED_RAW)
    monkeypatch.setattr(revision, "CHUNK_BYTES", 1000)
    monkeypatch.setattr(revision, "CHUNK_ROWS", 3)
    sizes = {1: 400, 2: 400, 3: 400, 4: 2500, 5: 10, 6: 10, 7: 10, 8: 10, 9: 999}
    migrate.upgrade(db_url, revision.down_revision)
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            for n, size in sizes.items():
                connection.execute(
                    text(
                        "INSERT INTO documents (id, origin, sha256, size, raw, status) "
                        "VALUES (:id, :origin, 'x', :size, :raw, 'ingested')"
                    ),
                    dict(id=n, origin=f"/d/{n}", size=size, raw=b"a" * size),
                )
            chunks = list(revision._chunks(connection, "1 = 1"))
    finally:
        engine.dispose()
    assert chunks == [[1, 2], [3], [4], [5, 6, 7], [8], [9]]


def test_upgrading_makes_stories_that_the_next_ingest_groups(db_url: str) -> None:
    """Every article already stored gets a story of its own; the next ingest groups them.

    (Revision 5d1e8a7c3b20 grouped them itself, with the ingest code of the day;
    13eb189a973d leaves it to the next ingest, ``check_settings``, so that no
    revision runs ingest code that may since expect a newer schema.)
    """
    from sqlalchemy.orm import Session

    from ingest.store.stories import check_settings
    from tests.conftest import story_paragraphs

    migrate.upgrade(db_url, KEYED_BY_RECORD)
    one, two = story_paragraphs(31), story_paragraphs(32)
    bodies = {1: one, 2: ["A lead of the site's own, for its readers.", *one[:-1]], 3: two}
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO documents (id, origin, sha256, size, raw, status) "
                    "VALUES (1, '/a.txt', 'aa', 3, :raw, 'ingested')"
                ),
                {"raw": b"abc"},
            )
            for article_id, body in bodies.items():
                connection.execute(
                    text(
                        "INSERT INTO articles (id, document_id, title, content_hash, layout, "
                        "parser_version) VALUES (:i, 1, :t, :h, 'plain', '1')"
                    ),
                    dict(i=article_id, t=f"T{article_id}", h=f"h{article_id}"),
                )
                connection.execute(
                    text(
                        "INSERT INTO paragraphs (article_id, position, kind, text, text_hash) "
                        "VALUES (:a, :p, 'body', :t, :h)"
                    ),
                    [
                        dict(a=article_id, p=n, t=t, h=paragraph_hash(t))
                        for n, t in enumerate(body, start=1)
                    ],
                )
        migrate.upgrade(db_url)
        with engine.connect() as connection:
            alone = dict(connection.execute(text("SELECT id, story_id FROM articles")).all())
            unset = connection.execute(text("SELECT count(*) FROM story_settings")).scalar()
        with Session(engine) as session, session.begin():
            assert check_settings(session) is True
        with engine.connect() as connection:
            stories = dict(connection.execute(text("SELECT id, story_id FROM articles")).all())
            sizes = connection.execute(
                text("SELECT id, first_article_id, articles FROM stories ORDER BY id")
            ).all()
            bands = connection.execute(text("SELECT count(*) FROM story_bands")).scalar()
            settings = dict(
                connection.execute(text("SELECT name, value FROM story_settings")).all()
            )
        migrate.downgrade(db_url, KEYED_BY_RECORD)
        migrate.upgrade(db_url)
    finally:
        engine.dispose()
    assert alone == {1: 1, 2: 2, 3: 3} and unset == 0
    assert stories == {1: 1, 2: 1, 3: 3}
    assert [tuple(r) for r in sizes] == [(1, 1, 2), (3, 3, 1)]
    assert bands == 3 * BANDS
    assert settings["bands"] == str(BANDS) and settings["library"] == "rensa.RMinHash"


RAW_DICTIONARIES = "c81f0d2e6a47"


def test_raw_dictionaries_are_trained_on_upgrade_and_undone_on_downgrade(db_url: str) -> None:
    """A format with enough documents gets a dictionary and its rows are packed with it; one
    with too few is left as it was; every row reads back the same; downgrading leaves plain
    zstd frames and no table."""
    from db.raw import dictionary_id, pack, unpack
    from db.raw_dictionaries import FIRST_ID

    rng = random.Random(4)
    words = "harbour ferry council mayor storm school bridge river market".split()
    documents = {
        n: (
            f"18.0 C\nLisbon\n\nStory {n}\n\n" + " ".join(rng.choice(words) for _ in range(80))
        ).encode()
        for n in range(1, 301)
    }
    formats = {n: "text" if n <= 280 else "html" for n in documents}
    revision = _revision_module(RAW_DICTIONARIES)
    migrate.upgrade(db_url, revision.down_revision)
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            for n, data in documents.items():
                packed = pack(data)
                connection.execute(
                    text(
                        "INSERT INTO documents (id, origin, sha256, size, raw, raw_codec, format,"
                        " status) VALUES (:id, :origin, 'x', :size, :raw, :codec, :format,"
                        " 'ingested')"
                    ),
                    dict(
                        id=n,
                        origin=f"/d/{n}",
                        size=len(data),
                        raw=packed.data,
                        codec=packed.codec,
                        format=formats[n],
                    ),
                )
        assert "IS NOT NULL" not in _index_sql(engine, "ix_articles_url")
        migrate.upgrade(db_url, RAW_DICTIONARIES)
        for name, *_ in revision.PARTIAL:
            assert "IS NOT NULL" in _index_sql(engine, name)
        with engine.connect() as connection:
            stored = connection.exec_driver_sql(
                "SELECT id, format, data, documents FROM raw_dictionaries"
            ).all()
            rows = connection.exec_driver_sql("SELECT id, raw, raw_codec FROM documents").all()
        assert [(r.id, r.format, r.documents) for r in stored] == [(FIRST_ID, "text", 280)]
        dictionary = {FIRST_ID: bytes(stored[0].data)}
        made_with = {row.id: dictionary_id(bytes(row.raw)) for row in rows}
        assert {made_with[n] for n in documents if formats[n] == "text"} == {FIRST_ID}
        assert {made_with[n] for n in documents if formats[n] == "html"} == {0}
        for row in rows:
            assert unpack(bytes(row.raw), row.raw_codec, None, dictionary.get) == documents[row.id]
        migrate.downgrade(db_url, revision.down_revision)
        for name, *_ in revision.PARTIAL:
            assert "IS NOT NULL" not in _index_sql(engine, name)
        with engine.connect() as connection:
            assert "raw_dictionaries" not in inspect(connection).get_table_names()
            back = connection.exec_driver_sql("SELECT id, raw, raw_codec FROM documents").all()
        assert {dictionary_id(bytes(row.raw)) for row in back} == {0}
        assert {row.id: unpack(bytes(row.raw), row.raw_codec) for row in back} == documents
    finally:
        engine.dispose()


def _index_sql(engine: Any, name: str) -> str:
    """How the database says an index is made (its CREATE INDEX), on either backend."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = "SELECT sql FROM sqlite_master WHERE name = :name"
        else:
            query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
        return str(connection.execute(text(query), {"name": name}).scalar_one())


def _dependents(engine: Any) -> list[str]:
    """The names of the triggers and views (SQLite) or views (PostgreSQL) of the database."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type IN ('trigger', 'view')"
        else:
            query = "SELECT viewname FROM pg_views WHERE schemaname = current_schema()"
        return sorted(connection.exec_driver_sql(query).scalars())


WITHOUT_ROWID = "8d2e4a6c1f37"


def test_link_tables_lose_their_rowid_and_keep_their_rows(db_url: str) -> None:
    """On SQLite article_locations and article_translations become WITHOUT ROWID tables with
    the same rows, and the views stay; downgrading gives them their rowid again."""
    revision = _revision_module(WITHOUT_ROWID)
    migrate.upgrade(db_url, revision.down_revision)
    engine = make_engine(db_url)
    rows = {
        "article_locations": [(1, 1, "mention", 2), (1, 1, "page", 1)],
        "article_translations": [(1, "Korean")],
    }
    try:
        with engine.begin() as connection:
            run = connection.exec_driver_sql
            run(
                "INSERT INTO documents (id, origin, sha256, size, raw, status) "
                "VALUES (1, '/a.txt', 'ab', 3, X'00', 'ingested')"
                if engine.dialect.name == "sqlite"
                else "INSERT INTO documents (id, origin, sha256, size, raw, status) "
                "VALUES (1, '/a.txt', 'ab', 3, '\\x00', 'ingested')"
            )
            run("INSERT INTO locations (id, name, kind) VALUES (1, 'Delhi', 'city')")
            run("INSERT INTO stories (id, first_article_id, articles, sources) VALUES (1, 1, 1, 0)")
            run(
                "INSERT INTO articles (id, document_id, title, content_hash, layout, "
                "parser_version, story_id) VALUES (1, 1, 'T', 'cd', 'plain', '1', 1)"
            )
            run("INSERT INTO article_locations VALUES (1, 1, 'mention', 2), (1, 1, 'page', 1)")
            run("INSERT INTO article_translations VALUES (1, 'Korean')")
        dependents = _dependents(engine)

        def stored() -> dict[str, list[tuple[Any, ...]]]:
            with engine.connect() as connection:
                return {
                    table: [
                        tuple(r)
                        for r in connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1, 2")
                    ]
                    for table in rows
                }

        def without_rowid() -> set[str]:
            if engine.dialect.name != "sqlite":
                return set()
            with engine.connect() as connection:
                made = connection.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
                ).all()
            return {name for name, sql in made if "WITHOUT ROWID" in sql}

        before = without_rowid()
        assert not before & set(rows)
        migrate.upgrade(db_url, WITHOUT_ROWID)
        assert stored() == rows
        assert _dependents(engine) == dependents
        if engine.dialect.name == "sqlite":
            assert without_rowid() == before | set(rows)
        migrate.downgrade(db_url, revision.down_revision)
        assert stored() == rows
        assert without_rowid() == before
        assert _dependents(engine) == dependents
    finally:
        engine.dispose()
