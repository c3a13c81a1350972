"""Re-derive articles from the stored raw documents with the current parsers.

Nothing is lost: raw bytes are never touched. An article whose parse did not
change is not written at all; one that changed is rewritten under the same id;
a document that failed before and parses now gains its articles. A document
that fails to reparse, in whatever way, keeps what is stored for it, and the
others go on (each is rewritten in a savepoint of its own).

Every read and write goes through ``ingest.store``, the one writer; whether a
stored article is current is the store's ``is_current``, the same definition
of a stored article that ingest writes by.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ingest.isolated import prepare_isolated
from ingest.places.homes import learn_homes
from ingest.prepare import prepare
from ingest.records import PreparedDocument, RawDocument
from ingest.store import Store, StoredDocument, whole_database


@dataclass(frozen=True)
class ReparseResult:
    documents: int
    changed: int
    added: int
    unchanged: int
    failed: int


def reparse(engine: Engine) -> ReparseResult:
    """Reparse every stored document in one transaction (all or nothing)."""
    tally: Counter[str] = Counter()
    with Session(engine) as session, session.begin():
        store = Store(session)
        handed: deque[StoredDocument] = deque()

        def raws() -> Iterator[RawDocument]:
            for document in store.documents_to_reparse():
                if document.unreadable is not None:  # its articles are kept, as for a failure
                    tally["documents"] += 1
                    tally["failed"] += 1
                    continue
                handed.append(document)
                yield document.raw

        # The sources' homes as the store holds them before the reparse, for every document.
        preparer = partial(prepare, homes=learn_homes(session))
        for prepared in prepare_isolated(raws(), preparer=preparer):
            document = handed.popleft()
            tally["documents"] += 1
            if prepared.error is not None:
                tally["failed"] += 1  # articles already stored are kept: nothing is lost
                continue
            try:
                with store.savepoint():
                    tally += _rewrite(store, document, prepared)
            except Exception as exc:
                if whole_database(exc):
                    raise  # no document's fault: see ingest.store
                tally["failed"] += 1
        if tally["changed"] or tally["added"]:
            store.recount_boilerplate()
        store.regroup_rewritten()
    return ReparseResult(
        *(tally[key] for key in ("documents", "changed", "added", "unchanged", "failed"))
    )


def _rewrite(store: Store, document: StoredDocument, prepared: PreparedDocument) -> Counter[str]:
    """Bring one document's stored articles to what ``prepared`` holds; how many changed, ..."""
    counts: Counter[str] = Counter()
    existing = store.article_ids(document.id)
    for index, record in enumerate(prepared.articles):
        if index < len(existing):
            if store.is_current(existing[index], record):
                counts["unchanged"] += 1
                continue
            store.replace_article(document.id, existing[index], record)
            counts["changed"] += 1
        else:
            store.insert_articles([(document.id, record, None)])
            counts["added"] += 1
        store.recategorise(record)
    if document.status == "failed":
        store.set_ingested(document.id)
    return counts
