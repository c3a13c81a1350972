"""``newsstore stories``: the biggest stories, each an article with its copies and updates."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from db.search import MAX_LIMIT
from db.stories import biggest_stories
from ingest.cli.database import read_session

app = typer.Typer()
out = Console()


@app.command("stories")
def stories_command(
    ctx: typer.Context,
    limit: Annotated[
        int, typer.Option(min=1, max=MAX_LIMIT, help="At most this many stories.")
    ] = 20,
    min_articles: Annotated[
        int,
        typer.Option(
            "--min-articles",
            min=1,
            max=MAX_LIMIT,
            help="Only stories of this many articles or more.",
        ),
    ] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The stories carried most: articles, sources, first and last time, and the first headline.

    A story is an article with its copies (other sources), republications and
    updated versions (the same source or URL), grouped by near-duplicate body
    text. ``newsstore show ID`` lists a story's articles beside one of them.

    Example: newsstore stories --limit 10
    """
    with read_session(ctx) as session:
        stories = biggest_stories(session, limit=limit, min_articles=min_articles)
    if as_json:
        data = [dataclasses.asdict(story) for story in stories]
        typer.echo(json.dumps(data, default=str, ensure_ascii=False, indent=2))
        return
    table = Table("story", "articles", "sources", "first", "last", "title (first article)")
    for story in stories:
        table.add_row(
            str(story.id),
            str(story.articles),
            Text(f"{story.sources}: " + ", ".join(story.source_names)),
            str(story.first_published_at or "-")[:16],
            str(story.last_published_at or "-")[:16],
            Text(f"{story.title} (article {story.first_article_id})"),
        )
    out.print(table)
    if not stories:
        typer.echo(f"no story of {min_articles} articles or more", err=True)
