"""The plain layout: a headline line, a blank line, paragraphs separated by blank lines.

This is how text corpora such as the BBC News dataset are written: no page
chrome at all, so every block after the headline is article body.
"""

from __future__ import annotations

import re

from ingest.normalize import collapse_whitespace
from ingest.records import ParsedArticle, ParsedParagraph

NAME = "plain"
VERSION = "1"

_BLANK_LINE = re.compile(r"\n[ \t\f\v\u00a0]*\n")


def split_blocks(text: str) -> list[str]:
    """The blocks of ``text`` separated by blank lines, whitespace collapsed, empties dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = (collapse_whitespace(block) for block in _BLANK_LINE.split(text))
    return [block for block in blocks if block]


def matches(text: str) -> bool:
    """A first line that stands alone: a headline followed by a blank line."""
    lines = text.lstrip("\ufeff \t\r\n").replace("\r\n", "\n").split("\n", 2)
    return len(lines) >= 2 and bool(lines[0].strip()) and not lines[1].strip()


def parse(text: str) -> ParsedArticle:
    title, *paragraphs = split_blocks(text) or [""]
    return ParsedArticle(
        title=title,
        paragraphs=tuple(
            ParsedParagraph(p, "body", "plain layout: all text is body") for p in paragraphs
        ),
        layout=NAME,
        parser_version=VERSION,
    )
