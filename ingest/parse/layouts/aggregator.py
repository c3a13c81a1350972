"""The "aggregator page dump" layout: a news article re-published inside page chrome.

A page reads, top to bottom (blocks separated by blank lines)::

    22.1 C                        <- top bar: temperature,
    Delhi                         <-          city (optional),
    Sunday, February 9, 2025      <-          date (weekday optional)
    <headline>
    <body paragraphs>
    <the source's standing paragraphs>
    Read in Korean                <- translation link
    May 28, 2024 at 06:30AM       <- footer: publication time
    by DailyNK(North Korean Media)<-         source (category optional)
    Most Popular Articles         <- sidebar heading, then other headlines
    ...

Any part may be missing (no top bar, no footer in a truncated capture, no
city...). A part whose numbers are out of range (a year 0 or 99999, the 99th,
99:99, a temperature of 5,000 digits or of 300 °C) is still that part of the page:
its line is chrome as usual and only its field is left empty
(``ingest.normalize.read_*`` tell a line's shape from its value).

The parser relies on structure rather than on the words of any one source:
the footer time line is the anchor after which nothing is the article's
body; before it, only blocks with a closed, generic shape (share
buttons, a translation link, a known sidebar heading, a standing-text phrase
at the very end of the body) are taken out of the body. When in doubt a block
stays body, because the store's cross-corpus boilerplate rule can still demote
a recurring paragraph later, while a body paragraph lost here is lost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from ingest.normalize import (
    Reading,
    collapse_whitespace,
    fold_case,
    parse_byline,
    read_footer_time,
    read_page_date,
    read_temperature,
    storable_article,
)
from ingest.records import ParsedArticle, ParsedParagraph

NAME = "aggregator"
VERSION = "1"

__all__ = [
    "NAME",
    "VERSION",
    "TopBar",
    "matches",
    "parse",
    "parse_top_bar",
    "parse_translation_link",
    "is_share_line",
    "is_sidebar_heading",
    "standing_phrase",
]

# The kinds this parser emits (README.md lists them for the whole project).
BODY = "body"
BOILERPLATE = "boilerplate"
TRANSLATION = "translation"
FOOTER = "footer"
SIDEBAR = "sidebar"
SHARE = "share"

# A top bar has at most temperature, city and date; looking a little further
# costs nothing and tolerates a stray empty-looking line.
_TOP_BAR_LINES = 4
_MAX_CITY_WORDS = 5
_MAX_CITY_CHARS = 40


def _split_lines(text: str) -> list[str]:
    """Lines without BOM, line ends or surrounding whitespace ('' for blank lines)."""
    return [line.strip() for line in text.replace("\ufeff", "").splitlines()]


def _split_blocks(lines: Sequence[str]) -> list[list[str]]:
    """Group non-blank lines into blocks; any run of blank lines separates two blocks."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


# --- top bar -----------------------------------------------------------------


@dataclass(frozen=True)
class TopBar:
    """What the top bar said, and how many leading non-blank lines it used.

    ``complete``: the bar has a temperature line and a date line, on their own enough
    to recognise the layout, whether or not their values are in range (a field is None
    when its value is not). It is not compared, so a bar equals one built from its
    values alone.
    """

    temperature_c: float | None
    location: str | None
    page_date: date | None
    lines_used: int
    complete: bool = field(default=False, compare=False)


def _looks_like_city(line: str) -> bool:
    """A short name, not a sentence ("Washington D.C." may end in a full stop)."""
    return (
        len(line) <= _MAX_CITY_CHARS
        and len(line.split()) <= _MAX_CITY_WORDS
        and not line.endswith(("!", "?", ":", ";", ","))
        and any(ch.isalpha() for ch in line)
    )


def parse_top_bar(blocks: Sequence[Sequence[str]]) -> TopBar | None:
    """Read the top bar from the leading lines, or ``None`` if the page has none.

    Order is temperature, city, date, each optional (a temperature after the
    date is taken too: the same facts in another order). A city line is only taken
    when something pins it down as top-bar text: a date line right after it,
    or a temperature line right before it in the same block (so the headline
    of a page without a date line is never mistaken for a city).
    """
    # (text, block index) for the first few non-blank lines.
    lines = [(line, b) for b, block in enumerate(blocks) for line in block][:_TOP_BAR_LINES]
    temperature: Reading[float] | None = None
    location: str | None = None
    page_date: Reading[date] | None = None
    used = 0
    while used < len(lines):
        line, block = lines[used]
        # A temperature comes first, or after the date ("Delhi / <date> / 22.1 C"; with a
        # city there it used to become the headline: found by tests/test_mangled.py).
        if (
            temperature is None
            and (location is None or page_date is not None)
            and (t := read_temperature(line)) is not None
        ):
            temperature = t
        elif page_date is None and (d := read_page_date(line)) is not None:
            page_date = d
        elif (
            location is None
            and page_date is None
            and _looks_like_city(line)
            and read_footer_time(line) is None
        ):
            after = lines[used + 1] if used + 1 < len(lines) else None
            date_follows = after is not None and read_page_date(after[0]) is not None
            # the last line of the temperature's own block: the blank line after it ends the bar
            ends_temperature_block = (
                temperature is not None
                and used > 0
                and lines[used - 1][1] == block
                and (after is None or after[1] != block)
            )
            if not (date_follows or ends_temperature_block):
                break
            location = collapse_whitespace(line)
        else:
            break
        used += 1
    if temperature is None and page_date is None:
        return None
    return TopBar(
        temperature[0] if temperature is not None else None,
        location,
        page_date[0] if page_date is not None else None,
        used,
        complete=temperature is not None and page_date is not None,
    )


def _drop_lines(blocks: Sequence[Sequence[str]], count: int) -> list[list[str]]:
    """The blocks without their first ``count`` non-blank lines."""
    rest: list[list[str]] = []
    for block in blocks:
        kept = list(block[count:])
        count = max(0, count - len(block))
        if kept:
            rest.append(kept)
    return rest


# --- one-block shapes ----------------------------------------------------------

_ARROWS = " \t>»›→➔▸▶"
_LANGUAGE = r"[A-Z][\w'-]+(?: [A-Z][\w'-]+)?"
_TRANSLATION = re.compile(
    r"(?:(?:also )?(?:read|view|see)(?: (?:this|it|the|this article|this story|the article|"
    r"the story|more))?|(?:this (?:article|story) is )?(?:also )?available) in:? "
    r"(?P<langs>" + _LANGUAGE + r"(?:(?:\s*[,|/·]\s*|\s+(?:and|or)\s+)" + _LANGUAGE + r")*)",
    re.IGNORECASE,
)
_LANGUAGE_SPLIT = re.compile(r"\s*[,|/·]\s*|\s+(?:and|or)\s+")


def parse_translation_link(line: str) -> tuple[str, ...] | None:
    """The languages a translation link offers ("Read in Korean" -> ("Korean",)), else None.

    Languages must be capitalised words, which keeps "read in full" and the
    like out; the "in" is case-insensitive but the language is not.
    """
    text = collapse_whitespace(line).strip(_ARROWS)
    m = _TRANSLATION.fullmatch(text)
    if m is None:
        return None
    langs = tuple(part for part in _LANGUAGE_SPLIT.split(m["langs"]) if part)
    if not all(part[0].isupper() for part in langs):
        return None
    return langs


_SHARE_TARGET = (
    r"(?:facebook|twitter|x|whatsapp|linkedin|e-?mail|mail|reddit|telegram|pinterest|"
    r"messenger|tumblr|flipboard|pocket|sms|viber|bluesky|threads|mastodon|vk|weibo|wechat|"
    r"line|print|copy link|copy url)"
)
_SHARE_ITEM = re.compile(
    r"(?:share|tweet|post|send|pin|email)(?: (?:this|it|the))?"
    r"(?: (?:article|story|page|post|link))?(?: (?:on|via|to|with|by) " + _SHARE_TARGET + r")?"
    r"|" + _SHARE_TARGET + r"(?: share)?|shares?|share:",
    re.IGNORECASE,
)
_SHARE_SEPARATORS = re.compile(r"\s*[|·•,/]\s*|\s+-\s+|\s{2,}")
# What can come before the first label of a share line: separators, and the colons each
# label is stripped of. (The text is collapsed and stripped, so a separator at its start
# can only be one of | · • , / with the space after it.)
_SHARE_LEAD = " |·•,/:"


def is_share_line(line: str) -> bool:
    """True for a line made only of share-button labels ("Facebook", "Share on X | Email").

    A closed vocabulary, matched on the whole line (after splitting on
    separators), so a sentence that mentions Facebook is never share chrome.
    """
    text = collapse_whitespace(line).strip(_ARROWS + ":")
    # Asked about every paragraph, so first a test that costs no split: every label starts
    # with a letter, so a share line, once rid of what may come before its first label,
    # starts with a label, which a paragraph of prose almost never does (nor an empty text).
    if _SHARE_ITEM.match(text.lstrip(_SHARE_LEAD)) is None:
        return False
    items = [item for item in _SHARE_SEPARATORS.split(text) if item]
    return bool(items) and all(_SHARE_ITEM.fullmatch(item.strip(":")) for item in items)


_SIDEBAR_HEADING = re.compile(
    r"(?:most (?:popular|read|viewed|shared|commented|emailed|recent)|popular(?: now)?"
    r"|recent|related|latest|trending(?: now)?|recommended(?: for you)?|hot)"
    r"(?: (?:articles?|stories|news|posts|headlines|reads|content|topics|links|videos|items"
    r"|on [\w ]{1,30}|from [\w' ]{1,30}|in [\w ]{1,30}|this week|today))?"
    r"|(?:top|more|other|further|editors?'?s?) (?:articles|stories|news|posts|headlines|reads"
    r"|picks|choice|on this story|from [\w' ]{1,30})"
    r"|you (?:may|might|will) (?:also )?(?:like|enjoy|be interested in)"
    r"|(?:see|read) also|also (?:read|on [\w ]{1,30})|read next|up next|what to read next"
    r"|further reading|don'?t miss|in case you missed it|more to explore",
    re.IGNORECASE,
)


def is_sidebar_heading(line: str) -> bool:
    """True for a line that is one of the usual headings of a list of other articles.

    A closed list of phrasings, matched on the whole line, because a body's own
    subheading ("What happens next") must never start a sidebar.
    """
    text = collapse_whitespace(line).replace("’", "'").strip(_ARROWS + ":")
    return bool(text) and _SIDEBAR_HEADING.fullmatch(text) is not None


# Phrases of a source's standing text (how it reports, where to write). Each
# was checked against the 2,225 BBC corpus articles: none occurs in body text.
# Each comes with clues: words the phrase cannot be written without (one of them at
# least, as ``fold_case`` writes them), so that a paragraph with none of them is passed
# over without a pattern search, which costs a pass over the text per phrase.
_STANDING_PHRASES: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (reason, clues, re.compile(pattern, re.IGNORECASE))
    for reason, clues, pattern in (
        # One character before the @ says there is an address as well as all of them: a
        # whole local part ([\w.+-]+@) was tried from every letter of a long run of them,
        # to its end (quadratic: an hour for a megabyte). A label is at most 63.
        ("email address", ("@",), r"[\w.+-]@[\w-]{1,63}(?:\.[\w-]{1,63})+"),
        (
            "send comments",
            ("send ",),
            r"\bsend (?:us )?(?:any |your )?(?:comments|questions|feedback|tips|story ideas)\b",
        ),
        (
            "network of sources",
            (" a network of",),
            r"\b(?:works?|working|relies|rely) (?:with|on) a network of\b",
        ),
        ("FAQ page", ("faq",), r"\bFAQ\b"),
        (
            "how we report",
            ("for more information about ",),
            r"\bfor more information about (?:how|our)\b",
        ),
        ("all rights reserved", ("all rights reserved",), r"\ball rights reserved\b"),
        (
            "copyright notice",
            ("©", "(c)", "copyright "),
            r"©|\(c\) ?\d{4}\b|\bcopyright (?:\(c\) )?\d{4}\b",
        ),
        (
            "disclaimer",
            ("disclaimer", "views expressed "),
            r"^disclaimer\b|\bviews expressed (?:in this|here|are (?:those|solely))",
        ),
        (
            "contact us",
            ("contact us", "write to us", "can be reached at"),
            r"\bcontact us\b|\bwrite to us\b|\bcan be reached at\b",
        ),
        (
            "please visit our",
            ("please visit our", "click here"),
            r"\bplease visit our\b|\bclick here\b",
        ),
        (
            "invitation to write in",
            (" tip", "we welcome "),
            r"\b(?:got|have) a (?:news )?tip\b|\bwe welcome (?:your |any )?(?:comments|feedback)",
        ),
        (
            "newsletter",
            ("newsletter",),
            r"\b(?:sign up|subscribe) (?:to|for) (?:our|the) (?:[\w-]+ ){0,2}newsletters?\b",
        ),
        ("follow us", ("follow us on",), r"\bfollow us on\b"),
        (
            "originally published",
            ("published", "appeared"),
            r"\bthis (?:article|story|report|piece) (?:was |is |first |originally )+"
            r"(?:published|appeared)\b",
        ),
    )
)


def standing_phrase(paragraph: str) -> str | None:
    """The name of the standing-text phrase in ``paragraph``, or None.

    Only meaningful at the end of a body: the parser asks it about trailing
    paragraphs, never about paragraphs in the middle of an article.
    """
    folded = fold_case(paragraph)
    for reason, clues, pattern in _STANDING_PHRASES:
        if any(clue in folded for clue in clues) and pattern.search(paragraph):
            return reason
    return None


# --- the page --------------------------------------------------------------------


def _explode(block: Sequence[str]) -> list[str]:
    """Split a block into its lines when it holds chrome; otherwise join it into one text.

    Chrome sometimes comes without blank lines between (footer time and byline
    on two lines, a sidebar list one headline per line). Body paragraphs may be
    hard-wrapped, so a block is only split when one of its lines is chrome
    whose shape no wrapped sentence has.
    """
    if len(block) > 1 and any(_is_chrome_line(block, i) for i in range(len(block))):
        return [collapse_whitespace(line) for line in block]
    return [collapse_whitespace(" ".join(block))]


def _is_chrome_line(block: Sequence[str], i: int) -> bool:
    """Whether line ``i`` of a block is chrome, so that the block is one line per piece.

    A footer time line always is. A translation link, sidebar heading or share line is
    not when the next line goes on in lower case: that is a sentence wrapped around a
    word such as "Facebook" ("followed the plans on / Facebook / for months."), which
    used to split a body paragraph in three (found by tests/test_mangled.py).
    """
    line = block[i]
    if read_footer_time(line) is not None:
        return True
    if not (
        parse_translation_link(line) is not None or is_sidebar_heading(line) or is_share_line(line)
    ):
        return False
    after = block[i + 1] if i + 1 < len(block) else ""
    return not after[:1].islower()


def _footer(texts: Sequence[str]) -> tuple[int | None, datetime | None]:
    """The footer time line's index and its time (None when out of range): the first such
    line next to a byline, else the first one; ``(None, None)`` when there is none."""
    times = [
        (i, reading[0])
        for i, text in enumerate(texts)
        if (reading := read_footer_time(text)) is not None
    ]
    for i, moment in times:
        neighbours = [*texts[max(0, i - 1) : i], *texts[i + 1 : i + 2]]
        if any(parse_byline(n) is not None for n in neighbours):
            return i, moment
    return times[0] if times else (None, None)


def _has_footer_pair(lines: Sequence[str]) -> bool:
    """A footer time line with a byline as the next non-blank line.

    Only in that order: a byline above a date line is how ordinary news pages
    open an article ("By Staff" / "November 20, 2019 10:43"), so it proves nothing.
    """
    content = [line for line in lines if line]
    return any(
        read_footer_time(line) is not None and parse_byline(after) is not None
        for line, after in zip(content, content[1:], strict=False)
    )


def matches(text: str) -> bool:
    """Whether ``text`` is an aggregator page dump.

    Strict on purpose, because a plain article or a generic web dump must go to
    another layout: it takes a complete top bar (temperature and date lines at
    the very top), or a footer time line paired with a byline, or a partial top
    bar backed by a translation link or footer time line elsewhere.
    """
    lines = _split_lines(text)
    top = parse_top_bar(_split_blocks(lines[:20]))
    if top is not None and top.complete:
        return True
    if _has_footer_pair(lines):
        return True
    return top is not None and any(
        parse_translation_link(line) is not None or read_footer_time(line) is not None
        for line in lines
        if line
    )


#: A piece's kind and the reason for it, as ``ParsedParagraph`` takes them. The
#: ``_mark_*`` functions after ``parse`` label a page's pieces by changing their
#: entries in a list of these, which starts all body.
_Label = tuple[str, str | None]


def parse(text: str) -> ParsedArticle:
    """Read an aggregator page dump (``matches(text)`` is True) into a ParsedArticle.

    Every block after the headline becomes a paragraph, in document order,
    with a kind and the reason for it; the top bar becomes fields instead.
    ``text`` is storable (``ingest.parse.layouts.parse`` makes it so). The parts are
    labelled in this order, each only where an earlier one left body: the footer,
    translation links and share buttons, what follows the body, the source's
    standing paragraphs.
    """
    blocks = _split_blocks(_split_lines(text))
    top = parse_top_bar(blocks)
    if top is not None:
        blocks = _drop_lines(blocks, top.lines_used)
    leading, title, texts = _headline([piece for block in blocks for piece in _explode(block)])
    kinds: list[_Label] = [(BODY, None)] * len(texts)
    published_at, source, body_end = _mark_footer(texts, kinds)
    translations = _mark_links(texts, kinds)
    body_end = _mark_after_body(texts, kinds, body_end)
    _mark_standing_text(texts, kinds, body_end)
    paragraphs = tuple(leading) + tuple(
        ParsedParagraph(piece, kind, reason)
        for piece, (kind, reason) in zip(texts, kinds, strict=True)
    )
    return storable_article(
        ParsedArticle(
            title=title,
            paragraphs=paragraphs,
            layout=NAME,
            parser_version=VERSION,
            source_name=source[0] if source else None,
            source_category=source[1] if source else None,
            published_at=published_at,
            page_date=top.page_date if top else None,
            page_location=top.location if top else None,
            page_temperature_c=top.temperature_c if top else None,
            translations=translations,
        ),
        len(text),
    )


def _headline(texts: Sequence[str]) -> tuple[list[ParsedParagraph], str, list[str]]:
    """The share lines above the headline, the headline ('' if none) and what follows it.

    Share buttons can sit above the headline; they are not the headline.
    """
    leading: list[ParsedParagraph] = []
    for i, piece in enumerate(texts):
        if not is_share_line(piece):
            return leading, piece, list(texts[i + 1 :])
        leading.append(ParsedParagraph(piece, SHARE, "share buttons"))
    return leading, "", []


def _mark_footer(
    texts: Sequence[str], kinds: list[_Label]
) -> tuple[datetime | None, tuple[str, str | None] | None, int]:
    """Label the footer time line and its byline: the publication time, the source the
    byline names (name, category) and where the body ends (``len(texts)`` without a footer).
    """
    footer, published_at = _footer(texts)
    if footer is None:
        return published_at, None, len(texts)
    kinds[footer] = (FOOTER, "footer time line")
    # The byline sits just after the time line, or (rarely) just before it,
    # where it follows the body: there only the aggregator's own lowercase
    # "by" or a "(Category)" counts, so a body line "By the end of 2025 ..."
    # stays body.
    after = footer + 1
    if after < len(texts) and (byline := parse_byline(texts[after])) is not None:
        kinds[after] = (FOOTER, "byline")
        return published_at, byline, footer
    if (
        footer > 0
        and (byline := parse_byline(texts[footer - 1])) is not None
        and (texts[footer - 1].startswith("by") or byline[1] is not None)
    ):
        kinds[footer - 1] = (FOOTER, "byline")
        return published_at, byline, footer - 1
    return published_at, None, footer


def _mark_links(texts: Sequence[str], kinds: list[_Label]) -> tuple[str, ...]:
    """Label translation links and share buttons wherever they are; the languages offered.

    Each language once, in the order the links first offer them.
    """
    translations: list[str] = []
    for i, piece in enumerate(texts):
        if kinds[i][0] != BODY:
            continue
        if (langs := parse_translation_link(piece)) is not None:
            kinds[i] = (TRANSLATION, "translation link")
            translations.extend(lang for lang in langs if lang not in translations)
        elif is_share_line(piece):
            kinds[i] = (SHARE, "share buttons")
    return tuple(translations)


def _mark_after_body(texts: Sequence[str], kinds: list[_Label], body_end: int) -> int:
    """Label what follows the body: the sidebar, standing text, the rest; where it starts.

    A known sidebar heading ends the body even before the footer (or when a
    truncated capture has no footer); after the footer nothing is body.
    """
    for i in range(body_end):
        if kinds[i][0] == BODY and is_sidebar_heading(texts[i]):
            body_end = i
            break
    in_sidebar = False
    for i in range(body_end, len(texts)):
        kind = kinds[i][0]
        if kind != BODY:
            continue
        if is_sidebar_heading(texts[i]):
            kinds[i] = (SIDEBAR, "sidebar heading")
            in_sidebar = True
        elif (phrase := standing_phrase(texts[i])) is not None:
            kinds[i] = (BOILERPLATE, f"known boilerplate phrase: {phrase}")
        elif in_sidebar:
            kinds[i] = (SIDEBAR, "sidebar list item")
        else:
            kinds[i] = (SIDEBAR, "after the footer")
    return body_end


def _mark_standing_text(texts: Sequence[str], kinds: list[_Label], body_end: int) -> None:
    """Label the source's standing paragraphs, which close the body.

    Walk back from the body's end over chrome and stop at the first paragraph that is
    not standing text.
    """
    for i in range(body_end - 1, -1, -1):
        if kinds[i][0] != BODY:
            continue
        phrase = standing_phrase(texts[i])
        if phrase is None:
            break
        kinds[i] = (BOILERPLATE, f"known boilerplate phrase: {phrase}")
