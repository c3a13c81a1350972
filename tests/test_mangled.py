"""Mangled input: property-based tests that feed the pure ingest stages damaged pages.

The contract under test is ``ingest.prepare.prepare``'s: for ANY bytes it returns a
PreparedDocument and never raises (a rejection is an ``error``, not an exception), and
an article it returns is well formed: a title, at least one body paragraph, paragraphs
numbered 1..n with non-empty, whitespace-collapsed text, and place mentions that point
at the exact characters of a body paragraph.

Inputs, all generated here (nothing is read but the repository's seed):

1. aggregator page dumps built from their parts (top bar, headline, body, standing
   text, translation link, footer, sidebar, share lines). Unmutated, the parser must
   recover exactly what was generated; with layout-neutral noise (line endings, BOM,
   trailing spaces, blank-line runs, cp1252) it must recover the same; mutated
   (bytes deleted and inserted, chrome lines anywhere, NULs, look-alike letters, digits
   changed, truncation, bad bytes) it must keep the contract;
2. random bytes, random text, and "chrome soup": random lines of page chrome, some
   of them damaged (look-alike letters, out-of-range dates and times);
3. the seed page under the same mutations, and under layout-neutral noise (it must
   read the same).

Also: a clean plain-text article is kept whole by body detection (README), and the
one-line normalisers never raise on damaged dates, times, temperatures and bylines.

``NEWSSTORE_FUZZ_SCALE=20 pytest tests/test_mangled.py`` runs twenty times the examples.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from random import Random

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from ingest.errors import IngestError
from ingest.normalize import parse_byline, parse_footer_time, parse_page_date, parse_temperature
from ingest.parse.layouts import aggregator
from ingest.prepare import prepare
from ingest.records import ArticleRecord, PreparedDocument, RawDocument

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_1d9f090525d97fdf.txt"
SCALE = max(1, int(os.environ.get("NEWSSTORE_FUZZ_SCALE", "1")))


def examples(n: int) -> settings:
    """``n`` examples (times NEWSSTORE_FUZZ_SCALE), no deadline: the first call loads the
    gazetteer, which takes about a second."""
    return settings(max_examples=n * SCALE, deadline=None)


# --- the contract ------------------------------------------------------------------

KINDS = {
    # aggregator
    "body", "boilerplate", "translation", "footer", "sidebar", "share",
    # generic body detection
    "nav", "byline", "related", "comment", "chrome",
}  # fmt: skip


def reasons(cls: type[IngestError] = IngestError) -> set[str]:
    """The ``reason`` of every documented rejection (IngestError and its subclasses)."""
    return {cls.reason}.union(*(reasons(sub) for sub in cls.__subclasses__()))


_SPACES = re.compile(r"\s+")


def collapsed(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def raw(data: bytes) -> RawDocument:
    return RawDocument(origin="-", raw=data, sha256=hashlib.sha256(data).hexdigest())


def check_contract(doc: PreparedDocument) -> tuple[ArticleRecord, ...]:
    """Assert what ``prepare`` promises for any input; returns its articles."""
    if doc.error is not None:
        assert doc.articles == ()
        assert doc.reason in reasons(), doc.reason
        assert doc.error.strip()
        return ()
    assert doc.reason is None
    assert doc.encoding
    assert doc.articles
    for record in doc.articles:
        check_article(record)
    return doc.articles


def check_article(record: ArticleRecord) -> None:
    article = record.article
    assert article.title and article.title == collapsed(article.title), article.title
    assert [p.position for p in record.paragraphs] == list(range(1, len(record.paragraphs) + 1))
    assert [(p.kind, p.text) for p in record.paragraphs] == [
        (p.kind, p.text) for p in article.paragraphs
    ]
    for p in record.paragraphs:
        assert p.text and p.text == collapsed(p.text), p.text
        assert p.kind in KINDS, p.kind
        assert -(2**63) <= p.text_hash < 2**63  # a BIGINT
    assert any(p.kind == "body" for p in record.paragraphs)
    assert re.fullmatch(r"[0-9a-f]{64}", record.content_hash)
    for m in record.mentions:
        assert 1 <= m.position <= len(record.paragraphs)
        paragraph = record.paragraphs[m.position - 1]
        assert paragraph.kind == "body"
        assert 0 <= m.start < m.end <= len(paragraph.text)
        assert paragraph.text[m.start : m.end] == m.surface
    assert [m.position for m in record.mentions] == sorted(m.position for m in record.mentions)


def prepared(data: bytes) -> ArticleRecord | None:
    """``prepare`` the bytes (it must not raise), check the contract; the one article if
    the document holds exactly one (a page dump holds one)."""
    articles = check_contract(prepare(raw(data)))
    return articles[0] if len(articles) == 1 else None


# --- page parts ----------------------------------------------------------------------

# Words for generated prose and headlines. None of them is page chrome on its own line
# (no share targets, sidebar or translation words), so a hard-wrapped body stays body.
WORDS = (
    "the council harbour ferry workers officials engineers residents market prices bridge "
    "river school budget weather morning week plans report village farmers drivers museum "
    "station tunnel festival hospital team players season mayor minister voters survey "
    "said agreed announced opened closed rebuilt repaired approved rejected expected "
    "warned claimed promised finished started raised cut new old small large local "
    "national early late quiet busy after before with from into during about over under "
    "and but because while although in on at of to for its their his her was were has "
    "had will would could café naïve façade"
).split()
PLACES = (
    "Russia", "North Korea", "Delhi", "Vladivostok", "Paris", "Lisbon", "Georgia",
    "Atlanta", "Reading", "Nice", "São Paulo", "Primorsky Krai", "Texas", "Houston",
)  # fmt: skip
CITIES = ("Delhi", "Lisbon", "Sydney", "Oslo", "Washington D.C.", "São Paulo", "New York")
SOURCES = ("DailyNK", "Harbour Post", "Metro Daily", "BBC Sport", "Valley Courier")
CATEGORIES = ("North Korean Media", "Regional News", "Local", "Sports", "Community")
LANGUAGES = ("Korean", "Japanese", "Portuguese", "Spanish", "Chinese")
SHARE_LINES = (
    "Share on Facebook", "Share on Twitter", "Facebook", "Twitter", "WhatsApp",
    "Share this article", "Facebook | Twitter | Email", "Facebook\nTwitter\nWhatsApp",
)  # fmt: skip
SIDEBAR_HEADINGS = (
    "Most Popular Articles", "Recent Articles", "Related news", "Latest News", "Trending",
    "You may also like", "Most Read",
)  # fmt: skip
# Body text that only looks like chrome; README: it stays body.
LOOKALIKE_BODY = (
    "By the end of the year, the council hopes to open a footpath across the river.",
    "“It is safe, but it must be fixed.”",
    "What happens next",
    "Residents said they had followed the plans on Facebook for months.",
    "Share prices fell in Paris on Monday.",
    "Read the report in full before the vote, officials said.",
    "Most of the workers were from Russia.",
)
STANDING = (
    "{source} works with a network of sources across the region. For more information "
    "about how we report, please visit our FAQ page.",
    "Please send any comments or questions about this article to desk@example.com.",
)
MONTHS = (
    "January February March April May June July August September October November December"
).split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# Prose comes from a drawn seed rather than word by word: a page has hundreds of words
# and drawing each through Hypothesis costs more than parsing the page. Its structure
# (which parts, how many paragraphs, which formats) is drawn and shrinks as usual.
SEEDS = st.integers(0, 2**32 - 1)


def sentence(rng: Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(3, 14))
    if rng.random() < 0.5:
        words.insert(rng.randint(0, len(words)), rng.choice(PLACES))
    if rng.random() < 0.3:
        words.insert(rng.randint(1, len(words)), "in " + rng.choice(PLACES))
    text = cap(" ".join(words))
    if rng.random() < 0.2:
        return f"“{text},” the {rng.choice(WORDS)} said."
    return text + rng.choice(".....!?")


def paragraph(rng: Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(1, 4)))


def headline(rng: Random) -> str:
    return cap(" ".join(rng.choices(WORDS + list(PLACES), k=rng.randint(3, 10))))


def sentences() -> st.SearchStrategy[str]:
    return SEEDS.map(lambda seed: sentence(Random(seed)))


def headlines() -> st.SearchStrategy[str]:
    return SEEDS.map(lambda seed: headline(Random(seed)))


@st.composite
def temperatures(draw: st.DrawFn) -> tuple[str, float]:
    """A top-bar temperature line and its value in °C to one decimal."""
    tenths = draw(st.integers(-400, 1150))
    whole = tenths % 10 == 0 and draw(st.booleans())
    number = f"{abs(tenths) // 10}" if whole else f"{abs(tenths) / 10:.1f}"
    if not whole and draw(st.booleans()):
        number = number.replace(".", ",")
    sign = draw(st.sampled_from(["-", "\u2212"])) if tenths < 0 else ""
    unit = draw(st.sampled_from("CCCFFcf"))
    degree = draw(st.sampled_from(["", "°", "º", " °"]))
    space = draw(st.sampled_from(["", " "])) if degree else " "
    value = abs(tenths) / 10 * (-1 if tenths < 0 else 1)
    celsius = (value - 32.0) * 5.0 / 9.0 if unit in "Ff" else value
    return f"{sign}{number}{space}{degree}{unit}".replace("  ", " "), round(celsius, 1) + 0.0


def dates() -> st.SearchStrategy[date]:
    return st.dates(min_value=date(1995, 1, 1), max_value=date(2035, 12, 31))


@st.composite
def page_dates(draw: st.DrawFn) -> tuple[str, date]:
    """A top-bar date line, with or without the weekday, month- or day-first."""
    day = draw(dates())
    month = MONTHS[day.month - 1]
    if draw(st.booleans()):
        month = month[:3]
    weekday = f"{WEEKDAYS[day.weekday()]}, " if draw(st.booleans()) else ""
    if draw(st.integers(0, 3)) == 0:
        return f"{weekday}{day.day} {month} {day.year}", day
    return f"{weekday}{month} {day.day}, {day.year}", day


@st.composite
def footer_times(draw: st.DrawFn) -> tuple[str, datetime]:
    """A footer time line ("May 28, 2024 at 06:30AM" and variants) and its value."""
    day = draw(dates())
    moment = datetime(day.year, day.month, day.day) + timedelta(
        minutes=draw(st.integers(0, 24 * 60 - 1))
    )
    month = MONTHS[moment.month - 1]
    stamp = f"{month} {moment.day}, {moment.year}"
    style = draw(st.integers(0, 3))
    if style == 0:  # the aggregator's own: 12-hour clock, AM/PM glued on
        hour = moment.hour % 12 or 12
        ampm = "AM" if moment.hour < 12 else "PM"
        return f"{stamp} at {hour:02d}:{moment.minute:02d}{ampm}", moment
    if style == 1:
        hour = moment.hour % 12 or 12
        ampm = "am" if moment.hour < 12 else "pm"
        return f"{stamp} at {hour}:{moment.minute:02d} {ampm}", moment
    if style == 2:
        return f"{stamp} {moment.hour:02d}:{moment.minute:02d}", moment
    second = draw(st.integers(0, 59))
    return f"{stamp} at {moment.hour:02d}:{moment.minute:02d}:{second:02d}", moment.replace(
        second=second
    )


@st.composite
def bylines(draw: st.DrawFn) -> tuple[str, str, str | None]:
    name = draw(st.sampled_from(SOURCES))
    category = draw(st.sampled_from(CATEGORIES))
    form = draw(st.integers(0, 2))
    if form == 0:
        return f"by {name}({category})", name, category
    if form == 1:
        return f"by {name} ({category})", name, category
    return f"by {name}", name, None


@dataclass(frozen=True)
class Page:
    """A generated aggregator page and what the parser must read from it."""

    text: str
    title: str
    body: tuple[str, ...]
    source_name: str | None
    source_category: str | None
    published_at: datetime | None
    page_date: date | None
    page_location: str | None
    page_temperature_c: float | None
    translations: tuple[str, ...]
    recognisable: bool  # README's recognition rule holds: the aggregator layout must read it


def wrap(rng: Random, text: str) -> str:
    """Hard-wrap a paragraph at random word boundaries (crawlers sometimes do)."""
    words = text.split(" ")
    return words[0] + "".join(rng.choice("   \n") + word for word in words[1:])


@st.composite
def pages(draw: st.DrawFn) -> Page:
    top: list[str] = []
    temperature = draw(st.none() | temperatures())
    day = draw(st.none() | page_dates())
    city = draw(st.sampled_from(CITIES)) if (temperature or day) and draw(st.booleans()) else None
    if temperature:
        top.append(temperature[0])
    if city:
        top.append(city)
    if day:
        if temperature and draw(st.booleans()):
            top = [day[0], temperature[0]]  # a temperature after the date is read too
            if city:
                top.insert(0, city)
        else:
            top.append(day[0])

    rng = Random(draw(SEEDS))
    title = headline(rng)
    body = [paragraph(rng) for _ in range(draw(st.integers(1, 12)))]
    for lookalike in draw(st.lists(st.sampled_from(LOOKALIKE_BODY), max_size=2)):
        body.insert(draw(st.integers(0, len(body))), lookalike)
    name = draw(st.sampled_from(SOURCES))
    standing = draw(st.lists(st.sampled_from(STANDING), max_size=2, unique=True))
    languages = draw(st.lists(st.sampled_from(LANGUAGES), max_size=2, unique=True))
    footer = draw(st.none() | footer_times())
    byline = draw(st.none() | bylines()) if footer else None
    sidebar = draw(st.none() | st.sampled_from(SIDEBAR_HEADINGS))
    sidebar_items = [headline(rng) for _ in range(draw(st.integers(0, 4)))]

    blocks: list[str] = []
    if top:
        blocks.append("\n".join(top))
    blocks += draw(st.lists(st.sampled_from(SHARE_LINES), max_size=2))
    blocks.append(title)
    for text in body:
        if draw(st.integers(0, 5)) == 0:
            blocks.append(draw(st.sampled_from(SHARE_LINES)))
        blocks.append(wrap(rng, text) if draw(st.integers(0, 3)) == 0 else text)
    blocks += [s.format(source=byline[1] if byline else name) for s in standing]
    if languages:
        blocks.append("Read in " + " and ".join(languages))
    tail: list[str] = []
    if footer:
        if byline and draw(st.booleans()):
            tail.append(f"{footer[0]}\n{byline[0]}")  # footer lines without a blank between
        else:
            tail += [footer[0]] + ([byline[0]] if byline else [])
        tail += draw(st.lists(st.sampled_from(SHARE_LINES), max_size=1))
    if sidebar:
        tail.append(sidebar)
        one_block = draw(st.booleans())
        if sidebar_items and one_block:
            tail.append("\n".join(sidebar_items))  # one headline per line
        else:
            tail += sidebar_items
    blocks += tail

    complete = temperature is not None and day is not None
    partial = temperature is not None or day is not None
    recognisable = (
        complete
        or (footer is not None and byline is not None)
        or (partial and (bool(languages) or footer is not None))
    )
    return Page(
        text="\n\n".join(blocks) + draw(st.sampled_from(["", "\n", "\n\n"])),
        title=title,
        body=tuple(body),
        source_name=byline[1] if byline else None,
        source_category=byline[2] if byline else None,
        published_at=footer[1] if footer else None,
        page_date=day[1] if day else None,
        page_location=city,
        page_temperature_c=temperature[1] if temperature else None,
        translations=tuple(languages),
        recognisable=recognisable,
    )


# --- noise that must not change what is read ----------------------------------------


@st.composite
def layout_neutral(draw: st.DrawFn, text: str) -> bytes:
    """``text`` with line endings, trailing spaces, blank-line runs and a BOM varied, in
    UTF-8 or (when it fits and is mostly ASCII) Windows-1252: README says none of this
    changes what the aggregator layout reads."""
    lines: list[str] = []
    for line in text.split("\n"):
        if line and draw(st.integers(0, 3)) == 0:
            line += draw(st.sampled_from([" ", "  ", "\t", " \u00a0", "\u00a0"]))
        lines.append(line)
        if not line and len(lines) > 1 and draw(st.integers(0, 3)) == 0:
            lines += draw(st.sampled_from([[""], ["", ""], [" \t"]]))  # a run of blank lines
    out = lines[0]
    ending = "\n"
    for line in lines[1:]:
        # a lone CR followed by LF would read as one CRLF: after CR, only CR or CRLF
        ending = draw(st.sampled_from(["\r", "\r\n"] if ending == "\r" else ["\n", "\r\n", "\r"]))
        out += ending + line
    bom = draw(st.booleans())
    try:
        latin = out.encode("cp1252")
    except UnicodeEncodeError:
        latin = None
    mostly_ascii = latin is not None and sum(b >= 0x80 for b in latin) < 0.1 * len(latin)
    if latin is not None and mostly_ascii and not bom and draw(st.booleans()):
        return latin
    return (b"\xef\xbb\xbf" if bom else b"") + out.encode("utf-8")


# --- mutations -----------------------------------------------------------------------

STRAY_LINES = (
    *SHARE_LINES, *SIDEBAR_HEADINGS, "Read in Korean", "Read in:", "22.1 C", "72 °F", "-3C",
    "Delhi", "Sunday, February 9, 2025", "February 30, 2025", "May 28, 2024 at 06:30AM",
    "May 28, 2024 at 13:30PM", "May 28, 2024 at 06:30:59", "by DailyNK(North Korean Media)",
    "by Name (", "by", "By the end of the year.", "(Category)", "FAQ", "© 2024",
    "Please send any comments to a@b.cd", "Comments", "Related", "Home", "", " ", "\t",
    "\u00a0", "\ufeff", "\u200b", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\x00",
    "東京都で", "Москва", "…", "...",
)  # fmt: skip
# Letters that regular expressions with IGNORECASE take for ASCII ones: ſ is s, K (Kelvin)
# is k, ı and İ are i; plus other case and width changes a capture may carry.
LOOKALIKES = {
    "s": "ſS", "S": "ſs", "k": "\u212aK", "K": "\u212ak", "i": "ıİI", "I": "ıİi",
    "a": "AªÅ", "e": "Eé", "o": "Oº", "C": "c\u212b", "F": "f\uff26", "y": "Y",
}  # fmt: skip


def some_line(lines: list[str]) -> st.SearchStrategy[int]:
    """The index of a line, a short one half the time: chrome lines are short."""
    short = [i for i, line in enumerate(lines) if len(line) <= 60]
    every = st.integers(0, len(lines) - 1)
    return st.sampled_from(short) | every if short else every


@st.composite
def wild_stamps(draw: st.DrawFn) -> str:
    """A date or date-and-time line whose fields may be out of range (day 0-39, hour 0-29,
    minute and second 0-99): the values a damaged capture or a lying page can carry."""
    month = draw(st.sampled_from(MONTHS))
    month = month[:3] if draw(st.booleans()) else month
    stamp = f"{month} {draw(st.integers(0, 39))}, {draw(st.integers(0, 9999)):04d}"
    if draw(st.booleans()):
        stamp = f"{draw(st.sampled_from(WEEKDAYS))}, {stamp}"
    if draw(st.booleans()):
        return stamp
    clock = f"{draw(st.integers(0, 29)):02d}:{draw(st.integers(0, 99)):02d}"
    if draw(st.booleans()):
        clock += f":{draw(st.integers(0, 99)):02d}"
    return f"{stamp} at {clock}{draw(st.sampled_from(['', 'AM', 'PM', ' pm']))}"


def chrome_lines() -> st.SearchStrategy[str]:
    """A line of page chrome: fixed, or generated in the layout's own shapes."""
    return st.one_of(
        st.sampled_from(STRAY_LINES),
        temperatures().map(lambda t: t[0]),
        page_dates().map(lambda d: d[0]),
        footer_times().map(lambda f: f[0]),
        wild_stamps(),
        bylines().map(lambda b: b[0]),
    )


@st.composite
def mutated_line(draw: st.DrawFn, line: str) -> str:
    """``line`` with a few characters changed."""
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.integers(0, 4))
        if op == 0:  # one letter swapped for a look-alike all through the line
            letters = sorted({ch for ch in line if ch in LOOKALIKES})
            if letters:
                letter = draw(st.sampled_from(letters))
                line = line.replace(letter, draw(st.sampled_from(LOOKALIKES[letter])))
        elif op == 1:  # a digit changed: impossible dates, hours, seconds
            where = [i for i, ch in enumerate(line) if ch.isdigit()]
            if where:
                i = draw(st.sampled_from(where))
                line = line[:i] + draw(st.sampled_from("0123456789٣")) + line[i + 1 :]
        elif op == 2:  # something inserted: seconds, AM/PM, brackets, any character
            extra = draw(st.sampled_from([":59", ":60", ":99", "PM", "AM", " ", ")", "("]))
            if draw(st.booleans()):
                extra = draw(st.characters())
            i = draw(st.integers(0, len(line)))
            line = line[:i] + extra + line[i:]
        elif op == 3 and line:  # a slice cut out
            i = draw(st.integers(0, len(line) - 1))
            line = line[:i] + line[i + draw(st.integers(1, 8)) :]
        elif op == 4:
            line = draw(st.sampled_from([line.upper(), line.lower(), line.swapcase()]))
    return line


@st.composite
def mutated_text(draw: st.DrawFn, text: str) -> str:
    """``text`` with lines inserted, deleted, repeated, swapped and changed."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.integers(0, 5))
        if op == 0:
            lines.insert(draw(st.integers(0, len(lines))), draw(chrome_lines()))
        elif op == 1:
            lines.insert(draw(st.integers(0, len(lines))), draw(st.text(max_size=40)))
        elif lines:
            at = draw(some_line(lines))
            line = lines[at]
            if op == 2:
                del lines[at]
            elif op == 3:
                lines.insert(draw(st.integers(0, len(lines))), line)
            elif op == 4:
                other = draw(some_line(lines))
                lines[at], lines[other] = lines[other], line
            else:
                lines[at] = draw(mutated_line(line))
    return "\n".join(lines)


@st.composite
def mutated_bytes(draw: st.DrawFn, text: str) -> bytes:
    """``text`` encoded somehow, then bytes deleted, inserted, replaced and truncated."""
    text = draw(mutated_text(text))
    endings = draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"]))
    if endings == "mixed":
        text = re.sub("\n", lambda m: ("\n", "\r\n", "\r")[m.start() % 3], text)
    else:
        text = text.replace("\n", endings)
    if draw(st.booleans()):
        text = re.sub(r"(?m)$", lambda m: " " * (m.start() % 3), text)
    if draw(st.integers(0, 3)) == 0:
        text = "\ufeff" + text
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "cp1252", "latin-1", "utf-16"]))
    data = bytearray(text.encode(encoding, errors="replace"))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.integers(0, 4))
        at = draw(st.integers(0, len(data)))
        if op == 0:
            del data[at : at + draw(st.integers(1, 40))]
        elif op == 1:
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
        elif op == 2:
            data[at:at] = b"\x00"
        elif op == 3 and data:
            data[at % len(data)] = draw(st.integers(0x80, 0xFF))
        elif op == 4:
            data[at:at] = draw(st.sampled_from([b"\r", b"\n\n\n", b"\xef\xbb\xbf", b"  \n"]))
    if draw(st.integers(0, 3)) == 0:
        del data[draw(st.integers(0, len(data))) :]
    return bytes(data)


# --- 1. generated pages ----------------------------------------------------------------


def assert_reads(record: ArticleRecord | None, page: Page) -> None:
    """The article is the page as generated."""
    assert record is not None
    article = record.article
    assert article.layout == aggregator.NAME
    assert article.title == page.title
    assert tuple(p.text for p in article.paragraphs if p.kind == "body") == tuple(
        collapsed(p) for p in page.body
    )
    assert (article.source_name, article.source_category) == (
        page.source_name,
        page.source_category,
    )
    assert article.published_at == page.published_at
    assert article.page_date == page.page_date
    assert article.page_location == page.page_location
    assert article.page_temperature_c == page.page_temperature_c
    assert article.translations == page.translations


@examples(150)
@given(pages())
def test_generated_page_is_read_exactly(page: Page) -> None:
    assume(page.recognisable)
    assert aggregator.matches(page.text)
    assert_reads(prepared(page.text.encode("utf-8")), page)


@examples(60)
@given(pages(), st.data())
def test_layout_neutral_noise_changes_nothing(page: Page, data: st.DataObject) -> None:
    assume(page.recognisable)
    clean = prepared(page.text.encode("utf-8"))
    noisy = prepared(data.draw(layout_neutral(page.text)))
    assert_reads(noisy, page)
    assert clean is not None and noisy is not None
    assert [(p.kind, p.text) for p in noisy.paragraphs] == [
        (p.kind, p.text) for p in clean.paragraphs
    ]
    assert noisy.content_hash == clean.content_hash


@examples(120)
@given(pages(), st.data())
def test_mutated_page_keeps_the_contract(page: Page, data: st.DataObject) -> None:
    prepared(data.draw(mutated_bytes(page.text)))


def test_sentence_wrapped_around_a_chrome_word_stays_one_paragraph() -> None:
    """Found by the exact-read property: a hard-wrapped line holding just "Facebook" (or
    "Share", "Trending"...) split a body paragraph in three, the word labelled share."""
    text = (
        "22.1 C\nDelhi\nSunday, February 9, 2025\n\nBridge closure to last until summer\n\n"
        "Residents said they had\nfollowed the plans on\nFacebook\nfor months.\n\n"
        "Share\nprices fell in Paris on Monday.\n\nMay 28, 2024 at 06:30AM\nby DailyNK"
    )
    record = prepared(text.encode("utf-8"))
    assert record is not None
    assert [p.text for p in record.paragraphs if p.kind == "body"] == [
        "Residents said they had followed the plans on Facebook for months.",
        "Share prices fell in Paris on Monday.",
    ]
    assert record.article.source_name == "DailyNK"


@examples(60)
@given(SEEDS, st.integers(1, 12), st.sampled_from(["\n\n", "\r\n\r\n", "\n\n\n"]))
def test_clean_plain_text_article_is_kept_whole(seed: int, count: int, gap: str) -> None:
    """README: body detection keeps a clean plain-text article (a headline line, a blank
    line, paragraphs) whole."""
    rng = Random(seed)
    title, body = headline(rng), [paragraph(rng) for _ in range(count)]
    record = prepared(gap.join([title, *body]).encode("utf-8"))
    assert record is not None
    assert record.article.layout == "generic"
    assert record.article.title == title
    assert [(p.kind, p.text) for p in record.paragraphs] == [("body", p) for p in body]


# --- 2. random input -------------------------------------------------------------------


@examples(100)
@given(st.binary(max_size=3000))
@example(b"")
@example(b"\x00")
@example(b"\xef\xbb\xbf")
@example(b"\xef\xbb\xbf\n\n")
@example(b"\xff\xfe\x00\x00")
@example(b"\x80" * 10)
def test_random_bytes_keep_the_contract(data: bytes) -> None:
    prepared(data)


@examples(100)
@given(st.text(max_size=2000))
@example("\u2028\u2029\x85\x1c\x1d\x1e\x0b\x0c")
@example("22 C\nSunday, February 9, 2025\n\n\u2028")
def test_random_text_keeps_the_contract(text: str) -> None:
    prepared(text.encode("utf-8"))


CHROME_SOUP = st.lists(
    st.one_of(chrome_lines(), chrome_lines().flatmap(mutated_line), headlines(), sentences()),
    max_size=30,
)


@examples(150)
@given(CHROME_SOUP, st.lists(st.sampled_from(["\n", "\n\n", "\r\n", "\n \n"]), min_size=1))
def test_chrome_soup_keeps_the_contract(lines: list[str], separators: list[str]) -> None:
    text = "".join(line + separators[i % len(separators)] for i, line in enumerate(lines))
    prepared(text.encode("utf-8"))


# --- 3. the seed -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@examples(40)
@given(st.data())
def test_seed_with_layout_neutral_noise_reads_the_same(seed_text: str, data: st.DataObject) -> None:
    clean = prepared(seed_text.encode("utf-8"))
    noisy = prepared(data.draw(layout_neutral(seed_text)))
    assert clean is not None and noisy is not None
    assert noisy.article == clean.article
    assert noisy.paragraphs == clean.paragraphs
    assert noisy.mentions == clean.mentions


@examples(120)
@given(st.data())
def test_mutated_seed_keeps_the_contract(seed_text: str, data: st.DataObject) -> None:
    prepared(data.draw(mutated_bytes(seed_text)))


# --- the one-line normalisers on near misses ---------------------------------------------


def near_misses() -> st.SearchStrategy[str]:
    """Lines in the shapes the normalisers read, a little damaged."""
    return chrome_lines().flatmap(mutated_line)


@examples(300)
@given(st.one_of(near_misses(), st.text(max_size=60)))
@example("ſeptember 9, 2025")  # ſ (long s) matches "s" under IGNORECASE
@example("Aprıl 9, 2025 at 06:30AM")  # ı (dotless i) matches "i"
@example("9 AUGUſT 2025")
@example("May 28, 2024 at 06:30:60")  # a second out of range
@example("May 28, 2024 at 06:30:99PM")
def test_normalisers_never_raise(line: str) -> None:
    parse_temperature(line)
    parse_page_date(line)
    parse_footer_time(line)
    parse_byline(line)
