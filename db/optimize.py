"""Tidying a store after it has grown or changed: merged search indexes, fresh statistics, free
pages given back.

What ``newsstore db optimize`` runs, step by step. On SQLite:

1. each FTS5 index's ``optimize``: ingest appends a segment to the index per
   batch, and FTS5 merges them only now and then; a search reads every segment,
   and one merged b-tree is also smaller.
2. search's impact lists (``db.search.impacts``), rebuilt when anything was added
   since they were built (or they never were): a search then reads only the
   lists again, not also what was added since (``db.search.topk``).
3. the counts ``stats`` prints (``db.counts``), counted again from the rows: the
   store keeps them as it writes, and this puts right any that drifted.
4. ``ANALYZE``: the statistics SQLite's planner chooses indexes by (none are kept
   until it runs), then ``PRAGMA optimize``, which keeps them current later.
5. ``VACUUM``, where it pays: when what it would give back (``reclaimable``) is at
   least ``VACUUM_SHARE`` of the file. That is free pages (after the merges of
   steps 1 and 2, or a large delete) and pages that rows packed closer would not need
   (rows that shrank in place: the upgrade that compressed ``documents.raw``
   left a store of page dumps so, with 28% of its file to give back). VACUUM
   writes the whole database again, so it takes as long as copying the file and
   needs as much free disk; below that share it is skipped.

On PostgreSQL: the counts (step 3), then ``VACUUM ANALYZE`` of each of newsstore's tables
(the server merges its GIN indexes' pending entries then too).

The steps are known before they run, so a caller can show a progress bar of them
(``optimize``'s ``progress``). Each takes the write lock as ingest does
(``db.writers``): it waits for a running ingest rather than failing; but
VACUUM, which cannot run in a transaction, waits only SQLite's busy timeout.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db import counts, models  # noqa: F401  (registers the tables on Base.metadata)
from db.base import Base
from db.search import impacts
from db.writers import reading

# VACUUM when it would give back at least this share of the SQLite file: a tenth of the
# file or more for the time of copying it once. (A fresh store of page dumps: 3%.)
VACUUM_SHARE = 0.10


@dataclass(frozen=True)
class StepDone:
    """One step run: what it was, how long it took, and what came of it."""

    name: str
    seconds: float
    outcome: str


@dataclass(frozen=True)
class Optimized:
    """What ``optimize`` did, and the database's size before and after (SQLite; None else)."""

    steps: tuple[StepDone, ...]
    bytes_before: int | None
    bytes_after: int | None


@dataclass(frozen=True)
class _Step:
    name: str
    run: Callable[[], str]  # does the step; returns its outcome in a few words


# Called before each step with its number (0-based), the number of steps and the step's name,
# and once more at the end with the number of steps.
Progress = Callable[[int, int, str], None]


def optimize(
    engine: Engine, *, vacuum: bool | None = None, progress: Progress | None = None
) -> Optimized:
    """Run every step of the module docstring on ``engine``'s database.

    ``vacuum``: None to VACUUM where it pays (``VACUUM_SHARE``), True always,
    False never (SQLite only; PostgreSQL's VACUUM does not rewrite tables).
    """
    sqlite = engine.dialect.name == "sqlite"
    steps = _sqlite_steps(engine, vacuum) if sqlite else _postgresql_steps(engine)
    before = file_bytes(engine) if sqlite else None
    done = []
    for number, step in enumerate(steps):
        if progress is not None:
            progress(number, len(steps), step.name)
        start = time.perf_counter()
        outcome = step.run()
        done.append(StepDone(step.name, time.perf_counter() - start, outcome))
    if progress is not None:
        progress(len(steps), len(steps), "done")
    return Optimized(tuple(done), before, file_bytes(engine) if sqlite else None)


def file_bytes(engine: Engine) -> int:
    """The SQLite database's size in bytes: its pages (the WAL folded in or not)."""
    with reading(engine).connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
        size = connection.exec_driver_sql("PRAGMA page_size").scalar_one()
    return int(pages) * int(size)


# Per b-tree: its leaf pages, their cells and payload (from ``dbstat``, which reads every page).
_LEAVES = """
SELECT count(*), sum(ncell), sum(payload) FROM dbstat WHERE pagetype = 'leaf' GROUP BY name
"""
# What a cell costs in a page besides its payload: its pointer and header, about.
_CELL_OVERHEAD = 6
# A b-tree leaf page's own header.
_PAGE_HEADER = 8


def reclaimable(engine: Engine) -> tuple[int, int]:
    """What VACUUM would give back of the SQLite file, about, and the file's size (bytes).

    Free pages, and the leaf pages each b-tree would no longer need with its
    rows packed as VACUUM packs them: as many of its average cells to a page
    as fit. (A b-tree of 3 KB rows needs a page per row, packed or not; rows
    that shrank in place to 1.2 KB need a third of their pages once packed.)
    Without ``dbstat`` (a SQLite built without it), free pages only. Reading
    ``dbstat`` reads every page: half a second for 200 MB.
    """
    with reading(engine).connect() as connection:
        size = int(connection.exec_driver_sql("PRAGMA page_size").scalar_one())
        pages = int(connection.exec_driver_sql("PRAGMA page_count").scalar_one())
        free = int(connection.exec_driver_sql("PRAGMA freelist_count").scalar_one())
        try:
            trees = connection.exec_driver_sql(_LEAVES).all()
        except OperationalError:  # no such table: dbstat
            trees = []
    spare = sum(
        _spare_pages(leaves, cells or 0, payload or 0, size) for leaves, cells, payload in trees
    )
    return (free + spare) * size, pages * size


def _spare_pages(leaves: int, cells: int, payload: int, page_size: int) -> int:
    """The leaf pages a b-tree would no longer need packed (0 when it needs them all)."""
    if not cells:
        return 0
    per_page = max(1, (page_size - _PAGE_HEADER) // (payload / cells + _CELL_OVERHEAD))
    return max(0, leaves - math.ceil(cells / per_page))


def fts5_tables(engine: Engine) -> list[str]:
    """The FTS5 indexes of the database, by name (whatever their options)."""
    with reading(engine).connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
        ).all()
    return sorted(name for name, sql in rows if "fts5" in sql.lower())


def _sqlite_steps(engine: Engine, vacuum: bool | None) -> list[_Step]:
    steps = [
        _Step(f"merge {name}", partial(_merge_fts, engine, name)) for name in fts5_tables(engine)
    ]
    steps.append(_Step("impact lists", partial(_impact_lists, engine)))
    steps.append(_Step("counts", partial(_recount, engine)))
    steps.append(_Step("ANALYZE", partial(_in_transaction, engine, "ANALYZE")))
    steps.append(_Step("PRAGMA optimize", partial(_in_transaction, engine, "PRAGMA optimize")))
    if vacuum is not False:
        steps.append(_Step("VACUUM", partial(_vacuum, engine, always=vacuum is True)))
    return steps


def _merge_fts(engine: Engine, name: str) -> str:
    """Merge an FTS5 index's segments into one b-tree ('optimize')."""
    with engine.begin() as connection:
        connection.exec_driver_sql(f'INSERT INTO "{name}"("{name}") VALUES (\'optimize\')')
    return "merged"


def _impact_lists(engine: Engine) -> str:
    """Rebuild search's impact lists when anything was added or changed since they were built."""
    with Session(engine) as session:
        if impacts.fresh(session):
            return "up to date"
        words = impacts.rebuild(session)
        session.commit()
    return f"rebuilt: {words:,} common words"


def _recount(engine: Engine) -> str:
    """Count what ``stats`` prints again from the rows (``db.counts``), fixing any drift."""
    with Session(engine) as session:
        drift = counts.check(session)
        kept = counts.recount(session)
        session.commit()
    fixed = f", {len(drift)} were off" if drift else ""
    return f"{kept:,} counts{fixed}"


def _in_transaction(engine: Engine, statement: str) -> str:
    with engine.begin() as connection:
        connection.exec_driver_sql(statement)
    return "done"


def _vacuum(engine: Engine, *, always: bool) -> str:
    """VACUUM where it gives back ``VACUUM_SHARE`` of the file or more (or ``always``)."""
    room, size = reclaimable(engine)
    share = room / size if size else 0.0
    if not always and share < VACUUM_SHARE:
        return f"skipped: {share:.0%} of the file to give back (VACUUM from {VACUUM_SHARE:.0%})"
    with engine.connect() as connection:
        # VACUUM cannot run in a transaction: on the driver's connection, which is in
        # autocommit (db.engine), not SQLAlchemy's, which would begin one.
        driver: Any = connection.connection.driver_connection
        driver.execute("VACUUM")
        # The rewritten file is in the WAL until a checkpoint: fold it in now.
        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return f"done: {share:.0%} of the file was to give back"


def _postgresql_steps(engine: Engine) -> list[_Step]:
    tables = sorted(Base.metadata.tables)
    steps = [_Step("counts", partial(_recount, engine))]
    return steps + [
        _Step(f"VACUUM ANALYZE {t}", partial(_vacuum_analyze, engine, t)) for t in tables
    ]


def _vacuum_analyze(engine: Engine, table: str) -> str:
    # VACUUM cannot run in a transaction block either: in autocommit.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'VACUUM ANALYZE "{table}"'))
    return "done"
