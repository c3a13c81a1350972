"""The writers of the pipeline: in this process, or in worker processes taking turns.

A ``Writer`` reads, prepares and writes batches with one engine. ``Writers``
hands batches to one in this process or to a pool of worker processes, which
parse at once on every core and take turns at the database in the order of
the batches. What keeps a run going whatever a document does lives here too:
the ``Watch`` on each worker's deadline (``time_limit``), the salvage of the
batches of a pool that died (each written again in a process of its own,
then in halves, down to the one file that kills its process), and what a
forked process must not share with its parent (``_fork_safely``).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db import session as db_session
from ingest.errors import IngestError
from ingest.read import STDIN, origin_text, read_document
from ingest.records import ArchivePart, PreparedDocument, RawDocument
from ingest.store import KnownIds, Outcome, Store

if TYPE_CHECKING:
    from db.raw import Dictionary
    from ingest.places.homes import Home

# A writer writes what it has prepared once that holds this many bytes (files and texts),
# even in the middle of a batch: a batch's bytes on disk say little of what its files
# unpack or parse to (a 300 KB .txt.gz of 200 MB). Page dumps never come near it.
WRITE_BYTES = 32 * 1024 * 1024


# What a batch holds: files (paths, or "-"), and parts of web archives (``ingest.archives``).
Item = str | ArchivePart
# What became of each item of a batch, in order: one outcome for a file; for a part of a web
# archive, one per record stored or failed, then the part's own ('part': what it skipped).
Outcomes = list[list[Outcome]]


class Result(Protocol):
    """A batch being written: its outcomes once written."""

    def get(self) -> Outcomes | None: ...  # None: left unwritten, as ingest is stopping


class Done:
    """Outcomes computed in this process, with the interface of a pending result."""

    def __init__(self, value: Outcomes | None) -> None:
        self.value = value

    def get(self) -> Outcomes | None:
        return self.value


# What a batch is handed besides its paths: standard input, read by the process that owns
# it, as its bytes (or as the failed document reading it made).
Given = dict[Item, RawDocument | PreparedDocument]
# The sources' homes by name (``ingest.places.homes.Home``), as locating leans on them.
Homes = Mapping[str, "Home"]


class Writer:
    """Reads, parses and writes batches with one engine, remembering sources and places."""

    def __init__(
        self,
        engine: Engine,
        max_size: int,
        watch: Watch | None = None,
        slot: int = 0,
        homes: Homes | None = None,
    ) -> None:
        self.engine = engine
        self.max_size = max_size
        self.known = KnownIds()
        self.watch, self.slot = watch, slot
        # The sources' homes, learned once a run (``Writers.learn_homes``): every
        # document of the run is located with the same ones, whoever locates it.
        self.homes = homes
        # Each format's zstd dictionary as of this writer's last write: what it packs with.
        self.dictionaries: dict[str, Dictionary] = {}

    def run(
        self,
        items: Sequence[Item],
        turns: Turns | None = None,
        turn: int = 0,
        given: Given | None = None,
    ) -> Outcomes | None:
        """Read, prepare and write one batch; in its turn, when batches take turns.

        What is prepared is written once it comes to ``WRITE_BYTES``, in a
        transaction of its own, and at the end: a batch of small files that
        unpack or parse to much more than they weigh on disk (gzip, say), or a
        part of a web archive, holds no more than that in memory. The turn is
        taken before the first write and kept to the last. None: the batch was
        left unwritten, as ingest is stopping.
        """
        # Imported here, not at the top: a re-ingest of unchanged files never parses
        # (the pool's workers have it from their parent, ``Writers._start_pool``).
        from ingest import prepare as stages

        batch = _Pending([[] for _ in items], turns is None)
        try:
            for index, item in enumerate(items):
                handed = (given or {}).get(item)
                for document in self._documents(stages, item, handed, turn, index, batch):
                    batch.add(index, document)
                    if batch.weight >= WRITE_BYTES and not self._flush(batch, turns, turn):
                        return None
            # At the end: what is pending, or nothing, but the turn taken and passed on.
            if (batch.documents or not batch.holding) and not self._flush(batch, turns, turn):
                return None
            return batch.finished()
        finally:
            if batch.holding and turns is not None:
                turns.pass_on(turn)

    def _flush(self, batch: _Pending, turns: Turns | None, turn: int) -> bool:
        """Write what is pending, in this batch's turn; False if ingest is stopping."""
        if not batch.holding:
            assert turns is not None
            if not turns.take(turn):
                return False
            batch.holding = True
        if not batch.documents:
            return True
        try:
            written = self.write(batch.documents)
        except _Stopping:
            return False  # stopped while waiting for another writer: nothing written
        batch.written(written)
        return True

    def _documents(
        self,
        stages: ModuleType,
        item: Item,
        handed: RawDocument | PreparedDocument | None,
        turn: int,
        index: int,
        batch: _Pending,
    ) -> Iterator[PreparedDocument]:
        """An item's prepared documents: a file's one, or a part's records, one at a time."""
        if not isinstance(item, ArchivePart):
            yield self._prepare(stages, item, handed, turn, index)
            return
        skipped: Counter[str] = Counter()
        records = stages.prepare_part(item, self.max_size, skipped, self.homes, self.dictionaries)
        while True:
            if self.watch is not None:  # each record has the time a document has
                self.watch.begin(self.slot, turn, index)
            try:
                document = next(records, None)
            finally:
                if self.watch is not None:
                    self.watch.end(self.slot)
            if document is None:
                break
            yield document
        batch.tails[index] = part_outcome(item, skipped)

    def _prepare(
        self,
        stages: ModuleType,
        origin: Item,
        handed: RawDocument | PreparedDocument | None,
        turn: int,
        index: int,
    ) -> PreparedDocument:
        """Read and prepare one document, under the watch's deadline when there is one."""
        if isinstance(handed, PreparedDocument):
            return handed
        if self.watch is not None:
            self.watch.begin(self.slot, turn, index)
        try:
            if handed is not None:
                prepared = stages.prepare(handed, self.max_size, self.homes, self.dictionaries)
            else:
                prepared = stages.read_and_prepare(
                    origin, self.max_size, self.homes, self.dictionaries
                )
            return prepared  # type: ignore[no-any-return]
        finally:
            if self.watch is not None:
                self.watch.end(self.slot)

    def write(self, prepared: list[PreparedDocument]) -> list[Outcome]:
        """Write documents in a transaction of their own; return each document's outcome."""
        if not prepared:
            return []
        with Session(self.engine) as session, session.begin():
            store = Store(session, self.known, self.dictionaries)
            outcomes = store.add_batch(prepared)
        self.known = store.known  # the transaction committed: its new ids exist
        self.dictionaries = store.dictionaries
        return outcomes


@dataclass
class _Pending:
    """A batch being prepared: the documents not yet written, and the outcomes of those written."""

    groups: Outcomes  # per item of the batch
    holding: bool  # this batch's turn is taken (or there are no turns)
    documents: list[PreparedDocument] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)  # the item of each pending document
    weight: int = 0
    tails: dict[int, Outcome] = field(default_factory=dict)  # each part's own outcome

    def add(self, index: int, document: PreparedDocument) -> None:
        self.documents.append(document)
        self.owners.append(index)
        self.weight += _weight(document)

    def written(self, outcomes: list[Outcome]) -> None:
        for owner, outcome in zip(self.owners, outcomes, strict=True):
            self.groups[owner].append(outcome)
        self.documents, self.owners, self.weight = [], [], 0

    def finished(self) -> Outcomes:
        """Each item's outcomes, a part's own last (once the batch is written)."""
        for index, tail in self.tails.items():
            self.groups[index].append(tail)
        return self.groups


def part_outcome(part: ArchivePart, skipped: Counter[str]) -> Outcome:
    """A part's own outcome: the records it skipped, and whether it ends its file."""
    return Outcome(
        origin=origin_text(part.path),
        status="part",
        files=1 if part.last else 0,
        skipped=tuple(sorted(skipped.items())),
    )


def _weight(document: PreparedDocument) -> int:
    """About what a prepared document holds in memory, in bytes: its file (as read and as it
    will be stored) and its texts."""
    texts = sum(len(p.text) for record in document.articles for p in record.paragraphs)
    packed = document.packed.size if document.packed is not None else 0
    return document.raw.size + packed + texts


def time_limit(max_size: int) -> float:
    """Seconds one document may take to be read and prepared before its process is stopped.

    A safety net for a parse that never ends (a pathological page, a bug), not a
    budget: 60 s plus 6 s per MiB of ``max_size``, six minutes at the default
    50 MiB, where the slowest document measured (45 MB of HTML in one page)
    took 100 s on a machine of two cores.
    """
    return TIME_BASE + TIME_PER_MIB * max_size / 2**20


TIME_BASE = 60.0
TIME_PER_MIB = 6.0
# How often the process that waits on the workers looks at their deadlines.
_WATCH_SECONDS = 1.0


@dataclass(frozen=True)
class Watch:
    """What each worker is preparing and until when, in memory its parent can read.

    A worker stuck in one document (in C code, as a regex or a parser can be,
    out of reach of any signal handler or thread of its own) cannot stop
    itself; the waiting process sees the deadline pass, kills the worker and
    knows which document of which batch it was, so that document alone fails.
    """

    limit: float
    deadline: Any  # RawArray("d") per slot: 0 when not preparing
    turn: Any  # RawArray("q") per slot: the batch
    index: Any  # RawArray("q") per slot: the document's place in it
    pid: Any  # RawArray("q") per slot
    taken: Any  # Value("i"): slots handed out

    @classmethod
    def make(cls, slots: int, limit: float) -> Watch:
        deadline, turn, index, pid = (_FORK.RawArray(code, slots) for code in "dqqq")
        return cls(limit, deadline, turn, index, pid, _FORK.Value("i", 0))

    def join(self) -> int:
        """A slot for the calling process."""
        with self.taken.get_lock():
            slot = int(self.taken.value)
            self.taken.value += 1
        self.pid[slot] = os.getpid()
        return slot

    def begin(self, slot: int, turn: int, index: int) -> None:
        self.turn[slot], self.index[slot] = turn, index
        self.deadline[slot] = time.monotonic() + self.limit

    def end(self, slot: int) -> None:
        self.deadline[slot] = 0.0

    def overdue(self) -> list[tuple[int, int, int]]:
        """(pid, batch, index) of each process past its deadline; it is killed."""
        now = time.monotonic()
        late = []
        for slot in range(min(int(self.taken.value), len(self.pid))):
            if 0 < self.deadline[slot] < now:
                late.append((int(self.pid[slot]), int(self.turn[slot]), int(self.index[slot])))
                with suppress(OSError):
                    os.kill(self.pid[slot], signal.SIGKILL)
                self.deadline[slot] = 0.0
        return late


class Writers:
    """Writers: in a pool of worker processes taking turns at the database, or this process.

    The pool starts with the first batch that has anything to parse, so a
    rerun over unchanged files never pays for it (nor for the gazetteer).

    A worker that dies (the out-of-memory killer, a crash in a library) breaks
    the pool: every batch in it is lost, and nothing waits forever for them.
    Each lost batch is written again in a process of its own; if that dies
    too, in halves, down to the one file that kills its process, which is then
    stored as failed, with its bytes. A worker that overruns its document's
    time limit (``time_limit``) is killed the same way, and that document,
    known by the watch, fails at once. Later batches go to a new pool.
    """

    def __init__(
        self,
        engine: Engine,
        workers: int,
        max_size: int,
        on_problem: Callable[[str], None],
        asked_to_stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self.engine = engine
        self.workers = workers
        self.max_size = max_size
        self.limit = time_limit(max_size)
        self.on_problem = on_problem
        self.asked_to_stop = asked_to_stop
        self.here = Writer(engine, max_size)  # for work done in this process
        self.pool: ProcessPoolExecutor | None = None
        self.watch: Watch | None = None
        self.batches = 0
        self.turns: Turns | None = None
        self.lost = False  # a pool died since run() last looked: its batches come first
        self.stopping = False
        self.overdue: set[tuple[int, int]] = set()  # (batch, index) of documents stopped
        self.stored_before: int | None = None  # the largest document id when the first pool began
        self.homes: Homes | None = None  # the sources' homes, learned with the first batch

    def learn_homes(self) -> None:
        """Learn the sources' homes from the store, once a run, before anything is located
        (``ingest.places.homes``): deterministic whatever the order documents are written in."""
        if self.homes is not None:
            return
        from ingest.places.homes import learn_homes  # with the parsing stack: when used

        with Session(db_session.reading(self.engine)) as session:
            self.homes = learn_homes(session)
        self.here.homes = self.homes

    def stop(self) -> None:
        """Write no batch that is not being written already."""
        self.stopping = True
        if self.turns is not None:
            self.turns.stop()

    def __enter__(self) -> Writers:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if self.pool is None:
            return
        if kind is not None:  # stopping at once: a batch being written is rolled back
            terminate_pool(self.pool)
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.engine.dialect.name == "sqlite" and kind is None:
            # Workers end without closing their connections, and this process closed
            # its own before they forked. The last connection to close a SQLite file
            # folds the WAL into it and removes the -wal and -shm files: let that be
            # one of this process's, closed with the engine.
            with self.engine.connect():
                pass

    def submit(self, todo: list[Item]) -> Result:
        if not todo:
            return Done([])
        self.learn_homes()
        if self.workers <= 0:
            return Done(self.here.run(todo))
        # Standard input belongs to this process: read here, parsed in a worker.
        given: Given = {}
        if STDIN in todo:
            from ingest.prepare import read_stdin  # the parsing stack: imported when used

            given[STDIN] = read_stdin(self.max_size)
        if self.pool is None:
            self.pool, self.turns, self.watch = self._start_pool()
        # Batches are numbered across pools, so that a number names one batch of the run.
        turn, self.batches = self.batches, self.batches + 1
        try:
            future = self.pool.submit(_write_in_turn, todo, turn, given)
        except BrokenProcessPool:  # a worker died since the last batch was handed over
            self.lose(self.pool)
            return Lost(self, todo, turn, given)
        return Pooled(self, self.pool, future, todo, turn, given)

    def wait(self, pooled: Pooled) -> Outcomes | None:
        """A pooled batch's outcomes, stopping any worker past its deadline meanwhile."""
        while True:
            try:
                return pooled.future.result(timeout=_WATCH_SECONDS)
            except FuturesTimeout:
                if pooled.pool is self.pool and self.watch is not None:
                    for _, turn, index in self.watch.overdue():
                        self.overdue.add((turn, index))
                if self.turns is not None and self.asked_to_stop():
                    self.turns.give_up_waiting()
            except BrokenProcessPool:
                self.lose(pooled.pool)
                return self.write_lost(pooled.todo, pooled.turn, pooled.given)

    def write_lost(self, todo: list[Item], turn: int, given: Given) -> Outcomes | None:
        """Write a batch that a broken pool lost; None if ingest is stopping by then.

        Like any batch not written by the time ingest stops, it is left for a rerun.
        """
        if self.stopping:
            return None
        late = {index for batch, index in self.overdue if batch == turn}
        groups = self._salvaged(todo, given, late)
        # The broken pool may have written some of it first (another worker, its
        # answer lost with the pool): those documents are this run's, not "unchanged".
        with Session(db_session.reading(self.engine)) as session:
            flat = [outcome for group in groups for outcome in group]
            fixed = iter(Store(session).as_first_stored(flat, self.stored_before or 0))
        return [[next(fixed) for _ in group] for group in groups]

    def lose(self, pool: ProcessPoolExecutor) -> None:
        """Give up a pool that a dying worker broke (once, whichever batch finds out first)."""
        if pool is not self.pool:
            return
        self.pool, self.turns, self.watch, self.lost = None, None, None, True
        terminate_pool(pool)
        pool.shutdown(wait=True, cancel_futures=True)
        if self.overdue:
            self.on_problem(
                f"a document took more than {self.limit:.0f} s to read and parse: its worker "
                "was stopped, and the batches it held are written again"
            )
        else:
            self.on_problem(
                "a worker process died (killed, or out of memory?): "
                "its batches are written again, each in a process of its own"
            )

    def _salvaged(self, todo: list[Item], given: Given, late: set[int]) -> Outcomes:
        """Write a lost batch in processes of their own; documents known to be too slow fail.

        The rest goes to one process; if that dies too, in halves, down to the
        one file (or record of a web archive) that kills its process.
        """
        if late:
            outcomes: Outcomes = []
            start = 0
            for index in sorted(late):
                outcomes += self._salvaged(todo[start:index], given, set())
                outcomes.append(self._alone_failed(todo[index], given, None))
                start = index + 1
            return outcomes + self._salvaged(todo[start:], given, set())
        if not todo:
            return []
        written = _alone(self.engine, self.max_size, todo, given, self.limit, self.homes)
        if isinstance(written, list):
            return written
        status, stopped_on = written
        if stopped_on is not None:  # it overran its deadline on this document
            return self._salvaged(todo, given, {stopped_on})
        if len(todo) > 1:
            half = len(todo) // 2
            return self._salvaged(todo[:half], given, set()) + self._salvaged(
                todo[half:], given, set()
            )
        return [self._alone_failed(todo[0], given, status)]

    def _alone_failed(self, item: Item, given: Given, status: int | None) -> list[Outcome]:
        """The outcomes of an item whose process died (status) or overran (None) on it.

        A file fails. A part of a web archive of several records is written again
        in halves, each in a process of its own, down to the one record that
        fails; its outcomes are those of the halves, in order.
        """
        if isinstance(item, ArchivePart) and len(item.offsets) > 1:
            half = len(item.offsets) // 2
            first = replace(item, offsets=item.offsets[:half], end=item.offsets[half], last=False)
            second = replace(item, offsets=item.offsets[half:])
            return [o for group in self._salvaged([first, second], given, set()) for o in group]
        written = self.here.write([self._failed(item, given, status)])
        if isinstance(item, ArchivePart):
            written.append(part_outcome(item, Counter()))
        return written

    def _failed(self, origin: Item, given: Given, status: int | None) -> PreparedDocument:
        """The failed document for a file whose process died (status) or overran (None)."""
        if status is None:
            error = (
                f"reading and parsing it took more than {self.limit:.0f} s"
                " (60 s plus 6 s per MiB of --max-size): stopped"
            )
            return _failed(origin, given, error, "too slow", self.max_size)
        how = (
            f"killed by {signal.Signals(-status).name}"
            if status < 0 and -status in signal.valid_signals()
            else f"exit status {status}"
        )
        error = f"the process preparing it died ({how}; out of memory, or a crash in a library)"
        return _failed(origin, given, error, "worker died", self.max_size)

    def _start_pool(self) -> tuple[ProcessPoolExecutor, Turns, Watch]:
        # Load the gazetteer before forking, so the workers share it instead of each
        # building its own; then freeze it out of the garbage collector's sight (what
        # the gc docs advise before forking), so that collections in the workers
        # neither walk its objects nor copy the memory pages they share. Imported here, as
        # the parsing stack is everywhere: a run over unchanged files never loads them.
        import ingest.prepare  # noqa: F401  (the parsing stack, shared like the gazetteer)
        from ingest.places.gazetteer import load_gazetteer  # (the same)

        load_gazetteer()
        if self.stored_before is None:
            with Session(db_session.reading(self.engine)) as session:
                self.stored_before = Store(session).last_document_id()
        _fork_safely(self.engine)
        gc.freeze()
        # The condition guards the values: they need no locks of their own.
        next_turn = _FORK.Value("q", self.batches, lock=False)
        stopping, giving_up = (_FORK.Value("b", 0, lock=False) for _ in range(2))
        turns = Turns(_FORK.Condition(), next_turn, stopping, giving_up)
        watch = Watch.make(self.workers, self.limit)
        pool = ProcessPoolExecutor(
            self.workers,
            mp_context=_FORK,
            initializer=_start_worker,
            initargs=(self.engine, self.max_size, turns, watch, self.homes),
        )
        return pool, turns, watch


_FORK = multiprocessing.get_context("fork")


@dataclass(frozen=True)
class Pooled:
    """A batch written by a worker of a pool; written again elsewhere if the pool dies."""

    writers: Writers
    pool: ProcessPoolExecutor
    future: Future[Outcomes | None]
    todo: list[Item]
    turn: int
    given: Given

    def get(self) -> Outcomes | None:
        return self.writers.wait(self)


@dataclass(frozen=True)
class Lost:
    """A batch for a pool found broken as it was handed over: written as the pool's others are."""

    writers: Writers
    todo: list[Item]
    turn: int
    given: Given

    def get(self) -> Outcomes | None:
        return self.writers.write_lost(self.todo, self.turn, self.given)


def terminate_pool(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers now, whatever they are doing (Python 3.14 has a method for it)."""
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list(getattr(pool, "_processes", {}).values()):
        with suppress(OSError, ValueError):
            process.terminate()


def _alone(
    engine: Engine,
    max_size: int,
    todo: list[Item],
    given: Given,
    limit: float,
    homes: Homes | None = None,
) -> Outcomes | tuple[int, int | None]:
    """Write ``todo`` in a new process: its outcomes, or how it ended if it died.

    How it ended: its exit status, and the index of the document it was
    stopped on for overrunning the time limit (None if it died of itself).
    """
    _fork_safely(engine)
    reader, writer = _FORK.Pipe(duplex=False)
    watch = Watch.make(1, limit)
    process = _FORK.Process(
        target=_write_alone,
        args=(engine, max_size, todo, given, watch, writer, homes),
        daemon=True,
    )
    process.start()
    writer.close()
    stopped_on: int | None = None
    try:
        while not wait([reader, process.sentinel], timeout=_WATCH_SECONDS):
            for _, _, index in watch.overdue():
                stopped_on = index
        try:
            outcomes: Outcomes = reader.recv()
        except (EOFError, OSError):
            process.join()
            return (process.exitcode or -signal.SIGKILL), stopped_on
        return outcomes
    finally:
        reader.close()
        process.join()


def _write_alone(
    engine: Engine,
    max_size: int,
    todo: list[Item],
    given: Given,
    watch: Watch,
    answer: Connection,
    homes: Homes | None = None,
) -> None:
    """In a process of its own: write a batch, and send its outcomes back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _forget_inherited(engine)
    writer = Writer(engine, max_size, watch, watch.join(), homes)
    answer.send(writer.run(todo, given=given))
    answer.close()


def _failed(origin: Item, given: Given, error: str, reason: str, max_size: int) -> PreparedDocument:
    """A failed document with the file's bytes, read again here (reading is safe); for a
    record of a web archive, without them (reading it is what failed)."""
    # The parsing stack: imported when used.
    from ingest.parse.formats.warc import failed_record
    from ingest.prepare import unreadable

    if isinstance(origin, ArchivePart):
        return failed_record(origin, error, reason)
    handed = given.get(origin)
    if isinstance(handed, PreparedDocument):
        return handed
    try:
        raw = handed or read_document(origin, max_size)
    except IngestError as exc:
        return unreadable(origin, exc.detail, exc.reason)
    return PreparedDocument(raw=raw, encoding=None, error=error, reason=reason)


@dataclass(frozen=True)
class Turns:
    """The order in which batches are written, shared by the processes that write them.

    ``next`` is the number of the batch whose turn it is; ``stopping`` is set once
    ingest stops, and then a batch whose turn comes is left unwritten. The lock
    is held only to look at them, never while a batch is written, so a process
    that dies writing leaves no lock held behind it.
    """

    condition: Any  # multiprocessing Condition
    next: Any  # multiprocessing Value("q")
    stopping: Any  # multiprocessing Value("b")
    # Set once ingest is asked to stop: a worker waiting for another process's write
    # lock gives up (``_stop_waiting_when``); one writing goes on.
    giving_up: Any  # multiprocessing Value("b")

    def stop(self) -> None:
        self.stopping.value = 1

    def give_up_waiting(self) -> None:
        self.giving_up.value = 1

    def take(self, turn: int) -> bool:
        """Wait until the batches before this one are written; False if ingest is stopping.

        On False the turn is passed on at once: the batch will not be written.
        """
        with self.condition:
            self.condition.wait_for(lambda: self.next.value == turn)
            if not self.stopping.value:
                return True
        self.pass_on(turn)
        return False

    def pass_on(self, turn: int) -> None:
        """The batch of this turn is written (or never will be): the next one may go."""
        with self.condition:
            self.next.value = turn + 1
            self.condition.notify_all()


# The worker process's writer and turn-taking, set by ``_start_worker``.
_worker: Writer | None = None
_turns: Turns | None = None


def _start_worker(
    engine: Engine, max_size: int, turns: Turns, watch: Watch, homes: Homes | None = None
) -> None:
    """Set up a forked worker: its own database connections, and Ctrl-C left to the parent."""
    global _worker, _turns
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops between batches
    threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
    _forget_inherited(engine)
    _worker, _turns = Writer(engine, max_size, watch, watch.join(), homes), turns
    _stop_waiting_when(turns)
    # A batch is a large graph of objects, alive until it is written, with no reference
    # cycles to free: automatic collections walked it again and again, about 0.7 s of
    # CPU per worker per 20,000 pages. A worker collects once per batch instead, before
    # the next one, when the last is gone (``_write_in_turn``).
    gc.disable()


# The connection pools a forked process inherited, kept from the garbage collector.
_inherited: list[object] = []


def _forget_inherited(engine: Engine) -> None:
    """Give a forked process connections of its own, leaving its parent's strictly alone.

    A connection open across ``fork`` is what SQLite's "how to corrupt" page
    warns of: SQLite keeps per-process state about each open file (its locks,
    the WAL index), which the child inherits without the locks themselves. So
    the parent closes its idle connections before it forks (``_fork_safely``),
    and whatever is still open is the parent's: kept referenced here, never
    used nor closed (closing is using; workers end with ``os._exit``), while
    the engine starts a pool of its own.
    """
    _inherited.append(engine.pool)
    engine.dispose(close=False)


class _Stopping(Exception):
    """Ingest is stopping while this worker waits for another process's write lock."""


def _stop_waiting_when(turns: Turns) -> None:
    """In a worker: give up waiting for another writer's lock once ingest is stopping.

    Ctrl-C reaches only the parent, which asks the batches not yet written to
    stay so; a batch waiting for another ingest's lock has written nothing.
    """

    def stop_waiting(database: str) -> None:
        if turns.giving_up.value:
            raise _Stopping

    db_session.on_every_wait(stop_waiting)  # for the worker's life


def _fork_safely(engine: Engine) -> None:
    """Close this process's idle connections before forking (see ``_forget_inherited``).

    With one open, a worker's own connection to the same SQLite file shared its
    inherited bookkeeping, and this process's connection then saw no tables.
    """
    engine.dispose()


def exit_with_parent(parent: int) -> None:
    """End this worker when its parent is gone (killed, say), rather than live on orphaned.

    A pool's workers wait for work on a pipe whose ends they hold themselves,
    so they never see the parent go. A batch being written is rolled back.
    """
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


def _write_in_turn(todo: list[Item], turn: int, given: Given) -> Outcomes | None:
    """Parse a batch, then wait for the batches before it to be written, and write it."""
    assert _worker is not None and _turns is not None, "not in a worker process"
    gc.collect()  # automatic collections are off in workers: see _start_worker
    return _worker.run(todo, _turns, turn, given)
