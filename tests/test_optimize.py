"""db optimize (db.optimize): merged FTS indexes, statistics, VACUUM where it pays."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from db import optimize as upkeep
from db.engine import PAGE_SIZE
from db.optimize import optimize, reclaimable
from db.search import impacts
from tests.conftest import write
from tests.test_reparse import _ingest
from tests.test_store import page


def _three_ingests(engine: Engine, tmp_path: Path) -> None:
    """Articles written by three ingests: three segments in each FTS5 index."""
    for run in range(3):
        folder = tmp_path / f"run{run}"
        for n in range(4):
            body = [f"Harbour bridge story {run}-{n} with ferry number {n}.", "Storm at sea."]
            write(folder / f"{n}.txt", page(f"Story {run}-{n}", body))
        _ingest(engine, folder)


def _search(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return [
            row[0]
            for row in connection.execute(
                text("SELECT rowid FROM paragraphs_fts WHERE paragraphs_fts MATCH 'ferry'")
            )
        ]


@pytest.mark.sqlite_only(reason="FTS5 segments, ANALYZE's tables and VACUUM are SQLite's")
def test_optimize_merges_fts_analyzes_and_skips_vacuum_that_would_not_pay(
    engine: Engine, tmp_path: Path
) -> None:
    _three_ingests(engine, tmp_path)
    found = _search(engine)
    with engine.connect() as connection:
        segments = connection.exec_driver_sql("SELECT count(*) FROM paragraphs_fts_data").scalar()
    seen: list[tuple[int, int, str]] = []
    result = optimize(engine, progress=lambda *step: seen.append(step))
    names = [step.name for step in result.steps]
    assert names == [
        "merge articles_fts",
        "merge paragraphs_fts",
        "impact lists",
        "counts",
        "ANALYZE",
        "PRAGMA optimize",
        "VACUUM",
    ]
    assert seen == [(n, 7, name) for n, name in enumerate(names)] + [(7, 7, "done")]
    assert result.steps[-1].outcome.startswith("skipped:")  # a fresh store: little to give back
    assert _search(engine) == found
    with engine.connect() as connection:
        merged = connection.exec_driver_sql("SELECT count(*) FROM paragraphs_fts_data").scalar()
        stats = connection.exec_driver_sql("SELECT count(*) FROM sqlite_stat1").scalar()
    assert merged < segments and stats


def _lists(engine: Engine) -> tuple[bool, list[tuple[str, int]]]:
    with Session(engine) as session:
        rows = session.execute(
            text("SELECT term, article_id FROM search_impacts ORDER BY term, article_id")
        )
        return impacts.fresh(session), [(str(t), int(a)) for t, a in rows]


@pytest.mark.sqlite_only(reason="impact lists are SQLite's")
def test_optimize_rebuilds_stale_impact_lists(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(impacts, "LISTED_FROM", 2)  # "ferry" and "harbour" get lists
    _three_ingests(engine, tmp_path)
    assert _lists(engine) == (False, [])  # never built
    result = optimize(engine, vacuum=False)
    assert (result.steps[2].name, result.steps[2].outcome[:9]) == ("impact lists", "rebuilt: ")
    fresh, built = _lists(engine)
    assert fresh and ("ferry", 12) in built
    assert optimize(engine, vacuum=False).steps[2].outcome == "up to date"
    folder = tmp_path / "later"
    write(folder / "late.txt", page("Ferry late", ["A harbour ferry came late today."]))
    _ingest(engine, folder)
    assert _lists(engine)[0] is False  # stale: an article was added
    assert optimize(engine, vacuum=False).steps[2].outcome.startswith("rebuilt: ")
    fresh, rebuilt = _lists(engine)
    assert fresh and len(rebuilt) > len(built)
    assert {a for t, a in rebuilt if t == "ferry"} - {a for t, a in built if t == "ferry"}


@pytest.mark.sqlite_only(reason="VACUUM and the file's pages are SQLite's")
def test_optimize_vacuums_when_rows_shrank_and_gives_the_room_back(
    engine: Engine, tmp_path: Path
) -> None:
    """Documents made smaller in place (as the compressing upgrade does) leave room in their
    pages that only VACUUM gives back: it runs by itself then, and the file shrinks."""
    _three_ingests(engine, tmp_path)
    # Rows of more than half a page, a page each (the database's twelve documents; its other
    # b-trees take a page each, whatever the page size).
    big = b"x" * (PAGE_SIZE * 3 // 5)
    with engine.begin() as connection:
        connection.execute(text("UPDATE documents SET raw = :big"), {"big": big})
    optimize(engine, vacuum=True)
    before = upkeep.file_bytes(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE documents SET raw = :small"), {"small": b"x" * 100})
    room, size = reclaimable(engine)
    assert size == before and room / size >= upkeep.VACUUM_SHARE
    result = optimize(engine)
    assert result.steps[-1].outcome.startswith("done:")
    assert result.bytes_before == before and result.bytes_after is not None
    assert result.bytes_after < before * 0.9
    assert reclaimable(engine)[0] / result.bytes_after < upkeep.VACUUM_SHARE


@pytest.mark.sqlite_only(reason="VACUUM is SQLite's")
def test_vacuum_can_be_left_out(engine: Engine, tmp_path: Path) -> None:
    _three_ingests(engine, tmp_path)
    assert "VACUUM" not in [step.name for step in optimize(engine, vacuum=False).steps]


def test_optimize_on_postgresql_vacuums_and_analyzes_each_table(
    engine: Engine, tmp_path: Path, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the SQLite steps are tested above")
    _three_ingests(engine, tmp_path)
    result = optimize(engine)
    assert {step.name for step in result.steps} >= {
        "VACUUM ANALYZE documents",
        "VACUUM ANALYZE paragraphs",
    }
    assert result.bytes_before is None
    with engine.connect() as connection:
        # ANALYZE sets the row count the planner uses (-1 until a table is analyzed).
        counted = connection.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE relname = 'paragraphs'"
        ).scalar()
    assert counted is not None and counted > 0
