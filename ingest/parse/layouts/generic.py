"""Find the headline and the article body in a text dump of any news page.

Why this exists: pages reach us as text, one block per block element with blank
lines between, and the menus, cookie notices, share buttons, related-story lists,
comments and footers come along with the article. This parser labels every
block, so the store keeps the whole page and still knows which paragraphs are
the article. It uses no site-specific rules: only the shape of the page.

How it works (pure functions; every block carries the reason for its label,
for ``newsstore show --explain``):

1. ``split_blocks`` cuts the text on blank lines and ``measure`` computes cheap,
   language-light features of each block (``ingest.parse.layouts.generic_features``).
2. ``boilerplate`` recognises chrome by its wording (cookie notices, share
   buttons, bylines, copyright lines, ...). Section headings such as
   "Comments" or "You may also like" are *barriers*: the article does not run
   across comments, and only runs across a related-stories box if enough
   article follows it.
3. ``grade`` weighs each block: prose counts for itself, by length; short
   non-prose blocks (menus, link lists, buttons) and chrome count against.
   ``main_region`` takes the contiguous run of blocks with the largest total
   weight (a maximum-sum run): the densest stretch of prose, which also
   swallows the subheadings, list items and one-line quotes inside it.
4. A document with no chrome at all (wire copy, a plain-text archive file)
   is a clean article: every block after its first line is body.
5. ``find_title`` picks the headline: a headline-shaped block shortly before
   the body that repeats words of the lead; otherwise the first non-empty line.

Output convention: ``paragraphs`` covers every block of the page in document
order except the headline block itself, which becomes the article's title (as
in every layout: the title is not a paragraph). ``classify`` still labels the
headline block 'title'; the other kinds are 'body', 'nav', 'byline', 'share',
'related', 'comment', 'footer' and 'chrome' (any other non-body block).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.normalize import opening_words, storable_article
from ingest.parse.layouts.generic_features import (
    Block,
    boilerplate,
    collapse,
    measure,
    split_blocks,
)
from ingest.parse.layouts.stopwords import STOPWORDS
from ingest.records import ParsedArticle, ParsedParagraph

NAME = "generic"
VERSION = "2"

# Sizes are in characters (CJK weighted, see ``Block.size``).
PROSE_SIZE = 120  # a block this long that reads as prose is article-grade text
SENTENCE_SIZE = 20  # shorter blocks never count as sentences, whatever their punctuation
REPEAT_SIZE = 40  # repeated blocks at least this long are gallery captions or teasers
SENTENCE_FACTOR = 0.75  # a short sentence is weaker evidence than a paragraph
UNPUNCTUATED_FACTOR = 0.3  # long text without final punctuation: probably a teaser or caption
CHROME_COST = 60.0  # what one chrome block costs the region
HEADING_COST = 200.0  # what a related-stories or profile heading costs the region
BARRIER_COST = 10_000.0  # a comments heading: the region never crosses it
SEEN_BEFORE_TAIL = 500.0  # prose seen before a heading means the heading ends the article
TAIL_DISCOUNT = {"comment": 0.1, "related": 0.5, "footer": 0.3}  # prose weight after it

_WORD = re.compile(r"\w+")
_WHOLE = "the text's only block: its article"  # why a text of one block is all body


@dataclass(frozen=True)
class Grade:
    """How a block counts toward the body region, and why.

    ``quality`` is 'prose' (long running text), 'sentence' (a short block that
    still reads as a sentence, or long text without final punctuation),
    'short' (headings, menu items, link titles, repeated text), 'chrome'
    (matched a wording rule) or 'barrier' (a heading that ends or interrupts
    the article). ``weight`` is its contribution to the region; ``kind`` the
    paragraph kind it gets outside the body; ``soft`` marks weak chrome.
    """

    quality: str
    weight: float
    reason: str
    kind: str = "chrome"
    soft: bool = False


def _is_prose_like(b: Block) -> bool:
    """Running text: function words or several sentences, not a bare list of names.

    CJK text has no spaces between words, so there sentence punctuation decides.
    """
    if b.cjk:
        return b.sentences >= 1 or b.terminal
    return b.stop_share >= 0.12 or b.sentences >= 2


def _short_cost(b: Block) -> float:
    """Cost of a short block: a few characters of menu cost less than a long link title."""
    return 12.0 + 0.3 * min(b.size, 100)


def grade(b: Block, repeated: bool) -> Grade:
    """Weigh one block for the body region; see ``Grade`` for the qualities.

    Why the weights: prose earns its size, so one long paragraph outweighs a
    handful of short gaps (subheadings, pull quotes) and the region stays whole,
    while a run of menu items or related links costs enough to cut it off.
    Text the page repeats (menus shown twice, captions echoed in galleries)
    earns nothing however prose-like it looks.
    """
    rule = boilerplate(b)
    if rule is not None:
        if rule.barrier:
            cost = BARRIER_COST if rule.kind == "comment" else HEADING_COST
            return Grade("barrier", -cost, rule.reason, rule.kind)
        return Grade("chrome", -CHROME_COST, rule.reason, rule.kind, rule.soft)
    if repeated and b.size >= REPEAT_SIZE:
        return Grade("short", -_short_cost(b), "text repeated elsewhere on the page")
    prose_like = _is_prose_like(b)
    if b.size >= PROSE_SIZE and prose_like and (b.terminal or b.sentences >= 1):
        return Grade("prose", float(b.size), "long block of running text", "body")
    if b.size >= SENTENCE_SIZE and b.terminal and prose_like:
        return Grade(
            "sentence", b.size * SENTENCE_FACTOR, "short block ending like a sentence", "body"
        )
    if b.size >= PROSE_SIZE and prose_like:
        return Grade(
            "sentence", b.size * UNPUNCTUATED_FACTOR, "long text without final punctuation", "body"
        )
    return Grade("short", -_short_cost(b), "short line without sentence shape", "nav")


def discount_tail(grades: list[Grade]) -> list[float]:
    """Region weights, with prose after a comments/related/profile heading discounted.

    Why: once a page has shown a good amount of prose and then a "Comments",
    "Related stories" or "About the author" heading, what follows is readers'
    comments, teasers or a profile: prose too, and able to outweigh a short
    article. Headings near the top (before any prose) are menus and discount
    nothing.
    """
    seen, factor = 0.0, 1.0
    weights = []
    for g in grades:
        if g.quality == "barrier" and seen >= SEEN_BEFORE_TAIL:
            factor = min(factor, TAIL_DISCOUNT.get(g.kind, 1.0))
        if g.weight > 0:
            weights.append(g.weight * factor)
            seen += g.weight
        else:
            weights.append(g.weight)
    return weights


def main_region(weights: list[float]) -> tuple[int, int]:
    """Return [start, end) of the contiguous run with the largest total weight.

    Why: the article is the one place on a page where prose blocks follow each
    other; menus, teasers and footers around it are short or chrome and weigh
    negative, so the maximum-sum run is the article. Kadane's algorithm, O(n).
    An empty range (0, 0) means no block has positive weight.
    """
    best, best_range = 0.0, (0, 0)
    run, start = 0.0, 0
    for i, w in enumerate(weights):
        if run <= 0:
            run, start = 0.0, i
        run += w
        if run > best:
            best, best_range = run, (start, i + 1)
    return best_range


def _content_words(text: str) -> set[str]:
    """Content words cut to five letters: a crude stem, so 'hibernating' meets 'hibernation'."""
    return {w[:5] for w in _WORD.findall(text.casefold()) if len(w) > 2 and w not in STOPWORDS}


def _headline_score(b: Block, distance: int, echoed: bool, lead: set[str]) -> float:
    """How much a block looks like the headline; 0 if not at all.

    Cues: headline-sized (two to forty words, at most one sentence), sharing
    words with the lead (a headline announces what the first paragraphs say;
    site names and section labels do not), echoed elsewhere on the page, close
    above the body, and not ending with a period.
    """
    if not 2 <= b.words <= 40 or b.size < 10 or b.size > 300 or b.sentences > 1:
        return 0.0
    if boilerplate(b) is not None or b.list_item:
        return 0.0
    words = _content_words(b.text)
    overlap = len(words & lead) / max(len(words), 4)
    score = 0.5 + 2.5 * overlap - 0.02 * distance
    if echoed and overlap > 0:
        score += 0.5
    if b.text.endswith("."):
        score -= 0.8
    if 4 <= b.words <= 25:
        score += 0.5
    return max(score, 0.0)


def find_title(blocks: list[Block], start: int, end: int, counts: dict[str, int]) -> int | None:
    """Index of the headline block, looked for just above the body region.

    Why: a headline sits above the article (often with a byline and a photo in
    between) and repeats the key words of the first paragraphs; menus, section
    names and teasers are further away or about something else. The first block
    of the region is a candidate too when it is short: a headline next to a
    long lead can end up inside the region.
    """
    lead: set[str] = set()
    for b in blocks[start:end]:
        if b.size >= PROSE_SIZE:
            lead |= _content_words(b.text)
            if len(lead) >= 40:
                break
    best, best_at = 0.0, None
    first = start if start < end and blocks[start].size < PROSE_SIZE else start - 1
    for i in range(first, max(-1, start - 30), -1):
        b = blocks[i]
        score = _headline_score(b, max(start - 1 - i, 0), counts[b.text] > 1, lead)
        if score > best:
            best, best_at = score, i
    return best_at


def _is_clean(blocks: list[Block], grades: list[Grade]) -> bool:
    """A clean article: a first line, then text, with no chrome and no menu up top.

    Why: plain-text archives and wire copy have no page around them; there every
    block after the headline is article, even a one-word final line or a list of
    names. Page dumps give themselves away by chrome (share buttons, copyright)
    or by menus between the top and the first sentence.
    """
    if len(blocks) < 2:
        return False
    rest = list(zip(blocks[1:], grades[1:], strict=True))
    if any(g.quality in ("chrome", "barrier") and not g.soft for _, g in rest):
        return False

    def texty(b: Block, g: Grade) -> bool:
        return g.quality in ("prose", "sentence") or b.terminal or b.list_item

    if not any(texty(b, g) for b, g in rest[:3]):
        return False
    return 2 * sum(b.size for b, g in rest if texty(b, g)) >= sum(b.size for b, _ in rest)


@dataclass(frozen=True)
class Label:
    """A block with its paragraph kind and the human-readable reason for it."""

    block: Block
    kind: str
    reason: str


def _label_page(
    blocks: list[Block], grades: list[Grade], start: int, end: int, title_at: int | None
) -> list[Label]:
    """Label each block of a page from the region and the grades."""
    labels = []
    in_list = False  # inside the region, under a related heading, before text resumes
    in_comments = False  # after the region, under a comments heading, before the footer
    for b, g in zip(blocks, grades, strict=True):
        i = b.index
        inside = start <= i < end
        if g.quality == "barrier" and inside:
            in_list = True
        elif g.quality in ("prose", "sentence"):
            in_list = False
        if i >= end and g.quality == "barrier":
            in_comments = g.kind == "comment"
        elif g.kind == "footer":
            in_comments = False
        if i == title_at:
            labels.append(Label(b, "title", "headline: short block above the body, echoing it"))
        elif inside and g.quality == "barrier":
            labels.append(Label(b, g.kind, f"{g.reason}, inside the article"))
        elif inside and in_list:
            labels.append(Label(b, "related", "item under a related-stories heading"))
        elif inside and g.quality == "short":
            labels.append(Label(b, "body", "short block inside the main text region"))
        elif inside and g.quality != "chrome":
            labels.append(Label(b, "body", f"{g.reason}, in the main text region"))
        elif inside:
            labels.append(Label(b, g.kind, f"{g.reason}, inside the article"))
        elif in_comments and g.quality in ("prose", "sentence", "short"):
            labels.append(Label(b, "comment", "in the comments section after the article"))
        else:
            where = "before" if i < start else "after"
            kind = "chrome" if g.kind == "body" else g.kind
            if kind == "nav" and i >= end and b.words >= 3:
                kind = "related"
            labels.append(Label(b, kind, f"{g.reason}, {where} the main text region"))
    return labels


def classify(text: str) -> tuple[int | None, list[Label]]:
    """Label every block of a page: (index of the headline block or None, labels).

    This is ``parse`` without the record wrapping, for explaining and testing.
    """
    blocks = [measure(i, raw) for i, raw in enumerate(split_blocks(text))]
    if not blocks:
        return None, []
    counts: dict[str, int] = {}
    for b in blocks:
        counts[b.text] = counts.get(b.text, 0) + 1
    grades = [grade(b, counts[b.text] > 1) for b in blocks]

    if _is_clean(blocks, grades):
        labels = [Label(b, "body", "clean article: no page chrome around the text") for b in blocks]
        labels[0] = Label(blocks[0], "title", "first line of a clean article")
        return 0, labels

    start, end = main_region(discount_tail(grades))
    title_at = find_title(blocks, start, end, counts) if end > start else None
    return title_at, _label_page(blocks, grades, start, end, title_at)


def parse(text: str) -> ParsedArticle:
    """Read a page dump: the headline, and every other block labelled, in document order.

    The title is the detected headline; without one, the first non-empty line
    of the text (or "(untitled)" for a text with no visible characters), so it
    is never empty. ``text`` is storable (``ingest.parse.layouts.parse`` makes it so); the
    article is fitted to the store (``ingest.normalize.storable_article``: a paragraph
    of megabytes is cut in pieces).
    """
    title_at, labels = classify(text)
    if title_at is not None:
        title = labels[title_at].block.text
    else:
        lines = text.replace("\ufeff", "").splitlines()
        title = next((collapse(line) for line in lines if collapse(line)), "(untitled)")
    paragraphs = tuple(
        ParsedParagraph(lb.block.text, lb.kind, lb.reason)
        for i, lb in enumerate(labels)
        if i != title_at
    )
    if len(labels) == 1:
        # A text of one block (a note, one paragraph saved alone) is its own article: a
        # headline needs a body under it. A page of several blocks none of which reads as
        # article text (a menu, an index of links) stays without a body.
        paragraphs = (ParsedParagraph(labels[0].block.text, "body", _WHOLE),)
        title = opening_words(labels[0].block.text)
    article = ParsedArticle(title=title, paragraphs=paragraphs, layout=NAME, parser_version=VERSION)
    return storable_article(article, len(text))


__all__ = [
    "NAME",
    "VERSION",
    "Grade",
    "Label",
    "classify",
    "discount_tail",
    "find_title",
    "grade",
    "main_region",
    "parse",
]
