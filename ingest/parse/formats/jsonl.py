"""JSON Lines: one article per line, as a JSON object, read with the standard ``json`` module.

A line reads::

    {"title": "...", "text": "First paragraph.\\n\\nSecond paragraph.",
     "published_at": "2024-06-03T10:00:00+02:00", "source": "...", "url": "..."}

``title`` and ``text`` are required strings; ``text`` holds the paragraphs
separated by blank lines. ``published_at`` (ISO 8601; a time with an offset is
converted to UTC and stored naive, one without is kept as written),
``source``, ``url`` and ``language`` are optional strings (``null`` counts as
absent; a language is written as feeds and pages give it, ``en_US`` as ``en-us``);
other keys are ignored, so exports with extra fields still load.

Hostile records: a number of any size (``int`` refuses more than 4,300 digits),
``1e400``, ``NaN`` and ``Infinity`` are read without error (numbers are never
stored: in ``title`` they are the usual "must be a string"); nesting too deep for
the parser is a bad line; an ISO 8601 ``published_at`` that names no storable
moment (year 0 or 10000, month 13, 9999-12-31 late in a zone west of UTC) leaves
the time absent and keeps the article; every text is made storable (lone
surrogates from ``"\ud800"`` escapes become U+FFFD, NUL and other control
characters are dropped) and fitted to the store (``storable_article``).

A file is a batch of independent records, so one bad line must not cost the
others: every line gives either its article or a ``ParseError`` that names
the line ("line 7: missing 'text'"), and the caller decides what to do with
each. Blank lines are skipped (but still counted, so line numbers are those
an editor shows).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from ingest.errors import ParseError
from ingest.normalize import collapse_whitespace, language_tag, optional_text, storable_article
from ingest.parse.formats import JSON_DECODER, iso_time
from ingest.records import ParsedArticle, ParsedParagraph

NAME = "jsonl"
VERSION = "1"

__all__ = ["NAME", "VERSION", "parse_jsonl", "parse_record"]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
_OPTIONAL_STRINGS = ("source", "url", "language")


def parse_jsonl(text: str) -> list[tuple[int, ParsedArticle | ParseError]]:
    """Each non-blank line's 1-based number and its article, or the error that line has.

    Lines are split on ``\\n`` only (a ``\\r`` before it is dropped): JSON
    strings may hold U+2028 and other characters that ``str.splitlines``
    would wrongly treat as line ends.
    """
    results: list[tuple[int, ParsedArticle | ParseError]] = []
    for number, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            results.append((number, parse_record(line)))
        except ParseError as error:
            results.append((number, ParseError(f"line {number}: {error.detail}")))
    return results


def parse_record(line: str) -> ParsedArticle:
    """One JSON Lines record as an article; ``ParseError`` says what is wrong with it."""
    try:
        record: Any = JSON_DECODER.decode(line)
    except json.JSONDecodeError as error:
        raise ParseError(f"invalid JSON ({error.msg} at column {error.colno})") from None
    except RecursionError:
        raise ParseError("invalid JSON (nested too deeply)") from None
    if not isinstance(record, dict):
        raise ParseError(f"not a JSON object but {_json_type(record)}")
    title = collapse_whitespace(_required_string(record, "title"))
    if not title:
        raise ParseError("empty 'title'")
    paragraphs = tuple(
        ParsedParagraph(text=text)
        for part in _PARAGRAPH_BREAK.split(_required_string(record, "text"))
        if (text := collapse_whitespace(part))
    )
    if not paragraphs:
        raise ParseError("empty 'text'")
    source, url, language = (_optional_string(record, key) for key in _OPTIONAL_STRINGS)
    return storable_article(
        ParsedArticle(
            title=title,
            paragraphs=paragraphs,
            layout=NAME,
            parser_version=VERSION,
            source_name=source,
            published_at=_published(record),
            url=url,
            language=language_tag(language),
        )
    )


def _required_string(record: dict[str, Any], key: str) -> str:
    if key not in record or record[key] is None:
        raise ParseError(f"missing {key!r}")
    value = record[key]
    if not isinstance(value, str):
        raise ParseError(f"{key!r} must be a string, not {_json_type(value)}")
    return value


def _optional_string(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise ParseError(f"{key!r} must be a string, not {_json_type(value)}")
    return optional_text(value)


def _published(record: dict[str, Any]) -> datetime | None:
    value = _optional_string(record, "published_at")
    if value is None:
        return None
    try:
        return iso_time(value)
    except ValueError:
        raise ParseError(f"'published_at' is not an ISO 8601 time: {_excerpt(value)}") from None


def _excerpt(value: str, chars: int = 60) -> str:
    """``value`` quoted for an error message, cut when long: the message is stored."""
    if len(value) <= chars:
        return repr(value)
    return f"{value[:chars]!r}... ({len(value):,} characters)"


def _json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages a JSON author understands."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a string"
