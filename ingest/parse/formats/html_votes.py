"""Second opinions on an HTML page's body: what trafilatura left out and two others both keep.

Why: no extractor is best on every kind of page (Bevendorff et al., SIGIR 2023,
found an ensemble beat every single one). Measured on five public extraction
benchmarks (2,492 pages; ``README.md``, "Extraction, measured"), trafilatura in
precision mode, which ``ingest.parse.formats.html`` runs, is the most precise
of eight extractors but leaves out paragraphs that others keep. The rule below
was chosen among 2,361 combinations of those eight by leave-one-dataset-out
cross-validation (each benchmark scored with the rule chosen on the other four,
at no more than twice the parse time): every one of the five folds chose the same
rule. Keep trafilatura's paragraphs, and add a paragraph only when
readability-lxml (Mozilla Readability's algorithm) and resiliparse (its main-content
mode) both hold it. Dropping trafilatura's paragraphs that the others lack never
helped. Body-word F1, mean of the five: 0.927 alone, 0.936 with the additions.

Paragraphs are compared by their words, not their exact text, since each extractor
cuts and spaces a page its own way: two paragraphs are the same when one holds at
least 80% of the other's distinct words. An added paragraph goes where
readability-lxml has it, after the last paragraph trafilatura also found.

Either extractor failing on a page (a hostile page, an encoding it cannot read)
is no vote: the page keeps trafilatura's paragraphs alone.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from lxml.html import fragment_fromstring
from readability import Document
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree

from ingest.normalize import collapse_whitespace
from ingest.parse.formats.markup import HTML_MARKUP, text_blocks

# readability-lxml logs a traceback when it gives up on a page; with no handler of the
# application's, Python's last-resort handler would print it on stderr. A failure here
# is no vote, not news: a handler of its own keeps it quiet unless the application
# configures logging.
logging.getLogger("readability.readability").addHandler(logging.NullHandler())

SHARED = 0.8  # share of a paragraph's distinct words another must hold to be the same
REASON = "left out by trafilatura; found by readability-lxml and resiliparse alike"

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Addition:
    """A paragraph to add, and where: after trafilatura's paragraph ``after`` (-1: first)."""

    after: int
    text: str


def second_opinions(page: str) -> tuple[list[str], list[str]]:
    """The body paragraphs readability-lxml and resiliparse find in a page, in order.

    Each is empty when its extractor fails on the page, whatever the reason: a
    second opinion is never a reason to refuse a page trafilatura could read.
    """
    return readability_paragraphs(page), resiliparse_paragraphs(page)


def readability_paragraphs(page: str) -> list[str]:
    """readability-lxml's body paragraphs, one per block element; [] when it fails."""
    try:
        summary = Document(page).summary(html_partial=True)
        root = fragment_fromstring(summary, create_parent="div")
    except Exception:  # third-party code on hostile markup: no vote
        return []
    return [block.text for block in text_blocks(root, HTML_MARKUP)]


def resiliparse_paragraphs(page: str) -> list[str]:
    """resiliparse's main-content lines; [] when it fails."""
    try:
        text = extract_plain_text(HTMLTree.parse(page), main_content=True)
    except Exception:  # as above
        return []
    return [line for line in (collapse_whitespace(x) for x in text.split("\n")) if line]


def agreed_additions(
    ours: Sequence[str], first: Sequence[str], second: Sequence[str], title: str = ""
) -> list[Addition]:
    """Paragraphs of ``first`` that ``ours`` lacks and ``second`` holds, with their places.

    A paragraph of ``first`` is ours already when one of ours holds 80% of its
    words, or when it is made of ours (their words cover 80% of it). The title
    is never added: it is the article's title, not a paragraph.
    """
    index = _Index([_words(text) for text in ours])
    votes = _Index([_words(text) for text in second])
    key = collapse_whitespace(title).casefold()
    added: list[Addition] = []
    after = -1
    for text in first:
        words = _words(text)
        if not words:
            continue
        found = index.holding(words)
        if found is not None:
            after = max(after, found)
            continue
        if index.covered(words) or collapse_whitespace(text).casefold() == key:
            continue
        if votes.holding(words) is not None:
            added.append(Addition(after, text))
    return added


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.casefold()))


class _Index:
    """Paragraphs as sets of words, looked up by their rarest words (prefix filtering).

    A paragraph P that holds 80% of the words of C must hold one of C's rarest
    ``len(C) - ceil(0.8 len(C)) + 1`` words; looking only those up keeps a
    page of thousands of paragraphs from costing a comparison of every pair.
    """

    def __init__(self, paragraphs: list[frozenset[str]]) -> None:
        self.paragraphs = paragraphs
        self.frequency: Counter[str] = Counter()
        for words in paragraphs:
            self.frequency.update(words)
        self.by_word: dict[str, list[int]] = {}
        self.by_rare_word: dict[str, list[int]] = {}
        for number, words in enumerate(paragraphs):
            for word in words:
                self.by_word.setdefault(word, []).append(number)
            for word in self._rarest(words):
                self.by_rare_word.setdefault(word, []).append(number)

    def _rarest(self, words: frozenset[str]) -> list[str]:
        keep = len(words) - math.ceil(SHARED * len(words)) + 1
        return sorted(words, key=lambda w: (self.frequency[w], w))[:keep]

    def holding(self, words: frozenset[str]) -> int | None:
        """The first paragraph holding 80% of ``words``, if any."""
        need = SHARED * len(words)
        seen: set[int] = set()
        for word in self._rarest(words):
            for number in self.by_word.get(word, ()):
                if number not in seen:
                    seen.add(number)
                    if len(words & self.paragraphs[number]) >= need:
                        return number
        return None

    def covered(self, words: frozenset[str]) -> bool:
        """Whether paragraphs lying (80%) within ``words`` cover 80% of them."""
        union: set[str] = set()
        seen: set[int] = set()
        for word in words:
            for number in self.by_rare_word.get(word, ()):
                if number not in seen:
                    seen.add(number)
                    inner = self.paragraphs[number]
                    if len(words & inner) >= SHARED * len(inner):
                        union |= inner & words
        return len(union) >= SHARED * len(words)


__all__ = [
    "REASON",
    "SHARED",
    "Addition",
    "agreed_additions",
    "readability_paragraphs",
    "resiliparse_paragraphs",
    "second_opinions",
]
