"""The ``newsstore`` command: a thin Typer app over ``ingest`` and ``db``.

Commands parse their arguments, call one library function, and render the
result: tables and summaries on stdout, diagnostics on stderr.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

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
from sqlalchemy import Engine

from db import cli as db_cli
from db import queries, read_cli
from db.migrate import SchemaError, ensure_current
from db.session import make_engine
from ingest import pipeline, render
from ingest.read import iter_paths

app = typer.Typer(
    help="newsstore: a content store for news articles (SQLite by default).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_cli.app, name="db")
app.add_typer(read_cli.app)
out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database file or SQLAlchemy URL"
        " [default: $NEWSSTORE_DATABASE_URL, else ./newsstore.db].",
        show_default=False,
    ),
]


@app.callback()
def root(ctx: typer.Context, db: DbOption = None) -> None:
    """Ingest news articles into one clean database; query it with SQL, the CLI or Python."""
    ctx.obj = {"db": db}


@contextmanager
def _database(ctx: typer.Context) -> Iterator[Engine]:
    """An engine for the chosen database, at the current schema, or a clean exit."""
    engine = make_engine(ctx.obj.get("db") if ctx.obj else None)
    try:
        try:
            ensure_current(engine)
        except SchemaError as exc:
            typer.echo(f"newsstore: {exc}", err=True)
            raise typer.Exit(code=1) from None
        yield engine
    finally:
        engine.dispose()


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[
        list[str], typer.Argument(help="Files and folders (searched recursively); - for stdin.")
    ],
    workers: Annotated[
        int | None,
        typer.Option(
            help="Processes that parse (default: one per core for 64+ files; 0: none).",
            min=0,
        ),
    ] = None,
    max_size: Annotated[
        str, typer.Option(help="Refuse files larger than this (bytes, or with K, M, G).")
    ] = "50M",
) -> None:
    """Ingest documents: store each one's raw bytes and the articles read from it.

    Page dumps (.txt), HTML pages (.html, .htm, .html.gz), RSS/Atom feeds and
    JSON Lines, told apart by their content. A file already stored with the
    same bytes is skipped; one whose articles repeat earlier ones is recorded
    as a duplicate. Exits 1 if any file or record failed.

    Example: newsstore ingest seeds/ ~/crawl/2025-02-09/
    """
    limit = _size(max_size)
    origins = list(iter_paths(paths))
    tally: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    articles = 0
    interrupted = _Interrupt()
    with _database(ctx) as engine, _progress(len(origins)) as advance, interrupted:
        for outcome in pipeline.run(
            engine, origins, workers=workers, max_size=limit, stop=interrupted.is_set
        ):
            tally[outcome.status] += 1
            articles += outcome.articles
            if outcome.status == "failed":
                reasons[outcome.reason or "error"] += 1
                typer.echo(f"error: {outcome.origin}: {outcome.error}", err=True)
            for warning in outcome.warnings:
                reasons["bad record"] += 1
                typer.echo(f"error: {outcome.origin}: {warning}", err=True)
            advance()
    seconds = advance.elapsed()
    summary = (
        f"{len(origins)} files: {articles} new articles, {tally['duplicate']} duplicates, "
        f"{tally['unchanged']} unchanged, {tally['failed']} failed in {seconds:.2f} s"
    )
    if reasons["bad record"]:
        summary += f" ({reasons['bad record']} bad records in files otherwise stored)"
    typer.echo(summary)
    if interrupted.is_set():
        done = sum(tally.values())
        typer.echo(
            f"interrupted: stopped cleanly after {done} of {len(origins)} files; "
            "run the same command again to finish",
            err=True,
        )
        raise typer.Exit(code=130)
    if reasons:
        typer.echo(
            "failed by reason: " + ", ".join(f"{r} {n}" for r, n in reasons.most_common()), err=True
        )
        raise typer.Exit(code=1)


@app.command()
def reparse(ctx: typer.Context) -> None:
    """Re-read every stored document with the current parsers, updating articles in place.

    Article ids stay the same where the article is the same; raw documents are
    never touched. Run it after upgrading newsstore.

    Example: newsstore reparse
    """
    from ingest import reparse as reparse_module  # the parsing stack: see ingest.prepare

    with _database(ctx) as engine:
        result = reparse_module.reparse(engine)
    typer.echo(
        f"{result.documents} documents: {result.changed} articles changed, "
        f"{result.added} added, {result.unchanged} unchanged, {result.failed} still failing"
    )


@app.command()
def show(
    ctx: typer.Context,
    article_id: Annotated[int, typer.Argument(help="The article's id.")],
    explain: Annotated[
        bool, typer.Option("--explain", help="Say why each paragraph got its kind.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one article: its source, dates, places and paragraphs with their kinds.

    Example: newsstore show 1 --explain
    """
    with read_cli.read_session(ctx) as session:
        detail = queries.article_detail(session, article_id)
        if detail is None:
            typer.echo(f"newsstore: no article {article_id}", err=True)
            raise typer.Exit(code=1)
        reasons = {}
        if explain:
            from ingest.explain import explain as explain_article  # see ingest.prepare

            reasons = {e.position: e.reason for e in explain_article(session, detail)}
    if as_json:
        data = dataclasses.asdict(detail)
        if explain:
            for paragraph in data["paragraphs"]:
                paragraph["reason"] = reasons.get(paragraph["position"])
        typer.echo(json.dumps(data, default=str, ensure_ascii=False, indent=2))
        return
    render.article(out, detail, reasons)


def _size(value: str) -> int:
    """'50M' -> 52428800: a byte count with an optional K, M or G suffix (powers of 1024)."""
    units = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
    text = value.strip().upper().removesuffix("B")
    number, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "")
    try:
        return int(float(number) * units[unit])
    except ValueError:
        message = f"{value!r} is not a size like 50M"
        raise typer.BadParameter(message, param_hint="--max-size") from None


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

    def __call__(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)

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


def main() -> None:
    try:
        app()
    finally:
        # Python's shutdown ends with a garbage collection over every object left, which
        # after the imports (SQLAlchemy, Typer, pydantic) took a fifth of a second: as long
        # as a rerun over unchanged files spends on them. The command is done and has
        # closed what it opened; frozen objects are out of that collection's reach.
        gc.freeze()
