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
import traceback

from ingest.normalize import collapse_whitespace


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


def exception_message(exc: BaseException, chars: int = 300) -> str:
    """An exception's message on one storable line (it is stored with the document),
    cut at ``chars`` characters."""
    message = collapse_whitespace(str(exc))
    return message if len(message) <= chars else message[: chars - 1] + "…"


def exception_line(exc: BaseException, chars: int = 300) -> str:
    """An exception as one storable line: ``Type: message`` (cut at ``chars``), or ``Type``
    without one."""
    message = exception_message(exc, chars)
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


def internal_error(exc: BaseException, where: str) -> str:
    """The reason recorded for an exception nobody expected: ``internal error: Type: message``.

    It is a bug (in newsstore or a library), so it is named as one rather than
    disguised as a property of the input. With ``NEWSSTORE_DEBUG=1`` in the
    environment its traceback goes to stderr too, for a bug report.
    """
    if os.environ.get(DEBUG_VARIABLE):
        print(f"newsstore: traceback for {where}:", file=sys.stderr)
        traceback.print_exception(exc, file=sys.stderr)
    return f"internal error: {exception_line(exc)}"
