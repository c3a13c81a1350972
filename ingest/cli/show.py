"""``newsstore show``: one article, with its paragraphs and, on request, why each got its kind."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from db import queries
from db.raw import RawCodecError
from ingest.cli import render
from ingest.cli.database import read_session

if TYPE_CHECKING:  # only for the annotation: ingest.explain imports the parsers
    from ingest.explain import PlaceExplained

app = typer.Typer()
out = Console()


@app.command()
def show(
    ctx: typer.Context,
    article_id: Annotated[int, typer.Argument(help="The article's id.", min=1, max=queries.MAX_ID)],
    explain: Annotated[
        bool,
        typer.Option(
            "--explain", help="Say why each paragraph got its kind and each place name its place."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    raw: Annotated[
        bool,
        typer.Option(
            "--raw", help="Write the exact bytes of the article's document to stdout, as read."
        ),
    ] = False,
) -> None:
    """Show one article: its source, dates, places and paragraphs with their kinds.

    --raw writes the document's bytes instead (stored compressed: see README, Raw documents).

    Example: newsstore show 1 --explain; newsstore show 1 --raw > page.html
    """
    if raw:
        _raw(ctx, article_id)
        return
    with read_session(ctx) as session:
        detail = queries.article_detail(session, article_id)
        if detail is None:
            typer.echo(f"newsstore: no article {article_id}", err=True)
            raise typer.Exit(code=1)
        reasons = {}
        places: Sequence[PlaceExplained] = []
        if explain:
            from ingest.explain import explain_all  # see ingest.prepare

            try:
                paragraphs, places = explain_all(session, detail)
            except RawCodecError as exc:  # the reasons are re-derived from the stored bytes
                typer.echo(f"newsstore: article {article_id}'s document: {exc}", err=True)
                raise typer.Exit(code=1) from None
            reasons = {e.position: e.reason for e in paragraphs}
    if as_json:
        data = dataclasses.asdict(detail)
        if explain:
            for paragraph in data["paragraphs"]:
                paragraph["reason"] = reasons.get(paragraph["position"])
            data["place_reasons"] = [dataclasses.asdict(p) for p in places]
        typer.echo(json.dumps(data, default=str, ensure_ascii=False, indent=2))
        return
    render.article(out, detail, reasons)
    if places:
        render.place_reasons(out, places)


def _raw(ctx: typer.Context, article_id: int) -> None:
    """Write an article's document bytes to stdout, or say in one line why not."""
    with read_session(ctx) as session:
        try:
            data = queries.article_raw(session, article_id)
        except RawCodecError as exc:
            typer.echo(f"newsstore: article {article_id}'s document: {exc}", err=True)
            raise typer.Exit(code=1) from None
    if data is None:
        typer.echo(f"newsstore: no article {article_id}", err=True)
        raise typer.Exit(code=1)
    stream = typer.get_binary_stream("stdout")
    stream.write(data)
    stream.flush()
