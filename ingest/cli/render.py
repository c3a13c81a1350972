"""Rich renderings of query results for the terminal (the CLI's presentation layer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from db.queries import ArticleDetail

if TYPE_CHECKING:  # only for the annotation: ingest.explain imports the parsers
    from ingest.explain import PlaceExplained


def article(console: Console, detail: ArticleDetail, reasons: dict[int, str]) -> None:
    """An article as a header of fields, its places, and its paragraphs with kinds."""
    console.print(Text(detail.title, style="bold"))
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="dim")
    fields.add_column()
    source = detail.source or "-"
    if detail.category:
        source = f"{source} ({detail.category})"
    fields.add_row("id", str(detail.id))
    fields.add_row("source", Text(source))
    fields.add_row("published", str(detail.published_at or "-") + " (as written, no zone)")
    fields.add_row("page date", str(detail.page_date or "-"))
    if detail.page_temperature_c is not None:
        fields.add_row("temperature", f"{detail.page_temperature_c:g} °C")
    if detail.translations:
        fields.add_row("translations", ", ".join(detail.translations))
    if detail.url:
        fields.add_row("url", Text(f"{detail.url} (revision {detail.revision})"))
    if detail.author:
        fields.add_row("author", Text(detail.author))
    if detail.language:
        fields.add_row("language", detail.language)
    fields.add_row("layout", f"{detail.layout} v{detail.parser_version}")
    if detail.story_id is not None:
        others = len(detail.story)
        fields.add_row(
            "story",
            f"{detail.story_id} ({others} other articles)" if others else str(detail.story_id),
        )
    fields.add_row("document", Text(f"{detail.document_id}: {detail.origin}"))
    if detail.record_id or detail.fetched_at:  # a record of a web archive
        fetched = f"{detail.fetched_at} UTC" if detail.fetched_at else "-"
        fields.add_row("fetched", Text(f"{fetched}, record {detail.record_id or '-'}"))
    for place in detail.places:
        where = f"{place.name} ({place.kind}, {place.country_code or '-'})"
        if place.latitude is not None and place.longitude is not None:
            where += f" {place.latitude:.2f}, {place.longitude:.2f}"
        label = "page place" if place.role == "page" else f"mentioned ×{place.mentions}"
        fields.add_row(label, Text(where))
    console.print(fields)
    table = Table("#", "kind", "text", *(["why"] if reasons else []), show_lines=False)
    for paragraph in detail.paragraphs:
        style = None if paragraph.kind == "body" else "dim"
        row = [Text(str(paragraph.position)), Text(paragraph.kind), Text(paragraph.text)]
        if reasons:
            row.append(Text(reasons.get(paragraph.position, "")))
        table.add_row(*row, style=style)
    console.print(table)
    if detail.story:
        story(console, detail)


def story(console: Console, detail: ArticleDetail) -> None:
    """The other articles of the article's story, each related to the story's first."""
    table = Table(
        "id",
        "relation",
        "similarity",
        "published",
        "source",
        "title",
        title=f"story {detail.story_id}",
    )
    for member in detail.story:
        table.add_row(
            str(member.article_id),
            member.relation,
            f"{member.similarity:.2f}",
            str(member.published_at or "-")[:16],
            Text(member.source or "-"),
            Text(member.title),
        )
    console.print(table)


def place_reasons(console: Console, places: Sequence[PlaceExplained]) -> None:
    """Each place name of the body, the place it names and why (``show --explain``)."""
    table = Table("#", "at", "name", "place", "why", show_lines=False)
    for p in places:
        table.add_row(str(p.position), str(p.start), Text(p.surface), Text(p.place), Text(p.reason))
    console.print(table)
