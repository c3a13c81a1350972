"""Reading inputs: which files a set of paths names, their bytes, and their text.

Raw bytes are read once and kept as they are (they go into ``documents.raw``);
decoding never alters them. Decoding tries UTF-8 (a BOM allowed) first, then
guesses: a mostly-ASCII file with a few high bytes is almost always Windows-1252
(charset detectors tend to call such files Shift-JIS), anything else goes to
charset-normalizer.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from ingest.errors import ReadError
from ingest.records import RawDocument

STDIN = "-"
# Files larger than this are refused unread (newsstore ingest --max-size).
MAX_SIZE = 50 * 1024 * 1024
# What a folder walk picks up; the content decides the format (ingest.formats.detect).
_PLAIN_SUFFIXES = (".txt", ".html", ".htm", ".xhtml", ".rss", ".atom", ".xml", ".jsonl", ".ndjson")
SUFFIXES: tuple[str, ...] = _PLAIN_SUFFIXES + tuple(s + ".gz" for s in _PLAIN_SUFFIXES)
# Share of non-ASCII bytes under which a non-UTF-8 file is taken as Windows-1252.
_MOSTLY_ASCII = 0.10


def iter_paths(paths: Iterable[str]) -> Iterator[str]:
    """The files named by ``paths``: files as given, folders recursively (files with ``SUFFIXES``).

    Folders are walked in sorted order so that ingest order, and with it which
    of two identical files is the original, is reproducible. Symbolic links to
    folders are not followed, so a link loop cannot recurse forever.
    """
    for given in paths:
        if given == STDIN:
            yield STDIN
            continue
        path = os.path.abspath(Path(given).expanduser())
        if os.path.isdir(path):
            # Walking an absolute, normalised folder gives absolute, normalised paths.
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if name.lower().endswith(SUFFIXES):
                        yield os.path.join(root, name)
        else:
            yield path


def read_document(origin: str, max_size: int = MAX_SIZE) -> RawDocument:
    """The bytes of one file (or of standard input for ``-``), refusing more than ``max_size``.

    The size is checked before reading, so a huge file costs no memory.
    """
    if origin == STDIN:
        data = sys.stdin.buffer.read(max_size + 1)
        if len(data) > max_size:
            raise ReadError(f"too large: more than {max_size:,} bytes (see --max-size)")
        return _raw(STDIN, data, None)
    try:
        # Opened once, then asked its size: a stat by name before opening would look the
        # path up twice. Opening does not read, so a huge file still costs no memory.
        with open(origin, "rb") as file:
            stat = os.fstat(file.fileno())
            if stat.st_size > max_size:
                raise ReadError(
                    f"too large: {stat.st_size:,} bytes, more than {max_size:,} (see --max-size)"
                )
            data = file.read()
    except ReadError:
        raise
    except IsADirectoryError:
        raise ReadError("is a folder, not a file") from None
    except FileNotFoundError:
        raise ReadError("no such file") from None
    except PermissionError:
        raise ReadError("permission denied") from None
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from None
    return _raw(origin, data, stat.st_mtime)


def _raw(origin: str, data: bytes, mtime: float | None) -> RawDocument:
    return RawDocument(
        origin=origin, raw=data, sha256=hashlib.sha256(data).hexdigest(), mtime=mtime
    )


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` to text; returns the text and the name of the encoding used."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    high = sum(1 for byte in data if byte >= 0x80)
    if high / len(data) < _MOSTLY_ASCII:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    best = from_bytes(data).best()
    if best is not None:
        return str(best), best.encoding
    # cp1252 leaves five bytes undefined; replacing them keeps the text usable
    # and the raw bytes are stored untouched anyway.
    return data.decode("cp1252", errors="replace"), "cp1252"
