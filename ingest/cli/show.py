"""``newsstore show``: one article, with its paragraphs and, on request, why each got its kind."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated

import typer
from rich.console import Console

from db import queries
from ingest.cli import render
from ingest.cli.database import read_session

app = typer.Typer()
out = Console()


@app.command()
def show(
    ctx: typer.Context,
    article_id: Annotated[int, typer.Argument(help="The article's id.", min=1, max=queries.MAX_ID)],
    explain: Annotated[
        bool, typer.Option("--explain", help="Say why each paragraph got its kind.")
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
