"""The pipeline with worker processes and small batches gives what the plain pipeline gives."""

from __future__ import annotations

import io
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from db.migrate import ensure_current
from db.session import make_engine
from ingest import pipeline, prepare, workers
from ingest.read import iter_paths
from ingest.store import Outcome
from ingest.workers import Homes
from tests.conftest import stored_raw, write
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


def _killing(monkeypatch: pytest.MonkeyPatch, victim: str, once: Path | None = None) -> None:
    """Make the process that prepares ``victim`` die as the out-of-memory killer kills.

    With ``once``, only the first process does (a marker file remembers it): a
    worker killed from outside, not by its file.
    """
    real = prepare.read_and_prepare

    def dying(
        origin: str, max_size: int, homes: Homes | None = None, dictionaries: object = None
    ) -> object:
        if origin.endswith(victim) and (once is None or not once.exists()):
            if once is not None:
                once.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(origin, max_size, homes, dictionaries)  # type: ignore[arg-type]

    monkeypatch.setattr(prepare, "read_and_prepare", dying)


def test_a_worker_killed_from_outside_loses_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    _stories(folder, 30)
    _killing(monkeypatch, "11.txt", once=tmp_path / "killed-once")
    problems: list[str] = []
    paths = list(iter_paths([str(folder)]))
    outcomes = list(
        pipeline.run(engine, paths, batch_size=4, workers=2, on_problem=problems.append)
    )
    assert [o.origin for o in outcomes] == paths
    assert {o.status for o in outcomes} == {"ingested"}
    assert len(problems) == 1 and "worker process died" in problems[0]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM articles")).scalar() == 30


def test_a_file_that_kills_its_worker_fails_alone_with_its_bytes(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    _stories(folder, 30)
    _killing(monkeypatch, "11.txt")
    problems: list[str] = []
    paths = list(iter_paths([str(folder)]))
    outcomes = list(
        pipeline.run(engine, paths, batch_size=8, workers=2, on_problem=problems.append)
    )
    assert [o.origin for o in outcomes] == paths
    failed = [o for o in outcomes if o.status == "failed"]
    assert [Path(o.origin).name for o in failed] == ["11.txt"]
    assert failed[0].reason == "worker died"
    assert failed[0].error is not None and "killed by SIGKILL" in failed[0].error
    assert problems  # reported, so that the run ends with status 1
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM articles")).scalar() == 29
    assert stored_raw(engine, "status = 'failed'") == (folder / "11.txt").read_bytes()
    # A rerun does not try it again: it failed, as any file that fails does.
    again = list(pipeline.run(engine, paths, batch_size=8, workers=2))
    assert [o.status for o in again].count("unchanged") == 29


def test_what_a_batch_unpacks_to_is_written_in_parts(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch whose files parse to more than WRITE_BYTES is written as it goes, in order."""
    folder = tmp_path / "in"
    _stories(folder, 9)
    write(folder / "09.txt", page("Story 0", ["Body of story 0."]))  # a duplicate
    transactions: list[int] = []
    real = workers.Writer.write

    def counted(self: workers.Writer, prepared: list[Any]) -> list[Any]:
        transactions.append(len(prepared))
        return real(self, prepared)

    monkeypatch.setattr(workers, "WRITE_BYTES", 1)
    monkeypatch.setattr(workers.Writer, "write", counted)
    paths = list(iter_paths([str(folder)]))
    outcomes = list(pipeline.run(engine, paths, batch_size=100, workers=0))
    assert transactions == [1] * 10
    assert [o.status for o in outcomes] == ["ingested"] * 9 + ["duplicate"]
    # With workers taking turns, a batch keeps its turn from its first part to its last:
    # the documents are numbered in the order of the files, as by a single writer.
    again = tmp_path / "again"
    _stories(again, 12)  # stories 0-8 repeat those stored above
    paths = list(iter_paths([str(again)]))
    outcomes = list(pipeline.run(engine, paths, batch_size=3, workers=2))
    assert [o.status for o in outcomes] == ["duplicate"] * 9 + ["ingested"] * 3
    with engine.connect() as connection:
        order = connection.execute(
            text("SELECT origin FROM documents WHERE id > 10 ORDER BY id")
        ).scalars()
        assert list(order) == paths


def test_standard_input_goes_to_a_worker_like_any_file(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    _stories(folder, 6)
    data = b"From standard input\n\nA paragraph read from a pipe.\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    paths = [*iter_paths([str(folder)]), "-"]
    outcomes = list(pipeline.run(engine, paths, batch_size=4, workers=2))
    assert [o.status for o in outcomes] == ["ingested"] * 7
    assert stored_raw(engine, "origin = '-'") == data


def test_a_document_that_never_finishes_parsing_is_stopped_and_fails_alone(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parse stuck forever (in C code no signal reaches) cannot hang the run."""
    folder = tmp_path / "in"
    _stories(folder, 12)
    real = prepare.read_and_prepare

    def stuck(
        origin: str, max_size: int, homes: Homes | None = None, dictionaries: object = None
    ) -> object:
        if origin.endswith("05.txt"):
            while True:  # never returns, whatever the machine's speed
                pass
        return real(origin, max_size, homes, dictionaries)  # type: ignore[arg-type]

    monkeypatch.setattr(prepare, "read_and_prepare", stuck)
    # Five seconds for a page of a few lines: a thousand times what it takes.
    monkeypatch.setattr(workers, "TIME_BASE", 5.0)
    monkeypatch.setattr(workers, "TIME_PER_MIB", 0.0)
    problems: list[str] = []
    paths = list(iter_paths([str(folder)]))
    outcomes = list(
        pipeline.run(engine, paths, batch_size=4, workers=2, on_problem=problems.append)
    )
    assert [o.origin for o in outcomes] == paths
    assert [Path(o.origin).name for o in outcomes if o.status == "failed"] == ["05.txt"]
    failed = next(o for o in outcomes if o.status == "failed")
    assert failed.reason == "too slow"
    assert failed.error == (
        "reading and parsing it took more than 5 s (60 s plus 6 s per MiB of --max-size): stopped"
    )
    assert len(problems) == 1 and "took more than 5 s" in problems[0]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM articles")).scalar() == 11


def test_a_lost_batch_written_again_is_watched_too(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker dies on one file; the batch written again holds one that never finishes."""
    folder = tmp_path / "in"
    _stories(folder, 8)
    real = prepare.read_and_prepare

    def hostile(
        origin: str, max_size: int, homes: Homes | None = None, dictionaries: object = None
    ) -> object:
        if origin.endswith("02.txt"):
            os.kill(os.getpid(), signal.SIGKILL)
        if origin.endswith("05.txt"):
            while True:
                pass
        return real(origin, max_size, homes, dictionaries)  # type: ignore[arg-type]

    monkeypatch.setattr(prepare, "read_and_prepare", hostile)
    monkeypatch.setattr(workers, "TIME_BASE", 5.0)
    monkeypatch.setattr(workers, "TIME_PER_MIB", 0.0)
    paths = list(iter_paths([str(folder)]))
    outcomes = list(pipeline.run(engine, paths, batch_size=8, workers=1))
    assert [(Path(o.origin).name, o.reason) for o in outcomes if o.status == "failed"] == [
        ("02.txt", "worker died"),
        ("05.txt", "too slow"),
    ]
    assert [o.status for o in outcomes].count("ingested") == 6


@pytest.mark.sqlite_only(reason="another process holding SQLite's one write lock")
def test_stopping_ends_a_wait_for_another_writers_lock(tmp_path: Path) -> None:
    """Ctrl-C reaches only the parent; a worker waiting for the lock must hear of it too."""
    import sqlite3

    path = tmp_path / "locked.db"
    engine = make_engine(str(path))
    ensure_current(engine)
    folder = tmp_path / "in"
    _stories(folder, 3)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another ingest, writing for as long as it likes
    try:
        paths = list(iter_paths([str(folder)]))
        outcomes = list(pipeline.run(engine, paths, workers=1, stop=lambda: True))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert outcomes == []  # the batch was left for a rerun, which completes it
    assert [o.status for o in pipeline.run(engine, paths, workers=1)] == ["ingested"] * 3
    engine.dispose()


def test_a_pool_found_broken_when_a_batch_is_handed_over_loses_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker died before the next batch was handed over: that batch is written too."""
    folder = tmp_path / "in"
    _stories(folder, 6)
    _killing(monkeypatch, "01.txt")
    paths = list(iter_paths([str(folder)]))
    problems: list[str] = []
    with workers.Writers(engine, 1, pipeline.MAX_SIZE, problems.append) as writers:
        first = writers.submit(paths[:3])
        assert isinstance(first, workers.Pooled)
        assert first.future.exception() is not None  # the pool is broken by now
        second = writers.submit(paths[3:])
        assert isinstance(second, workers.Lost)
        outcomes = _flat((first.get() or []) + (second.get() or []))
    assert [o.origin for o in outcomes] == paths
    assert [o.status for o in outcomes] == ["ingested", "failed"] + ["ingested"] * 4
    assert len(problems) == 1


def test_a_lost_batch_that_its_pool_wrote_first_is_reported_as_this_run_stored_it(
    engine: Engine, tmp_path: Path
) -> None:
    """A worker committed the batch, then the pool broke before its answer came back.

    Written again, its documents are found stored: by this run (ingested,
    duplicate), not "unchanged" as they are for a file stored by a run before.
    """
    folder = tmp_path / "in"
    _stories(folder, 4)
    write(folder / "04.txt", page("Story 0", ["Body of story 0."]))  # 00.txt again
    paths = list(iter_paths([str(folder)]))
    earlier = list(pipeline.run(engine, paths[:1], workers=0))
    assert [o.status for o in earlier] == ["ingested"]
    with workers.Writers(engine, 1, pipeline.MAX_SIZE, lambda _: None) as writers:
        pooled = writers.submit(paths[1:])  # written by the pool's worker
        assert isinstance(pooled, workers.Pooled)
        written = pooled.get()
        assert written is not None
        lost = writers.write_lost(list(paths), 0, {})  # as if the answer had been lost
        assert lost is not None
        first, again = _flat(written), _flat(lost)
    assert [o.status for o in first] == ["ingested"] * 3 + ["duplicate"]
    assert [o.status for o in again] == ["unchanged"] + [o.status for o in first]
    assert [o.articles for o in again] == [0] + [o.articles for o in first]
    assert [o.articles for o in first] == [1, 1, 1, 0]


def _flat(groups: list[list[Outcome]]) -> list[Outcome]:
    """A batch's outcomes, item after item (a file has one)."""
    return [outcome for group in groups for outcome in group]
