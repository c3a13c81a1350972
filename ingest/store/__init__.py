"""The one stage that writes: documents, articles, paragraphs, sources, places.

Everything here takes the caller's session and never commits; the pipeline
decides the transaction. ``Store.add_batch`` writes a whole batch of prepared
documents with a handful of bulk statements (Core ``insert()`` with
``executemany``, never the ORM unit of work, which is many times slower), in
a savepoint; if the database refuses anything in it, the savepoint is rolled
back and the batch is written again one document per savepoint, so one bad
document fails alone and the others are stored. ``reparse`` writes through the
same ``Store``.

The package, by job: ``plan`` (what each document comes to, the stored-file
look-ups), ``form`` (what is stored for an article, the one definition ingest
and reparse share), ``rows`` (the article rows, in bulk), ``boilerplate``
(learned per source), ``ids`` (source and place ids, cached), ``stories``
(copies grouped into stories), ``rewrite``
(what reparse reads and writes besides articles) and ``sql`` (the
driver-level helpers).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from db.models import Document
from db.raw import Dictionary
from ingest.errors import internal_error
from ingest.records import ArticleRecord, PreparedDocument
from ingest.store import rewrite
from ingest.store.boilerplate import (
    BOILERPLATE,
    BOILERPLATE_MIN_ARTICLES,
    mark_boilerplate,
    recount_boilerplate,
    recount_mentions,
)
from ingest.store.dictionaries import settle
from ingest.store.form import ArticleForm, article_form, article_values, is_current, read_form
from ingest.store.ids import Ids, KnownIds
from ingest.store.plan import (
    Outcome,
    as_first_stored,
    documents_by_sha,
    insert_documents,
    originals,
    plan_batch,
    resume_points,
    stored_outcome,
    unchanged_files,
)
from ingest.store.revisits import link_revisits
from ingest.store.rewrite import StoredDocument
from ingest.store.rows import Job, insert_articles
from ingest.store.stories import check_settings, regroup

__all__ = [
    "BOILERPLATE",
    "BOILERPLATE_MIN_ARTICLES",
    "ArticleForm",
    "KnownIds",
    "Outcome",
    "Store",
    "StoredDocument",
    "article_form",
    "article_values",
    "is_current",
    "mark_boilerplate",
    "read_form",
    "recount_boilerplate",
    "recount_mentions",
    "whole_database",
]


class Store:
    """Writes prepared documents into the caller's session, caching sources and places."""

    def __init__(
        self,
        session: Session,
        known: KnownIds | None = None,
        dictionaries: dict[str, Dictionary] | None = None,
    ) -> None:
        self.session = session
        self.ids = Ids(session, known)
        # The zstd dictionary of each format (``ingest.store.dictionaries``), as far as known.
        self.dictionaries = dictionaries if dictionaries is not None else {}
        self._settings_checked = False
        # Articles reparse rewrote, and the stories they were in: grouped again at the end.
        self._rewritten: list[int] = []
        self._left: set[int] = set()

    @property
    def known(self) -> KnownIds:
        """The source and place ids met so far, for the caller to keep once it has committed."""
        return self.ids.known

    def forget(self) -> None:
        """Drop the caches: ids made inside a rolled-back savepoint are gone."""
        self.ids.forget()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A savepoint around one unit of writing; if anything in it fails, nothing of it stays.

        The error goes on to the caller, which decides whether it fails a
        document or stops everything (``whole_database``); the id caches are
        dropped, since ids made in the savepoint are gone with it.
        """
        try:
            with self.session.begin_nested():
                yield
        except Exception:
            self.forget()
            raise

    # --- what is stored already -------------------------------------------------------

    def unchanged_files(self, files: Sequence[tuple[str, int, float]]) -> dict[str, Outcome]:
        """For (origin, size, mtime) triples that match a stored document: what became of it.

        See ``ingest.store.plan.unchanged_files``: a re-ingest skips these
        files without reading them.
        """
        return unchanged_files(self.session, files)

    def resume_points(self, archives: Sequence[str]) -> dict[str, tuple[int, str | None]]:
        """Where a re-ingest starts each WARC named: see ``ingest.store.plan.resume_points``."""
        return resume_points(self.session, archives)

    def last_document_id(self) -> int:
        """The largest document id stored so far (0 for none): what a run found before it."""
        return int(self.session.scalar(select(func.max(Document.id))) or 0)

    def as_first_stored(self, outcomes: list[Outcome], since: int) -> list[Outcome]:
        """A batch written again, reported as first stored: see ``plan.as_first_stored``."""
        return as_first_stored(self.session, outcomes, since)

    # --- writing ----------------------------------------------------------------------

    def add_batch(self, batch: Sequence[PreparedDocument]) -> list[Outcome]:
        """Store a batch of files; return what became of each, in order.

        A file stored before (the same origin and bytes) is not stored again:
        it is reported unchanged, or failed again if it failed (it still
        does); so is a file given twice in the batch, the second time. Of the
        others, one that cannot be written fails alone. Each document is stored
        with its format's zstd dictionary, if it has one (``dictionaries.settle``).
        """
        batch, self.dictionaries = settle(self.session, batch, self.dictionaries)
        stored = documents_by_sha(self.session, [p.raw.sha256 for p in batch])
        already = {
            (row.origin, row.sha256): stored_outcome(row.origin, row.id, row.status, row.error)
            for row in stored
        }
        repeats = originals(stored)
        keys = [(p.raw.origin, p.raw.sha256) for p in batch]
        firsts = {key: p for key, p in zip(keys, batch, strict=True) if key not in already}
        written = dict(zip(firsts, self._add_fresh(list(firsts.values()), repeats), strict=True))
        outcomes = []
        for key, prepared in zip(keys, batch, strict=True):
            if key in already:
                known = already[key]
                # a record of a web archive is no file of its own
                outcomes.append(known if prepared.raw.record is None else replace(known, files=0))
                continue
            outcome = written[key]
            outcomes.append(outcome)
            if outcome.document_id is not None:  # the same file again in the batch: stored now
                already[key] = stored_outcome(
                    outcome.origin, outcome.document_id, outcome.status, outcome.error
                )
        return outcomes

    def _add_fresh(
        self, batch: Sequence[PreparedDocument], repeats: dict[str, int]
    ) -> list[Outcome]:
        """Store files not stored before, in a savepoint; else one savepoint per file.

        This is the store's side of the barrier around each document: whatever
        goes wrong in writing one (the database refuses a value, a bug) fails
        that document alone, and it is recorded as failed. What concerns the
        whole database (the disk is full, the connection is gone) is no
        document's fault and stops the batch (``whole_database``).
        """
        try:
            with self.savepoint():
                return self._write(batch, repeats)
        except Exception as exc:
            if whole_database(exc):
                raise
            if len(batch) == 1:
                return [self._refused(batch[0], exc)]
        outcomes = []
        for prepared in batch:
            try:
                with self.savepoint():
                    outcomes.extend(self._write([prepared]))
            except Exception as exc:
                if whole_database(exc):
                    raise
                outcomes.append(self._refused(prepared, exc))
        return outcomes

    def _refused(self, prepared: PreparedDocument, exc: Exception) -> Outcome:
        """Record a document that could not be written as failed, with its bytes and why."""
        if isinstance(exc, IntegrityError):
            error, reason = "the database refused it (a constraint failed)", "database error"
        else:
            error, reason = internal_error(exc, prepared.raw.origin), "internal error"
        failed = PreparedDocument(
            raw=prepared.raw,
            encoding=prepared.encoding,
            error=error,
            reason=reason,
            format=prepared.format,
        )
        try:
            with self.session.begin_nested():
                return self._write([failed])[0]
        except Exception as again:
            if whole_database(again):
                raise
            # Not even the failed row can be written: say so, and go on with the batch.
            return Outcome(prepared.raw.origin, "failed", error=error, reason=reason)

    def _write(
        self, batch: Sequence[PreparedDocument], repeats: dict[str, int] | None = None
    ) -> list[Outcome]:
        """Write a batch's documents as planned, and the articles of those ingested.

        ``repeats`` maps sha256 to the stored document those bytes repeat, when
        the caller has looked that up already (``plan.originals``).
        """
        if not self._settings_checked:
            check_settings(self.session)
            self._settings_checked = True
        plans = plan_batch(self.session, batch, repeats)
        doc_ids = insert_documents(self.session, plans)
        link_revisits(self.session, plans, doc_ids)
        jobs = [
            (doc_id, record, None)
            for planned, doc_id in zip(plans, doc_ids, strict=True)
            for record in planned.new
        ]
        self.insert_articles(jobs)
        return [planned.outcome(doc_id) for planned, doc_id in zip(plans, doc_ids, strict=True)]

    def insert_articles(self, jobs: Sequence[Job]) -> list[int]:
        """Insert articles (document id, record, id to keep or None): ``rows.insert_articles``."""
        return insert_articles(self.session, self.ids, jobs)

    # --- what reparse reads and writes ------------------------------------------------

    def documents_to_reparse(self) -> Iterator[StoredDocument]:
        """Every stored document but the duplicates, oldest first, with its bytes."""
        return rewrite.documents_to_reparse(self.session)

    def article_ids(self, document_id: int) -> list[int]:
        """The ids of a document's stored articles, in the order they were written."""
        return rewrite.article_ids(self.session, document_id)

    def is_current(self, article_id: int, record: ArticleRecord) -> bool:
        """Whether writing ``record`` again would leave the stored article as it is."""
        return is_current(self.session, article_id, record)

    def replace_article(self, document_id: int, article_id: int, record: ArticleRecord) -> None:
        """Write ``record`` in place of a stored article, keeping the article's id.

        Its story is derived again by ``regroup_rewritten``, with those of the
        others rewritten, once they all are.
        """
        self._left.add(rewrite.story_of(self.session, article_id))
        rewrite.delete_article(self.session, article_id)
        self.insert_articles([(document_id, record, article_id)])
        self._rewritten.append(article_id)

    def regroup_rewritten(self) -> None:
        """Group the articles rewritten, and the stories they left, again (``stories.regroup``).

        Their band keys are made again from the bodies stored by then, after
        ``recount_boilerplate``: a paragraph learned as boilerplate meanwhile
        (from articles rewritten after them) is out of their bodies by then.
        """
        if self._rewritten:
            regroup(self.session, self._rewritten, stories=self._left, bands=True)
        self._rewritten, self._left = [], set()

    def recategorise(self, record: ArticleRecord) -> None:
        """Give the article's source the category the parser reads now, when it reads one."""
        rewrite.recategorise(self.session, record)

    def set_ingested(self, document_id: int) -> None:
        """Record a document that failed before as ingested, its error gone."""
        rewrite.set_ingested(self.session, document_id)

    def recount_boilerplate(self) -> None:
        """Derive every source's paragraph counts and learned boilerplate again from the data."""
        recount_boilerplate(self.session)


def whole_database(exc: BaseException) -> bool:
    """Whether ``exc`` is about the database as a whole rather than one document's rows.

    A full disk, a lost connection, a lock not granted, an I/O error: failing
    the document at hand for it would be wrong (it is not the document's
    fault) and futile (the next one fails the same way).
    """
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError)
