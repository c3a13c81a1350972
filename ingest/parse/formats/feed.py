"""RSS and Atom feeds: one article per item/entry, read with feedparser.

feedparser reads every feed dialect (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, the
common extensions such as ``content:encoded``), copes with broken XML (it sets
``bozo`` and carries on) and sanitises the HTML inside. Each entry gives:

- ``title``: the entry's title as text (HTML titles are flattened);
- paragraphs: the full content (``content:encoded``, Atom ``content``) when
  the entry has one, else its summary/description; HTML is split into one
  paragraph per block element by ``ingest.parse.formats.html.html_fragment_paragraphs``
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

Hostile feeds: a time that names no storable moment (year 0 or 10000, the 99th,
99:99, 9999-12-31 late in a zone west of UTC, an offset of a day) is absent, and
the entry's next time (updated, created) is tried; feedparser's fallback, which
rolls numbers out of range over into the next field ("2004-13-45" becomes a day
in 2005), is only asked about forms the standard library does not know, and only
believed when the year it finds is written in the date. Character references
that name no character (``&#xD800;``, ``&#x110000;``, 20 digits), which made
feedparser's lenient parser raise, are read as U+FFFD, and references to control
characters as nothing (``ingest.parse.formats.valid_char_refs``); entity declarations are
never expanded (a "billion laughs" feed keeps its ``&lol9;`` as text). Values that
are not strings where text belongs are absent, every text is made storable and
the article fitted to the store (``ingest.normalize.storable_article``); any other
failure of feedparser is a ``ParseError`` with its reason.

An entry without a title or without any text is not an article and is left
out; a feed with no entries, or none that is an article, is a ``ParseError``.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_tz
from typing import Any

import feedparser

from ingest.errors import ParseError, exception_line, exception_message
from ingest.normalize import collapse_whitespace, language_tag, optional_text, storable_article
from ingest.parse.decode import unicode_bom
from ingest.parse.formats import iso_time, to_utc_naive, valid_char_refs
from ingest.parse.formats.markup import html_fragment_paragraphs
from ingest.records import ParsedArticle, ParsedParagraph

NAME = "feed"
VERSION = "1"

__all__ = ["NAME", "VERSION", "parse_feed"]

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def parse_feed(data: bytes) -> list[ParsedArticle]:
    """The articles of an RSS/Atom feed, in feed order, each with its guid, author and URL.

    ``data`` is the feed's raw bytes: feedparser finds the encoding from the
    XML declaration or a BOM. It is handed over as a stream, never as a string,
    because feedparser treats a string as a URL to fetch or a file to open.
    """
    try:
        parsed = feedparser.parse(io.BytesIO(_valid_char_refs(data)))
    except Exception as error:  # a third-party parser on hostile bytes: a rejection, typed
        raise ParseError(f"unreadable feed ({exception_line(error, chars=200)})") from None
    entries: list[Any] = list(parsed.entries)
    if not entries:
        problem = ""
        if parsed.get("bozo"):
            problem = f" ({exception_message(parsed.bozo_exception, chars=200)})"
        raise ParseError(f"no feed entries found{problem}")
    feed: Mapping[str, Any] = parsed.feed
    source = _text(feed.get("title_detail"), feed.get("title")) or None
    language = language_tag(feed.get("language"))
    articles = [
        article for entry in entries if (article := _entry(entry, source, language)) is not None
    ]
    if not articles:
        raise ParseError(f"none of the feed's {len(entries)} entries has a title and text")
    return articles


def _entry(entry: Any, source: str | None, feed_language: str | None) -> ParsedArticle | None:
    """One entry as an article, or None when it has no title or no text."""
    title = _text(entry.get("title_detail"), entry.get("title"))
    body, detail, reason = _body(entry)
    if not title or not body:
        return None
    language = language_tag(detail.get("language"))
    return storable_article(
        ParsedArticle(
            title=title,
            paragraphs=tuple(ParsedParagraph(text=text, reason=reason) for text in body),
            layout=NAME,
            parser_version=VERSION,
            source_name=source,
            published_at=_published(entry),
            url=optional_text(entry.get("link")),
            language=language or feed_language,
            guid=optional_text(entry.get("id")),
            author=optional_text(entry.get("author")),
        )
    )


def _body(entry: Any) -> tuple[tuple[str, ...], Mapping[str, Any], str]:
    """The entry's paragraphs from its fullest text (its content, else its summary),
    the feedparser detail they came from, and the reason recorded on each paragraph."""
    contents = entry.get("content")
    candidates: list[tuple[Mapping[str, Any], str]] = [
        (detail, "feed entry content")
        for detail in (contents if isinstance(contents, list) else [])
        if isinstance(detail, Mapping)
    ]
    if isinstance(entry.get("summary_detail"), Mapping):
        candidates.append((entry["summary_detail"], "feed entry summary"))
    for detail, reason in candidates:
        paragraphs = _paragraphs(detail.get("type"), detail.get("value"))
        if paragraphs:
            return paragraphs, detail, reason
    return (), {}, ""


def _paragraphs(kind: str | None, value: object) -> tuple[str, ...]:
    if not value or not isinstance(value, str):
        return ()
    if kind in _HTML_TYPES or kind is None:
        return html_fragment_paragraphs(value)
    # text/plain: already text, and "<" in it is a character, not markup.
    return tuple(
        text
        for part in value.replace("\r\n", "\n").split("\n\n")
        if (text := collapse_whitespace(part))
    )


def _text(detail: object, value: object) -> str:
    """A title as one line of text, whether the feed gave it as text or as HTML."""
    if not value or not isinstance(value, str):
        return ""
    kind = detail.get("type") if isinstance(detail, Mapping) else None
    if kind in _HTML_TYPES:
        return " ".join(html_fragment_paragraphs(value))
    return collapse_whitespace(value)


def _published(entry: Any) -> datetime | None:
    """The entry's publication time, else its update time (see the module docstring).

    Read with ``dict.get``: feedparser's own ``get("updated")`` quietly answers
    with the published time (a deprecated alias) when there is no update time.
    A time that names no storable moment is absent, and the next one is tried.
    """
    for key in ("published", "updated", "created"):
        raw = dict.get(entry, key)
        if not raw or not isinstance(raw, str):
            continue
        known, moment = _read_time(raw)
        if not known:
            moment = _lenient_time(raw, dict.get(entry, f"{key}_parsed"))
        if moment is not None:
            return moment
    return None


def _read_time(raw: str) -> tuple[bool, datetime | None]:
    """An RFC 822 or ISO 8601 time: whether ``raw`` is written as one, and the time as a naive
    datetime (UTC when it has a zone), None when it names no storable moment."""
    text = raw.strip()
    try:
        parts = parsedate_tz(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        parts = None
    if parts is not None:
        return True, _rfc822_time(text, parts)
    try:
        return True, iso_time(text)
    except ValueError:
        return False, None


def _rfc822_time(text: str, parts: Any) -> datetime | None:
    year, month, day, hour, minute, second = (int(v) for v in parts[:6])
    zone: int | None = parts[9]  # None: no zone, or "-0000" (RFC 5322: unknown): as written
    try:
        offset = None if zone is None else timezone(timedelta(seconds=zone))  # under a day
        year = _written_year(text, year)
        moment = datetime(year, month, day, hour, minute, second, tzinfo=offset)
    except (ValueError, OverflowError):
        return None
    return to_utc_naive(moment)


_DIGITS = re.compile(r"\d+")


def _written_year(text: str, year: int) -> int:
    """The year as written: ``email.utils`` reads every year below 100 as 1969-2068, which
    is right for "24" (RFC 5322's obsolete two-digit years) but not for "0000" or "0024",
    four digits that say year 0 (no year: the time is absent) or year 24."""
    if not 1969 <= year <= 2068:
        return year
    runs = _DIGITS.findall(text)
    if str(year) in runs:
        return year
    for run in runs:
        if 3 <= len(run) <= 9 and int(run) == year % 100:
            return int(run)
    return year


def _lenient_time(raw: str, parsed: Any) -> datetime | None:
    """feedparser's reading of a date in a form the standard library does not know (a day
    without a time, other languages' month names; its struct_time is UTC), when it is a
    datetime and the date it names is written in ``raw``.

    feedparser rolls fields out of range over into the next ("2004-13-45" is a day in
    2005, "99999-01-01" one in 9999) and reads some forms wrongly ("2004/01/02" as
    December 1): its year and day must be numbers of the date, and its month one too,
    or a month's name.
    """
    if not parsed:
        return None
    try:
        year, month, day, hour, minute, second = (int(v) for v in parsed[:6])
        moment = datetime(year, month, day, hour, minute, second)
    except (TypeError, ValueError, OverflowError):
        return None
    runs = _DIGITS.findall(raw)
    small = {int(run) for run in runs if len(run) <= 2}
    year_written = str(year) in runs or f"{year % 100:02d}" in runs
    month_written = month in small or _MONTH_NAME.search(raw) is not None or not raw.isascii()
    return moment if year_written and day in small and month_written else None


# An English month's name or abbreviation; feedparser's other languages are not ASCII.
_MONTH_NAME = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.IGNORECASE)


def _valid_char_refs(data: bytes) -> bytes:
    """``data`` with every character reference to a character XML cannot hold replaced
    (``ingest.parse.formats.valid_char_refs``).

    A reference, and what replaces it, is ASCII: read as Latin-1 (one character a
    byte), the bytes hold it as they do in any encoding that writes ASCII as ASCII.
    UTF-16 and UTF-32 do not: such a feed (it has a BOM to be a feed at all;
    ``parse_document`` hands it over as UTF-8, another caller may not) with
    references is read through UTF-8.
    """
    wide = unicode_bom(data)
    if wide in ("utf-16", "utf-32"):
        text = data.decode(wide, errors="replace")
        if "&#" not in text:
            return data
        return codecs.BOM_UTF8 + valid_char_refs(text).encode("utf-8", errors="replace")
    if b"&#" not in data:
        return data
    return valid_char_refs(data.decode("latin-1")).encode("latin-1")
