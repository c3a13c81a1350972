"""Tiny normalisers: one value in, one value (or ``None``) out.

Layout parsers compose these instead of carrying their own regexes, so that a
date or a temperature written the same way is read the same way by every
layout, and each rule can be tested on its own. Every ``parse_*`` function
matches the WHOLE line it is given: a line that merely contains a date is not
a date line, and that strictness is what lets parsers use these functions to
recognise page chrome without mistaking body text for it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache

__all__ = [
    "collapse_whitespace",
    "fahrenheit_to_celsius",
    "fold_case",
    "parse_byline",
    "parse_footer_time",
    "parse_page_date",
    "parse_temperature",
]


@lru_cache(maxsize=1024)
def collapse_whitespace(text: str) -> str:
    """Return ``text`` in NFC with runs of whitespace made one space, stripped.

    NFC first, so that a composed and a decomposed "é" compare equal and the
    same paragraph from two captures gets the same text (the cross-corpus
    boilerplate rule compares paragraph texts exactly). ``\\s`` covers
    no-break spaces and BOMs are removed too, because captures carry both.

    Cached (a page's worth of texts): every whole-line test below collapses the
    line it is given, so a layout that asks several of them about each paragraph,
    and the fingerprint after it, would otherwise collapse each paragraph about
    six times; a hit costs a dictionary lookup instead of a pass over the text.
    """
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if type(text) is str and _is_collapsed(text):  # a subclass is copied to a str below
        return text
    # str.split() splits on exactly the characters ``\s`` matches, several times faster.
    return " ".join(text.replace("\ufeff", "").split())


def _is_collapsed(text: str) -> bool:
    """Whether ``text`` has no whitespace but single spaces between words, and no BOM.

    Most lines and paragraphs already are, and this costs a fraction of splitting
    and joining them again. A printable text holds no whitespace other than the
    plain space, nor a BOM (both are non-printable), so only double, leading and
    trailing spaces are left to look for.
    """
    return text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "


def fold_case(text: str) -> str:
    """``text`` in lower case, as case-insensitive patterns see the letters clues use.

    For a quick test before a ``re.IGNORECASE`` search: a lower-case word that a
    pattern cannot match without is in ``fold_case`` of every text it matches. Lower
    case alone is not quite that: such a pattern's "i" also matches the dotted İ
    (which ``str.lower`` makes two characters) and the dotless ı, and its "s" the
    long ſ. (Its "k" matches the Kelvin sign, which lower case makes "k". A few
    Cyrillic letters have old forms of the same kind, so clues avoid в, о, с and т;
    tests/test_normalize.py checks every letter the clues use.)
    """
    return text.lower().replace("i\u0307", "i").replace("ı", "i").replace("ſ", "s")


def fahrenheit_to_celsius(fahrenheit: float) -> float:
    """Convert degrees Fahrenheit to degrees Celsius, unrounded.

    Rounding is left to the caller: converting twice (e.g. in a test) must not
    accumulate rounding error.
    """
    return (fahrenheit - 32.0) * 5.0 / 9.0


# "22.1 C", "22.1°C", "72 °F", "-3 C", "−3.5 ºc": the sign may be a Unicode
# minus and the degree sign is sometimes the ordinal indicator or ring above,
# because captures copy whatever glyph the site used.
_TEMPERATURE = re.compile(
    r"(?P<sign>[-+\u2212\u2013]?)\s*(?P<num>\d{1,3}(?:[.,]\d+)?)\s*[°º˚]?\s*(?P<unit>[CF])",
    re.IGNORECASE,
)


def parse_temperature(line: str) -> float | None:
    """Read a whole-line temperature as °C rounded to one decimal, else ``None``.

    A bare number or a degree sign without a unit is refused: the unit is what
    tells a temperature from any other short number line.
    """
    m = _TEMPERATURE.fullmatch(collapse_whitespace(line))
    if m is None:
        return None
    value = float(m["num"].replace(",", "."))
    if m["sign"] and m["sign"] != "+":
        value = -value
    if m["unit"].upper() == "F":
        value = fahrenheit_to_celsius(value)
    # round() of a negative zero would print as "-0.0"; adding 0.0 normalises it.
    return round(value, 1) + 0.0


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
# Month-first ("February 9, 2025") is what the aggregator writes; day-first
# ("9 February 2025") and ISO are accepted because the same date written
# another way is still the same page date.
_DATE_FORMS = (
    _WEEKDAY + _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR,
    _WEEKDAY + _DAY + r"\s+(?:of\s+)?" + _MONTH + r",?\s+" + _YEAR,
    r"(?P<year>\d{4})-(?P<mnum>\d{2})-(?P<day>\d{2})",
)
_DATES = [re.compile(form, re.IGNORECASE) for form in _DATE_FORMS]


def _match_date(text: str) -> tuple[date, int] | None:
    """Find a date at the start of ``text``: the date and where it ended."""
    for pattern in _DATES:
        m = pattern.match(text)
        if m is None:
            continue
        groups = m.groupdict()
        # IGNORECASE also lets non-ASCII letters match a month name ("ſeptember": the long
        # s matches s; "Aprıl": the dotless i matches i), and those spellings are not keys
        # of _MONTHS: such a line is not a date (it raised KeyError; tests/test_mangled.py).
        month = int(groups["mnum"]) if groups.get("mnum") else _MONTHS.get(groups["month"].lower())
        if month is None:
            return None
        try:
            return date(int(m["year"]), month, int(m["day"])), m.end()
        except ValueError:  # February 30 and the like: not a date
            return None
    return None


def parse_page_date(line: str) -> date | None:
    """Read a whole-line date ("Sunday, February 9, 2025", "9 Feb 2025"), else ``None``.

    The weekday is optional and not checked against the date: the page says
    what it says, and a wrong weekday should not cost the date.
    """
    text = collapse_whitespace(line)
    found = _match_date(text)
    if found is None or found[1] != len(text):
        return None
    return found[0]


_TIME = re.compile(
    r",?\s*(?:at\s+|-\s+|@\s*)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})"
    r"(?::(?P<second>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?",
    re.IGNORECASE,
)


def _ends_like_time(text: str) -> bool:
    """Whether a collapsed text ends as ``_TIME`` must: in a digit, or in the "m" of am/pm.

    Parsers ask ``parse_footer_time`` about every paragraph; this test lets the
    ones that end in a word or a full stop, nearly all of them, skip the date
    patterns. (A collapsed text has no trailing space for ``\\s*`` to take.)
    """
    return text[-1:].isdecimal() or text.endswith(("m", "M", "m.", "M."))


def parse_footer_time(line: str) -> datetime | None:
    """Read a whole-line date and time ("May 28, 2024 at 06:30AM"), else ``None``.

    The result is naive and kept as written: the page gives no zone, and
    guessing one would invent information.
    """
    text = collapse_whitespace(line)
    if not _ends_like_time(text):
        return None
    found = _match_date(text)
    if found is None:
        return None
    day, end = found
    m = _TIME.fullmatch(text, end)
    if m is None:
        return None
    hour, minute = int(m["hour"]), int(m["minute"])
    if m["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m["ampm"][0].lower() == "p" else 0)
    # The seconds are checked too: "06:30:60" raised ValueError (tests/test_mangled.py).
    second = int(m["second"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return datetime(day.year, day.month, day.day, hour, minute, second)


# "by DailyNK(North Korean Media)", "by BBC Sport (Sports)", "By Jane Doe".
# The name may not contain sentence punctuation, and is at most eight words,
# so that "By the end of the year, prices had..." is never a byline.
_BYLINE = re.compile(
    r"by:?\s+(?P<name>[^\s()\[\],;:!?]+(?:\s+[^\s()\[\],;:!?]+){0,7}?)"
    r"\s*(?:[(\[](?P<category>[^()\[\]]{1,80})[)\]])?",
    re.IGNORECASE,
)


def parse_byline(line: str) -> tuple[str, str | None] | None:
    """Read a whole-line byline as ``(name, category or None)``, else ``None``.

    Only the shape is checked here; whether a "by ..." line is really the
    page's byline depends on where it stands, which is the layout's call.
    """
    m = _BYLINE.fullmatch(collapse_whitespace(line))
    if m is None:
        return None
    name = m["name"].strip()
    if name.endswith("."):  # a sentence, not a name
        return None
    category = collapse_whitespace(m["category"]) if m["category"] else None
    return name, category or None
