"""Typed rejections: why a document could not be ingested.

Each carries a short ``reason`` (counted in the ingest summary) and a human
``detail``. The pipeline catches ``IngestError`` per document, records it on
the document row and goes on. Anything else is a bug: it fails the one
document it happened in, with a reason that says it is a bug
(``internal_error``), and the run goes on.
"""

from __future__ import annotations

import os
import sys


class IngestError(Exception):
    """A document that could not be ingested, and why."""

    reason = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


class ReadError(IngestError):
    """The file could not be read (missing, unreadable, not a file, too large)."""

    reason = "unreadable"


class DecodeError(IngestError):
    """The bytes are not text (empty, binary)."""

    reason = "not text"


class ParseError(IngestError):
    """The text holds no article (no title, nothing but blank lines)."""

    reason = "no article"


DEBUG_VARIABLE = "NEWSSTORE_DEBUG"


def internal_error(exc: BaseException, where: str) -> str:
    """The reason recorded for an exception nobody expected: ``internal error: Type: message``.

    It is a bug (in newsstore or a library), so it is named as one rather than
    disguised as a property of the input. With ``NEWSSTORE_DEBUG=1`` in the
    environment its traceback goes to stderr too, for a bug report.
    """
    message = " ".join(str(exc).split())
    if len(message) > 300:
        message = message[:299] + "…"
    if os.environ.get(DEBUG_VARIABLE):
        import traceback

        print(f"newsstore: traceback for {where}:", file=sys.stderr)
        traceback.print_exception(exc, file=sys.stderr)
    name = type(exc).__name__
    return f"internal error: {name}: {message}" if message else f"internal error: {name}"
