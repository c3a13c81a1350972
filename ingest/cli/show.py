"""``newsstore show``: one article, with its paragraphs and, on request, why each got its kind."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from db import queries
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
) -> None:
    """Show one article: its source, dates, places and paragraphs with their kinds.

    Example: newsstore show 1 --explain
    """
    with read_session(ctx) as session:
        detail = queries.article_detail(session, article_id)
        if detail is None:
            typer.echo(f"newsstore: no article {article_id}", err=True)
            raise typer.Exit(code=1)
        reasons = {}
        places: Sequence[PlaceExplained] = []
        if explain:
            from ingest.explain import explain_all  # see ingest.prepare

            paragraphs, places = explain_all(session, detail)
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
