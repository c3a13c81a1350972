"""Page layouts: each module recognises one layout (``matches``) and reads it (``parse``).

Detection is explicit and ordered: the first layout whose ``matches`` accepts
the text parses it. The last entry is the fallback that accepts anything.
"""

from __future__ import annotations

from types import ModuleType

from ingest.errors import ParseError
from ingest.layouts import aggregator, plain
from ingest.records import DecodedDocument, ParsedArticle

LAYOUTS: tuple[ModuleType, ...] = (aggregator, plain)


def parse(document: DecodedDocument) -> ParsedArticle:
    """Read ``document`` with the first layout that recognises it."""
    for layout in LAYOUTS:
        if layout.matches(document.text):
            article: ParsedArticle = layout.parse(document.text)
            break
    else:
        article = plain.parse(document.text)
    if not article.title:
        raise ParseError("no headline found")
    return article
