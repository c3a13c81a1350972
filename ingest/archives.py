"""Stage 1 for web archives: the WARC files a file holds, and the runs of records workers read.

A WARC (``.warc``, or ``.warc.gz`` with one gzip member per record, as every
crawler writes it) or a WACZ (a zip holding WARC files under ``archive/``) is
never read whole, nor held to ``--max-size``: it is a stream of records, each
a document of its own, and a crawl's file is a gigabyte and more. The process
that hands out the work reads it once, record header by record header
(``parts``: FastWARC skips each payload, seeking past it in a plain WARC), and
cuts it into runs of consecutive records by their offsets (``ArchivePart``),
which the worker processes read and parse like batches of files
(``ingest.parse.formats.warc``). Memory stays that of one record at a time,
whatever the archive's size.

That first reading also finds where an archive is damaged: a record cut short
(a truncated file, a crawl still being written), a gzip member that does not
inflate, a header that is no WARC header (a Content-Length that lies lands on
one). The archive is read up to there; the part after it is that failure, at
its offset, and nothing past it is read.

A re-ingest starts each WARC at the last record stored from it
(``documents.record_offset``): an archive read before costs one record, and
one that grew since (a crawl still running) gives only its new records.

Limits, so that no archive hangs a run or takes unbounded memory: a record
declaring more than ``MAX_RECORD`` bytes ends the readable part of its
archive (skipping it would mean inflating it); a WARC in a WACZ that is
deflated (the WACZ spec stores them) is read as one part, and one claiming
to inflate to more than ``MAX_RATIO`` times its size is refused.
"""

from __future__ import annotations

import io
import os
import re
import stat as stat_module
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from fastwarc.warc import ArchiveIterator

from ingest.parse.detect import detect_archive
from ingest.read import origin_text
from ingest.records import ArchivePart

# A part ends at this many records, or once its records hold this many bytes: about a
# batch of files' worth (``ingest.pipeline.BATCH_BYTES``), a few seconds of parsing.
PART_RECORDS = 1024
PART_BYTES = 8 * 1024 * 1024
# A record declaring more than this ends the part of its archive that is read: getting
# past it would take inflating it (a gzip bomb declares terabytes).
MAX_RECORD = 4 * 1024**3
# A deflated WARC in a WACZ claiming to inflate to more than this many times its size.
MAX_RATIO = 100
# Finding where a record's gzip member ends (to say where damage after it is) inflates it
# no further than this: a member that goes on is itself the damage (a gzip bomb).
MAX_MEMBER_END = 64 * 1024 * 1024
# What the damaged part's failed row keeps of the bytes from the damage on.
DAMAGE_BYTES = 64 * 1024
_HEAD = 1024  # enough for a gzip member to inflate to "WARC/1.1"
_ZIP_HEADER = struct.Struct("<4s5H3L2H")  # a zip member's local header (30 bytes)
_WARC_SUFFIXES = (".warc", ".warc.gz")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Warc:
    """One WARC of a file: the file itself, or a member of a WACZ."""

    path: str
    member: str | None
    start: int  # where its bytes begin in the file (a stored member's data)
    size: int  # its size (unpacked)
    seekable: bool  # its bytes lie in the file as they are (not deflated)
    error: str | None = None  # why it cannot be read

    @property
    def name(self) -> str:
        """How ``documents.archive`` names it: the file, or ``FILE!member``."""
        text = origin_text(self.path)
        if self.member is None:
            return text
        # A member's name is whatever the zip says: control characters are escaped, so
        # that it can be stored (PostgreSQL refuses NUL) and printed on one line.
        member = _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", origin_text(self.member))
        return f"{text}!{member}"


def archive_kind(path: str, stat: os.stat_result | None) -> str | None:
    """'warc' or 'wacz' when the regular file at ``path`` is a web archive, by its content.

    Only a regular file is opened (``stat`` says), without blocking, and its
    first bytes read; a zip file is a WACZ when it holds WARC files.
    """
    if stat is None or not stat_module.S_ISREG(stat.st_mode):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        head = os.read(fd, _HEAD)
    except OSError:
        return None
    finally:
        os.close(fd)
    kind = detect_archive(head)
    if kind == "zip":
        return "wacz" if _zip_warcs(path) else None
    return kind


def _zip_warcs(path: str) -> list[zipfile.ZipInfo]:
    """The WARC members of a zip file, by name (those under ``archive/`` when there are any)."""
    try:
        with zipfile.ZipFile(path) as wacz:
            members = [m for m in wacz.infolist() if m.filename.lower().endswith(_WARC_SUFFIXES)]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        return []
    archived = [m for m in members if m.filename.startswith("archive/")]
    return sorted(archived or members, key=lambda m: m.filename)


def warcs(path: str, kind: str) -> list[Warc]:
    """The WARCs of a web archive: the file itself, or a WACZ's WARC members, by name."""
    if kind == "warc":
        return [Warc(path, None, 0, os.stat(path).st_size, True)]
    found = []
    for member in _zip_warcs(path):
        warc = Warc(path, member.filename, 0, member.file_size, False)
        if member.flag_bits & 0x1:
            warc = replace(warc, error="an encrypted member of the WACZ")
        elif member.compress_type == zipfile.ZIP_STORED:
            warc = replace(warc, start=_data_start(path, member), seekable=True)
        elif member.file_size > MAX_RATIO * member.compress_size + 2**20:
            warc = replace(
                warc,
                error=f"the WACZ member would inflate to {member.file_size:,} bytes, more than "
                f"{MAX_RATIO} times its size (a zip bomb?)",
            )
        found.append(warc)
    return found


def _data_start(path: str, member: zipfile.ZipInfo) -> int:
    """Where a stored zip member's bytes begin in the file: after its local header."""
    with open(path, "rb") as file:
        file.seek(member.header_offset)
        header = file.read(_ZIP_HEADER.size)
    if len(header) < _ZIP_HEADER.size:
        return member.header_offset  # reading it then fails, at its offset
    *_, name_length, extra_length = _ZIP_HEADER.unpack(header)
    return int(member.header_offset + _ZIP_HEADER.size + name_length + extra_length)


class Bounded(io.RawIOBase):
    """A window ``[start, end)`` of a WARC's bytes, positions counted in the WARC.

    FastWARC reads through it, so a record's ``stream_pos`` is its offset in the
    WARC, and nothing past ``end`` (the next part's records) is ever read.
    """

    def __init__(self, file: BinaryIO, base: int, start: int, end: int) -> None:
        super().__init__()
        self.file, self.base, self.position, self.end = file, base, start, end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        room = min(len(buffer), self.end - self.position)
        if room <= 0:
            return 0
        data: bytes = self.file.read(room)
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position


@contextmanager
def opened(warc: Warc, start: int, end: int) -> Iterator[Bounded]:
    """The bytes ``[start, end)`` of a WARC, as a stream FastWARC can read."""
    if warc.seekable:
        with open(warc.path, "rb") as file:
            file.seek(warc.start + start)
            yield Bounded(file, warc.start, start, end)
        return
    assert warc.member is not None
    with zipfile.ZipFile(warc.path) as wacz, wacz.open(warc.member) as member:
        member.seek(start)  # inflates up to there: a deflated WARC is read as one part
        yield Bounded(member, 0, start, end)  # type: ignore[arg-type]


# Where a WARC was left: the offset and record id of the last record stored from it.
Resume = tuple[int, str | None]


def parts(path: str, kind: str, resume: Callable[[str], Resume | None]) -> Iterator[ArchivePart]:
    """The runs of records of a web archive, in order; the last one says it ends the file.

    ``resume(name)`` is where the WARC so named was left, or None to read it
    from the start. It is read from there only if the record there is still the
    one stored (its record id): a file replaced by another is read whole.
    """
    pending: ArchivePart | None = None
    try:
        for warc in warcs(path, kind):
            for part in _warc_parts(warc, resume(warc.name)):
                if pending is not None:
                    yield replace(pending, last=False)
                pending = part
    except Exception as exc:  # the file vanished, or cannot be read: it fails from there
        if pending is not None:
            yield replace(pending, last=False)
        reason = f"cannot read: {str(exc).strip() or type(exc).__name__}"
        pending = ArchivePart(path, None, (0,), 0, damage=reason)
    if pending is None:  # a WACZ whose WARC members are all empty
        pending = ArchivePart(path, None, (0,), 0, damage="no WARC records in the archive")
    yield replace(pending, last=True)


def _warc_parts(warc: Warc, resume: Resume | None) -> Iterator[ArchivePart]:
    """One WARC's parts, from where it was left (or its start) to its end or its damage."""
    start = 0
    if resume is not None and 0 <= resume[0] < warc.size and warc.error is None:
        offset, record_id = resume
        if record_id is None or record_id_at(warc, offset) == record_id:
            start = offset
    if warc.error is not None:
        yield ArchivePart(warc.path, warc.member, (start,), start, damage=warc.error)
        return
    offsets: list[int] = []
    weight = 0
    # A deflated WARC is one part: reading a part from its middle would inflate it from
    # its start again.
    most_records, most_bytes = (PART_RECORDS, PART_BYTES) if warc.seekable else (2**62, 2**62)
    for offset, length, damage in _records(warc, start):
        if damage is not None:
            if offsets:
                yield ArchivePart(warc.path, warc.member, tuple(offsets), offset)
            yield ArchivePart(warc.path, warc.member, (offset,), offset, damage=damage)
            return
        if offset < 0:  # gzipped as one stream: no record can be found by its offset
            yield ArchivePart(warc.path, warc.member, (0,), warc.size, whole=True)
            return
        if offsets and (len(offsets) >= most_records or weight + length > most_bytes):
            yield ArchivePart(warc.path, warc.member, tuple(offsets), offset)
            offsets, weight = [], 0
        offsets.append(offset)
        weight += length
    if offsets:
        yield ArchivePart(warc.path, warc.member, tuple(offsets), warc.size)


def _records(warc: Warc, start: int) -> Iterator[tuple[int, int, str | None]]:
    """(offset, length, None) for each whole record from ``start``; then, if the WARC is
    damaged, (offset, 0, why) where it is. An offset of -1: the WARC is gzipped as one
    stream, and its records have no offsets of their own.

    Each record is given once the next one is found: the last is checked to end
    where the WARC does (FastWARC gives a record cut short by the end of the file
    as if it were whole).
    """
    held: tuple[int, int] | None = None
    current = None
    with opened(warc, start, warc.size) as stream:
        records = iter(ArchiveIterator(stream, parse_http=False))
        try:
            for record in records:
                current = offset = record.stream_pos
                if held is not None and offset <= held[0]:
                    yield -1, 0, None
                    return
                length = record.content_length
                if length > MAX_RECORD:
                    yield from _held(held)
                    yield offset, 0, f"a record of {length:,} bytes, more than any page"
                    return
                found = record.reader.consume()
                yield from _held(held)
                if found < length:
                    yield offset, 0, f"truncated record: {length:,} bytes declared, {found:,} there"
                    return
                held, current = (offset, length), None
        except Exception as exc:  # FastWARC: OSError for what it cannot read; anything else too
            reason = str(exc).strip() or type(exc).__name__
            if current is None and held is not None:  # between records: after the last one
                current = end_of(warc, held[0])
                if current is None:  # unless that one does not end (its gzip member goes on)
                    current = held[0]
                else:
                    yield from _held(held)
            yield current if current is not None else start, 0, reason
            return
    if held is not None:
        end = end_of(warc, held[0])
        if end is None or end > warc.size:
            yield held[0], 0, "truncated record: the archive ends inside it"
        else:
            yield held[0], held[1], None


def _held(held: tuple[int, int] | None) -> Iterator[tuple[int, int, str | None]]:
    if held is not None:
        yield held[0], held[1], None


def end_of(warc: Warc, offset: int) -> int | None:
    """Where the record at ``offset`` ends, which is where the next one should begin; None
    when it does not end (a gzip member or a header cut short)."""
    with suppress(Exception), opened(warc, offset, warc.size) as stream:
        head = stream.read(2)
        if head == b"\x1f\x8b":  # one gzip member: it ends where inflating it does
            inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            taken = inflated = 0
            data = head + stream.read(2**16)
            while data and not inflate.eof and inflated <= MAX_MEMBER_END:
                inflated += len(inflate.decompress(data, 2**20))
                taken += len(data) - len(inflate.unconsumed_tail)
                data = inflate.unconsumed_tail or stream.read(2**16)
            if not inflate.eof:  # cut short, or a bomb past its record
                return None
            return offset + taken - len(inflate.unused_data)
        header = head + stream.read(2**16)
        end = header.find(b"\r\n\r\n")
        if end < 0:
            return None
        for line in header[:end].split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length" and value.strip().isdigit():
                return offset + end + 4 + int(value) + 4
    return None


def record_id_at(warc: Warc, offset: int) -> str | None:
    """The WARC-Record-ID of the record at ``offset``; None if there is none to read there."""
    try:
        with opened(warc, offset, warc.size) as stream:
            record = next(iter(ArchiveIterator(stream, parse_http=False)), None)
            return None if record is None else record.record_id
    except Exception:  # no record there: the file is not the one read before
        return None
