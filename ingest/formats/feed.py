"""RSS and Atom feeds: one article per item/entry, read with feedparser.

feedparser reads every feed dialect (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, the
common extensions such as ``content:encoded``), copes with broken XML (it sets
``bozo`` and carries on) and sanitises the HTML inside. Each entry gives:

- ``title``: the entry's title as text (HTML titles are flattened);
- paragraphs: the full content (``content:encoded``, Atom ``content``) when
  the entry has one, else its summary/description; HTML is split into one
  paragraph per block element by ``ingest.formats.html.html_fragment_paragraphs``
  (two ``<br>`` in a row also end a paragraph), plain text at blank lines;
- ``url`` from the entry's link, ``guid`` from RSS ``guid`` / Atom ``id``, the
  author, and the feed's title as the source;
- ``published_at``: the entry's ``published`` time, else its ``updated`` time.
  A time that states a zone or offset (``+0200``, ``Z``, ``EST``) is converted
  to UTC and stored naive; a time without one is kept as written (none is
  invented). feedparser itself would call an ISO time with no zone UTC and
  drop an RFC 822 time with no zone, so the entry's date string is read with
  the standard library first (``email.utils`` for RFC 822, ``fromisoformat``
  for RFC 3339/ISO 8601), and feedparser's own parse, which knows many more
  odd formats and is always UTC, is the fallback.

An entry without a title or without any text is not an article and is left
out; a feed with no entries, or none that is an article, is a ``ParseError``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser

from ingest.errors import ParseError
from ingest.formats import FormatArticle, to_utc_naive
from ingest.formats.html import html_fragment_paragraphs
from ingest.normalize import collapse_whitespace
from ingest.records import ParsedArticle, ParsedParagraph

NAME = "feed"
VERSION = "1"

__all__ = ["NAME", "VERSION", "parse_feed"]

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def parse_feed(data: bytes) -> list[FormatArticle]:
    """The articles of an RSS/Atom feed, in feed order, each with its guid, author and URL.

    ``data`` is the feed's raw bytes: feedparser finds the encoding from the
    XML declaration or a BOM. It is handed over as a stream, never as a string,
    because feedparser treats a string as a URL to fetch or a file to open.
    """
    parsed = feedparser.parse(io.BytesIO(data))
    entries: list[Any] = list(parsed.entries)
    if not entries:
        problem = f" ({parsed.bozo_exception})" if parsed.get("bozo") else ""
        raise ParseError(f"no feed entries found{problem}")
    feed: Mapping[str, Any] = parsed.feed
    source = _text(feed.get("title_detail"), feed.get("title")) or None
    language = _language(feed.get("language"))
    articles = [
        article for entry in entries if (article := _entry(entry, source, language)) is not None
    ]
    if not articles:
        raise ParseError(f"none of the feed's {len(entries)} entries has a title and text")
    return articles


def _entry(entry: Any, source: str | None, feed_language: str | None) -> FormatArticle | None:
    """One entry as an article, or None when it has no title or no text."""
    title = _text(entry.get("title_detail"), entry.get("title"))
    body, detail, reason = _body(entry)
    if not title or not body:
        return None
    language = _language(detail.get("language"))
    article = ParsedArticle(
        title=title,
        paragraphs=tuple(ParsedParagraph(text=text, reason=reason) for text in body),
        layout=NAME,
        parser_version=VERSION,
        source_name=source,
        published_at=_published(entry),
        url=collapse_whitespace(entry.get("link") or "") or None,
        language=language or feed_language,
    )
    guid = collapse_whitespace(entry.get("id") or "") or None
    author = collapse_whitespace(entry.get("author") or "") or None
    return FormatArticle(article=article, guid=guid, author=author)


def _body(entry: Any) -> tuple[tuple[str, ...], Mapping[str, Any], str]:
    """The entry's paragraphs from its fullest text (its content, else its summary),
    the feedparser detail they came from, and the reason recorded on each paragraph."""
    candidates: list[tuple[Mapping[str, Any], str]] = [
        (detail, "feed entry content") for detail in entry.get("content", [])
    ]
    if entry.get("summary_detail") is not None:
        candidates.append((entry["summary_detail"], "feed entry summary"))
    for detail, reason in candidates:
        paragraphs = _paragraphs(detail.get("type"), detail.get("value"))
        if paragraphs:
            return paragraphs, detail, reason
    return (), {}, ""


def _paragraphs(kind: str | None, value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    if kind in _HTML_TYPES or kind is None:
        return html_fragment_paragraphs(value)
    # text/plain: already text, and "<" in it is a character, not markup.
    return tuple(
        text
        for part in value.replace("\r\n", "\n").split("\n\n")
        if (text := collapse_whitespace(part))
    )


def _text(detail: Mapping[str, Any] | None, value: str | None) -> str:
    """A title as one line of text, whether the feed gave it as text or as HTML."""
    if not value:
        return ""
    kind = detail.get("type") if detail is not None else None
    if kind in _HTML_TYPES:
        return " ".join(html_fragment_paragraphs(value))
    return collapse_whitespace(value)


def _published(entry: Any) -> datetime | None:
    """The entry's publication time, else its update time (see the module docstring).

    Read with ``dict.get``: feedparser's own ``get("updated")`` quietly answers
    with the published time (a deprecated alias) when there is no update time.
    """
    for key in ("published", "updated", "created"):
        raw = dict.get(entry, key)
        if raw:
            moment = _read_time(str(raw))
            if moment is not None:
                return moment
        parsed = dict.get(entry, f"{key}_parsed")
        if parsed:
            # feedparser's struct_time is already UTC: stored naive as it is.
            year, month, day, hour, minute, second = parsed[:6]
            return datetime(year, month, day, hour, minute, second)
    return None


def _read_time(raw: str) -> datetime | None:
    """An RFC 822 or ISO 8601 time as a naive datetime (UTC when it has a zone), else None."""
    text = raw.strip()
    try:
        return to_utc_naive(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return to_utc_naive(datetime.fromisoformat(text))
    except ValueError:
        return None


def _language(value: object) -> str | None:
    tag = str(value or "").strip().replace("_", "-").lower()
    return tag or None
