"""The commands that write: ``ingest`` and ``reparse``.

``ingest`` reports each failed file in one line on stderr as it goes, and a
summary on stdout at the end; the first Ctrl-C finishes the batch being
written and stops cleanly (exit 130), a second stops at once.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from db import session as db_session
from db.errors import shown
from ingest.cli.database import writable
from ingest.read import iter_paths

if TYPE_CHECKING:
    from ingest.store import Outcome

app = typer.Typer()
err = Console(stderr=True)

# More worker processes than this only contend for the one writer, and each holds a
# batch in memory.
MAX_WORKERS = 256
# The largest --max-size: one byte more must still be a size a read can be asked for.
MAX_SIZE = 2**63 - 2
_SIZE = re.compile(
    r"(?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*(?P<unit>[KMGT]?)(?:I?B)?",
    re.IGNORECASE,
)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[
        list[str], typer.Argument(help="Files and folders (searched recursively); - for stdin.")
    ],
    workers: Annotated[
        int | None,
        typer.Option(
            help="Processes that parse (default: one per core for 64+ files, else one;"
            " 0: none, all in this process, without the time limit per document).",
            min=0,
            max=MAX_WORKERS,
        ),
    ] = None,
    max_size: Annotated[
        str, typer.Option(help="Refuse files larger than this (bytes, or with K, M, G).")
    ] = "50M",
) -> None:
    """Ingest documents: store each one's raw bytes and the articles read from it.

    Page dumps (.txt), HTML pages (.html, .htm, .html.gz), RSS/Atom feeds,
    JSON Lines and web archives (.warc, .warc.gz, .wacz: each HTML response
    record a document, the other records skipped and counted), told apart by
    their content. A file already stored with the same bytes is skipped; one
    whose articles repeat earlier ones is recorded as a duplicate. A file (or
    record) that cannot be read or parsed, in any way, fails alone (one line on
    stderr, a failed row with its bytes); the rest goes on.
    Exits 1 if any file or record failed, 130 when stopped by Ctrl-C.

    Example: newsstore ingest seeds/ ~/crawl/2025-02-09/
    """
    # The parsing and storing stack, imported by the command that needs it: every read
    # command would pay for it otherwise (see ingest.prepare).
    from ingest import pipeline

    limit = _size(max_size)
    origins = list(iter_paths(paths))
    report = _Report()
    interrupted = _Interrupt()
    with (
        writable(ctx) as engine,
        _progress(len(origins)) as advance,
        interrupted,
        _waiting_stops_on(interrupted),
    ):
        for outcome in pipeline.run(
            engine,
            origins,
            workers=workers,
            max_size=limit,
            stop=interrupted.is_set,
            on_problem=report.problem,
        ):
            report.add(outcome)
            advance(outcome.files)
    typer.echo(report.summary(len(origins), advance.elapsed()))
    if interrupted.is_set():
        typer.echo(
            f"interrupted: stopped cleanly after {report.files} of {len(origins)} files; "
            "run the same command again to finish",
            err=True,
        )
        raise typer.Exit(code=130)
    if report.reasons:
        typer.echo(f"failed by reason: {report.by_reason()}", err=True)
    if report.reasons or report.problems:
        raise typer.Exit(code=1)


class _Report:
    """What ingest says as it goes (one line on stderr per failure) and at the end."""

    def __init__(self) -> None:
        self.tally: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()  # records of web archives, by kind
        self.articles = 0
        self.files = 0
        self.problems: list[str] = []

    def problem(self, message: str) -> None:
        """A problem that is no one file's (a worker lost, a batch refused)."""
        self.problems.append(message)
        typer.echo(f"error: {message}", err=True)

    def add(self, outcome: Outcome) -> None:
        self.files += outcome.files
        if outcome.status == "part":  # a part of a web archive: what it skipped
            self.skipped.update(dict(outcome.skipped))
            return
        self.tally[outcome.status] += 1
        self.articles += outcome.articles
        # One line each, whatever a file name or a reason holds (a newline, say).
        origin = shown(outcome.origin)
        if outcome.status == "failed":
            self.reasons[outcome.reason or "error"] += 1
            typer.echo(f"error: {origin}: {shown(outcome.error or '')}", err=True)
        for warning in outcome.warnings:
            self.reasons["bad record"] += 1
            typer.echo(f"error: {origin}: {shown(warning)}", err=True)
        for note in outcome.notes:
            typer.echo(f"warning: {origin}: {shown(note)}", err=True)

    def summary(self, files: int, seconds: float) -> str:
        tally = self.tally
        summary = (
            f"{files} files: {self.articles} new articles, {tally['duplicate']} duplicates, "
            f"{tally['unchanged']} unchanged, {tally['failed']} failed in {seconds:.2f} s"
        )
        if self.reasons["bad record"]:
            summary += f" ({self.reasons['bad record']} bad records in files otherwise stored)"
        if self.skipped:
            kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.skipped.items()))
            summary += f"; web archive records skipped: {self.skipped.total()} ({kinds})"
        return summary

    def by_reason(self) -> str:
        return ", ".join(f"{r} {n}" for r, n in self.reasons.most_common())


@app.command()
def reparse(ctx: typer.Context) -> None:
    """Re-read every stored document with the current parsers, updating articles in place.

    Article ids stay the same where the article is the same; raw documents are
    never touched. Run it after upgrading newsstore.

    Example: newsstore reparse
    """
    from ingest import reparse as reparse_module  # the parsing stack: see ingest.prepare

    with writable(ctx) as engine:
        result = reparse_module.reparse(engine)
    typer.echo(
        f"{result.documents} documents: {result.changed} articles changed, "
        f"{result.added} added, {result.unchanged} unchanged, {result.failed} still failing"
    )


def _size(value: str) -> int:
    """'50M' -> 52428800: a byte count with an optional K, M, G or T suffix (powers of 1024).

    A plain decimal number (a fraction or an exponent allowed: 1.5M, 1e6), at
    least one byte and at most ``MAX_SIZE``; no sign, no 'inf' or 'nan'.
    """
    match = _SIZE.fullmatch(value.strip())
    if match is None:
        message = f"{value!r} is not a size like 50M"
        raise typer.BadParameter(message, param_hint="--max-size")
    number = Decimal(match["number"])
    if number > MAX_SIZE:  # compared before multiplying, which 1e999999999 would overflow
        raise typer.BadParameter(f"{value!r} is larger than any file", param_hint="--max-size")
    size = int(number * _UNITS[match["unit"].upper()])
    if not 1 <= size <= MAX_SIZE:
        problem = "less than one byte" if size < 1 else "larger than any file"
        raise typer.BadParameter(f"{value!r} is {problem}", param_hint="--max-size")
    return size


@contextmanager
def _waiting_stops_on(interrupted: _Interrupt) -> Iterator[None]:
    """While ingest runs, Ctrl-C also ends a wait for another writer's lock (nothing begun).

    Ingest's first Ctrl-C only asks to stop after the batch being written; a
    batch still waiting for the lock has written nothing, so the wait ends
    there (KeyboardInterrupt, at the next wait slice).
    """

    def stop_waiting(database: str) -> None:
        if interrupted.is_set():
            raise KeyboardInterrupt

    undo = db_session.on_every_wait(stop_waiting)
    try:
        yield
    finally:
        undo()


class _Interrupt:
    """Ctrl-C during ingest: finish the batch being written, commit it, then stop."""

    def __init__(self) -> None:
        self._set = False
        self._previous: Any = None

    def is_set(self) -> bool:
        return self._set

    def _handle(self, _signum: int, _frame: object) -> None:
        if self._set:  # a second Ctrl-C: stop now (the open batch is rolled back)
            raise KeyboardInterrupt
        self._set = True
        typer.echo("stopping after the current batch (Ctrl-C again to stop now)", err=True)

    def __enter__(self) -> _Interrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class _Advance:
    """Advances a progress bar (when there is one) and times the run."""

    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self._start = time.perf_counter()
        self._progress, self._task = progress, task

    def __call__(self, files: int = 1) -> None:
        if files and self._progress is not None and self._task is not None:
            self._progress.advance(self._task, files)

    def elapsed(self) -> float:
        return time.perf_counter() - self._start


@contextmanager
def _progress(total: int) -> Iterator[_Advance]:
    if total < 2 or not err.is_terminal:
        yield _Advance(None, None)
        return
    columns = (TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        yield _Advance(progress, progress.add_task("ingest", total=total))
