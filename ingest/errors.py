"""Typed rejections: why a document could not be ingested.

Each carries a short ``reason`` (counted in the ingest summary) and a human
``detail``. The pipeline catches ``IngestError`` per document, records it on
the document row and goes on; anything else is a bug and is not swallowed.
"""

from __future__ import annotations


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
