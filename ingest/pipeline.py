"""The ingest pipeline: the pure stages of ``ingest.prepare``, then ``ingest.store``.

Every stage but the last is a pure function of its input, so the same raw
bytes always give the same articles (which is what ``reparse`` relies on).
The pipeline owns the transactions: one per batch of documents, written by
``Store.add_batch`` (which falls back to a savepoint per document when the
database refuses something).

Work is streamed in batches of a number of files or of bytes, whichever
comes first, so memory grows neither with the number of files nor with their
size. For each batch, files whose path, size and modification time match a
stored document are skipped without being read. The rest go to worker
processes, each of which reads, parses and then writes a whole batch. Parsing
is most of the work and runs on every core at once; the writes take turns,
in the order of the batches, so the database is written as a single writer
would write it (the same ids, the same originals and duplicates) and
SQLite's one write lock is never fought over. A worker sends back only the
outcomes: handing parsed documents to one writing process would cost
pickling them both ways, which is a large part of the time parsing takes.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.session import reading
from ingest.read import MAX_SIZE, STDIN
from ingest.records import PreparedDocument
from ingest.store import KnownIds, Outcome, Store

BATCH_SIZE = 1024
# A batch also ends once its files come to this many bytes. Each worker holds its batch,
# and what parsing it takes, until the batch is written; files run from a few kilobytes
# (text dumps) to megabytes (saved web pages). 1,086 saved pages of 170 KB each peaked at
# 552 MB for all processes in batches of 1,024 files, 404 MB at 16 MiB, 373 MB at 8 MiB.
BATCH_BYTES = 8 * 1024 * 1024
# Below this many files, starting worker processes costs more than it saves.
POOL_THRESHOLD = 64


def run(
    engine: Engine,
    origins: Iterable[str],
    batch_size: int = BATCH_SIZE,
    *,
    workers: int | None = None,
    max_size: int = MAX_SIZE,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[Outcome]:
    """Ingest ``origins`` (file paths, or ``-``), yielding what happened to each, in order.

    ``workers``: processes that read, parse and write (None: one per core
    when there are enough files; 0: all of it in this process). Each batch is
    committed as soon as it is written; ``stop()`` is asked between batches,
    and then the batch being written is finished and no other is written, so
    an interrupted ingest keeps whole batches and a rerun completes the rest
    (the files of batches left unwritten get no outcome). Files over
    ``max_size`` bytes fail unread.
    """
    if workers is None:
        many = isinstance(origins, Sequence) and len(origins) >= POOL_THRESHOLD
        workers = (os.cpu_count() or 1) if many else 0
    with _Writers(engine, workers, max_size) as writers:
        under_way: deque[_Batch] = deque()
        for chunk in _chunked(origins, batch_size, BATCH_BYTES, max_size):
            under_way.append(_start(engine, chunk, writers))
            # Keep every worker busy, plus one batch queued behind them.
            if len(under_way) > workers:
                yield from under_way.popleft().outcomes()
                if workers:
                    _fold_wal(engine)
                if stop():
                    writers.stop()  # a batch not being written by now never will be
                    break
        while under_way:
            yield from under_way.popleft().outcomes()


def _fold_wal(engine: Engine) -> None:
    """Copy the batches written so far from SQLite's WAL into the database file, if it can now.

    Done here, in the process that waits on the workers, so that the copying is
    off their path: otherwise a commit now and then stops to fold the whole WAL
    (a second and more, growing with the database) while the other worker waits
    for its turn, and closing folds the rest. A passive checkpoint waits for no
    one and gives up on frames still in use; SQLite's own checkpoints remain
    behind it.
    """
    if engine.dialect.name != "sqlite":
        return
    # On the driver's connection, outside any transaction (a checkpoint is not something
    # to do inside one); if SQLite is busy, the next batch's turn, or its own, will do it.
    with engine.connect() as connection, suppress(sqlite3.OperationalError):
        cursor = connection.connection.cursor()
        try:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            cursor.close()


class _Result(Protocol):
    def get(self) -> list[Outcome] | None: ...  # None: left unwritten, as ingest is stopping


@dataclass(frozen=True)
class _Batch:
    """A chunk on its way: the files known to be stored already, and the others being written."""

    chunk: list[str]
    known: dict[str, Outcome]
    writing: _Result

    def outcomes(self) -> Iterator[Outcome]:
        outcomes = self.writing.get()
        if outcomes is None:
            return
        written = iter(outcomes)
        for origin in self.chunk:
            yield self.known.get(origin) or next(written)


# An origin with its stat (None: standard input, or a path that cannot be stat'ed, which
# reading it will then report).
_Stated = tuple[str, os.stat_result | None]


def _start(engine: Engine, chunk: list[_Stated], writers: _Writers) -> _Batch:
    """Skip the chunk's unchanged files and hand the others to a writer."""
    files = [(origin, stat.st_size, stat.st_mtime) for origin, stat in chunk if stat is not None]
    with Session(reading(engine)) as session:
        known = Store(session).unchanged_files(files)
    origins = [origin for origin, _ in chunk]
    todo = [origin for origin in origins if origin not in known]
    return _Batch(origins, known, writers.submit(todo))


def _chunked(
    origins: Iterable[str], size: int, max_bytes: int, max_size: int
) -> Iterator[list[_Stated]]:
    """Chunks of at most ``size`` files and, beyond their first file, ``max_bytes`` bytes.

    Files over ``max_size`` count for nothing: they are refused unread.
    """
    chunk: list[_Stated] = []
    total = 0
    for origin in origins:
        stat = None
        if origin != STDIN:
            with suppress(OSError):
                stat = os.stat(origin)
        weight = stat.st_size if stat is not None and stat.st_size <= max_size else 0
        if chunk and (len(chunk) >= size or total + weight > max_bytes):
            yield chunk
            chunk, total = [], 0
        chunk.append((origin, stat))
        total += weight
    if chunk:
        yield chunk


class _Done:
    """Outcomes computed in this process, with the interface of ``AsyncResult``."""

    def __init__(self, value: list[Outcome] | None) -> None:
        self.value = value

    def get(self) -> list[Outcome] | None:
        return self.value


class _Writer:
    """Reads, parses and writes batches with one engine, remembering sources and places."""

    def __init__(self, engine: Engine, max_size: int) -> None:
        self.engine = engine
        self.max_size = max_size
        self.known = KnownIds()

    def prepare(self, origins: list[str]) -> list[PreparedDocument]:
        # Imported here, not at the top: a re-ingest of unchanged files never parses
        # (the pool's workers have it from their parent, ``_Writers._start_pool``).
        from ingest.prepare import read_and_prepare

        return [read_and_prepare(origin, self.max_size) for origin in origins]

    def write(self, prepared: list[PreparedDocument]) -> list[Outcome]:
        """Write one batch in a transaction of its own; return each document's outcome."""
        if not prepared:
            return []
        with Session(self.engine) as session, session.begin():
            store = Store(session, self.known)
            outcomes = store.add_batch(prepared)
        self.known = store.known  # the transaction committed: its new ids exist
        return outcomes


class _Writers:
    """Writers: in a pool of worker processes taking turns at the database, or this process.

    The pool starts with the first batch that has anything to parse, so a
    rerun over unchanged files never pays for it (nor for the gazetteer).
    """

    def __init__(self, engine: Engine, workers: int, max_size: int) -> None:
        self.engine = engine
        self.workers = workers
        self.max_size = max_size
        self.here = _Writer(engine, max_size)  # for work done in this process
        self.pool: Any = None
        self.batches = 0
        self.turns: _Turns | None = None

    def stop(self) -> None:
        """Write no batch that is not being written already."""
        if self.turns is not None:
            self.turns.stop()

    def __enter__(self) -> _Writers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()

    def submit(self, todo: list[str]) -> _Result:
        if not todo:
            return _Done([])
        if self.workers <= 0 or STDIN in todo:  # standard input belongs to this process
            prepared = self.here.prepare(todo)
            if self.pool is None:
                return _Done(self.here.write(prepared))
            turn, self.batches = self.batches, self.batches + 1
            assert self.turns is not None  # made with the pool
            return _Done(self.turns.write(turn, self.here, prepared))
        if self.pool is None:
            self.pool = self._start_pool()
        turn, self.batches = self.batches, self.batches + 1
        result: _Result = self.pool.apply_async(_write_in_turn, (todo, turn))
        return result

    def _start_pool(self) -> Any:
        # Load the gazetteer before forking, so the workers share it instead of each
        # building its own; then freeze it out of the garbage collector's sight (what
        # the gc docs advise before forking), so that collections in the workers
        # neither walk its objects nor copy the memory pages they share.
        import ingest.prepare  # noqa: F401  (the parsing stack, shared like the gazetteer)
        from ingest.gazetteer import load_gazetteer

        load_gazetteer()
        gc.freeze()
        context = multiprocessing.get_context("fork")
        # The condition guards both values: they need no locks of their own.
        next_turn, stopping = context.Value("q", 0, lock=False), context.Value("b", 0, lock=False)
        self.turns = _Turns(context.Condition(), next_turn, stopping)
        return context.Pool(
            self.workers,
            initializer=_start_worker,
            initargs=(self.engine, self.max_size, self.turns),
        )


@dataclass(frozen=True)
class _Turns:
    """The order in which batches are written, shared by the processes that write them.

    ``next`` is the number of the batch whose turn it is; ``stopping`` is set once
    ingest stops, and then a batch whose turn comes is left unwritten.
    """

    condition: Any  # multiprocessing Condition
    next: Any  # multiprocessing Value("q")
    stopping: Any  # multiprocessing Value("b")

    def stop(self) -> None:
        self.stopping.value = 1

    def write(
        self, turn: int, writer: _Writer, prepared: list[PreparedDocument]
    ) -> list[Outcome] | None:
        """Write a batch once the batches before it are written, then hand the turn on.

        None when the ingest is stopping by then: the batch is left for a rerun.
        """
        with self.condition:
            self.condition.wait_for(lambda: self.next.value == turn)
            try:
                return None if self.stopping.value else writer.write(prepared)
            finally:
                self.next.value = turn + 1
                self.condition.notify_all()


# The worker process's writer and turn-taking, set by ``_start_worker``.
_worker: _Writer | None = None
_turns: _Turns | None = None


def _start_worker(engine: Engine, max_size: int, turns: _Turns) -> None:
    """Set up a forked worker: its own database connections, and Ctrl-C left to the parent."""
    global _worker, _turns
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops between batches
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    engine.dispose(close=False)  # the parent's connections are not this process's to use
    _worker, _turns = _Writer(engine, max_size), turns
    # A batch is a large graph of objects, alive until it is written, with no reference
    # cycles to free: automatic collections walked it again and again, about 0.7 s of
    # CPU per worker per 20,000 pages. A worker collects once per batch instead, before
    # the next one, when the last is gone (``_write_in_turn``).
    gc.disable()


def _exit_with(parent: int) -> None:
    """End this worker when its parent is gone (killed, say), rather than live on orphaned.

    A pool's workers wait for work on a pipe whose ends they hold themselves,
    so they never see the parent go. A batch being written is rolled back.
    """
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


def _write_in_turn(todo: list[str], turn: int) -> list[Outcome] | None:
    """Parse a batch, then wait for the batches before it to be written, and write it."""
    assert _worker is not None and _turns is not None, "not in a worker process"
    gc.collect()  # automatic collections are off in workers: see _start_worker
    return _turns.write(turn, _worker, _worker.prepare(todo))
