"""What storing each document of a batch comes to: its outcome, and the row that records it.

A file is looked up before it is written: stored before (unchanged, or failed
again), a repeat of another file's bytes or articles (a duplicate, pointing at
its original), or new. The look-ups run for every batch, so each is one
indexed statement over a list of values (the SQL below).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from db import counts
from db.base import table_of
from db.models import Document
from db.raw import pack
from ingest.read import origin_text
from ingest.records import ArticleRecord, PreparedDocument, RawDocument
from ingest.store.sql import insert_returning_ids, select_in

# The look-ups made for every batch, as SQL handed to the driver (the same on SQLite and
# PostgreSQL), each with one list of values in place of {marks}. As SQLAlchemy
# statements with an expanding parameter, rendering lists of hundreds of values cost
# about a tenth of a batch's write, more than SQLite took to answer most of them.
_BY_ORIGIN = (
    "SELECT id, origin, size, mtime, status, error FROM documents WHERE origin IN ({marks})"
)
# By sha256 alone, not by (origin, sha256): SQLite answers a row-value IN list by
# reading the whole unique index, and that grows with every batch.
_BY_SHA = (
    "SELECT id, origin, sha256, status, error, duplicate_of FROM documents"
    " WHERE sha256 IN ({marks})"
)
_BY_CONTENT = "SELECT content_hash, document_id FROM articles WHERE content_hash IN ({marks})"


@dataclass(frozen=True)
class Outcome:
    """What storing one document did."""

    origin: str
    status: str  # 'ingested', 'duplicate', 'failed', or 'unchanged' (already stored)
    articles: int = 0
    error: str | None = None
    reason: str | None = None
    document_id: int | None = None
    warnings: tuple[str, ...] = ()  # bad records of a file whose other records were stored
    notes: tuple[str, ...] = ()  # what reading the file took (invalid bytes replaced, say)
    # How many input files this outcome completes: 1 for a file; 0 for a record of a web
    # archive, whose file is done with the outcome of its last part (status 'part').
    files: int = 1
    skipped: tuple[tuple[str, int], ...] = ()  # a part's: records skipped, by kind


@dataclass
class Plan:
    """What to write for one document of a batch."""

    prepared: PreparedDocument
    status: str
    new: list[ArticleRecord] = field(default_factory=list)
    duplicate_of: int | None = None

    def outcome(self, document_id: int) -> Outcome:
        """What writing this plan did, once its document is ``document_id``."""
        prepared = self.prepared
        return Outcome(
            origin=prepared.raw.origin,
            status=self.status,
            articles=len(self.new),
            error=prepared.error,
            reason=prepared.reason,
            document_id=document_id,
            warnings=prepared.warnings,
            notes=prepared.notes,
            files=0 if prepared.raw.record is not None else 1,
        )


def unchanged_files(
    session: Session, files: Sequence[tuple[str, int, float]]
) -> dict[str, Outcome]:
    """For (origin, size, mtime) triples that match a stored document: what became of it.

    This lets a re-ingest skip files without reading them: a file whose
    path, size and modification time are those of a stored document is
    taken as that document.
    """
    found: dict[str, Outcome] = {}
    # Stored origins are text (``origin_text``); the answer is keyed by the paths given.
    wanted = {origin_text(path): (path, size, mtime) for path, size, mtime in files}
    # Unpacked by position: a re-ingest runs this for every file it skips.
    for doc_id, origin, size, mtime, status, error in select_in(session, _BY_ORIGIN, wanted):
        path, *stat = wanted[origin]
        if (size, mtime) == tuple(stat):
            found[path] = stored_outcome(origin, doc_id, status, error)
    return found


def stored_outcome(origin: str, doc_id: int, status: str, error: str | None) -> Outcome:
    """What ingesting a stored file again comes to: unchanged, or failed again as before."""
    if status == "failed":
        return Outcome(origin, "failed", error=error, reason="failed before", document_id=doc_id)
    return Outcome(origin, "unchanged", document_id=doc_id)


# What the first writing of a document did, for a batch written a second time.
_AS_STORED = (
    "SELECT d.id, d.status, (SELECT count(*) FROM articles a WHERE a.document_id = d.id)"
    " FROM documents d WHERE d.id IN ({marks})"
)


def as_first_stored(session: Session, outcomes: list[Outcome], since: int) -> list[Outcome]:
    """A rewritten batch's outcomes, saying what this run did to documents it stored first.

    A batch is written again when the pool of workers writing it broke
    (``ingest.workers``); another worker may have committed it before the pool
    broke, its outcomes lost on the way back. Written again, its documents are
    "unchanged", although this run stored them: those with an id above
    ``since`` (the largest before the run) are reported as they were stored.
    """
    mine = [
        o.document_id for o in outcomes if o.status == "unchanged" and (o.document_id or 0) > since
    ]
    if not mine:
        return outcomes
    stored = {row[0]: (row[1], row[2]) for row in select_in(session, _AS_STORED, mine)}
    return [
        replace(o, status=stored[o.document_id][0], articles=stored[o.document_id][1])
        if o.document_id in stored
        else o
        for o in outcomes
    ]


def documents_by_sha(session: Session, shas: list[str]) -> list[Any]:
    """The stored documents with these bytes, oldest first (by the sha256 index)."""
    rows = list(select_in(session, _BY_SHA, sorted(set(shas))))
    rows.sort(key=lambda row: row.id)
    return rows


def originals(stored: Sequence[Any]) -> dict[str, int]:
    """sha256 -> the document those bytes repeat: the oldest stored that did not fail.

    ``stored`` are ``documents_by_sha`` rows, oldest first; a document that is a
    duplicate itself points at its original.
    """
    found: dict[str, int] = {}
    for row in stored:
        if row.status != "failed":
            found.setdefault(row.sha256, int(row.duplicate_of or row.id))
    return found


def _documents_by_content(session: Session, digests: list[str]) -> dict[str, int]:
    """content hash -> the document holding the article with that content."""
    rows = select_in(session, _BY_CONTENT, sorted(set(digests)))
    return {digest: int(doc_id) for digest, doc_id in rows}


def plan_batch(
    session: Session, batch: Sequence[PreparedDocument], repeats: dict[str, int] | None
) -> list[Plan]:
    """Decide each document's status: failed, duplicate (of what), or ingested (with what).

    ``repeats`` maps sha256 to the stored document those bytes repeat
    (``originals``), when the caller has looked that up already; else it is
    looked up here.
    """
    ok = [p for p in batch if p.error is None]
    if repeats is None:
        repeats = originals(documents_by_sha(session, [p.raw.sha256 for p in ok]))
    same_bytes = dict(repeats)
    owners = _documents_by_content(session, [r.content_hash for p in ok for r in p.articles])
    plans = []
    for prepared in batch:
        if prepared.error is not None:
            plans.append(Plan(prepared, "failed"))
            continue
        revisit = prepared.raw.record is not None and prepared.raw.record.revisit
        # A revisit holds no bytes: it repeats the capture it names (``revisits``).
        original = None if revisit else same_bytes.get(prepared.raw.sha256)
        planned = Plan(prepared, "ingested")
        for record in prepared.articles:
            earlier = owners.get(record.content_hash)
            if earlier is None:
                planned.new.append(record)
                owners[record.content_hash] = -1  # claimed by this batch
            elif original is None and earlier > 0:
                original = earlier
        if not planned.new:
            planned.status, planned.duplicate_of = "duplicate", original
        plans.append(planned)
        if not revisit:  # a later file of the batch with the same bytes repeats this one
            same_bytes.setdefault(prepared.raw.sha256, -1)
    return plans


def insert_documents(session: Session, plans: list[Plan]) -> list[int]:
    """Insert the batch's ``documents`` rows, as planned; their new ids, in order."""
    first_id: dict[str, int] = {}  # sha256 -> the first document of the batch with it
    rows = []
    for planned in plans:
        prepared, raw = planned.prepared, planned.prepared.raw
        packed = prepared.packed or pack(raw.raw)
        duplicate_of = planned.duplicate_of
        if duplicate_of is not None and duplicate_of < 0:
            duplicate_of = None  # a repeat of this batch: pointed at it below
        rows.append(
            dict(
                origin=raw.origin,
                sha256=raw.sha256,
                size=raw.size,
                mtime=raw.mtime,
                encoding=prepared.encoding,
                format=prepared.format,
                raw=packed.data,
                raw_codec=packed.codec,
                status=planned.status,
                error=prepared.error if planned.status == "failed" else _remarks(prepared),
                duplicate_of=duplicate_of,
                **_record_columns(raw),
            )
        )
    ids = insert_returning_ids(session, Document, rows)
    counts.add(session, Counter((counts.STATUS, str(row["status"])) for row in rows))
    for planned, doc_id in zip(plans, ids, strict=True):
        if planned.status != "failed" and planned.prepared.raw.size:
            first_id.setdefault(planned.prepared.raw.sha256, doc_id)
    _fix_batch_duplicates(session, plans, ids, first_id)
    return ids


def _fix_batch_duplicates(
    session: Session, plans: list[Plan], ids: list[int], first_id: dict[str, int]
) -> None:
    """Point duplicates of documents first seen in this same batch at those documents."""
    owner: dict[str, int] = {}
    for planned, doc_id in zip(plans, ids, strict=True):
        for record in planned.new:
            owner[record.content_hash] = doc_id
    fixes = []
    for planned, doc_id in zip(plans, ids, strict=True):
        if planned.status != "duplicate" or (planned.duplicate_of or 0) > 0:
            continue
        target = first_id.get(planned.prepared.raw.sha256)
        if target == doc_id or target is None:
            target = next(
                (
                    owner[r.content_hash]
                    for r in planned.prepared.articles
                    if r.content_hash in owner
                ),
                None,
            )
        if target is not None and target != doc_id:
            fixes.append(dict(i=doc_id, d=target))
    point_duplicates(session, fixes)


def point_duplicates(session: Session, fixes: list[dict[str, int]]) -> None:
    """Set each duplicate's ``duplicate_of`` (``i``: the duplicate, ``d``: its original)."""
    if fixes:
        table = table_of(Document)
        session.execute(
            update(table).where(table.c.id == bindparam("i")).values(duplicate_of=bindparam("d")),
            fixes,
        )


def _record_columns(raw: RawDocument) -> dict[str, object]:
    """The columns that say where a web archive's record lies and what the archive says of it
    (all null for a file: every row of an ``executemany`` names the same columns)."""
    record = raw.record
    if record is None:
        return dict.fromkeys(RECORD_COLUMNS)
    return dict(
        archive=record.archive,
        record_offset=record.offset,
        record_id=record.record_id,
        url=record.url,
        fetched_at=record.fetched_at,
        content_type=record.content_type,
        payload_digest=record.payload_digest,
    )


RECORD_COLUMNS = (
    "archive",
    "record_offset",
    "record_id",
    "url",
    "fetched_at",
    "content_type",
    "payload_digest",
)


def resume_points(session: Session, archives: Sequence[str]) -> dict[str, tuple[int, str | None]]:
    """For each WARC named (``documents.archive``), the offset and record id of the last
    record stored from it: where a re-ingest starts reading it again (by the index on
    ``(archive, record_offset)``, one look-up each, whatever the records stored)."""
    found = {}
    for name in archives:
        row = session.execute(
            select(Document.record_offset, Document.record_id)
            .where(Document.archive == name, Document.record_offset.is_not(None))
            .order_by(Document.record_offset.desc())
            .limit(1)
        ).first()
        if row is not None and row[0] is not None:
            found[name] = (int(row[0]), row[1])
    return found


def _remarks(prepared: PreparedDocument) -> str | None:
    """What is noted in ``documents.error`` of a stored file: its bad records, bytes replaced."""
    remarks = list(prepared.notes)
    if prepared.warnings:
        remarks.append(f"{len(prepared.warnings)} bad records: " + "; ".join(prepared.warnings))
    return "; ".join(remarks) or None
