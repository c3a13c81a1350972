"""Page layouts: each module recognises one layout (``matches``) and reads it (``parse``).

Detection is explicit and ordered: the first layout whose ``matches`` accepts
the text parses it. A document no layout recognises goes to body detection
(``ingest.parse.layouts.generic``), which finds the headline and the article text in any page
dump and keeps a clean plain-text article whole.

The text is made storable here, once, before a layout is chosen
(``ingest.normalize.storable``): every layout then sees the same text, in which a
line of control characters is a blank line, and reads it without cleaning it again.
"""

from __future__ import annotations

from types import ModuleType

from ingest.errors import ParseError
from ingest.normalize import storable
from ingest.parse.layouts import aggregator
from ingest.parse.layouts import generic as body
from ingest.records import DecodedDocument, ParsedArticle

LAYOUTS: tuple[ModuleType, ...] = (aggregator,)
FALLBACK: ModuleType = body


def parse(document: DecodedDocument) -> ParsedArticle:
    """Read ``document`` with the first layout that recognises it, else the fallback."""
    text = storable(document.text)
    layout = next((m for m in LAYOUTS if m.matches(text)), FALLBACK)
    article: ParsedArticle = layout.parse(text)
    if not article.title or not any(p.kind == "body" for p in article.paragraphs):
        raise ParseError("no article text found (a headline and at least one paragraph)")
    return article
