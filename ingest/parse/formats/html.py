"""HTML pages: the article's text and metadata, read with trafilatura (dates by htmldate).

trafilatura finds the main text of a page (dropping menus, related boxes,
footers, comments) and returns it as a small XML tree of ``p``, ``head``,
``list``/``item``, ``quote`` and ``table``/``row`` elements; each of those
blocks becomes one ``ParsedParagraph``, so paragraphs stay paragraphs.

Settings, chosen by measuring (``benchmarks/html_f1.py`` on the 181 pages of
the article-extraction benchmark, body-word F1):

- ``include_comments=False``: reader comments are not the article;
- ``favor_precision=True``: trafilatura's balanced mode keeps teasers, bylines
  and "read more" lists on many pages, and precision mode drops them while
  losing almost no article text;
- precision mode occasionally keeps only a fragment of a page (a caption,
  a standfirst). When its text is very short (under 100 words) the balanced
  mode is run too, and its result is used when precision mode kept less
  than half of its words: a general length check, not a rule for any site,
  and it costs a second pass only on short results;
- tables are kept (``include_tables=True``, trafilatura's default): data
  tables inside articles are article text, and dropping them lowered recall
  more than it raised precision.

Precision mode leaves out some article text that other extractors keep: a
paragraph that readability-lxml and resiliparse both keep is added where they
have it (``ingest.parse.formats.html_votes``, the rule chosen by cross-validation
on five public benchmarks, and why).

Metadata comes from trafilatura's ``with_metadata`` pass: the title; the
publication time from htmldate (``original_date``, so the first publication
rather than the last update), converted to UTC and stored naive when the page
states a zone, kept as written when it does not, and at midnight when the
page only gives a day (htmldate does not say which, so midnight may also be
a real time); the site name, else the host name, as the source; the URL the page
declares (``og:url`` / ``<link rel=canonical>``), else the one given. The
language is the page's own declaration (``<html lang>``, else a
``content-language`` meta tag); nothing is guessed from the words.

Hostile pages: lxml's parser keeps the first 255 levels of nested markup (a page
whose article is deeper has none), an unknown ``<meta charset>`` falls back to
another decoding, character references to characters lxml refuses are replaced
(``ingest.parse.formats.valid_char_refs``), and a time that names no storable moment
is absent (htmldate itself only reports dates between 1995 and today; a page of
bytes is decoded as trafilatura would, by its charset). Any failure of trafilatura,
lxml or htmldate on a page is a ``ParseError`` with its reason, like a page that
yields no text; every text is made storable and the article
fitted to the store (``ingest.normalize.storable_article``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document
from trafilatura.utils import decode_file

from ingest.errors import ParseError, exception_line
from ingest.normalize import (
    NAME_CHARS,
    collapse_whitespace,
    language_tag,
    opening_words,
    optional_text,
    storable_article,
)
from ingest.parse.formats import iso_time, valid_char_refs
from ingest.parse.formats.html_votes import REASON as VOTES_REASON
from ingest.parse.formats.html_votes import agreed_additions, second_opinions
from ingest.parse.formats.markup import TRAFILATURA_MARKUP, Block, text_blocks
from ingest.records import ParsedArticle, ParsedParagraph

NAME = "html"
VERSION = "2"

__all__ = ["NAME", "VERSION", "parse_html"]

# htmldate is asked for a full timestamp: pages that state a time (and zone) in
# their metadata keep it; a page that only gives a day comes back at midnight.
# A date in the URL (/2024/06/03/) is only a fallback (deferred_url_extractor):
# it has no time of day, and would otherwise win over the page's metadata.
_DATE_PARAMS: dict[str, Any] = {
    "original_date": True,
    "extensive_search": True,
    "deferred_url_extractor": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
# A precision-mode text under this many words is checked against the balanced
# mode, and replaced by it when it holds less than this share of its words
# (see the module docstring). On the benchmark any count from 50 to 300 and
# any share from 0.25 to 0.5 give the same result.
_SHORT_WORDS = 100
_SHORT_SHARE = 0.5
_REASON = "main text found by trafilatura"
# Pages of more characters get no second opinions. The largest of the 2,492 pages the rule
# was chosen on has 1.6 MB; on a 22 MB page the second opinions added a third to the time
# (123 s to 165 s) and the peak memory (1.5 to 1.9 GB), for a rule never measured there.
SECOND_OPINIONS_CHARS = 4_000_000


def parse_html(html: str | bytes, url: str | None = None) -> ParsedArticle:
    """Read one HTML page: its headline, article paragraphs and metadata (author too).

    ``html`` may be the raw bytes: trafilatura then decodes them itself,
    honouring the page's ``<meta charset>``, which a text decoder that only
    sees bytes cannot. ``url`` is where the page was fetched from; the page's
    own canonical URL wins over it. Raises ``ParseError`` when the page holds no article
    text. A page with no headline of its own (no title, no heading) is headed by the
    words its text begins with.
    """
    try:
        return _read_html(html, url)
    except ParseError:
        raise
    except Exception as error:  # third-party parsers on hostile markup: a rejection, typed
        raise ParseError(f"unreadable HTML page ({exception_line(error, chars=200)})") from None


def _read_html(html: str | bytes, url: str | None) -> ParsedArticle:
    # Decoded as trafilatura.load_html would (it honours the page's charset), so that
    # references to characters lxml refuses can be replaced first: one "&#1;" made
    # trafilatura drop the whole page.
    text = valid_char_refs(html if isinstance(html, str) else decode_file(html))
    tree = trafilatura.load_html(text)
    if tree is None and "<" in text:
        # trafilatura takes a page with no <html> and one top element for something else;
        # saved pages are often such fragments (a server-side include, a CMS's body).
        tree = trafilatura.load_html(f"<html><body>{text}</body></html>")
    if tree is None:
        raise ParseError("not an HTML page (nothing to parse)")
    language = _declared_language(tree)
    precise = _extract(tree, url, favor_precision=True, with_metadata=True)
    body = _body_blocks(precise)
    meta = precise
    if _words(body) < _SHORT_WORDS:
        balanced = _extract(tree, url, favor_precision=False, with_metadata=precise is None)
        fallback = _body_blocks(balanced)
        if _words(body) < _SHORT_SHARE * _words(fallback):
            body = fallback
        meta = precise if precise is not None else balanced
    if meta is None:
        raise ParseError("no article text found in the HTML page")

    title = collapse_whitespace(meta.title or "")
    if not title:
        title = next((b.text for b in body if b.tag == "head"), "")
    if not title and body:
        # No <title>, no og:title, no heading: the page's text is still its article,
        # under the words it begins with (which stay in the body).
        title = opening_words(body[0].text)
    if not title:
        raise ParseError("no article text found in the HTML page")
    key = title.casefold()
    kept = [b.text for b in body if not (b.tag == "head" and b.text.casefold() == key)]
    paragraphs = _with_second_opinions(kept, text, title)
    if not paragraphs:
        raise ParseError("no article text found in the HTML page")
    return storable_article(
        ParsedArticle(
            title=title,
            paragraphs=paragraphs,
            layout=NAME,
            parser_version=VERSION,
            source_name=_source_name(meta),
            published_at=_published(meta.date),
            url=optional_text(meta.url) or optional_text(url),
            language=language,
            author=optional_text(meta.author),
        )
    )


def _with_second_opinions(ours: list[str], page: str, title: str) -> tuple[ParsedParagraph, ...]:
    """trafilatura's paragraphs, and those two other extractors agree it left out.

    See ``ingest.parse.formats.html_votes``: the rule and why. A page larger than
    any the rule was chosen on is left to trafilatura alone (``SECOND_OPINIONS_CHARS``).
    """
    too_large = len(page) > SECOND_OPINIONS_CHARS
    additions = [] if too_large else agreed_additions(ours, *second_opinions(page), title=title)
    # Each addition goes after the paragraph of ours it follows (-1: before all), in order.
    placed = [(n, 0, ParsedParagraph(t, "body", _REASON)) for n, t in enumerate(ours)]
    placed += [(a.after, 1, ParsedParagraph(a.text, "body", VOTES_REASON)) for a in additions]
    return tuple(paragraph for *_, paragraph in sorted(placed, key=lambda p: p[:2]))


def _extract(
    tree: HtmlElement, url: str | None, *, favor_precision: bool, with_metadata: bool
) -> Document | None:
    """trafilatura's bare extraction with newsstore's settings (see the module docstring)."""
    found = trafilatura.bare_extraction(
        tree,
        url=url,
        favor_precision=favor_precision,
        include_comments=False,
        include_tables=True,
        with_metadata=with_metadata,
        date_extraction_params=dict(_DATE_PARAMS),
    )
    return found if isinstance(found, Document) else None


def _body_blocks(document: Document | None) -> tuple[Block, ...]:
    if document is None or document.body is None:
        return ()
    return text_blocks(document.body, TRAFILATURA_MARKUP)


def _words(blocks: Iterable[Block]) -> int:
    return sum(len(b.text.split()) for b in blocks)


def _source_name(meta: Document) -> str | None:
    """The site's name as the page gives it, else its host name; never the author.

    A source is a publication: authors would make one source per writer.
    """
    for value in (meta.sitename, meta.hostname):
        name = optional_text(value)
        if name and len(name) <= NAME_CHARS:  # else the host name: a longer one is no name
            return name
    return None


def _published(value: str | None) -> datetime | None:
    """htmldate's timestamp as a naive datetime: UTC when the page gave a zone, else as written."""
    if not value or not isinstance(value, str):
        return None
    try:
        return iso_time(value)
    except ValueError:
        return None


def _declared_language(tree: HtmlElement) -> str | None:
    """The language the page declares (``<html lang>``, else ``content-language``)."""
    candidates = [tree.get("lang"), tree.get("xml:lang")]
    candidates += tree.xpath(
        "//meta[translate(@http-equiv, 'CONTENTLAGU', 'contentlagu')='content-language']/@content"
    )
    for value in candidates:
        # content-language may list several: the first is the page's
        if (tag := language_tag(str(value or "").split(",")[0])) is not None:
            return tag
    return None
