"""Parsers for structured inputs: HTML pages, RSS/Atom feeds and JSON Lines.

The page-dump layouts (``ingest.parse.layouts``) read text that a crawler already
flattened; the modules here read the formats the crawler saw before that, with
the libraries made for each (trafilatura and htmldate for HTML, feedparser for
feeds, ``json`` for JSON Lines). Like the layouts they are pure functions from
text or bytes to ``ParsedArticle`` records: nothing here touches the database,
so the same bytes always give the same articles and ``reparse`` stays honest.

``ingest.parse.detect`` says which of them a document is. This package does
not import the parsers itself, so that importing one format (or the detector)
does not load the libraries of the others.

Each parser module has ``NAME`` (the ``articles.layout`` it records) and
``VERSION`` (its ``parser_version``), like the layouts.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

from ingest.normalize import MAX_DIGITS

__all__ = [
    "JSON_DECODER",
    "iso_time",
    "to_utc_naive",
    "valid_char_refs",
]


# int() refuses a string of more digits than this (sys.get_int_max_str_digits()'s default).
_INT_DIGITS = 4300


def _number(digits: str) -> int | float:
    """A JSON integer as json reads it, or a float (inf past 1e308) when it is too long for
    int(): such a number is never an article's field, but it must not cost the record."""
    return int(digits) if len(digits) <= _INT_DIGITS else float(digits)


#: json's decoder, but for numbers of more than 4,300 digits (int() refuses them, and
#: json.loads raised ValueError): what reads any line of JSON without raising but
#: JSONDecodeError and RecursionError.
JSON_DECODER = json.JSONDecoder(parse_int=_number)


def to_utc_naive(moment: datetime) -> datetime | None:
    """``moment`` as a naive datetime: converted to UTC when it carries a zone, else as written.

    The store's ``published_at`` is a naive column. When a source states its
    offset (a feed's ``+0200``, an ISO ``Z``) the time is converted to UTC so
    times from different zones sort correctly; when it gives none, none is
    invented and the wall-clock time is kept as written (as the page-dump
    layouts do).

    ``None`` when the time in UTC is outside the years 1..9999 that a datetime holds
    (``9999-12-31T23:00:00-05:00``, ``0001-01-01T00:00:00+05:00``): every format's
    rule is that a time that cannot be stored is absent, never an error.
    """
    offset = moment.utcoffset()
    naive = moment.replace(tzinfo=None)
    if offset is None:
        return naive
    try:
        return naive - offset
    except OverflowError:
        return None


# An ISO 8601 time as feeds, JSON exports and pages write it, leniently: what
# datetime.fromisoformat refuses but is plainly meant as one ("2024-06" alone, a space
# before the zone, nine digits of fractions, "+5" as an offset), and what has the shape
# but names no moment (year 0 or 10000, month 13, 99:99). The numbers are read as
# written; their ranges are checked afterwards. Every part is introduced by a different
# character, so matching is linear in the length of the text.
_ISO_TIME = re.compile(
    r"(?P<year>[+-]?\d+)-(?P<month>\d+)(?:-(?P<day>\d+))?"
    r"(?:(?:T|\s+)(?P<hour>\d+)(?::(?P<minute>\d+)(?::(?P<second>\d+)(?:[.,](?P<fraction>\d+))?)?)?)?"
    r"\s*(?P<zone>Z|UTC|GMT|[+-]\d+(?::\d+)?)?",
    re.IGNORECASE | re.ASCII,
)


def iso_time(text: str) -> datetime | None:
    """An ISO 8601 time as a naive datetime (UTC when it states a zone; see ``to_utc_naive``).

    Raises ``ValueError`` when ``text`` is not written as an ISO 8601 time at all
    ("yesterday", "June 3"). Returns ``None`` when it is, but names no moment a
    datetime can hold: a year outside 1..9999 (ISO 8601 writes year 0 and years past
    9999 too), a field out of range (month 13, the 30th of February, 24:00 and
    beyond, an offset of a day), or a UTC time past either end of that range.
    """
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        return to_utc_naive(moment)
    m = _ISO_TIME.fullmatch(text)
    if m is None:
        raise ValueError(f"not an ISO 8601 time: {text[:40]!r}")
    year, month, day = _field(m["year"], 1), _field(m["month"], 1), _field(m["day"], 1)
    hour, minute, second = _field(m["hour"], 0), _field(m["minute"], 0), _field(m["second"], 0)
    fraction = (m["fraction"] or "")[:6].ljust(6, "0")
    if year is None or month is None or day is None or hour is None or minute is None:
        return None
    if second is None:
        return None
    try:
        zone = _zone(m["zone"])
        moment = datetime(year, month, day, hour, minute, second, int(fraction), tzinfo=zone)
    except ValueError:
        return None
    return to_utc_naive(moment)


def _field(digits: str | None, first: int) -> int | None:
    """A field's number (``first``, the field's first value, when it is not written), or
    None for a number of more digits than ``MAX_DIGITS``, out of any field's range."""
    if digits is None:
        return first
    digits = digits.lstrip("+")
    return int(digits) if len(digits.lstrip("-")) <= MAX_DIGITS else None


def _zone(zone: str | None) -> timezone | None:
    """A written zone as a fixed offset from UTC, or None when none is written (the time
    is kept as written). ``ValueError`` when it is no offset: a day or more (which
    ``timezone`` refuses), minutes past 59, digits that make no HHMM."""
    if zone is None:
        return None
    if zone.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    if ":" in zone[1:]:
        hours, _, minutes = zone[1:].partition(":")
    elif len(digits) <= 2:
        hours, minutes = digits, "0"
    else:
        hours, minutes = digits[:-2], digits[-2:]
    if not (1 <= len(hours) <= 2 and 1 <= len(minutes) <= 2) or int(minutes) > 59:
        raise ValueError(f"not an offset from UTC: {zone[:20]!r}")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


# A numeric character reference, "&#1;" or "&#x1b;" (the ";" may be missing in HTML).
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")


def _reference_instead(digits: str, base: int) -> str | None:
    """What a character reference to a character XML cannot hold is read as: nothing for a
    control character (a space for one that is whitespace to str.split), U+FFFD for a
    surrogate, U+FFFE, U+FFFF or a number past U+10FFFF; None for a reference to keep."""
    if len(digits.lstrip("0")) > 8:
        return "&#xFFFD;"
    code = int(digits, base)
    if code < 0x20 and code not in (0x09, 0x0A, 0x0D):
        return "&#32;" if chr(code).isspace() else ""
    if 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF) or code > 0x10FFFF:
        return "&#xFFFD;"
    return None


def valid_char_refs(markup: str) -> str:
    """``markup`` with every character reference to a character XML cannot hold replaced.

    lxml, which trafilatura and feedparser's HTML cleaning use, refuses such a
    character in an element's text, and trafilatura then drops the whole page
    ("&#1;" in one paragraph lost the article); feedparser's lenient parser calls
    ``chr()`` on the number and raised on a surrogate or a number past U+10FFFF.
    Markup without references comes back as it is.
    """
    if "&#" not in markup:
        return markup

    def instead(m: re.Match[str]) -> str:
        digits, base = (m[1], 16) if m[1] is not None else (m[2], 10)
        found = _reference_instead(digits, base)
        return m[0] if found is None else found

    return _CHAR_REF.sub(instead, markup)
