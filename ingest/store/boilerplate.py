"""Boilerplate learned per source: a paragraph many of a source's articles carry is not news.

A source's standing text (a funding note, a newsletter plug) reads as body to
any parser of one page. The store counts, per source, in how many distinct
articles each content paragraph appears (``source_paragraphs`` keeps every
count of 2 or more, the evidence ``show --explain`` prints); from
``BOILERPLATE_MIN_ARTICLES`` on, the paragraph is stored as boilerplate in
every article of the source, those written before included, and the places it
names stop counting as the articles' mentions.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, case, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from db.base import table_of
from db.models import Article, ArticleLocation, LocationMention, Paragraph, SourceParagraph
from ingest.fingerprint import CONTENT_KINDS
from ingest.records import ArticleRecord, ParagraphRecord
from ingest.store.sql import chunks, executemany, select_in

# A paragraph found in this many distinct articles of one source is boilerplate.
BOILERPLATE_MIN_ARTICLES = 3
BOILERPLATE = "boilerplate"

# By paragraph hash alone: with the sources' ids as well, SQLite probes every
# (source, hash) pair of the two lists, a cross product. (Driver SQL, like the
# look-ups of ``ingest.store.plan``, for the same reason.)
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


def learned(paragraphs: Iterable[ParagraphRecord], repeated: set[int]) -> frozenset[int]:
    """The positions of the body paragraphs whose hashes the source repeats: its boilerplate."""
    return frozenset(p.position for p in paragraphs if p.kind == "body" and p.text_hash in repeated)


def count_paragraphs(
    session: Session, articles: Sequence[tuple[ArticleRecord, int | None]]
) -> dict[int, set[int]]:
    """Count the batch's paragraphs per source; return each source's boilerplate hashes.

    ``articles`` are the batch's records with their sources' ids. A
    paragraph's count is the number of distinct articles of the source
    that carry it, stored ones plus this batch's, so three articles of one
    source in one batch already make their shared paragraph boilerplate.
    Paragraphs that cross the threshold now are relabelled in the source's
    stored articles. Counts of 2 or more are kept in ``source_paragraphs``,
    the evidence ``show --explain`` prints; a paragraph seen once costs
    nothing there.
    """
    texts: dict[tuple[int, int], str] = {}
    seen: Counter[tuple[int, int]] = Counter()
    for record, source_id in articles:
        if source_id is None:
            continue
        content = {p.text_hash: p.text for p in record.paragraphs if p.kind in CONTENT_KINDS}
        for text_hash, text in content.items():
            texts.setdefault((source_id, text_hash), text)
        seen.update((source_id, text_hash) for text_hash in content)
    if not seen:
        return {}
    before = _stored_counts(session, list(seen))
    total = {key: before.get(key, 0) + n for key, n in seen.items()}
    recurring = [(*key, n, texts[key]) for key, n in total.items() if n >= 2]
    if recurring:
        session.execute(_FORGET_COUNT, [dict(s=s, h=h) for s, h, _, _ in recurring])
        executemany(session, _COUNTS, ("source_id", "text_hash", "articles", "text"), recurring)
    boilerplate: dict[int, set[int]] = defaultdict(set)
    crossed: dict[int, list[int]] = defaultdict(list)
    for (source_id, text_hash), n in total.items():
        if n >= BOILERPLATE_MIN_ARTICLES:
            boilerplate[source_id].add(text_hash)
            if 0 < before.get((source_id, text_hash), 0) < BOILERPLATE_MIN_ARTICLES:
                crossed[source_id].append(text_hash)
    for source_id, hashes in crossed.items():
        mark_boilerplate(session, source_id, hashes)
    return boilerplate


def uncount_article(session: Session, article_id: int) -> None:
    """Take a stored article out of its source's paragraph counts, before it is deleted.

    ``reparse`` rewrites an article by deleting it and storing it again, which
    counts its paragraphs again: without this, two articles of a source that
    share a paragraph would count it three times, and it would pass for the
    source's boilerplate.
    """
    kinds = ", ".join(f"'{kind}'" for kind in sorted(CONTENT_KINDS))
    pairs = (
        session.connection()
        .exec_driver_sql(
            "SELECT DISTINCT a.source_id, p.text_hash FROM paragraphs AS p"
            " JOIN articles AS a ON a.id = p.article_id"
            f" WHERE p.article_id = {int(article_id)} AND a.source_id IS NOT NULL"
            f" AND p.kind IN ({kinds})"
        )
        .all()
    )
    if not pairs:
        return
    keys = [dict(s=s, h=h) for s, h in pairs]
    session.execute(
        update(_COUNTS)
        .where(_COUNTS.c.source_id == bindparam("s"), _COUNTS.c.text_hash == bindparam("h"))
        .values(articles=_COUNTS.c.articles - 1),
        keys,
    )
    # Counts of one are not kept (``count_paragraphs``): those are read from the paragraphs.
    session.execute(_FORGET_COUNT.where(_COUNTS.c.articles < 2), keys)


def _stored_counts(session: Session, keys: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """For (source id, paragraph hash) pairs: in how many stored articles of the source.

    ``source_paragraphs`` holds every count of 2 or more, so only the other
    pairs are looked up in ``paragraphs``, where each matches at most one
    article of its source. Counting a source's standing text there instead
    would read every article of the source again, for every batch.
    """
    counts: dict[tuple[int, int], int] = {}
    wanted = set(keys)
    hashes = sorted({text_hash for _, text_hash in keys})
    rows = select_in(session, _COUNTED, hashes)
    counts.update({(s, h): int(n) for s, h, n in rows if (s, h) in wanted})
    rare = sorted(
        {text_hash for source_id, text_hash in keys if (source_id, text_hash) not in counts}
    )
    rows = select_in(session, _UNCOUNTED, rare)
    counts.update({(s, h): int(n) for s, h, n in rows if (s, h) in wanted and (s, h) not in counts})
    return counts


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
    """Derive the articles' 'mention' and 'adjective' links again from their stored mentions.

    As ``ingest.store.form.links`` makes them: a place named by name is a 'mention' link
    counting its names; one named only by adjectives an 'adjective' link counting those.
    """
    for ids in chunks(sorted(article_ids)):
        session.execute(
            delete(ArticleLocation)
            .where(
                ArticleLocation.article_id.in_(ids),
                ArticleLocation.role.in_(("mention", "adjective")),
            )
            .execution_options(synchronize_session=False)
        )
        names = func.sum(case((LocationMention.form == "name", 1), else_=0))
        counted = (
            select(
                LocationMention.article_id,
                LocationMention.location_id,
                case((names > 0, literal("mention")), else_=literal("adjective")),
                case((names > 0, names), else_=func.count()),
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
