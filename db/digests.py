"""SHA-256 digests stored as their 32 bytes, read and written by Python as 64 hex digits.

``documents.sha256`` and ``articles.content_hash`` were 64 hex characters: each
key was stored three times for documents (the row, the unique constraint with
``origin``, ``ix_documents_sha256``) and twice for articles: 176 bytes an
article of a store of page dumps more than as 32 bytes (README, Bytes per
article). The ORM and the store go on handling hex strings: this column type
turns them into bytes on the way in and back on the way out. SQL reads them as
hex with ``lower(hex(sha256))`` on SQLite and ``encode(sha256, 'hex')`` on
PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

SIZE = 32  # bytes of a SHA-256 digest


def to_bytes(digest: str) -> bytes:
    """A digest's 64 hex digits as its 32 bytes (ValueError for anything else)."""
    data = bytes.fromhex(digest)
    if len(data) != SIZE:
        raise ValueError(f"not a SHA-256 digest: {digest!r}")
    return data


def to_hex(data: bytes | memoryview | str) -> str:
    """A stored digest as 64 lowercase hex digits.

    A value written as text by hand-made SQL is given back as it is rather than
    failing the read: a row must never stop a command.
    """
    return data if isinstance(data, str) else bytes(data).hex()


class HexDigest(TypeDecorator[str]):
    """A SHA-256 digest: hex in Python, 32 bytes in the database (BLOB, bytea)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else to_bytes(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else to_hex(value)
