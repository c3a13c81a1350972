"""The places stage: resolve the page's city and find the places the body names.

Only body paragraphs are searched: a source's boilerplate ("sources living in
North Korea, China, and elsewhere") says nothing about where the story is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ingest.places.homes import Home, home_for
from ingest.places.mentions import find_mentions, resolve_place
from ingest.records import ArticleRecord, PlaceMention


def locate(record: ArticleRecord, homes: Mapping[str, Home] | None = None) -> ArticleRecord:
    """``record`` with its place mentions and its resolved page place.

    ``homes`` are the sources' homes as the store taught them (``ingest.places.homes``):
    where the article says nothing of its own, a name leans to its source's home.
    """
    home = home_for(homes, record.article.source_name)
    body = [p for p in record.paragraphs if p.kind == "body"]
    mentions = tuple(
        PlaceMention(
            position=body[m.paragraph_index].position,
            start=m.start,
            end=m.end,
            surface=m.surface,
            place=m.place,
            why=m.why,
            form=m.form,
        )
        for m in find_mentions([p.text for p in body], home)
    )
    city = record.article.page_location
    return replace(record, mentions=mentions, page_place=resolve_place(city) if city else None)
