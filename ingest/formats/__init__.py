"""Parsers for structured inputs: HTML pages, RSS/Atom feeds and JSON Lines.

The page-dump layouts (``ingest.layouts``) read text that a crawler already
flattened; the modules here read the formats the crawler saw before that, with
the libraries made for each (trafilatura and htmldate for HTML, feedparser for
feeds, ``json`` for JSON Lines). Like the layouts they are pure functions from
text or bytes to ``ParsedArticle`` records: nothing here touches the database,
so the same bytes always give the same articles and ``reparse`` stays honest.

``ingest.formats.detect`` says which of them a document is. This package does
not import the parsers itself, so that importing one format (or the detector)
does not load the libraries of the others.

Each parser module has ``NAME`` (the ``articles.layout`` it records) and
``VERSION`` (its ``parser_version``), like the layouts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ingest.records import ParsedArticle

__all__ = ["FormatArticle", "to_utc_naive"]


@dataclass(frozen=True)
class FormatArticle:
    """A parsed article plus what a structured format says about it beyond ``ParsedArticle``.

    ``ParsedArticle`` is shared by every stage and is not widened for one input
    kind, so the extra fields ride alongside it until the store has columns
    for them: ``guid`` is a feed item's stable id (RSS ``guid``, Atom ``id``,
    which is how a re-fetched feed's items are recognised), ``author`` the
    byline the format gives, ``line`` the 1-based line of a JSON Lines record.
    """

    article: ParsedArticle
    guid: str | None = None
    author: str | None = None
    line: int | None = None


def to_utc_naive(moment: datetime) -> datetime:
    """``moment`` as a naive datetime: converted to UTC when it carries a zone, else as written.

    The store's ``published_at`` is a naive column. When a source states its
    offset (a feed's ``+0200``, an ISO ``Z``) the time is converted to UTC so
    times from different zones sort correctly; when it gives none, none is
    invented and the wall-clock time is kept as written (as the page-dump
    layouts do).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=None)
    return moment.astimezone(UTC).replace(tzinfo=None)
