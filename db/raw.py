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

A dictionary trained per format (``raw_dictionaries``, ``db.raw_dictionaries``)
makes a page dump 690 bytes instead of 1,056. Its zstd Dictionary_ID is the
row's id, and every frame made with it carries that id in its header: so a
row still says ``zstd`` and needs nothing beside it but the dictionary, which
is kept in the same database for ever (never changed, never deleted).
``unpack`` and SQL's ``raw_bytes`` find it by the id the frame names.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar

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
T = TypeVar("T")


def _per_thread(kind: str, key: object, make: Callable[[], T]) -> T:
    """This thread's ``kind`` of zstd object for ``key``, made the first time it is wanted.

    zstd's compressors and decompressors may not be shared between threads, and
    one made with a dictionary costs about as much to make as a page dump costs
    to read with it. They are kept by the dictionary itself, bytes and all, not
    by its id: two databases may each have a dictionary 32768, and one process
    may write to both (a test run, a Python program).
    """
    made: dict[object, T] = _local.__dict__.setdefault(kind, {})
    if key not in made:
        made[key] = make()
    return made[key]


def _compressor(dictionary: Dictionary | None = None) -> zstandard.ZstdCompressor:
    def make() -> zstandard.ZstdCompressor:
        if dictionary is None:
            return zstandard.ZstdCompressor(level=LEVEL)
        data = zstandard.ZstdCompressionDict(dictionary.data)
        data.precompute_compress(level=LEVEL)  # its tables made once (0.4 ms)
        return zstandard.ZstdCompressor(level=LEVEL, dict_data=data)

    return _per_thread("compressors", dictionary, make)


def _decompressor(dictionary: bytes | None = None) -> zstandard.ZstdDecompressor:
    def make() -> zstandard.ZstdDecompressor:
        if dictionary is None:
            return zstandard.ZstdDecompressor()
        return zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(dictionary))

    return _per_thread("decompressors", dictionary, make)


@dataclass(frozen=True)
class Dictionary:
    """A zstd dictionary as stored in ``raw_dictionaries``: its id (the frames' Dictionary_ID),
    the format it was trained on, and its bytes."""

    id: int
    format: str
    data: bytes


# How a reader finds a dictionary by the id a frame names: its bytes, or None if unknown.
Lookup = Callable[[int], "bytes | None"]


class RawCodecError(Exception):
    """A stored document cannot be read back: an unknown codec, or damaged bytes."""


@dataclass(frozen=True)
class Packed:
    """A document's bytes as they are stored: ``data`` and the codec that made it (None: as is)."""

    data: bytes
    codec: str | None
    dictionary: int | None = None  # the id of the dictionary it was made with

    @property
    def size(self) -> int:
        return len(self.data)


def pack(raw: bytes, dictionary: Dictionary | None = None) -> Packed:
    """``raw`` compressed with zstd (with ``dictionary`` if given), or as is where that is not
    smaller (empty, or compressed already)."""
    if not raw:
        return Packed(raw, None)
    data = _compressor(dictionary).compress(raw)
    if len(data) >= len(raw):
        return Packed(raw, None)
    return Packed(data, ZSTD, dictionary.id if dictionary is not None else None)


def dictionary_id(data: bytes) -> int:
    """The Dictionary_ID a stored zstd frame names (0: made without one; or not a frame)."""
    try:
        return int(zstandard.get_frame_parameters(bytes(data)).dict_id)
    except zstandard.ZstdError:
        return 0


def unpack(
    data: bytes, codec: str | None, size: int | None = None, dictionaries: Lookup | None = None
) -> bytes:
    """The document's exact bytes from a stored row's ``raw``, ``raw_codec`` and ``size``.

    ``size`` (``documents.size``) is what the frame must say it holds: a damaged
    or forged row that claims gigabytes is refused before anything is allocated.
    Without it, a frame may claim at most ``MAX_UNPACKED``. A frame made with a
    dictionary is read with the one ``dictionaries`` finds by its id
    (``db.raw_dictionaries.lookup``).
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
    dictionary = None
    wanted = dictionary_id(data)
    if wanted:
        dictionary = dictionaries(wanted) if dictionaries is not None else None
        if dictionary is None:
            raise RawCodecError(f"needs zstd dictionary {wanted}, not in raw_dictionaries")
    try:
        return _decompressor(dictionary).decompress(data)
    except zstandard.ZstdError as exc:
        raise RawCodecError(f"damaged zstd data ({exc})") from None


def raw_bytes(
    data: bytes | None,
    codec: str | None,
    size: int | None = None,
    dictionaries: Lookup | None = None,
) -> bytes | None:
    """SQL's ``raw_bytes(raw, raw_codec[, size])``: the exact bytes, or NULL for a NULL or
    damaged row.

    A SQL function that raised would stop the whole query for one bad row;
    NULL lets the others be read.
    """
    if data is None:
        return None
    try:
        return unpack(data, codec, size, dictionaries)
    except RawCodecError:
        return None


class Dictionaries:
    """A lookup of dictionaries by id (``Lookup``) that reads each one once.

    Dictionaries never change once written, so one read is enough for as long
    as the reader lives; one not found is asked for again (it may be written
    later). ``read`` fetches a dictionary's bytes by id from the database.
    """

    def __init__(self, read: Callable[[int], bytes | None]) -> None:
        self.read = read
        self.known: dict[int, bytes] = {}

    def __call__(self, wanted: int) -> bytes | None:
        if wanted not in self.known:
            found = self.read(wanted)
            if found is None:
                return None
            self.known[wanted] = found
        return self.known[wanted]


# A connection's dictionaries by id, read from its own database the first time a frame names one.
_DICTIONARY = "SELECT data FROM raw_dictionaries WHERE id = ?"


def _reader(connection: sqlite3.Connection) -> Callable[[int], bytes | None]:
    """How a SQLite connection reads a dictionary from its own database.

    It holds the connection (and the connection holds it, through the SQL
    function): ``close()`` breaks that loop, as every pool and CLI does.
    """

    def read(wanted: int) -> bytes | None:
        try:
            row = connection.execute(_DICTIONARY, (wanted,)).fetchone()
        except sqlite3.Error:  # no such table (an old database), or no longer readable
            return None
        return None if row is None or row[0] is None else bytes(row[0])

    return read


def register(connection: sqlite3.Connection) -> None:
    """Add ``raw_bytes(raw, raw_codec)`` and ``raw_bytes(raw, raw_codec, size)`` to a SQLite
    connection (deterministic: usable in views and indexes' expressions).

    A frame made with a dictionary is read with the one its database holds under
    the frame's Dictionary_ID (table ``raw_dictionaries``).
    """
    lookup = Dictionaries(_reader(connection))

    def two(data: bytes | None, codec: str | None) -> bytes | None:
        return raw_bytes(data, codec, None, lookup)

    def three(data: bytes | None, codec: str | None, size: int | None) -> bytes | None:
        return raw_bytes(data, codec, size, lookup)

    connection.create_function(SQL_FUNCTION, 2, two, deterministic=True)
    connection.create_function(SQL_FUNCTION, 3, three, deterministic=True)
