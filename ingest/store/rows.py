"""The rows of articles, written in bulk: the article, its paragraphs, translations and places.

Each article's rows are its ``ArticleForm`` (``ingest.store.form``), the one
definition of what is stored for it, with the source's learned boilerplate
applied and ids for the sources and places the form names. Rows go to the
database a whole batch per table, through ``executemany`` (``ingest.store.sql``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import counts
from db.base import table_of
from db.fts import bulk_indexing
from db.models import Article, ArticleLocation, ArticleTranslation, LocationMention, Paragraph
from ingest.records import ArticleRecord
from ingest.store.boilerplate import count_paragraphs, learned
from ingest.store.form import (
    LINK_COLUMNS,
    MENTION_COLUMNS,
    PARAGRAPH_COLUMNS,
    TRANSLATION_COLUMNS,
    ArticleForm,
    article_form,
    links,
    relabel,
)
from ingest.store.ids import Ids
from ingest.store.sql import chunks, executemany, reserve_ids
from ingest.store.stories import Member, add_singletons, group, member

# What ``insert_articles`` is given: the document, the record, and the id to keep or None.
Job = tuple[int, ArticleRecord, int | None]


def insert_articles(session: Session, ids: Ids, jobs: Sequence[Job]) -> list[int]:
    """Insert articles (document id, record, id to keep or None) with everything they hold.

    Paragraphs whose source already repeats them often enough are stored
    as boilerplate; counts of the source's paragraphs are updated, and a
    paragraph reaching the threshold is relabelled in the source's earlier
    articles too.
    """
    if not jobs:
        return []
    forms = [article_form(record) for _, record, _ in jobs]
    rows = _article_rows(session, ids, jobs, forms)
    with bulk_indexing(session) as indexed:
        article_ids = _insert_article_rows(session, rows)
        # The source and page place were resolved for the article rows: reuse them.
        sources = [cast(int | None, row["source_id"]) for row in rows]
        records = [record for _, record, _ in jobs]
        boilerplate = count_paragraphs(session, list(zip(records, sources, strict=True)))
        forms = [
            relabel(
                form,
                learned(record.paragraphs, boilerplate.get(source_id, set()))
                if source_id is not None
                else frozenset(),
            )
            for form, record, source_id in zip(forms, records, sources, strict=True)
        ]
        page_places = [cast(int | None, row["page_location_id"]) for row in rows]
        _insert_contents(session, ids, article_ids, forms, page_places)
        indexed(article_ids)
    group(session, _members(article_ids, records, forms))
    return article_ids


def _members(
    article_ids: Sequence[int], records: Sequence[ArticleRecord], forms: Sequence[ArticleForm]
) -> list[Member]:
    """The articles as stories see them: the body stored, and the workers' band keys.

    The workers signed the parser's body. When the store has learned one of
    its paragraphs as the source's boilerplate, the keys are kept all the
    same (signing again here would cost the writer more than all the rest of
    grouping): they only choose candidates, which are compared on the bodies
    stored; the boilerplate paragraph is dropped from the anchors.
    """
    found = []
    for article_id, record, form in zip(article_ids, records, forms, strict=True):
        signed = record.signature
        if signed is None:
            body = [(text, h) for _, kind, text, h in form.paragraphs if kind == "body"]
            found.append(member(article_id, body))
            continue
        texts, hashes = [], set()
        for _, kind, text, text_hash in form.paragraphs:
            if kind == "body":
                texts.append(text)
                hashes.add(text_hash)
        anchors = signed.anchors
        if not hashes.issuperset(anchors):
            anchors = tuple(a for a in anchors if a in hashes)
        found.append(Member(article_id, tuple(texts), signed.bands, anchors))
    return found


def _article_rows(
    session: Session, ids: Ids, jobs: Sequence[Job], forms: Sequence[ArticleForm]
) -> list[dict[str, object]]:
    """The articles' own rows: the form's columns, with ids for its document, source and place."""
    revisions = _next_revisions(session, [record for _, record, _ in jobs])
    rows = []
    for (doc_id, record, keep_id), form in zip(jobs, forms, strict=True):
        parsed = record.article
        page = form.places[form.page_place] if form.page_place is not None else None
        values: dict[str, object] = dict(
            document_id=doc_id,
            source_id=ids.source(form.source, form.source_category),
            page_location_id=ids.place(page) if page is not None else None,
            revision=revisions(parsed.url, parsed.guid),
            **form.columns,
        )
        if keep_id is not None:
            values["id"] = keep_id
        rows.append(values)
    return rows


def _insert_article_rows(session: Session, rows: list[dict[str, object]]) -> list[int]:
    """Insert the article rows, each a story of its own for now; their ids, in order.

    The new rows' ids are taken before they are written, so that each row
    can name its story (``story_id``, not null), made first: its own.
    """
    kept = [cast(int, r["id"]) for r in rows if "id" in r]
    fresh = iter(reserve_ids(session, Article, len(rows) - len(kept)))
    for row in rows:
        if "id" not in row:
            row["id"] = next(fresh)
        row["story_id"], row["story_similarity"] = row["id"], 1.0
    add_singletons(
        session,
        [
            (
                cast(int, r["id"]),
                cast(int | None, r["source_id"]),
                cast(datetime | None, r["published_at"]),
            )
            for r in rows
        ],
        kept,
    )
    keys = list(rows[0])
    executemany(session, table_of(Article), keys, [tuple(r[k] for k in keys) for r in rows])
    counts.add(
        session,
        counts.article_keys(
            (cast(int | None, r["source_id"]), cast(datetime | None, r["published_at"]))
            for r in rows
        ),
    )
    return [cast(int, r["id"]) for r in rows]


def _insert_contents(
    session: Session,
    ids: Ids,
    article_ids: Sequence[int],
    forms: Sequence[ArticleForm],
    page_places: Sequence[int | None],
) -> None:
    """Insert what the articles hold: paragraphs, translations, places named, links to places."""
    paragraphs: list[tuple[object, ...]] = []
    translations: list[tuple[object, ...]] = []
    link_rows: list[tuple[object, ...]] = []
    mentions: list[tuple[object, ...]] = []
    for article_id, form, page_place in zip(article_ids, forms, page_places, strict=True):
        paragraphs.extend((article_id, *paragraph) for paragraph in form.paragraphs)
        translations.extend((article_id, language) for language in form.translations)
        named = [(article_id, ids.place(form.places[key]), *where) for key, *where in form.mentions]
        mentions.extend(named)
        # (location id, form): the form is a mention row's last column (MENTION_COLUMNS)
        mentioned = ((cast(int, row[1]), cast(str, row[-1])) for row in named)
        link_rows.extend((article_id, *link) for link in links(page_place, mentioned))
    for model, columns, tuples in (
        (Paragraph, PARAGRAPH_COLUMNS, paragraphs),
        (ArticleTranslation, TRANSLATION_COLUMNS, translations),
        (ArticleLocation, LINK_COLUMNS, link_rows),
        (LocationMention, MENTION_COLUMNS, mentions),
    ):
        executemany(session, table_of(model), columns, tuples)
    counts.add(session, {(counts.PARAGRAPHS, counts.NONE): len(paragraphs)})


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


def _next_revisions(session: Session, records: Sequence[ArticleRecord]) -> _Revisions:
    """The revision counter for a batch, from the latest stored revision of its URLs and guids."""
    urls = {r.article.url for r in records if r.article.url}
    guids = {r.article.guid for r in records if r.article.guid and not r.article.url}
    latest: dict[tuple[str, str], int] = {}
    for column, values in (("url", urls), ("guid", guids)):
        attribute = getattr(Article, column)
        for chunk in chunks(sorted(values)):
            rows = session.execute(
                select(attribute, func.max(Article.revision))
                .where(attribute.in_(chunk))
                .group_by(attribute)
            )
            latest.update({(column, key): int(n) for key, n in rows})
    return _Revisions(latest)
