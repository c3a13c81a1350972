"""Tiny normalisers: one value in, one value (or ``None``) out.

Layout parsers compose these instead of carrying their own regexes, so that a
date or a temperature written the same way is read the same way by every
layout, and each rule can be tested on its own. Every ``parse_*`` function
matches the WHOLE line it is given: a line that merely contains a date is not
a date line, and that strictness is what lets parsers use these functions to
recognise page chrome without mistaking body text for it.

Shape and value are two questions. ``read_*`` says whether a line has the shape
of a temperature, a date or a time (``None`` when it has not) and gives its
value, which is ``None`` when the numbers are out of range: a year outside
1..9999, the 99th of a month, ``99:99``, a temperature of 5,000 digits or beyond
±150 °C. A page whose top bar or footer holds such a line is still read as that
layout, the line is still chrome, and only that field is left empty.
``parse_*`` gives the value alone.

Storable text: every text a parser emits goes through ``collapse_whitespace``
(the layouts, JSON Lines, feeds and HTML alike) or ``storable``, which replace
lone surrogates with U+FFFD and drop C0 control characters (NUL, ESC, DEL; C1 is
kept), and ``storable_article``
fits a whole article to the store's columns. Nothing a parser returns can be
refused by SQLite or PostgreSQL.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any, TypeAlias, TypeVar

from ingest.records import ParsedArticle, ParsedParagraph

__all__ = [
    "MAX_CELSIUS",
    "MAX_DIGITS",
    "Reading",
    "collapse_whitespace",
    "fahrenheit_to_celsius",
    "fold_case",
    "language_tag",
    "optional_text",
    "parse_byline",
    "parse_footer_time",
    "parse_page_date",
    "parse_temperature",
    "read_footer_time",
    "read_page_date",
    "read_temperature",
    "storable",
    "storable_article",
]

T = TypeVar("T")


#: What ``read_*`` make of a line of the shape they read: the 1-tuple of its value, which
#: is None when the value is out of range; a line of another shape gives None instead.
#: A tuple literal, because lines are read by the hundred on every page and a class's
#: instance (a named tuple, a frozen dataclass) costs ten times as much to make.
Reading: TypeAlias = tuple[T | None]


# What no text column should hold: control characters other than whitespace (C0 and DEL:
# PostgreSQL refuses NUL in text, and the others are terminal control codes, never text),
# and surrogates, which UTF-8 cannot encode (a JSON "\ud800" escape gives one).
# \t \n \v \f \r and \x1c-\x1f are whitespace to str.split: collapsed, not dropped.
# C1 controls (U+0080-U+009F) are kept: both engines store them, and real text holds them
# as cp1252 punctuation decoded as Latin-1 ("\x97" for a dash between two words), which
# dropping would glue together (it cost places in 26 of the 588 LGL articles).
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x7f]")
_CONTROL_BYTES = bytes(range(0x00, 0x09)) + bytes(range(0x0E, 0x1C)) + b"\x7f"
_SURROGATES = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` as every database can store it: surrogates and control characters fixed.

    A surrogate pair is joined into the character it encodes and a lone surrogate
    becomes U+FFFD; control characters that are not whitespace (NUL, ESC, DEL: C0) are
    dropped. Text without them, nearly all text, comes back as it is.
    """
    # The test for them, on every page: a strict encoding refuses a surrogate, and a C0
    # control is one byte of UTF-8 that no other character's bytes contain. Three times
    # faster than a regular expression's search for the same characters (3.5 against 16
    # microseconds for a page of 2,500 characters), which passes over them one at a time.
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        if len(data.translate(None, _CONTROL_BYTES)) == len(data):
            return text
    if _SURROGATES.search(text) is not None:
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _CONTROLS.sub("", text)


# A headline made of a text's first words (a page that names none) has at most this many.
HEADLINE_CHARS = 100


def opening_words(text: str, chars: int = HEADLINE_CHARS) -> str:
    """The start of a text as the headline of a page that names none.

    Whole words, ``chars`` characters at most, cut at a space and marked with
    an ellipsis when cut; the text itself stays in the body.
    """
    if len(text) <= chars:
        return text
    cut = text[: chars - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


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
    # Made storable here, so that every field that is collapsed is storable too. Dropping a
    # control character can bring a letter and its combining mark together: NFC again then.
    clean = storable(text)
    if clean is not text:
        clean = unicodedata.normalize("NFC", clean)
    # str.split() splits on exactly the characters ``\s`` matches, several times faster.
    return " ".join(clean.replace("\ufeff", "").split())


def _is_collapsed(text: str) -> bool:
    """Whether ``text`` has no whitespace but single spaces between words, and no BOM.

    Most lines and paragraphs already are, and this costs a fraction of splitting
    and joining them again. A printable text holds no whitespace other than the
    plain space, nor a BOM (both are non-printable), so only double, leading and
    trailing spaces are left to look for. Nor does it hold control characters or
    surrogates (not printable either), so a collapsed text is storable as it is.
    """
    return text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "


def optional_text(value: object) -> str | None:
    """A metadata field (a URL, a guid, an author...) as one line of text, or None when it
    is empty or not text at all: what a feed or page gives is not always a string."""
    return (collapse_whitespace(value) or None) if isinstance(value, str) else None


def language_tag(value: object) -> str | None:
    """A declared language as a tag in one form, ``en_US`` and ``EN-us`` alike ``en-us``;
    None when it is empty or not text."""
    tag = optional_text(value)
    return tag.replace("_", "-").lower() if tag is not None else None


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
# because captures copy whatever glyph the site used. Any number of digits has the
# shape (the value decides whether it is a temperature: see ``read_temperature``).
_TEMPERATURE = re.compile(
    r"(?P<sign>[-+\u2212\u2013]?)\s*(?P<num>\d+(?:[.,]\d+)?)\s*[°º˚]?\s*(?P<unit>[CF])",
    re.IGNORECASE,
)
#: The most a page's temperature can be, either side of zero, in °C: beyond it the
#: number is not a weather reading (the records on Earth are -89 °C and +57 °C; the
#: margin is wide, tests/test_mangled.py reads top bars of up to 115 °C).
MAX_CELSIUS = 150.0
#: Digits a number may have before it is out of range whatever it says: int() refuses
#: more than 4,300 of them, and no date, time or temperature field has more than 4.
MAX_DIGITS = 9


def read_temperature(line: str) -> Reading[float] | None:
    """A whole-line temperature: ``None`` for any other line; its value in °C (one decimal),
    or no value when it is beyond ``MAX_CELSIUS`` either way (5,000 digits make inf): the
    rule ``storable_article`` applies to every article's temperature (``_temperature``)."""
    m = _TEMPERATURE.fullmatch(collapse_whitespace(line))
    if m is None:
        return None
    value = float(m["num"].replace(",", "."))  # float(), unlike int(), takes any length
    if m["sign"] and m["sign"] != "+":
        value = -value
    if m["unit"].upper() == "F":
        value = fahrenheit_to_celsius(value)
    # round() of a negative zero would print as "-0.0"; adding 0.0 normalises it.
    celsius = round(value, 1) + 0.0
    return (_temperature(celsius),)


def parse_temperature(line: str) -> float | None:
    """Read a whole-line temperature as °C rounded to one decimal, else ``None``.

    A bare number or a degree sign without a unit is refused: the unit is what
    tells a temperature from any other short number line. A temperature beyond
    ``MAX_CELSIUS`` is no reading either (``read_temperature`` tells the two apart).
    """
    reading = read_temperature(line)
    return reading[0] if reading is not None else None


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
# The day is any number and the year any number of four digits or more: "February 99,
# 2025" and "May 28, 99999" have a date's shape and name no day (the value is None).
_DAY = r"(?P<day>\d+)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4,})"
# Month-first ("February 9, 2025") is what the aggregator writes; day-first
# ("9 February 2025") and ISO are accepted because the same date written
# another way is still the same page date.
_DATE_FORMS = (
    _WEEKDAY + _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR,
    _WEEKDAY + _DAY + r"\s+(?:of\s+)?" + _MONTH + r",?\s+" + _YEAR,
    r"(?P<year>\d{4,})-(?P<mnum>\d{2})-(?P<day>\d{2})",
)
_DATES = [re.compile(form, re.IGNORECASE) for form in _DATE_FORMS]


def _match_date(text: str) -> tuple[date | None, int] | None:
    """Find a date's shape at the start of ``text``: the date (None if it names no day) and
    where it ended."""
    for pattern in _DATES:
        m = pattern.match(text)
        if m is None:
            continue
        groups = m.groupdict()
        # IGNORECASE also lets non-ASCII letters match a month name ("ſeptember": the long
        # s matches s; "Aprıl": the dotless i matches i), and those spellings are not keys
        # of _MONTHS: such a line is not a date (it raised KeyError; tests/test_mangled.py).
        mnum = groups.get("mnum")
        month = int(mnum) if mnum else _MONTHS.get(groups["month"].lower())  # 2 digits
        if month is None:
            return None
        year, day = m["year"], m["day"]
        try:
            # year 0 or 99999, the 30th of February, the 99th: a date's shape, but no date;
            # no int() of a number longer than any field's (MAX_DIGITS).
            if len(year) > MAX_DIGITS or len(day) > MAX_DIGITS:
                raise ValueError("out of range")
            found: date | None = date(int(year), month, int(day))
        except ValueError:
            found = None
        return found, m.end()
    return None


def read_page_date(line: str) -> Reading[date] | None:
    """A whole-line date: ``None`` for any other line; no value when it names no day."""
    text = collapse_whitespace(line)
    found = _match_date(text)
    if found is None or found[1] != len(text):
        return None
    return (found[0],)


def parse_page_date(line: str) -> date | None:
    """Read a whole-line date ("Sunday, February 9, 2025", "9 Feb 2025"), else ``None``.

    The weekday is optional and not checked against the date: the page says
    what it says, and a wrong weekday should not cost the date.
    """
    reading = read_page_date(line)
    return reading[0] if reading is not None else None


# Hours of any number of digits and minutes and seconds of two or more have the shape of
# a time ("99:99", "999:9999"); the value decides whether they are one.
_TIME = re.compile(
    r",?\s*(?:at\s+|-\s+|@\s*)?(?P<hour>\d+)[:.](?P<minute>\d{2,})"
    r"(?::(?P<second>\d{2,}))?\s*(?P<ampm>[ap]\.?m\.?)?",
    re.IGNORECASE,
)


def _ends_like_time(text: str) -> bool:
    """Whether a collapsed text ends as ``_TIME`` must: in a digit, or in the "m" of am/pm.

    Parsers ask ``parse_footer_time`` about every paragraph; this test lets the
    ones that end in a word or a full stop, nearly all of them, skip the date
    patterns. (A collapsed text has no trailing space for ``\\s*`` to take.)
    """
    return text[-1:].isdecimal() or text.endswith(("m", "M", "m.", "M."))


def read_footer_time(line: str) -> Reading[datetime] | None:
    """A whole-line date and time: ``None`` for any other line; no value when the date
    names no day or the time is out of range ("99:99", "13:00 PM", "06:30:60")."""
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
    return (_moment(day, m),)


def _moment(day: date | None, m: re.Match[str]) -> datetime | None:
    hour_text, minute_text, second_text, ampm = m.group("hour", "minute", "second", "ampm")
    second_text = second_text or "0"
    if day is None or max(len(hour_text), len(minute_text), len(second_text)) > MAX_DIGITS:
        return None
    hour, minute, second = int(hour_text), int(minute_text), int(second_text)
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm[0].lower() == "p" else 0)
    # The seconds are checked too: "06:30:60" raised ValueError (tests/test_mangled.py).
    if hour > 23 or minute > 59 or second > 59:
        return None
    return datetime(day.year, day.month, day.day, hour, minute, second)


def parse_footer_time(line: str) -> datetime | None:
    """Read a whole-line date and time ("May 28, 2024 at 06:30AM"), else ``None``.

    The result is naive and kept as written: the page gives no zone, and
    guessing one would invent information.
    """
    reading = read_footer_time(line)
    return reading[0] if reading is not None else None


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


# --- storable articles ------------------------------------------------------------

# The store's column sizes (db/models.py; tests/test_normalize.py checks that they agree).
# PostgreSQL enforces them, so a longer value would cost the whole document there.
NAME_CHARS = 200  # sources.name and .category, locations.name (the page's city)
AUTHOR_CHARS = 300  # articles.author
LANGUAGE_CHARS = 35  # articles.language (a BCP 47 tag needs at most 35)
TRANSLATION_CHARS = 64  # article_translations.language
# A url or guid is indexed, and PostgreSQL's b-tree takes at most 2,704 bytes a row.
# (Browsers give up on URLs at about 2,000 characters: a longer one is no address.)
KEY_BYTES = 2000
# PostgreSQL indexes every paragraph and title as a tsvector, which must stay under 1 MB;
# 100,000 characters make at most about 600 KB of one, however the words are made up.
TEXT_CHARS = 100_000


def storable_article(article: ParsedArticle, source_chars: int | None = None) -> ParsedArticle:
    """``article`` fitted to the store's columns, on SQLite and PostgreSQL alike.

    Every parser's last step (the layouts, JSON Lines, feeds, HTML). Texts are already
    storable characters (``collapse_whitespace``); here their lengths are fitted:

    - a paragraph longer than ``TEXT_CHARS`` is cut, between words, into paragraphs of
      the same kind: every word is kept; a title is cut to that length;
    - a name, author, language, url or guid too long for its column is left out: cut,
      it would be another value (a cut URL leads elsewhere, a cut guid is another item),
      and no real one is that long;
    - a temperature that is not a finite number within ``MAX_CELSIUS`` is left out.

    The common article, which fits, is returned as it is: every fitted value is then the
    article's own. ``source_chars``, the length of the text the article was read from,
    spares measuring its texts when none can be longer than ``TEXT_CHARS`` (a page dump
    of 3,000 characters).
    """
    short_source = source_chars is not None and source_chars <= TEXT_CHARS
    fitted: dict[str, Any] = {
        "title": article.title if short_source else _text(article.title),
        "paragraphs": article.paragraphs if short_source else _paragraphs(article.paragraphs),
        "source_name": _at_most(article.source_name, NAME_CHARS),
        "source_category": _at_most(article.source_category, NAME_CHARS),
        "page_location": _at_most(article.page_location, NAME_CHARS),
        "page_temperature_c": _temperature(article.page_temperature_c),
        "translations": _translations(article.translations),
        "url": _key(article.url),
        "language": _at_most(article.language, LANGUAGE_CHARS),
        "guid": _key(article.guid),
        "author": _at_most(article.author, AUTHOR_CHARS),
    }
    if all(value is getattr(article, name) for name, value in fitted.items()):
        return article
    return replace(article, **fitted)


_TEXT = attrgetter("text")


def _text(text: str) -> str:
    """A title cut to ``TEXT_CHARS``, between words."""
    return text if len(text) <= TEXT_CHARS else next(iter(_pieces(text)), "")


def _paragraphs(paragraphs: tuple[ParsedParagraph, ...]) -> tuple[ParsedParagraph, ...]:
    """``paragraphs`` with each one longer than ``TEXT_CHARS`` cut into paragraphs of its
    kind, between words; the same tuple when none is."""
    if max(map(len, map(_TEXT, paragraphs)), default=0) <= TEXT_CHARS:
        return paragraphs
    return tuple(
        ParsedParagraph(piece, p.kind, p.reason) if piece is not p.text else p
        for p in paragraphs
        for piece in _pieces(p.text)
    )


def _at_most(value: str | None, chars: int) -> str | None:
    return value if value is None or len(value) <= chars else None


def _key(value: str | None) -> str | None:
    """A url or guid that fits its index (4 bytes a character at most: most need no encoding)."""
    if value is None or 4 * len(value) <= KEY_BYTES:
        return value
    return value if len(value.encode("utf-8")) <= KEY_BYTES else None


def _temperature(value: float | None) -> float | None:
    """A temperature in °C, None when it is no finite number within ``MAX_CELSIUS``."""
    if value is None or (math.isfinite(value) and abs(value) <= MAX_CELSIUS):
        return value
    return None


def _translations(languages: tuple[str, ...]) -> tuple[str, ...]:
    """The translation languages that fit their column; the same tuple when all do."""
    if max(map(len, languages), default=0) <= TRANSLATION_CHARS:
        return languages
    return tuple(t for t in languages if len(t) <= TRANSLATION_CHARS)


def _pieces(text: str) -> list[str]:
    """``text`` in pieces of at most ``TEXT_CHARS`` characters, cut at the last space
    before the limit (or at the limit, in a text without one)."""
    if len(text) <= TEXT_CHARS:
        return [text]
    pieces = []
    start = 0
    while len(text) - start > TEXT_CHARS:
        cut = text.rfind(" ", start, start + TEXT_CHARS + 1)
        if cut <= start:
            cut = start + TEXT_CHARS
        pieces.append(text[start:cut].strip())
        start = cut
    pieces.append(text[start:].strip())
    return [piece for piece in pieces if piece]
