"""The zstd dictionaries documents are compressed with, per format (table ``raw_dictionaries``).

A dictionary trained on a few hundred documents of one format holds what they
share (a layout's lines, a site's markup), so each document compresses to
what is its own: a generated page dump of 2,886 bytes to 690 rather than
1,056 with plain zstd, one of ``benchmarks/million.py``'s of 4,232 to 1,742
rather than 2,231 (``python benchmarks/raw_compression.py``).

A dictionary is written once, under the write lock, and never changed or
deleted: every frame made with it names its id and needs it to be read back,
and it lives in the same database as those frames, so a copy of the database
(``db copy``, a file copy) carries it. Training one that does not pay leaves a
row without data: that format is not tried again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import zstandard
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from db.models import RawDictionary
from db.raw import Dictionaries, Dictionary, Lookup, pack

# zstd leaves Dictionary_IDs below 32768 to dictionaries registered with it; ours start here.
FIRST_ID: Final = 32768
# 64 KiB, trained on 256 or more documents of a format: larger or on more, they saved no
# more on page dumps (110 KiB: 1-2 bytes a document); 16 KiB saved 5% less.
SIZE: Final = 64 * 1024
TRAIN_MIN: Final = 256  # documents of a format in one written batch before one is trained
TRAIN_MAX: Final = 1000  # of those, the most it is trained on (0.1-0.4 s of CPU)
# ... and at most this many of their bytes: a batch may hold 32 MiB of documents, and
# training costs time and memory in proportion to its samples.
TRAIN_BYTES: Final = 8 * 1024 * 1024


def samples(documents: Iterable[bytes]) -> list[bytes]:
    """What a dictionary is trained on: the first documents, up to ``TRAIN_MAX`` and
    ``TRAIN_BYTES`` (always at least one)."""
    chosen: list[bytes] = []
    total = 0
    for document in documents:
        if chosen and (len(chosen) >= TRAIN_MAX or total + len(document) > TRAIN_BYTES):
            break
        chosen.append(document)
        total += len(document)
    return chosen


# A dictionary is used only if it saves at least this share over plain zstd: below that it
# is not worth what it costs to read back (and to keep).
MIN_SAVING: Final = 0.10


def usable(session: Session) -> dict[str, Dictionary]:
    """The dictionary each format's documents are compressed with now (its latest), by format."""
    rows = session.execute(
        select(RawDictionary.id, RawDictionary.format, RawDictionary.data)
        .where(RawDictionary.data.is_not(None))
        .order_by(RawDictionary.id)
    )
    return {fmt: Dictionary(id, fmt, bytes(data or b"")) for id, fmt, data in rows}


def tried(session: Session) -> set[str]:
    """The formats a dictionary was trained for, whether it paid or not."""
    return set(session.scalars(select(RawDictionary.format).distinct()))


def lookup(session: Session) -> Lookup:
    """A reader's way to the dictionaries of the session's database by id (``db.raw.unpack``),
    each read once (``db.raw.Dictionaries``)."""

    def read(wanted: int) -> bytes | None:
        data = session.scalar(select(RawDictionary.data).where(RawDictionary.id == wanted))
        return None if data is None else bytes(data)

    return Dictionaries(read)


def train(fmt: str, samples: Sequence[bytes], dictionary_id: int) -> tuple[Dictionary, float]:
    """A dictionary for ``fmt`` trained on ``samples``, and what it saves over plain zstd.

    The saving is measured on a fifth of the samples held back from training: on
    the documents it was trained on a dictionary may hold them whole, and even
    noise looks compressible.
    """
    held = max(1, len(samples) // 5)
    learn: list[bytes | bytearray | memoryview] = list(samples[:-held])
    check = samples[-held:]
    try:
        trained = zstandard.train_dictionary(SIZE, learn, dict_id=dictionary_id)
    except zstandard.ZstdError:  # too few samples, or too small, for zstd to train on
        return Dictionary(dictionary_id, fmt, b""), 0.0
    made = Dictionary(dictionary_id, fmt, trained.as_bytes())
    plain = sum(pack(sample).size for sample in check)
    packed = sum(pack(sample, made).size for sample in check)
    return made, (1 - packed / plain) if plain else 0.0


def add(session: Session, made: Dictionary, documents: int, saving: float) -> Dictionary | None:
    """Store a trained dictionary (without its data if it does not pay); the one to use, if any."""
    pays = saving >= MIN_SAVING
    session.execute(
        insert(RawDictionary).values(
            id=made.id,
            format=made.format,
            data=made.data if pays else None,
            documents=documents,
            saving=round(saving, 4),
        )
    )
    return made if pays else None


def next_id(session: Session) -> int:
    """The id the next dictionary gets (under the write lock: nobody else adds one meanwhile)."""
    latest = session.scalar(select(func.max(RawDictionary.id)))
    return FIRST_ID if latest is None else int(latest) + 1
