"""Documents stored with their format's zstd dictionary, trained from a batch when there is none.

The worker processes compress each document as they prepare it
(``ingest.prepare``), with the dictionaries their writer knew after its last
write; here, under the write lock, each document of the batch is made to
follow the one rule: stored with its format's current dictionary when there is
one (a document packed without it, by a worker that did not know it yet, is
packed again: at most a batch per worker, once). A format with none gets one
here, trained on this batch's documents of it, when the batch holds
``TRAIN_MIN`` of them and none was ever trained for it (``db.raw_dictionaries``):
0.1-0.4 s of CPU, once per format and database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import raw_dictionaries
from db.models import RawDictionary
from db.raw import ZSTD, Dictionary, pack
from ingest.records import PreparedDocument


def current(session: Session, known: Mapping[str, Dictionary]) -> dict[str, Dictionary]:
    """Each format's current dictionary: ``known``'s, and the bytes of any newer one read."""
    rows = session.execute(
        select(RawDictionary.id, RawDictionary.format)
        .where(RawDictionary.data.is_not(None))
        .order_by(RawDictionary.id)
    ).all()
    latest = {fmt: id for id, fmt in rows}
    found = {fmt: known[fmt] for fmt, id in latest.items() if fmt in known and known[fmt].id == id}
    if len(found) < len(latest):
        found.update(
            (fmt, dictionary)
            for fmt, dictionary in raw_dictionaries.usable(session).items()
            if fmt not in found
        )
    return found


def settle(
    session: Session, batch: Sequence[PreparedDocument], known: Mapping[str, Dictionary]
) -> tuple[list[PreparedDocument], dict[str, Dictionary]]:
    """The batch with each document packed with its format's dictionary, training one for a
    format that has none when the batch holds enough of it; and the dictionaries by format."""
    dictionaries = current(session, known)
    plain: dict[str, list[PreparedDocument]] = defaultdict(list)
    for prepared in batch:
        packed = prepared.packed
        zstd = packed is not None and packed.codec == ZSTD and packed.dictionary is None
        if prepared.format and zstd:
            plain[prepared.format].append(prepared)
    untried = [
        fmt
        for fmt, documents in plain.items()
        if fmt not in dictionaries and len(documents) >= raw_dictionaries.TRAIN_MIN
    ]
    if untried:
        before = raw_dictionaries.tried(session)
        for fmt in untried:
            if fmt in before:
                continue
            samples = raw_dictionaries.samples(p.raw.raw for p in plain[fmt])
            made, saving = raw_dictionaries.train(fmt, samples, raw_dictionaries.next_id(session))
            used = raw_dictionaries.add(session, made, len(samples), saving)
            if used is not None:
                dictionaries[fmt] = used
    return [_packed_with(prepared, dictionaries) for prepared in batch], dictionaries


def _packed_with(
    prepared: PreparedDocument, dictionaries: Mapping[str, Dictionary]
) -> PreparedDocument:
    """The document packed with its format's dictionary, if it has one and is not so already."""
    packed = prepared.packed
    dictionary = dictionaries.get(prepared.format or "")
    if dictionary is None or packed is None or packed.codec != ZSTD:
        return prepared
    if packed.dictionary == dictionary.id:
        return prepared
    return replace(prepared, packed=pack(prepared.raw.raw, dictionary))
