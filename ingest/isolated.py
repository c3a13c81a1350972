"""Prepare documents already in hand in worker processes that can be stopped.

Why: ``ingest`` parses files in workers whose deadline is watched (``ingest.workers``),
so a page that makes a parser loop forever, or kills its process, fails alone. Commands
that parse bytes already stored, such as ``reparse``, met those same documents with no
such net: a page that had timed out at ingest was kept (nothing is lost) as a failed
document, and reparsing it then hung the command for good. Here each document is
prepared in a forked worker; one that overruns ``limit`` seconds, or whose process
dies, comes back as a failed document naming why, and the others go on.

How: a pool of ``workers`` processes with at most one document each in flight, so
that a document's time starts when it is handed over and the memory held is a few
prepared documents. An overrun stops the whole pool (a worker cannot be stopped
alone) and hands the others in flight to a new one. When a pool breaks (a process
died), the documents in flight are prepared again one at a time, each in a pool of
its own, so that the one that kills its process is found and fails alone.

The workers touch no database: they are handed bytes and give back what
``ingest.prepare`` makes of them. So the parent's open connection and transaction
stay the parent's (a forked process ends with ``os._exit`` and never closes them, nor
collects them: ``_start_worker``).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from ingest.prepare import prepare
from ingest.read import MAX_SIZE
from ingest.records import PreparedDocument, RawDocument
from ingest.workers import exit_with_parent, terminate_pool, time_limit

Prepare = Callable[[RawDocument], PreparedDocument]

_FORK = multiprocessing.get_context("fork")


@dataclass
class _InFlight:
    raw: RawDocument
    future: Future[PreparedDocument]
    deadline: float


def prepare_isolated(
    raws: Iterable[RawDocument],
    *,
    workers: int | None = None,
    limit: float | None = None,
    preparer: Prepare | None = None,
) -> Iterator[PreparedDocument]:
    """Each document of ``raws`` prepared in a worker process, in the order given.

    ``workers`` defaults to the number of cores, ``limit`` to ingest's own per-document
    time limit, ``preparer`` to ``ingest.prepare.prepare``. A document that overruns
    the limit, or whose process dies, is a failed document with ingest's reasons for
    those ("too slow", "worker died").
    """
    count = max(1, workers or os.cpu_count() or 1)
    seconds = time_limit(MAX_SIZE) if limit is None else limit
    preparer = preparer or prepare
    queue = iter(raws)
    flight: deque[_InFlight] = deque()
    pool = _start(count)
    try:
        while True:
            while len(flight) < count and (raw := next(queue, None)) is not None:
                flight.append(_submit(pool, raw, preparer, seconds))
            if not flight:
                return
            head = flight[0]
            try:
                prepared = head.future.result(timeout=max(0.0, head.deadline - time.monotonic()))
            except FuturesTimeout:
                flight.popleft()
                pool = _restart(pool, flight, preparer, seconds, count)
                yield _too_slow(head.raw, seconds)
                continue
            except BrokenProcessPool:
                _stop(pool)
                yield from (_alone(item.raw, preparer, seconds) for item in flight)
                flight.clear()
                pool = _start(count)
                continue
            flight.popleft()
            yield prepared
    finally:
        _stop(pool)


def _alone(raw: RawDocument, preparer: Prepare, seconds: float) -> PreparedDocument:
    """One document of a pool that broke, in a process of its own: the killer fails alone."""
    pool = _start(1)
    try:
        return pool.submit(preparer, raw).result(timeout=seconds)
    except FuturesTimeout:
        return _too_slow(raw, seconds)
    except BrokenProcessPool:
        error = "the process preparing it died (out of memory, or a crash in a library)"
        return PreparedDocument(raw=raw, encoding=None, error=error, reason="worker died")
    finally:
        _stop(pool)


def _restart(
    pool: ProcessPoolExecutor,
    flight: deque[_InFlight],
    preparer: Prepare,
    seconds: float,
    count: int,
) -> ProcessPoolExecutor:
    """Stop a pool whose worker overran, and hand what else was in flight to a new one."""
    _stop(pool)
    fresh = _start(count)
    again = [_submit(fresh, item.raw, preparer, seconds) for item in flight]
    flight.clear()
    flight.extend(again)
    return fresh


def _submit(
    pool: ProcessPoolExecutor, raw: RawDocument, preparer: Prepare, seconds: float
) -> _InFlight:
    return _InFlight(raw, pool.submit(preparer, raw), time.monotonic() + seconds)


def _start(count: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=count, mp_context=_FORK, initializer=_start_worker)


def _stop(pool: ProcessPoolExecutor) -> None:
    terminate_pool(pool)
    pool.shutdown(wait=True, cancel_futures=True)


def _start_worker() -> None:
    """A worker leaves Ctrl-C to its parent, ends when the parent is gone, and never
    collects what it inherited: a connection of the parent's waiting in a reference
    cycle to be freed would be closed here, and closing one is using it."""
    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _too_slow(raw: RawDocument, seconds: float) -> PreparedDocument:
    error = f"parsing it took more than {seconds:.0f} s: stopped"
    return PreparedDocument(raw=raw, encoding=None, error=error, reason="too slow")
