"""HTML markup to paragraphs: one paragraph per block element, in document order.

Shared by the readers of markup: trafilatura's output tree (``ingest.parse.formats.html``),
the other extractors' outputs (``html_votes``) and the HTML in a feed item's content
(``ingest.parse.formats.feed``). Each markup names the elements that start and end a
paragraph, so inline markup (links, emphasis) never cuts one.
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass

from lxml import etree
from lxml.html import fragment_fromstring

from ingest.normalize import collapse_whitespace, storable

__all__ = [
    "HTML_MARKUP",
    "TRAFILATURA_MARKUP",
    "Block",
    "Markup",
    "html_fragment_paragraphs",
    "text_blocks",
]


@dataclass(frozen=True)
class Markup:
    """Which elements of a tree break text into blocks: the vocabulary of one markup.

    ``blocks`` start and end a paragraph; ``breaks`` are line breaks (two in a
    row end a paragraph, one is a space); ``cells`` are table cells, kept apart
    by a space; ``drop`` are removed with their content (scripts, styles).
    """

    blocks: frozenset[str]
    breaks: frozenset[str]
    cells: frozenset[str]
    drop: frozenset[str]


HTML_MARKUP = Markup(
    blocks=frozenset(
        "address article aside blockquote caption dd details dialog div dl dt fieldset "
        "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p "
        "pre section summary table tbody tfoot thead tr ul".split()
    ),
    breaks=frozenset({"br"}),
    cells=frozenset({"td", "th"}),
    drop=frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg"}),
)
# trafilatura's output vocabulary (its XML/TEI-like tree).
TRAFILATURA_MARKUP = Markup(
    blocks=frozenset({"p", "head", "list", "item", "quote", "table", "row", "code", "div"}),
    breaks=frozenset({"lb"}),
    cells=frozenset({"cell"}),
    drop=frozenset({"graphic"}),
)


@dataclass(frozen=True)
class Block:
    """One paragraph of text and the element that held it (``p``, ``head``, ``item``...)."""

    text: str
    tag: str


_SPACES = re.compile(r"\s+")
_BLANK_LINE = re.compile(r"\n *\n")


def text_blocks(root: etree._Element, markup: Markup) -> tuple[Block, ...]:
    """The paragraphs of an element tree, in document order, whitespace collapsed.

    Text is cut wherever a block element starts or ends, so nested blocks
    (a list inside a quote, a paragraph inside a div) each give their own
    paragraphs and inline markup (links, emphasis) never cuts one. Works on a
    copy: the caller's tree is left as it was.
    """
    tree = deepcopy(root)
    if markup.drop:
        etree.strip_elements(tree, *markup.drop, with_tail=False)
    etree.strip_tags(tree, etree.Comment, etree.ProcessingInstruction)
    out: list[Block] = []
    buffer: list[str] = []
    open_blocks: list[str] = []

    def flush() -> None:
        tag = open_blocks[-1] if open_blocks else str(tree.tag)
        for part in _BLANK_LINE.split("".join(buffer)):
            text = collapse_whitespace(part)
            if text:
                out.append(Block(text=text, tag=tag))
        buffer.clear()

    for event, element in etree.iterwalk(tree, events=("start", "end")):
        name = str(element.tag)
        if event == "start":
            if name in markup.blocks:
                flush()
                open_blocks.append(name)
            elif name in markup.breaks:
                buffer.append("\n")
            if element.text:
                buffer.append(_SPACES.sub(" ", element.text))
            continue
        if name in markup.cells:
            buffer.append(" ")
        elif name in markup.blocks:
            flush()
            open_blocks.pop()
        if element.tail and element is not tree:
            buffer.append(_SPACES.sub(" ", element.tail))
    flush()
    return tuple(out)


def html_fragment_paragraphs(fragment: str) -> tuple[str, ...]:
    """The paragraphs of a piece of HTML (a feed item's content): one per block element.

    Parsed with lxml's HTML parser, which copes with the tag soup feeds carry;
    text with no markup at all comes back as one paragraph per blank-line
    separated block. Made storable first (``ingest.normalize.storable``): lxml
    refuses text with control characters, which a feed's ``&#1;`` gives.
    """
    fragment = storable(fragment)
    if not fragment.strip():
        return ()
    try:
        root = fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return _text_paragraphs(fragment)
    if len(root) == 0:
        # Plain text: its blank lines are the only paragraph marks it has.
        return _text_paragraphs(root.text or "")
    return tuple(block.text for block in text_blocks(root, HTML_MARKUP))


def _text_paragraphs(text: str) -> tuple[str, ...]:
    return tuple(
        paragraph for part in re.split(r"\n\s*\n", text) if (paragraph := collapse_whitespace(part))
    )
