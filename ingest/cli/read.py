"""Read-only commands: search, sql, export, stats, places.

Every command here opens the database read-only (``db.session.read_only_session``:
a SQLite file through ``mode=ro``, ``mode=rw`` or ``immutable=1`` as fits the
file and its folder, with ``query_only`` and an authorizer that refuses
anything but reading), so none of them can change it, they leave no file
behind, and they work on a file the user cannot write. Each parses its
options, makes one library call (``db.search``, ``db.sql``, ``db.export``,
``db.queries``), and renders the result; the filters are built here as a
``db.filters.ArticleFilters`` and written as SQL in db/ only. Failures of
the database itself (missing, damaged, not a database) are reported by the
app's error mapping (``ingest.cli``).

What stays here is the command line's: the options and their checks (dates,
``--timeout``, an ``-o`` that is the database itself), tables and JSON on
stdout, and where an export goes (a file replaced only once complete).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from db import export, queries
from db import sql as db_sql
from db.errors import shown
from db.filters import ArticleFilters
from db.search import MARK, MAX_LIMIT, SearchError, search
from db.urls import resolve, sqlite_files
from ingest.cli.database import database_option, read_session

app = typer.Typer()
out = Console()


class Sort(StrEnum):
    relevance = "relevance"
    newest = "newest"


# The formats db.export writes, as the choices of --format (one list, kept there).
ExportFormat = StrEnum("ExportFormat", {name: name for name in export.FORMATS})  # type: ignore[misc]
FIRST_FORMAT = ExportFormat(export.FORMATS[0])


Source = Annotated[str | None, typer.Option(help="Only articles from this source (by name).")]
Since = Annotated[
    str | None, typer.Option(help="Only articles published on or after this date (YYYY-MM-DD).")
]
Until = Annotated[
    str | None, typer.Option(help="Only articles published on or before this date (YYYY-MM-DD).")
]
Place = Annotated[
    str | None,
    typer.Option(help="Only articles naming this place (a name, or an ISO country code)."),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
# Counts of rows: at least one, at most what a 64-bit LIMIT holds (more is refused, exit 2).
Limit = Annotated[
    int, typer.Option(min=1, max=MAX_LIMIT, help="At most this many (articles or places).")
]


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        message = f"{value!r} is not a date like 2025-02-09"
        raise typer.BadParameter(message, param_hint=option) from None


def _filters(
    source: str | None, since: str | None, until: str | None, place: str | None, kind: str | None
) -> ArticleFilters:
    """The filter options as the library's typed filters (``--kind any``: every kind)."""
    return ArticleFilters(
        source=source,
        since=_date(since, "--since"),
        until=_date(until, "--until"),
        place=place,
        kind=None if kind == "any" else kind,
    )


def _marked(snippet: str) -> Text:
    """A snippet with its <mark>…</mark> spans shown highlighted."""
    result = Text()
    pattern = re.escape(MARK[0]) + "(.*?)" + re.escape(MARK[1])
    last = 0
    for match in re.finditer(pattern, snippet):
        result.append(snippet[last : match.start()])
        result.append(match.group(1), style="bold reverse")
        last = match.end()
    result.append(snippet[last:])
    return result


@app.command("search")
def search_command(
    ctx: typer.Context,
    query: Annotated[
        str, typer.Argument(help='FTS5 query: words, "phrases", prefix*, AND/OR/NOT.')
    ],
    source: Source = None,
    since: Since = None,
    until: Until = None,
    place: Place = None,
    kind: Annotated[
        str, typer.Option(help="Paragraph kind to search ('any' for every kind).")
    ] = "body",
    limit: Limit = 20,
    sort: Annotated[Sort, typer.Option(help="Best match first, or newest first.")] = Sort.relevance,
    per_article: Annotated[
        int, typer.Option(min=1, max=MAX_LIMIT, help="Matching paragraphs to show per article.")
    ] = 1,
    all_copies: Annotated[
        bool,
        typer.Option("--all-copies", help="List every copy of a story, not only its best match."),
    ] = False,
    as_json: Json = False,
) -> None:
    """Full-text search of titles and paragraphs, ranked, with highlighted snippets.

    All terms must occur in the article (title or any paragraph); OR and NEAR
    queries match paragraph by paragraph. A story (an article with its copies
    and updated versions) is listed once, at its best match, with how many of
    its other articles matched; --all-copies lists them all. A malformed query
    exits with status 2.

    Example: newsstore search 'defectors Vladivostok' --since 2024-01-01 --sort newest
    """
    filters = _filters(source, since, until, place, kind)
    with read_session(ctx) as session:
        try:
            hits = search(
                session,
                query,
                filters,
                limit=limit,
                sort=sort.value,
                per_article=per_article,
                all_copies=all_copies,
            )
        except SearchError as exc:
            typer.echo(f"newsstore: {exc}", err=True)
            raise typer.Exit(code=2) from None
    if as_json:
        rows = [dataclasses.asdict(hit) for hit in hits]
        typer.echo(json.dumps(rows, default=str, ensure_ascii=False, indent=2))
        return
    table = Table("id", "score", "published", "source", "title / snippet")
    for hit in hits:
        cell = Text(hit.title, style="bold")
        if hit.copies:
            cell.append(f" (+{hit.copies} copies in story {hit.story_id})", style="dim")
        cell.append("\n")
        cell.append(_marked(hit.snippet))
        table.add_row(
            str(hit.article_id),
            f"{hit.score:.2f}",
            str(hit.published_at or "-")[:16],
            Text(hit.source or "-"),
            cell,
        )
    out.print(table)
    if not hits:
        typer.echo("no matches", err=True)


def _seconds(value: str | None) -> float | None:
    """--timeout: a number of seconds, more than 0 and finite ('inf', 'nan', '1e400' refused)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        message = f"{value!r} is not a number of seconds more than 0"
        raise typer.BadParameter(message, param_hint="--timeout")
    return seconds


@app.command("sql")
def sql_command(
    ctx: typer.Context,
    statement: Annotated[str, typer.Argument(help="One SQL statement (read-only).")],
    as_json: Json = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    timeout: Annotated[
        str | None,
        typer.Option("--timeout", metavar="SECONDS", help="Stop the statement after this long."),
    ] = None,
) -> None:
    """Run one SQL statement, as written, on a read-only connection: writes are refused.

    ATTACH, DETACH and PRAGMAs that set something are refused too. Exit
    status 1 for a statement that fails, is refused or runs out of time, 130
    when stopped with Ctrl-C.

    Example: newsstore sql "SELECT status, count(*) FROM documents GROUP BY status"
    """
    seconds = _seconds(timeout)
    with read_session(ctx) as session:
        try:
            columns, rows = db_sql.run_sql(session, statement, timeout=seconds)
        except db_sql.SqlError as exc:
            typer.echo(f"newsstore: {exc}", err=True)
            raise typer.Exit(code=1) from None
    if as_json:
        data = [dict(zip(columns, row, strict=True)) for row in rows]
        typer.echo(json.dumps(data, default=_jsonable, ensure_ascii=False, indent=2))
    elif as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        table = Table(*columns)
        for row in rows:
            table.add_row(*(Text("NULL" if v is None else str(v)) for v in row))
        out.print(table)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


@app.command("export")
def export_command(
    ctx: typer.Context,
    query: Annotated[
        str | None, typer.Argument(help="Optional search query (as for search).")
    ] = None,
    export_format: Annotated[
        ExportFormat, typer.Option("--format", help="jsonl: one object per line; csv.")
    ] = FIRST_FORMAT,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file, not stdout (replaced only once the export is complete).",
        ),
    ] = None,
    source: Source = None,
    since: Since = None,
    until: Until = None,
    place: Place = None,
) -> None:
    """Export articles with their body paragraphs and places, as JSON Lines or CSV.

    With -o, the export is written to a temporary file beside FILE, which
    replaces FILE only when the export is complete: a failure or Ctrl-C
    leaves FILE as it was. The database itself is never a FILE (exit 2), nor
    is a FILE in a folder that does not exist (exit 2).

    Example: newsstore export --source DailyNK --since 2024-01-01 -o dailynk.jsonl
    """
    filters = _filters(source, since, until, place, "body")
    target = _export_target(output, database_option(ctx)) if output else None
    with read_session(ctx) as session:
        try:  # a query is run here, before anything is written
            articles = export.export_articles(session, filters, query=query or None)
        except SearchError as exc:
            typer.echo(f"newsstore: {exc}", err=True)
            raise typer.Exit(code=2) from None
        with _written(target) as stream:
            count = export.write_articles(articles, stream, export_format.value)
    if target is not None:
        typer.echo(f"{count} articles written to {shown(target)}", err=True)


def _export_target(output: Path, db: str | None) -> Path:
    """The file ``-o`` names (a symbolic link's target), refused if it is the database.

    Replacing the database file (or its ``-wal``, ``-shm`` or ``-journal``)
    with an export would destroy it; a hard link or another spelling of its
    path is the same file, so files are compared, not only their names.
    """
    target = Path(os.path.realpath(output))
    if target.is_dir():
        raise typer.BadParameter(f"{shown(output)} is a folder", param_hint="-o")
    if not target.parent.is_dir():
        raise typer.BadParameter(
            f"cannot write {shown(output)}: there is no folder {shown(target.parent)}",
            param_hint="-o",
        )
    for own in sqlite_files(resolve(db)):
        same = target == own
        if not same and target.exists() and own.exists():
            same = os.path.samefile(target, own)
        if same:
            raise typer.BadParameter(
                f"{shown(output)} is the database ({shown(own)}): export elsewhere",
                param_hint="-o",
            )
    return target


@contextmanager
def _written(target: Path | None) -> Iterator[TextIO]:
    """Standard output, or a temporary file beside ``target`` that replaces it when all is written.

    On any failure (Ctrl-C too) the temporary file is removed and ``target``
    is left as it was; a file that cannot be written is one line, exit 1.
    """
    if target is None:
        yield sys.stdout
        return
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        typer.echo(f"newsstore: cannot write {shown(target)}: {exc.strerror}", err=True)
        raise typer.Exit(code=1) from None
    temporary = Path(name)
    try:
        with open(handle, "w", encoding="utf-8", newline="") as stream:
            yield stream
        # mkstemp makes the file for its owner alone; the export gets the mode a new file
        # gets (or the mode of the file it replaces).
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        typer.echo(f"newsstore: cannot write {shown(target)}: {exc.strerror or exc}", err=True)
        raise typer.Exit(code=1) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@app.command("stats")
def stats_command(ctx: typer.Context, as_json: Json = False) -> None:
    """Counts of articles and stories, per source and per month (a bar chart), documents by
    status, database size.

    Example: newsstore stats
    """
    with read_session(ctx) as session:
        result = queries.stats(session)
        size = queries.database_bytes(session)
    if as_json:
        data = dataclasses.asdict(result) | {"database_bytes": size}
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    out.print(
        f"{result.articles} articles in {result.stories} stories, {result.paragraphs} paragraphs;"
        " documents: "
        + ", ".join(f"{n} {status}" for status, n in sorted(result.documents.items()))
        + (f"; database {size / 1e6:.1f} MB" if size is not None else "")
    )
    sources = Table("source", "articles")
    for name, n in result.by_source:
        sources.add_row(Text(name), str(n))
    out.print(sources)
    months = Table("month", "articles", "")
    peak = max((n for _, n in result.by_month), default=1)
    for month, n in result.by_month:
        months.add_row(month, str(n), "█" * max(1, round(40 * n / peak)))
    out.print(months)


@app.command("places")
def places_command(
    ctx: typer.Context,
    source: Source = None,
    since: Since = None,
    until: Until = None,
    kind: Annotated[
        str | None, typer.Option(help="country, region, city, continent or area.")
    ] = None,
    country: Annotated[str | None, typer.Option(help="ISO country code, e.g. RU.")] = None,
    page: Annotated[
        bool, typer.Option("--page", help="Count the pages' cities instead of mentions.")
    ] = False,
    limit: Limit = 20,
    as_json: Json = False,
) -> None:
    """The places named in the most articles, with how often they are named.

    Example: newsstore places --country RU --since 2024-01-01
    """
    filters = _filters(source, since, until, None, None)
    with read_session(ctx) as session:
        totals = queries.top_places(
            session,
            filters,
            kind=kind,
            country=country,
            role="page" if page else "mention",
            limit=limit,
        )
    if as_json:
        typer.echo(json.dumps([dataclasses.asdict(t) for t in totals], ensure_ascii=False))
        return
    table = Table("place", "kind", "country", "articles", "mentions", "lat, lon")
    for t in totals:
        where_at = f"{t.latitude:.2f}, {t.longitude:.2f}" if t.latitude is not None else "-"
        table.add_row(
            Text(t.name), t.kind, t.country_code or "-", str(t.articles), str(t.mentions), where_at
        )
    out.print(table)
