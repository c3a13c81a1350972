"""Stage 1, read: which files a set of paths names, and their bytes.

Raw bytes are read once and kept as they are (they go into ``documents.raw``);
decoding never alters them. Reading is bounded whatever the input claims: only
regular files are read (a FIFO would block forever, ``/dev/zero`` never ends,
and both report a size of 0), and no read takes more than ``max_size`` + 1
bytes, whatever ``stat`` said a moment before.
Their text is the parse stage's business (``ingest.parse.decode``).
"""

from __future__ import annotations

import hashlib
import os
import stat as stat_module
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from pathlib import Path

from db.errors import as_text
from ingest.errors import ReadError
from ingest.records import RawDocument

STDIN = "-"
# Files larger than this are refused unread (newsstore ingest --max-size).
MAX_SIZE = 50 * 1024 * 1024
# What a folder walk picks up; the content decides the format (ingest.parse.detect).
_PLAIN_SUFFIXES = (
    ".txt", ".html", ".htm", ".xhtml", ".rss", ".atom", ".xml", ".jsonl", ".ndjson", ".warc"
)  # fmt: skip
SUFFIXES: tuple[str, ...] = _PLAIN_SUFFIXES + tuple(s + ".gz" for s in _PLAIN_SUFFIXES) + (".wacz",)
# Reads go in steps of this size, so that a file growing while it is read costs
# at most ``max_size`` + one step.
_READ_STEP = 1024 * 1024
_KINDS = (
    (stat_module.S_ISFIFO, "a FIFO (named pipe)"),
    (stat_module.S_ISCHR, "a character device"),
    (stat_module.S_ISBLK, "a block device"),
    (stat_module.S_ISSOCK, "a socket"),
)


def iter_paths(paths: Iterable[str]) -> Iterator[str]:
    """The files named by ``paths``: files as given, folders recursively (files with ``SUFFIXES``).

    Folders are walked in sorted order so that ingest order, and with it which
    of two identical files is the original, is reproducible. Symbolic links to
    folders are not followed, so a link loop cannot recurse forever. A path
    named twice (or inside a folder also named) is given once. A folder that
    cannot be listed is given as it is: reading it then fails with the reason,
    so it is reported and counted rather than skipped in silence.
    """
    seen: set[str] = set()
    for path in _named(paths):
        if path not in seen:
            seen.add(path)
            yield path


def _named(paths: Iterable[str]) -> Iterator[str]:
    for given in paths:
        if given == STDIN or not given:  # an empty path names nothing (not the current folder)
            yield given
            continue
        path = os.path.abspath(Path(given).expanduser())
        if os.path.isdir(path):
            # Walking an absolute, normalised folder gives absolute, normalised paths.
            yield from _walk(path)
        else:
            yield path


def _walk(top: str) -> Iterator[str]:
    """The files under ``top`` with ``SUFFIXES``, files before subfolders, each in sorted order.

    What ``os.walk`` gives, with an explicit stack instead of its recursion,
    which fails on a deep enough tree. A folder that cannot be listed is given
    as itself, to be reported; a link to a folder is not followed.
    """
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            yield folder
            continue
        subfolders = []
        for entry in entries:
            if _is_folder(entry):
                if not entry.is_symlink():
                    subfolders.append(entry.path)
            elif entry.name.lower().endswith(SUFFIXES):
                yield entry.path
        stack.extend(reversed(subfolders))


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def origin_text(path: str) -> str:
    """``path`` as ``documents.origin`` stores it (``db.errors.as_text``), so a rerun finds it."""
    if path.isascii():  # nearly every path: nothing to escape
        return path
    return as_text(path)


def read_document(origin: str, max_size: int = MAX_SIZE) -> RawDocument:
    """The bytes of one file (or of standard input for ``-``), refusing more than ``max_size``.

    Only a regular file is read. It is opened without blocking (opening a FIFO
    with no writer would wait forever), asked what it is and how big, and read
    in bounded steps: a file that says it is small but is not (a device, a
    file growing meanwhile) still costs at most ``max_size`` + one step.
    """
    if origin == STDIN:
        return _read_stdin(max_size)
    try:
        fd = os.open(origin, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except IsADirectoryError:
        raise ReadError("is a folder, not a file") from None
    except FileNotFoundError:
        raise ReadError("no such file") from None
    except PermissionError:
        what = "a folder that cannot be listed" if os.path.isdir(origin) else "cannot read"
        raise ReadError(f"permission denied ({what})") from None
    except OSError as exc:
        with suppress(OSError):  # a socket cannot even be opened: say what it is
            _check_kind(os.stat(origin).st_mode)
        raise ReadError(f"cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL character in the path: no file can have that name
        raise ReadError(f"cannot read: {exc}") from None
    try:
        found = os.fstat(fd)
        _check_kind(found.st_mode)
        if found.st_size > max_size:
            raise ReadError(
                f"too large: {found.st_size:,} bytes, more than {max_size:,} (see --max-size)"
            )
        data = _read_at_most(lambda n: os.read(fd, n), max_size + 1, found.st_size)
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > max_size:
        raise ReadError(f"too large: more than {max_size:,} bytes (see --max-size)")
    return _raw(origin_text(origin), data, found.st_mtime)


def _read_stdin(max_size: int) -> RawDocument:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise ReadError("cannot read: standard input is closed")
    try:
        data = _read_at_most(stream.read, max_size + 1, 0)
    except (OSError, ValueError) as exc:
        raise ReadError(f"cannot read standard input: {exc}") from None
    if len(data) > max_size:
        raise ReadError(f"too large: more than {max_size:,} bytes (see --max-size)")
    return _raw(STDIN, data, None)


def _check_kind(mode: int) -> None:
    if stat_module.S_ISREG(mode):
        return
    if stat_module.S_ISDIR(mode):
        raise ReadError("is a folder, not a file")
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise ReadError(f"not a regular file: {kind}")


def _read_at_most(read: Callable[[int], bytes], limit: int, expected: int) -> bytes:
    """Up to ``limit`` bytes from ``read``, to the end, in steps.

    A read of n bytes allocates n bytes before it reads any: asking for the
    whole limit at once would cost ``--max-size`` of memory for every small
    file (and fail for a large limit). The first step is the size ``stat``
    gave, plus one to see the end, so a file is most often read in one step.
    """
    first = read(min(limit, expected + 1 if expected else _READ_STEP))
    if not first:
        return first
    parts = [first]
    total = len(first)
    while total < limit:
        part = read(min(_READ_STEP, limit - total))
        if not part:
            break
        parts.append(part)
        total += len(part)
    return first if len(parts) == 1 else b"".join(parts)


def _raw(origin: str, data: bytes, mtime: float | None) -> RawDocument:
    return RawDocument(
        origin=origin, raw=data, sha256=hashlib.sha256(data).hexdigest(), mtime=mtime
    )
