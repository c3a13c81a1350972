"""The one stage that writes: documents, articles, paragraphs, sources, places.

Everything here takes the caller's session and never commits; the pipeline
decides the transaction. ``Store.add_batch`` writes a whole batch of prepared
documents with a handful of bulk statements (Core ``insert()`` with
``executemany``, never the ORM unit of work, which is many times slower), in
a savepoint; if the database refuses anything in it, the savepoint is rolled
back and the batch is written again one document per savepoint, so one bad
document fails alone and the others are stored.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Insert,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from db.base import Base, table_of
from db.fts import bulk_indexing
from db.models import (
    Article,
    ArticleLocation,
    ArticleTranslation,
    Document,
    Location,
    LocationMention,
    Paragraph,
    Source,
    SourceParagraph,
)
from ingest.errors import internal_error
from ingest.fingerprint import CONTENT_KINDS
from ingest.places.gazetteer import Place
from ingest.read import origin_text
from ingest.records import ArticleRecord, ParsedArticle, PreparedDocument

# A paragraph found in this many distinct articles of one source is boilerplate.
BOILERPLATE_MIN_ARTICLES = 3
BOILERPLATE = "boilerplate"
T = TypeVar("T")
# SQLite allows 32,766 bound parameters per statement; IN lists stay well below.
_IN_CHUNK = 900


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


@dataclass
class _Plan:
    """What to write for one document of a batch."""

    prepared: PreparedDocument
    status: str
    new: list[ArticleRecord] = field(default_factory=list)
    duplicate_of: int | None = None


@dataclass
class KnownIds:
    """Ids of the sources and places a writer has met, carried from one transaction to the next.

    Without them every batch would look each of its sources and places up
    again. A ``Store`` works on its own copy (``Store.known``); the caller
    keeps that copy only once the transaction has committed, because ids
    made in a transaction that is rolled back are gone.
    """

    sources: dict[str, tuple[int, bool]] = field(default_factory=dict)  # name -> id, has category
    locations: dict[str, int] = field(default_factory=dict)

    def copy(self) -> KnownIds:
        return KnownIds(dict(self.sources), dict(self.locations))


class Store:
    """Writes prepared documents into the caller's session, caching sources and places."""

    def __init__(self, session: Session, known: KnownIds | None = None) -> None:
        self.session = session
        self.known = known.copy() if known is not None else KnownIds()

    # --- what is stored already -------------------------------------------------------

    def unchanged_files(self, files: Sequence[tuple[str, int, float]]) -> dict[str, Outcome]:
        """For (origin, size, mtime) triples that match a stored document: what became of it.

        This lets a re-ingest skip files without reading them: a file whose
        path, size and modification time are those of a stored document is
        taken as that document.
        """
        found: dict[str, Outcome] = {}
        # Stored origins are text (``origin_text``); the answer is keyed by the paths given.
        wanted = {origin_text(path): (path, size, mtime) for path, size, mtime in files}
        # Unpacked by position: a re-ingest runs this for every file it skips.
        for doc_id, origin, size, mtime, status, error in self._select_in(_BY_ORIGIN, wanted):
            path, *stat = wanted[origin]
            if (size, mtime) == tuple(stat):
                found[path] = _stored_outcome(origin, doc_id, status, error)
        return found

    # --- writing ----------------------------------------------------------------------

    def add_batch(self, batch: Sequence[PreparedDocument]) -> list[Outcome]:
        """Store a batch of files; return what became of each, in order.

        A file stored before (the same origin and bytes) is not stored again:
        it is reported unchanged, or failed again if it failed (it still
        does); so is a file given twice in the batch, the second time. Of the
        others, one that cannot be written fails alone.
        """
        stored = self._documents_by_sha([p.raw.sha256 for p in batch])
        already = {
            (row.origin, row.sha256): _stored_outcome(row.origin, row.id, row.status, row.error)
            for row in stored
        }
        originals = _originals(stored)
        keys = [(p.raw.origin, p.raw.sha256) for p in batch]
        firsts = {key: p for key, p in zip(keys, batch, strict=True) if key not in already}
        written = dict(zip(firsts, self._add_fresh(list(firsts.values()), originals), strict=True))
        outcomes = []
        for key in keys:
            if key in already:
                outcomes.append(already[key])
                continue
            outcome = written[key]
            outcomes.append(outcome)
            if outcome.document_id is not None:  # the same file again in the batch: stored now
                already[key] = _stored_outcome(
                    outcome.origin, outcome.document_id, outcome.status, outcome.error
                )
        return outcomes

    def _add_fresh(
        self, batch: Sequence[PreparedDocument], originals: dict[str, int]
    ) -> list[Outcome]:
        """Store files not stored before, in a savepoint; else one savepoint per file.

        This is the store's side of the barrier around each document: whatever
        goes wrong in writing one (the database refuses a value, a bug) fails
        that document alone, and it is recorded as failed. What concerns the
        whole database (the disk is full, the connection is gone) is no
        document's fault and stops the batch (``whole_database``).
        """
        try:
            with self.session.begin_nested():
                return self._write(batch, originals)
        except Exception as exc:
            if whole_database(exc):
                raise
            self.forget()
            if len(batch) == 1:
                return [self._refused(batch[0], exc)]
        outcomes = []
        for prepared in batch:
            try:
                with self.session.begin_nested():
                    outcomes.extend(self._write([prepared]))
            except Exception as exc:
                if whole_database(exc):
                    raise
                self.forget()
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

    def forget(self) -> None:
        """Drop the caches: ids made inside a rolled-back savepoint are gone."""
        self.known = KnownIds()

    def _write(
        self, batch: Sequence[PreparedDocument], originals: dict[str, int] | None = None
    ) -> list[Outcome]:
        plans = self._plan(batch, originals)
        doc_ids = self._insert_documents(plans)
        jobs = [
            (doc_id, record, None)
            for plan, doc_id in zip(plans, doc_ids, strict=True)
            for record in plan.new
        ]
        self.insert_articles(jobs)
        outcomes = []
        for plan, doc_id in zip(plans, doc_ids, strict=True):
            prepared = plan.prepared
            outcomes.append(
                Outcome(
                    origin=prepared.raw.origin,
                    status=plan.status,
                    articles=len(plan.new),
                    error=prepared.error,
                    reason=prepared.reason,
                    document_id=doc_id,
                    warnings=prepared.warnings,
                    notes=prepared.notes,
                )
            )
        return outcomes

    def _plan(
        self, batch: Sequence[PreparedDocument], originals: dict[str, int] | None
    ) -> list[_Plan]:
        """Decide each document's status: failed, duplicate (of what), or ingested (with what).

        ``originals`` maps sha256 to the stored document those bytes repeat,
        when the caller has looked that up already; else it is looked up here.
        """
        ok = [p for p in batch if p.error is None]
        if originals is None:
            originals = _originals(self._documents_by_sha([p.raw.sha256 for p in ok]))
        same_bytes = dict(originals)
        owners = self._documents_by_content([r.content_hash for p in ok for r in p.articles])
        plans = []
        for prepared in batch:
            if prepared.error is not None:
                plans.append(_Plan(prepared, "failed"))
                continue
            original = same_bytes.get(prepared.raw.sha256)
            plan = _Plan(prepared, "ingested")
            for record in prepared.articles:
                earlier = owners.get(record.content_hash)
                if earlier is None:
                    plan.new.append(record)
                    owners[record.content_hash] = -1  # claimed by this batch
                elif original is None and earlier > 0:
                    original = earlier
            if not plan.new:
                plan.status, plan.duplicate_of = "duplicate", original
            plans.append(plan)
            # A later file of the batch with the same bytes repeats this one.
            same_bytes.setdefault(prepared.raw.sha256, -1)
        return plans

    def _documents_by_sha(self, shas: list[str]) -> list[Any]:
        """The stored documents with these bytes, oldest first (by the sha256 index)."""
        rows = list(self._select_in(_BY_SHA, sorted(set(shas))))
        rows.sort(key=lambda row: row.id)
        return rows

    def _documents_by_content(self, digests: list[str]) -> dict[str, int]:
        """content hash -> the document holding the article with that content."""
        rows = self._select_in(_BY_CONTENT, sorted(set(digests)))
        return {digest: int(doc_id) for digest, doc_id in rows}

    def _insert_documents(self, plans: list[_Plan]) -> list[int]:
        first_id: dict[str, int] = {}  # sha256 -> the first document of the batch with it
        rows = []
        for plan in plans:
            prepared, raw = plan.prepared, plan.prepared.raw
            duplicate_of = plan.duplicate_of
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
                    raw=raw.raw,
                    status=plan.status,
                    error=prepared.error if plan.status == "failed" else _remarks(prepared),
                    duplicate_of=duplicate_of,
                )
            )
        ids = self._insert_returning_ids(Document, rows)
        for plan, doc_id in zip(plans, ids, strict=True):
            if plan.status != "failed":
                first_id.setdefault(plan.prepared.raw.sha256, doc_id)
        self._fix_batch_duplicates(plans, ids, first_id)
        return ids

    def _executemany(
        self, table: Table, columns: Sequence[str], rows: Sequence[Sequence[object]]
    ) -> None:
        """INSERT many rows, given as tuples of ``columns``, straight through ``executemany``.

        On the hot path of ingest (hundreds of thousands of paragraph rows), the
        per-row parameter handling of a SQLAlchemy statement costs more than
        SQLite spends storing the rows, and so did building a dict per row. The
        rows are plain values of the table's own columns, so nothing is lost by
        handing them to the driver.
        """
        if not rows:
            return
        connection = self.session.connection()
        dialect = connection.dialect
        # The columns' own conversions (dates as SQLAlchemy stores them in SQLite),
        # looked up once per statement, and applied to those columns only.
        types = [table.c[c].type.dialect_impl(dialect) for c in columns]
        convert = [(i, f) for i, t in enumerate(types) if (f := t.bind_processor(dialect))]
        if convert:
            converted = []
            for row in rows:
                values = list(row)
                for i, f in convert:
                    if values[i] is not None:
                        values[i] = f(values[i])
                converted.append(tuple(values))
            rows = converted
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join([mark] * len(columns))})'
        connection.exec_driver_sql(sql, list(rows))

    def _select_in(self, sql: str, values: Iterable[object]) -> Iterator[Any]:
        """The rows of one of the look-ups below, for ``values`` in lists of ``_IN_CHUNK``."""
        connection = self.session.connection()
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        for chunk in _chunks(list(values)):
            marks = ", ".join([mark] * len(chunk))
            yield from connection.exec_driver_sql(sql.format(marks=marks), tuple(chunk))

    def _insert_returning_ids(self, model: type[Base], rows: list[dict[str, object]]) -> list[int]:
        """Insert rows with one executemany and return their new ids, in order.

        SQLite cannot promise that a multi-row INSERT ... RETURNING returns the
        ids in the order of the rows, so SQLAlchemy would send one INSERT per
        row there. The ids are numbered here instead: the transaction began
        IMMEDIATE (``db.session``), so no other writer can take one meanwhile.
        """
        if not rows:
            return []
        table = table_of(model)
        if self.session.get_bind().dialect.name == "sqlite":
            last = int(self.session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0)
            ids = list(range(last + 1, last + 1 + len(rows)))
            keys = list(rows[0])
            self._executemany(
                table,
                ["id", *keys],
                [(i, *map(row.__getitem__, keys)) for row, i in zip(rows, ids, strict=True)],
            )
            return ids
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return [int(i) for i in self.session.execute(statement, rows).scalars()]

    def _fix_batch_duplicates(
        self, plans: list[_Plan], ids: list[int], first_id: dict[str, int]
    ) -> None:
        """Point duplicates of documents first seen in this same batch at those documents."""
        owner: dict[str, int] = {}
        for plan, doc_id in zip(plans, ids, strict=True):
            for record in plan.new:
                owner[record.content_hash] = doc_id
        fixes = []
        for plan, doc_id in zip(plans, ids, strict=True):
            if plan.status != "duplicate" or (plan.duplicate_of or 0) > 0:
                continue
            target = first_id.get(plan.prepared.raw.sha256)
            if target == doc_id or target is None:
                target = next(
                    (
                        owner[r.content_hash]
                        for r in plan.prepared.articles
                        if r.content_hash in owner
                    ),
                    None,
                )
            if target is not None and target != doc_id:
                fixes.append(dict(i=doc_id, d=target))
        if fixes:
            table = table_of(Document)
            self.session.execute(
                update(table)
                .where(table.c.id == bindparam("i"))
                .values(duplicate_of=bindparam("d")),
                fixes,
            )

    def insert_articles(self, jobs: Sequence[tuple[int, ArticleRecord, int | None]]) -> list[int]:
        """Insert articles (document id, record, id to keep or None) with everything they hold.

        Paragraphs whose source already repeats them often enough are stored
        as boilerplate; counts of the source's paragraphs are updated, and a
        paragraph reaching the threshold is relabelled in the source's earlier
        articles too.
        """
        if not jobs:
            return []
        revisions = self._next_revisions([record for _, record, _ in jobs])
        rows = []
        for doc_id, record, keep_id in jobs:
            parsed = record.article
            values: dict[str, object] = dict(
                document_id=doc_id,
                source_id=self.source_id(parsed.source_name, parsed.source_category),
                page_location_id=self._page_place_id(record),
                content_hash=record.content_hash,
                revision=revisions(parsed.url, parsed.guid),
                **article_values(parsed),
            )
            if keep_id is not None:
                values["id"] = keep_id
            rows.append(values)
        with bulk_indexing(self.session) as indexed:
            kept = [r for r in rows if "id" in r]
            fresh_ids = iter(
                self._insert_returning_ids(Article, [r for r in rows if "id" not in r])
            )
            if kept:
                self.session.execute(insert(table_of(Article)), kept)
            article_ids = [cast(int, r["id"]) if "id" in r else next(fresh_ids) for r in rows]

            # The source and page place were resolved for the article rows: reuse them.
            articles = [
                (article_id, record, cast(int | None, row["source_id"]))
                for article_id, (_, record, _), row in zip(article_ids, jobs, rows, strict=True)
            ]
            page_places = [cast(int | None, row["page_location_id"]) for row in rows]
            boilerplate = self._count_paragraphs(articles)
            paragraphs: list[tuple[object, ...]] = []
            translations: list[tuple[object, ...]] = []
            links: list[tuple[object, ...]] = []
            mentions: list[tuple[object, ...]] = []
            for (article_id, record, source_id), page_place in zip(
                articles, page_places, strict=True
            ):
                repeated = boilerplate.get(source_id, set()) if source_id is not None else set()
                relabelled = {
                    p.position
                    for p in record.paragraphs
                    if p.kind == "body" and p.text_hash in repeated
                }
                paragraphs.extend(
                    (
                        article_id,
                        p.position,
                        BOILERPLATE if p.position in relabelled else p.kind,
                        p.text,
                        p.text_hash,
                    )
                    for p in record.paragraphs
                )
                languages = dict.fromkeys(record.article.translations)
                translations.extend((article_id, language) for language in languages)
                if page_place is not None:
                    links.append((article_id, page_place, "page", 1))
                named = [
                    (article_id, self.place_id(m.place), m.position, m.start, m.end, m.surface)
                    for m in record.mentions
                    if m.position not in relabelled
                ]
                mentions.extend(named)
                counts = Counter(location_id for _, location_id, *_ in named)
                links.extend(
                    (article_id, location_id, "mention", n) for location_id, n in counts.items()
                )
            for model, columns, tuples in (
                (Paragraph, _PARAGRAPH_COLUMNS, paragraphs),
                (ArticleTranslation, ("article_id", "language"), translations),
                (ArticleLocation, ("article_id", "location_id", "role", "mentions"), links),
                (LocationMention, _MENTION_COLUMNS, mentions),
            ):
                self._executemany(table_of(model), columns, tuples)
            indexed(article_ids)
        return article_ids

    def _next_revisions(self, records: Sequence[ArticleRecord]) -> _Revisions:
        urls = {r.article.url for r in records if r.article.url}
        guids = {r.article.guid for r in records if r.article.guid and not r.article.url}
        latest: dict[tuple[str, str], int] = {}
        for column, values in (("url", urls), ("guid", guids)):
            attribute = getattr(Article, column)
            for chunk in _chunks(sorted(values)):
                rows = self.session.execute(
                    select(attribute, func.max(Article.revision))
                    .where(attribute.in_(chunk))
                    .group_by(attribute)
                )
                latest.update({(column, key): int(n) for key, n in rows})
        return _Revisions(latest)

    def _count_paragraphs(
        self, articles: list[tuple[int, ArticleRecord, int | None]]
    ) -> dict[int, set[int]]:
        """Count the batch's paragraphs per source; return each source's boilerplate hashes.

        A paragraph's count is the number of distinct articles of the source
        that carry it, stored ones plus this batch's, so three articles of one
        source in one batch already make their shared paragraph boilerplate.
        Paragraphs that cross the threshold now are relabelled in the source's
        stored articles. Counts of 2 or more are kept in ``source_paragraphs``,
        the evidence ``show --explain`` prints; a paragraph seen once costs
        nothing there.
        """
        texts: dict[tuple[int, int], str] = {}
        seen: Counter[tuple[int, int]] = Counter()
        for _, record, source_id in articles:
            if source_id is None:
                continue
            content = {p.text_hash: p.text for p in record.paragraphs if p.kind in CONTENT_KINDS}
            for text_hash, text in content.items():
                texts.setdefault((source_id, text_hash), text)
            seen.update((source_id, text_hash) for text_hash in content)
        if not seen:
            return {}
        before = self._stored_counts(list(seen))
        total = {key: before.get(key, 0) + n for key, n in seen.items()}
        recurring = [(*key, n, texts[key]) for key, n in total.items() if n >= 2]
        if recurring:
            self.session.execute(_FORGET_COUNT, [dict(s=s, h=h) for s, h, _, _ in recurring])
            self._executemany(_COUNTS, ("source_id", "text_hash", "articles", "text"), recurring)
        boilerplate: dict[int, set[int]] = defaultdict(set)
        crossed: dict[int, list[int]] = defaultdict(list)
        for (source_id, text_hash), n in total.items():
            if n >= BOILERPLATE_MIN_ARTICLES:
                boilerplate[source_id].add(text_hash)
                if 0 < before.get((source_id, text_hash), 0) < BOILERPLATE_MIN_ARTICLES:
                    crossed[source_id].append(text_hash)
        for source_id, hashes in crossed.items():
            mark_boilerplate(self.session, source_id, hashes)
        return boilerplate

    def _stored_counts(self, keys: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
        """For (source id, paragraph hash) pairs: in how many stored articles of the source.

        ``source_paragraphs`` holds every count of 2 or more, so only the other
        pairs are looked up in ``paragraphs``, where each matches at most one
        article of its source. Counting a source's standing text there instead
        would read every article of the source again, for every batch.
        """
        counts: dict[tuple[int, int], int] = {}
        wanted = set(keys)
        hashes = sorted({text_hash for _, text_hash in keys})
        rows = self._select_in(_COUNTED, hashes)
        counts.update({(s, h): int(n) for s, h, n in rows if (s, h) in wanted})
        rare = sorted(
            {text_hash for source_id, text_hash in keys if (source_id, text_hash) not in counts}
        )
        rows = self._select_in(_UNCOUNTED, rare)
        counts.update(
            {(s, h): int(n) for s, h, n in rows if (s, h) in wanted and (s, h) not in counts}
        )
        return counts

    # --- sources and places -----------------------------------------------------------

    def source_id(self, name: str | None, category: str | None) -> int | None:
        """The id of the source called ``name``, created on first sight."""
        if not name:
            return None
        known = self.known.sources.get(name)
        if known is not None and (known[1] or not category):
            return known[0]
        row = self.session.execute(
            select(Source.id, Source.category).where(Source.name == name)
        ).first()
        if row is None:
            source_id = self._new_id(insert(Source).values(name=name, category=category))
            has_category = bool(category)
        else:
            source_id = int(row.id)
            has_category = row.category is not None
            if not has_category and category:
                self.session.execute(
                    update(Source).where(Source.id == source_id).values(category=category)
                )
                has_category = True
        self.known.sources[name] = (source_id, has_category)
        return source_id

    def place_id(self, place: Place) -> int:
        """The id of a place's ``locations`` row, created on first sight.

        A place is found by its gazetteer id, else by (name, kind, country code);
        a row made before the place could be resolved gains its coordinates.
        """
        key = place.gazetteer_id or f"{place.name}|{place.kind}|{place.country_code}"
        if key in self.known.locations:
            return self.known.locations[key]
        found = None
        if place.gazetteer_id:
            found = self.session.scalar(
                select(Location.id).where(Location.gazetteer_id == place.gazetteer_id).limit(1)
            )
        if found is None:
            code_matches = (
                Location.country_code.is_(None)
                if place.country_code is None
                else Location.country_code == place.country_code
            )
            row = self.session.execute(
                select(Location.id, Location.gazetteer_id).where(
                    Location.name == place.name, Location.kind == place.kind, code_matches
                )
            ).first()
            if row is not None:
                found = row.id
                if row.gazetteer_id is None and place.gazetteer_id is not None:
                    self.session.execute(
                        update(Location).where(Location.id == found).values(**_place_values(place))
                    )
        if found is None:
            found = self._new_id(insert(Location).values(**_place_values(place)))
        self.known.locations[key] = int(found)
        return int(found)

    def _page_place_id(self, record: ArticleRecord) -> int | None:
        """The page's city: resolved by the gazetteer, else kept by name as written."""
        name = record.article.page_location
        if not name:
            return None
        place = record.page_place or Place(
            name=name,
            kind="city",
            country_code=None,
            latitude=None,
            longitude=None,
            approximate=False,
            gazetteer_id=None,
        )
        return self.place_id(place)

    def _new_id(self, statement: Insert) -> int:
        """Run a single-row INSERT and return the new row's id.

        No other writer can have made the same row meanwhile: writing
        transactions take turns on both engines (``db.session``).
        """
        table = statement.table
        return int(self.session.execute(statement.returning(table.c.id)).scalar_one())


_PARAGRAPH_COLUMNS = ("article_id", "position", "kind", "text", "text_hash")
_MENTION_COLUMNS = (
    "article_id",
    "location_id",
    "paragraph_position",
    "start_offset",
    "end_offset",
    "surface",
)

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
# By paragraph hash alone: with the sources' ids as well, SQLite probes every
# (source, hash) pair of the two lists, a cross product.
_COUNTED = (
    "SELECT source_id, text_hash, articles FROM source_paragraphs WHERE text_hash IN ({marks})"
)
# No condition on the source here: with one, SQLite reads every article of the
# batch's sources instead of using the hash index.
_UNCOUNTED = (
    "SELECT a.source_id, p.text_hash, count(DISTINCT p.article_id)"
    " FROM paragraphs AS p JOIN articles AS a ON a.id = p.article_id"
    " WHERE p.text_hash IN ({marks}) AND p.kind IN ("
    + ", ".join(f"'{kind}'" for kind in sorted(CONTENT_KINDS))
    + ") GROUP BY a.source_id, p.text_hash"
)


_COUNTS = table_of(SourceParagraph)
_FORGET_COUNT = delete(_COUNTS).where(
    _COUNTS.c.source_id == bindparam("s"), _COUNTS.c.text_hash == bindparam("h")
)


_PARAGRAPHS = table_of(Paragraph)
_RELABEL = (
    update(_PARAGRAPHS)
    .where(_PARAGRAPHS.c.article_id == bindparam("a"), _PARAGRAPHS.c.position == bindparam("p"))
    .values(kind=BOILERPLATE)
)
_MENTIONS = table_of(LocationMention)
_UNMENTION = delete(_MENTIONS).where(
    _MENTIONS.c.article_id == bindparam("a"), _MENTIONS.c.paragraph_position == bindparam("p")
)


class _Revisions:
    """Hands out revision numbers: one more than the latest stored for the URL (or guid)."""

    def __init__(self, latest: dict[tuple[str, str], int]) -> None:
        self._latest = latest

    def __call__(self, url: str | None, guid: str | None) -> int:
        if not url and not guid:
            return 1
        key = ("url", url) if url else ("guid", guid or "")
        self._latest[key] = self._latest.get(key, 0) + 1
        return self._latest[key]


def _stored_outcome(origin: str, doc_id: int, status: str, error: str | None) -> Outcome:
    """What ingesting a stored file again comes to: unchanged, or failed again as before."""
    if status == "failed":
        return Outcome(origin, "failed", error=error, reason="failed before", document_id=doc_id)
    return Outcome(origin, "unchanged", document_id=doc_id)


def _originals(stored: Sequence[Any]) -> dict[str, int]:
    """sha256 -> the document those bytes repeat: the oldest stored that did not fail.

    ``stored`` are ``_documents_by_sha`` rows, oldest first; a document that is a
    duplicate itself points at its original.
    """
    originals: dict[str, int] = {}
    for row in stored:
        if row.status != "failed":
            originals.setdefault(row.sha256, int(row.duplicate_of or row.id))
    return originals


def _chunks(values: list[T]) -> Iterable[list[T]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _remarks(prepared: PreparedDocument) -> str | None:
    """What is noted in ``documents.error`` of a stored file: its bad records, bytes replaced."""
    remarks = list(prepared.notes)
    if prepared.warnings:
        remarks.append(f"{len(prepared.warnings)} bad records: " + "; ".join(prepared.warnings))
    return "; ".join(remarks) or None


def whole_database(exc: BaseException) -> bool:
    """Whether ``exc`` is about the database as a whole rather than one document's rows.

    A full disk, a lost connection, a lock not granted, an I/O error: failing
    the document at hand for it would be wrong (it is not the document's
    fault) and futile (the next one fails the same way).
    """
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError)


def mark_boilerplate(session: Session, source_id: int, hashes: Iterable[int]) -> None:
    """Relabel body paragraphs with these hashes, in all the source's articles, as boilerplate.

    Places named in those paragraphs stop counting as the articles' mentions.
    """
    # A join, not "article_id IN (the source's articles)", which SQLite would
    # answer by listing every article of the source first.
    targets = session.execute(
        select(Paragraph.article_id, Paragraph.position)
        .join(Article, Article.id == Paragraph.article_id)
        .where(
            Paragraph.kind == "body",
            Paragraph.text_hash.in_(list(hashes)),
            Article.source_id == source_id,
        )
    ).all()
    if not targets:
        return
    pairs = [dict(a=article_id, p=position) for article_id, position in targets]
    # One statement per paragraph, executed many times: SQLite would answer a
    # row-value IN list, (article_id, position) IN (...), by reading the whole table.
    session.execute(_RELABEL, pairs)
    session.execute(_UNMENTION, pairs)
    recount_mentions(session, {pair["a"] for pair in pairs})


def recount_mentions(session: Session, article_ids: Iterable[int]) -> None:
    """Derive the articles' 'mention' links again from their stored mentions."""
    for ids in _chunks(sorted(article_ids)):
        session.execute(
            delete(ArticleLocation)
            .where(ArticleLocation.article_id.in_(ids), ArticleLocation.role == "mention")
            .execution_options(synchronize_session=False)
        )
        counted = (
            select(
                LocationMention.article_id,
                LocationMention.location_id,
                literal("mention"),
                func.count(),
            )
            .where(LocationMention.article_id.in_(ids))
            .group_by(LocationMention.article_id, LocationMention.location_id)
        )
        session.execute(
            insert(ArticleLocation).from_select(
                ["article_id", "location_id", "role", "mentions"], counted
            )
        )


def recount_boilerplate(session: Session, source_ids: Sequence[int] | None = None) -> None:
    """Rebuild the per-source paragraph counts from the stored paragraphs, then relabel.

    Used after ``reparse``, which may change paragraphs, so the counts are
    derived again from the data rather than patched.
    """
    scope = (
        Article.source_id.in_(source_ids)
        if source_ids is not None
        else Article.source_id.is_not(None)
    )
    session.execute(
        delete(SourceParagraph)
        .where(SourceParagraph.source_id.in_(select(Article.source_id).where(scope)))
        .execution_options(synchronize_session=False)
    )
    counted = (
        select(
            Article.source_id,
            Paragraph.text_hash,
            func.count(func.distinct(Article.id)),
            func.min(Paragraph.text),
        )
        .join(Article, Article.id == Paragraph.article_id)
        .where(scope, Paragraph.kind.in_(CONTENT_KINDS))
        .group_by(Article.source_id, Paragraph.text_hash)
        .having(func.count(func.distinct(Article.id)) >= 2)
    )
    session.execute(
        insert(SourceParagraph).from_select(["source_id", "text_hash", "articles", "text"], counted)
    )
    frequent = session.execute(
        select(SourceParagraph.source_id, SourceParagraph.text_hash).where(
            SourceParagraph.articles >= BOILERPLATE_MIN_ARTICLES,
            SourceParagraph.source_id.in_(select(Article.source_id).where(scope)),
        )
    )
    by_source: dict[int, list[int]] = {}
    for source_id, text_hash in frequent:
        by_source.setdefault(source_id, []).append(text_hash)
    for source_id, hashes in by_source.items():
        mark_boilerplate(session, source_id, hashes)


def article_values(parsed: ParsedArticle) -> dict[str, object]:
    """The columns of an article's row that are copied from what the parser read.

    One list for writing a row and for ``reparse`` to tell whether a stored row
    is still what the parser reads: a column missing from a hand-kept copy of
    it would go stale unnoticed.
    """
    return dict(
        title=parsed.title,
        published_at=parsed.published_at,
        page_date=parsed.page_date,
        page_temperature_c=parsed.page_temperature_c,
        url=parsed.url,
        guid=parsed.guid,
        author=parsed.author,
        language=parsed.language,
        layout=parsed.layout,
        parser_version=parsed.parser_version,
    )


def _place_values(place: Place) -> dict[str, object]:
    """A place as ``locations`` column values: the dataclass mirrors the table."""
    return dataclasses.asdict(place)
