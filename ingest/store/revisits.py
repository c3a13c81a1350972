"""Revisit records: a duplicate of the capture they repeat, found by record id or payload digest.

A crawler that fetches a page again and gets the same bytes writes a
``revisit`` record with no payload, naming the capture it repeats by
``WARC-Refers-To`` (its record id) and ``WARC-Payload-Digest``. Such a record
is stored as a document with status ``duplicate`` and no bytes, never as a new
article; its ``duplicate_of`` names the stored document of that capture (or
the original that capture itself duplicates), found by record id first, else
by payload digest, among documents that did not fail, oldest first. The
batch's documents are written by then, so a capture earlier in the same batch
is found too. A revisit whose capture is not stored (never ingested, or not a
page) keeps ``duplicate_of`` empty.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from ingest.store.plan import Plan, point_duplicates
from ingest.store.sql import select_in

_BY_RECORD_ID = (
    "SELECT record_id, id, duplicate_of FROM documents"
    " WHERE record_id IN ({marks}) AND status != 'failed' ORDER BY id"
)
_BY_DIGEST = (
    "SELECT payload_digest, id, duplicate_of FROM documents"
    " WHERE payload_digest IN ({marks}) AND status != 'failed' ORDER BY id"
)


def link_revisits(session: Session, plans: Sequence[Plan], ids: Sequence[int]) -> None:
    """Point each revisit of the batch at the stored capture it repeats, when there is one."""
    revisits = [
        (planned.prepared.raw.record, doc_id)
        for planned, doc_id in zip(plans, ids, strict=True)
        if planned.status == "duplicate"
        and planned.prepared.raw.record is not None
        and planned.prepared.raw.record.revisit
    ]
    if not revisits:
        return
    by_id = _originals(session, _BY_RECORD_ID, {r.refers_to for r, _ in revisits if r})
    by_digest = _originals(session, _BY_DIGEST, {r.payload_digest for r, _ in revisits if r})
    fixes = []
    for record, doc_id in revisits:
        assert record is not None
        candidates = by_id.get(record.refers_to or "", []) or by_digest.get(
            record.payload_digest or "", []
        )
        original = next((c for c in candidates if c != doc_id), None)
        if original is not None:
            fixes.append(dict(i=doc_id, d=original))
    point_duplicates(session, fixes)


def _originals(session: Session, sql: str, keys: set[str | None]) -> dict[str, list[int]]:
    """key -> the originals of the documents with it, oldest first (a duplicate's original)."""
    found: dict[str, list[int]] = {}
    for key, doc_id, duplicate_of in select_in(session, sql, sorted(k for k in keys if k)):
        found.setdefault(key, []).append(int(duplicate_of or doc_id))
    return found
