"""Raw documents as stored: compressed with zstd, or as they are.

``documents.raw`` holds a file's exact bytes, and was two fifths of the
database (4,106 of 10,103 bytes per article of ``benchmarks/ingest_speed.py``'s
page dumps, a row of 2.9 KB filling a 4 KiB page alone). zstd at level 3
makes a page dump of 2,886 bytes 1,056 (about 20 µs per page to compress, 6 µs
to decompress on the README's machine). ``documents.raw_codec`` says how each
row is stored: 'zstd', or NULL for the bytes as they are (rows written before
compression, and files that zstd does not make smaller, such as a ``.gz``).

Every reader of ``documents.raw`` goes through ``unpack``; SQL reads it with
the function ``raw_bytes(raw, raw_codec)``, which ``register`` adds to every
SQLite connection newsstore opens (the CLI's, ``newsstore sql``'s and
``newsstore serve``'s). The sha256 of a document is of its bytes as read,
never of what is stored.

A dictionary trained per format compresses the page dumps further (690 bytes
instead of 1,056) but would make every row need its dictionary, and SQL
readers with it; not done (see README, "Raw documents").
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from typing import Final

import zstandard

ZSTD: Final = "zstd"
# Level 3 is zstd's default: level 6 saves 2% more on page dumps at twice the time.
LEVEL: Final = 3
# The name of the SQL function that decompresses a stored document.
SQL_FUNCTION: Final = "raw_bytes"
# What a frame may claim to hold when the row's size is not given (SQL's two-argument
# ``raw_bytes``): ten times ingest's default ``--max-size``.
MAX_UNPACKED: Final = 500 * 1024 * 1024


# Each thread's (de)compressor: making one costs as much as compressing a page dump (about
# 15 µs), and one must not be used by two threads at once (Datasette calls raw_bytes from
# several). A forked worker process has its own copy.
_local = threading.local()


def _compressor() -> zstandard.ZstdCompressor:
    if not hasattr(_local, "compressor"):
        _local.compressor = zstandard.ZstdCompressor(level=LEVEL)
    compressor: zstandard.ZstdCompressor = _local.compressor
    return compressor


def _decompressor() -> zstandard.ZstdDecompressor:
    if not hasattr(_local, "decompressor"):
        _local.decompressor = zstandard.ZstdDecompressor()
    decompressor: zstandard.ZstdDecompressor = _local.decompressor
    return decompressor


class RawCodecError(Exception):
    """A stored document cannot be read back: an unknown codec, or damaged bytes."""


@dataclass(frozen=True)
class Packed:
    """A document's bytes as they are stored: ``data`` and the codec that made it (None: as is)."""

    data: bytes
    codec: str | None

    @property
    def size(self) -> int:
        return len(self.data)


def pack(raw: bytes) -> Packed:
    """``raw`` compressed with zstd, or as is where that is not smaller (empty, or compressed)."""
    if not raw:
        return Packed(raw, None)
    data = _compressor().compress(raw)
    if len(data) >= len(raw):
        return Packed(raw, None)
    return Packed(data, ZSTD)


def unpack(data: bytes, codec: str | None, size: int | None = None) -> bytes:
    """The document's exact bytes from a stored row's ``raw``, ``raw_codec`` and ``size``.

    ``size`` (``documents.size``) is what the frame must say it holds: a damaged
    or forged row that claims gigabytes is refused before anything is allocated.
    Without it, a frame may claim at most ``MAX_UNPACKED``.
    """
    if codec is None:
        return bytes(data)
    if codec != ZSTD:
        raise RawCodecError(f"unknown raw_codec {codec!r}: written by a newer newsstore?")
    data = bytes(data)
    try:
        claimed = zstandard.frame_content_size(data)
    except zstandard.ZstdError as exc:
        raise RawCodecError(f"damaged zstd data ({exc})") from None
    if claimed < 0:  # every frame newsstore writes records its size
        raise RawCodecError("damaged zstd data (no content size in the frame)")
    if (size is not None and claimed != size) or (size is None and claimed > MAX_UNPACKED):
        expected = f"{size:,}" if size is not None else f"at most {MAX_UNPACKED:,}"
        raise RawCodecError(f"damaged zstd data (it claims {claimed:,} bytes, not {expected})")
    try:
        return _decompressor().decompress(data)
    except zstandard.ZstdError as exc:
        raise RawCodecError(f"damaged zstd data ({exc})") from None


def raw_bytes(data: bytes | None, codec: str | None, size: int | None = None) -> bytes | None:
    """SQL's ``raw_bytes(raw, raw_codec[, size])``: the exact bytes, or NULL for a NULL or
    damaged row.

    A SQL function that raised would stop the whole query for one bad row;
    NULL lets the others be read.
    """
    if data is None:
        return None
    try:
        return unpack(data, codec, size)
    except RawCodecError:
        return None


def register(connection: sqlite3.Connection) -> None:
    """Add ``raw_bytes(raw, raw_codec)`` and ``raw_bytes(raw, raw_codec, size)`` to a SQLite
    connection (deterministic: usable in views and indexes' expressions)."""
    connection.create_function(SQL_FUNCTION, 2, raw_bytes, deterministic=True)
    connection.create_function(SQL_FUNCTION, 3, raw_bytes, deterministic=True)
