"""The pipeline with worker processes and small batches gives what the plain pipeline gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from db.migrate import ensure_current
from db.session import make_engine
from ingest import pipeline
from ingest.read import iter_paths
from tests.conftest import write
from tests.test_store import STANDING, page


def _stories(folder: Path, count: int) -> None:
    """Page dumps of one source, story ``n`` in file ``n``, all with its standing paragraph."""
    for n in range(count):
        write(folder / f"{n:02d}.txt", page(f"Story {n}", [f"Body of story {n}."]))


def test_workers_and_batches_keep_order_duplicates_and_boilerplate(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    _stories(folder, 7)
    write(folder / "07.txt", page("Story 0", ["Body of story 0."]))  # same article again
    write(folder / "08.txt", b"")
    paths = list(iter_paths([str(folder)]))
    outcomes = list(pipeline.run(engine, paths, batch_size=3, workers=2))
    assert [o.origin for o in outcomes] == paths
    assert [o.status for o in outcomes] == ["ingested"] * 7 + ["duplicate", "failed"]
    with engine.connect() as connection:
        kinds = connection.execute(
            text("SELECT DISTINCT kind FROM paragraphs WHERE text = :t"), {"t": STANDING}
        ).scalars()
        assert list(kinds) == ["boilerplate"]
        first = connection.execute(
            text("SELECT id FROM documents WHERE origin = :o"), {"o": paths[0]}
        ).scalar()
        dup = connection.execute(
            text("SELECT duplicate_of FROM documents WHERE origin = :o"), {"o": paths[7]}
        ).scalar()
        assert dup == first
    again = list(pipeline.run(engine, paths, batch_size=4, workers=2))
    assert [o.status for o in again] == ["unchanged"] * 8 + ["failed"]


def test_duplicates_within_one_batch(engine: Engine, tmp_path: Path) -> None:
    a = write(tmp_path / "a.txt", "Headline\n\nSame body.\n")
    b = write(tmp_path / "b.txt", "Headline\n\nSame body.\n")
    c = write(tmp_path / "c.txt", "Headline\r\n\r\nSame body.\r\n")
    outcomes = list(pipeline.run(engine, [str(a), str(b), str(c)], workers=0))
    assert [o.status for o in outcomes] == ["ingested", "duplicate", "duplicate"]
    assert outcomes[1].document_id and outcomes[0].document_id
    with engine.connect() as connection:
        pointers = connection.execute(
            text("SELECT duplicate_of FROM documents ORDER BY id")
        ).scalars()
        assert list(pointers) == [None, outcomes[0].document_id, outcomes[0].document_id]


def test_stopping_writes_no_batch_after_the_one_being_written(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    _stories(folder, 12)
    paths = list(iter_paths([str(folder)]))
    outcomes = list(pipeline.run(engine, paths, batch_size=2, workers=2, stop=lambda: True))
    assert 2 <= len(outcomes) <= 4 and len(outcomes) % 2 == 0  # whole batches, then it stops
    assert [o.origin for o in outcomes] == paths[: len(outcomes)]
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM articles")).scalar()
    assert stored == len(outcomes)
    rest = list(pipeline.run(engine, paths, batch_size=2, workers=2))
    assert [o.status for o in rest].count("ingested") == 12 - len(outcomes)


@pytest.mark.sqlite_only(reason="SQLite's write-ahead log")
def test_between_batches_the_wal_is_folded_into_the_file(tmp_path: Path) -> None:
    """Written rows wait in the WAL until a checkpoint copies them into the database file."""
    path = tmp_path / "folded.db"
    engine = make_engine(str(path))
    try:
        ensure_current(engine)
        before = path.stat().st_size
        with engine.begin() as connection:
            for n in range(2000):
                connection.execute(text("INSERT INTO sources (name) VALUES (:n)"), {"n": f"S{n}"})
        assert path.stat().st_size == before  # in the WAL only: SQLite folds it at 256 MiB
        pipeline._fold_wal(engine)
        assert path.stat().st_size > before
    finally:
        engine.dispose()
