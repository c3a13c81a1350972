"""Stories: articles grouped with their copies, republications and updated versions.

Every article belongs to a story (``articles.story_id``); one with no copy is
a story of its own, whose id is the article's. When a batch is written, each
new article's band keys (``ingest.signature``, made in the workers) go to
``story_bands``; the articles sharing a band key or a long body paragraph
with it are its candidates, looked up by index (never all pairs, never the
whole index in memory); a candidate whose body is similar as a whole
(Jaccard) or holds it, or is held by it (containment), is a copy, checked on
the exact shingle sets. Matches are edges and stories are their connected
components: an article that matches two stories merges them. So the grouping
does not depend on the order articles come in or on the batches they come
in: a copy ingested a year later joins its story, and ingesting a set in two
runs groups it as one run does.

Each story knows its first article (earliest ``published_at``, else first
ingested) and each member its similarity to that first article; both are
derived again whenever a story gains members.

``regroup`` derives the stories of some articles, or of all, again: after
``reparse`` changed their bodies, in the migration that brought stories, and
when the signature settings changed (``check_settings``), since band keys made
otherwise cannot be compared.
"""

from __future__ import annotations

import struct
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import bindparam, delete, inspect, select, text, update
from sqlalchemy.orm import Session

from db.base import table_of
from db.models import Article, Paragraph, Story, StoryBand, StorySetting, StorySignature
from ingest.signature import (
    Signature,
    anchors,
    jaccard,
    library_version,
    paragraph_shingles,
    same_story,
    settings,
    shingles,
    sign,
)
from ingest.store.sql import chunks, executemany, placeholder, select_in

# A story is joined through at most this many of its members per new article (the ones
# sharing most with it), and an article is compared with at most this many stories:
# a story of a thousand copies costs a few comparisons, not a thousand.
PER_STORY = 3
MAX_STORIES = 30
# Articles regrouped at once by ``regroup``: their bodies are held meanwhile.
REGROUP_BATCH = 500

_BANDS = table_of(StoryBand)
_SIGNATURES = table_of(StorySignature)
_STORIES = table_of(Story)
_ARTICLES = table_of(Article)
BAND_COLUMNS = ("band", "key", "article_id")
STORY_COLUMNS = (
    "id",
    "first_article_id",
    "articles",
    "sources",
    "first_published_at",
    "last_published_at",
)

_BY_ANCHOR = (
    "SELECT text_hash, article_id FROM paragraphs WHERE kind = 'body' AND text_hash IN ({marks})"
)
_BY_BAND = "SELECT key, article_id FROM story_bands WHERE band = {band:d} AND key IN ({marks})"
_SIGNATURES_OF = "SELECT article_id, bands FROM story_signatures WHERE article_id IN ({marks})"
_STORY_OF = "SELECT id, story_id FROM articles WHERE id IN ({marks})"
_BODIES = (
    "SELECT article_id, text, text_hash FROM paragraphs"
    " WHERE kind = 'body' AND article_id IN ({marks}) ORDER BY article_id, position"
)
_MOVE = (
    update(_ARTICLES)
    .where(_ARTICLES.c.story_id == bindparam("old"))
    .values(story_id=bindparam("new"))
)
_SIMILARITY = (
    update(_ARTICLES)
    .where(_ARTICLES.c.id == bindparam("a"))
    .values(story_similarity=bindparam("s"))
)


@dataclass(frozen=True)
class Member:
    """An article being grouped: its body as stored, and what finds its candidates."""

    id: int
    body: tuple[str, ...]
    bands: tuple[int, ...]
    anchors: tuple[int, ...]


def member(
    article_id: int, body: Sequence[tuple[str, int]], signed: Signature | None = None
) -> Member:
    """A member from its body paragraphs, (text, hash) in order, and its signature if made.

    ``signed``: the workers' signature of this very body; None makes it here
    (the body stored is not the one signed when a paragraph was learned as
    the source's boilerplate).
    """
    if signed is None:
        signed = sign(body)
    return Member(article_id, tuple(t for t, _ in body), signed.bands, signed.anchors)


def singleton_rows(
    rows: Iterable[tuple[int, int | None, datetime | None]],
) -> list[tuple[object, ...]]:
    """``stories`` rows for articles (id, source id, published at) that are stories of their own."""
    return [
        (article_id, article_id, 1, 0 if source_id is None else 1, published, published)
        for article_id, source_id, published in rows
    ]


def add_singletons(
    session: Session, rows: Sequence[tuple[int, int | None, datetime | None]], kept: Iterable[int]
) -> None:
    """Make each article (id, source id, published at) a story of its own, unless one is stored.

    Before its row is written: ``articles.story_id`` points to it. A story of
    that id can be stored already only for an id ``kept``: reparse rewrites an
    article under its id (a new id has never named a story).
    """
    ids = sorted(kept)
    stored = {
        int(i) for (i,) in select_in(session, "SELECT id FROM stories WHERE id IN ({marks})", ids)
    }
    executemany(
        session, _STORIES, STORY_COLUMNS, singleton_rows(r for r in rows if r[0] not in stored)
    )


def group(session: Session, members: Sequence[Member], *, write_bands: bool = True) -> None:
    """Join each member to the stories of its copies, merging stories a member links.

    The members' rows are written, each in a story (its own, until now);
    ``write_bands``: their band keys are not stored yet (they are, after the
    look-ups, which so find only the stored articles).
    """
    if not members:
        return
    evidence, by_paragraph = _candidates(session, members)
    if write_bands:
        write_keys(session, members)
    if not evidence:
        return
    linked = [m for m in members if m.id in evidence]
    ids = set(evidence) | {c for found in evidence.values() for c in found}
    story_of = {int(a): int(s) for a, s in select_in(session, _STORY_OF, sorted(ids))}
    bodies = Bodies(session, {m.id: m.body for m in linked})
    chosen = {m.id: _best(evidence[m.id], story_of) for m in linked}
    bodies.load(c for found in chosen.values() for c in found)
    stories = _UnionFind()
    for m in linked:
        stories.add(story_of[m.id])
        for candidate in chosen[m.id]:
            if stories.find(story_of[candidate]) == stories.find(story_of[m.id]):
                continue  # already one story: no need to compare
            if candidate in by_paragraph[m.id] and not bodies.anchors(candidate) & set(m.anchors):
                continue  # the paragraph is not among the candidate's own first: see _candidates
            if same_story(
                bodies.shingles(m.id),
                bodies.shingles(candidate),
                bodies.parts(m.id),
                bodies.parts(candidate),
            ):
                stories.union(story_of[m.id], story_of[candidate])
    merged = stories.components()
    if not merged:
        return
    moved = _merge(session, merged)
    refresh(session, sorted(merged), bodies, moved)


def _candidates(
    session: Session, members: Sequence[Member]
) -> tuple[dict[int, Counter[int]], dict[int, set[int]]]:
    """For each member, the articles sharing band keys or anchors with it, and how many.

    Also, for each member, the stored articles found by a shared paragraph
    alone. A member looks up its own first anchors (``signature.anchors``)
    among every body paragraph stored; such a candidate is a candidate only
    if the paragraph is among *its* first anchors too (``group`` checks, on
    the bodies it reads anyway). So two articles are candidates whichever is
    stored first, and ingesting a set in two runs groups it as one run does.

    The stored articles are found by index, a band's keys at a time (an IN
    list per band: no index by article is kept to find the batch's own rows
    for a join); the members themselves are left out of what the look-ups
    return (by ``NOT BETWEEN`` when their ids are consecutive, as a batch of
    new articles' are) and matched with each other here, in memory.
    """
    evidence: dict[int, Counter[int]] = defaultdict(Counter)
    banded: set[tuple[int, int]] = set()
    by_paragraph: dict[int, set[int]] = defaultdict(set)
    ids = sorted(m.id for m in members)
    own = set(ids)
    apart = ids[-1] - ids[0] + 1 == len(ids)
    outside = f" AND article_id NOT BETWEEN {ids[0]} AND {ids[-1]}" if apart else ""
    signed = [m for m in members if m.bands]
    # Most keys are the batch's only one of their value: counted all at once at C speed
    # (``Counter``), they map to their one owner by a plain dict per band; only the members
    # holding a repeated one are grouped by (band, key), and matched with each other below.
    counted = Counter(chain.from_iterable(m.bands for m in signed))
    repeated = {k for k, n in counted.items() if n > 1}
    sharers: dict[tuple[int, int], list[int]] = defaultdict(list)
    if repeated:
        for m in signed:
            if not repeated.isdisjoint(m.bands):
                for band, key in enumerate(m.bands):
                    if key in repeated:
                        sharers[band, key].append(m.id)
    signed_ids = [m.id for m in signed]
    for band in range(max((len(m.bands) for m in signed), default=0)):
        keys = [m.bands[band] for m in signed]
        holder_of = dict(zip(keys, signed_ids, strict=True))
        sql = _BY_BAND.format(band=band, marks="{marks}") + outside
        for key, article_id in select_in(session, sql, holder_of):
            if article_id in own:
                continue
            for holder in sharers[band, key] if key in repeated else (holder_of[key],):
                evidence[holder][int(article_id)] += 1
                banded.add((holder, int(article_id)))
    anchored: dict[int, list[int]] = defaultdict(list)
    for m in members:
        for anchor in set(m.anchors):
            anchored[anchor].append(m.id)
    for anchor, article_id in select_in(session, _BY_ANCHOR + outside, sorted(anchored)):
        if article_id not in own:
            for holder in anchored[anchor]:
                evidence[holder][int(article_id)] += 1
                if (holder, int(article_id)) not in banded:
                    by_paragraph[holder].add(int(article_id))
    # The members with each other.
    for owners in (*sharers.values(), *anchored.values()):
        if len(owners) < 2:
            continue
        for owner in owners:
            # Each joined to a few of many sharers: one edge is enough for a story.
            for other in owners[: PER_STORY * MAX_STORIES]:
                if other != owner:
                    evidence[owner][other] += 1
    return evidence, by_paragraph


def pack_keys(keys: Sequence[int]) -> bytes:
    """An article's band keys as ``story_signatures.bands`` holds them."""
    return struct.pack(f">{len(keys)}q", *keys)


def unpack_keys(packed: bytes) -> tuple[int, ...]:
    """The band keys ``pack_keys`` packed."""
    return struct.unpack(f">{len(packed) // 8}q", packed)


def write_keys(session: Session, members: Sequence[Member]) -> None:
    """Store the members' band keys: a row per band to look up, one per article to delete by."""
    signed = [m for m in members if m.bands]
    rows = [(b, k, m.id) for m in signed for b, k in enumerate(m.bands)]
    executemany(session, _BANDS, BAND_COLUMNS, rows)
    executemany(
        session, _SIGNATURES, ("article_id", "bands"), [(m.id, pack_keys(m.bands)) for m in signed]
    )


def delete_keys(session: Session, article_ids: Iterable[int]) -> None:
    """Delete the articles' band keys (by the keys their signatures name: no index by article)."""
    ids = sorted(set(article_ids))
    rows = [
        (band, key, int(article_id))
        for article_id, packed in select_in(session, _SIGNATURES_OF, ids)
        for band, key in enumerate(unpack_keys(bytes(packed)))
    ]
    connection = session.connection()
    mark = placeholder(connection)
    if rows:
        connection.exec_driver_sql(
            f"DELETE FROM story_bands WHERE band = {mark} AND key = {mark} AND article_id = {mark}",
            rows,
        )
    for chunk in chunks(ids):
        session.execute(delete(_SIGNATURES).where(_SIGNATURES.c.article_id.in_(chunk)))


def _best(found: Counter[int], story_of: dict[int, int]) -> list[int]:
    """The candidates worth comparing: per story the few sharing most, for the first stories.

    Ties go to the older article, so the choice does not depend on batches.
    """
    per_story: dict[int, list[int]] = defaultdict(list)
    for candidate, _ in sorted(found.items(), key=lambda item: (-item[1], item[0])):
        story = story_of.get(candidate)
        if story is None:
            continue
        if len(per_story[story]) < PER_STORY and (
            story in per_story or len(per_story) < MAX_STORIES
        ):
            per_story[story].append(candidate)
    return [c for chosen in per_story.values() for c in chosen]


class _UnionFind:
    """Stories as sets; the smallest id names each merged set (the oldest story survives)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def add(self, item: int) -> None:
        self.parent.setdefault(item, item)

    def find(self, item: int) -> int:
        self.add(item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def components(self) -> dict[int, list[int]]:
        """Each merged set's surviving story and the stories merged into it (not sets of one)."""
        found: dict[int, list[int]] = defaultdict(list)
        for item in self.parent:
            root = self.find(item)
            if root != item:
                found[root].append(item)
        return dict(found)


def _merge(session: Session, merged: dict[int, list[int]]) -> set[int]:
    """Move the articles of merged stories into the surviving ones; the ids of those moved."""
    gone = sorted(s for absorbed in merged.values() for s in absorbed)
    moved = {
        int(a)
        for (a,) in select_in(session, "SELECT id FROM articles WHERE story_id IN ({marks})", gone)
    }
    session.execute(
        _MOVE, [dict(old=s, new=root) for root, absorbed in merged.items() for s in absorbed]
    )
    for chunk in chunks(gone):
        session.execute(delete(_STORIES).where(_STORIES.c.id.in_(chunk)))
    return moved


class Bodies:
    """Article bodies and their shingle sets: those in hand, and stored ones read on demand."""

    def __init__(self, session: Session, known: dict[int, tuple[str, ...]] | None = None) -> None:
        self.session = session
        self.texts: dict[int, tuple[str, ...]] = dict(known or {})
        self._anchors: dict[int, frozenset[int]] = {}
        self._shingles: dict[int, frozenset[bytes]] = {}
        self._parts: dict[int, tuple[frozenset[bytes], ...]] = {}

    def load(self, ids: Iterable[int]) -> None:
        """Read the stored bodies of the articles not in hand, in one look-up."""
        wanted = sorted({i for i in ids if i not in self.texts})
        found: dict[int, list[tuple[str, int]]] = {i: [] for i in wanted}
        for article_id, body, text_hash in select_in(self.session, _BODIES, wanted):
            found[int(article_id)].append((body, int(text_hash)))
        for i, body in found.items():
            self.texts[i] = tuple(t for t, _ in body)
            self._anchors[i] = frozenset(anchors(body))

    def anchors(self, article_id: int) -> frozenset[int]:
        """A stored article's first anchors, as it looked them up (``signature.anchors``)."""
        self.load([article_id])
        return self._anchors.get(article_id, frozenset())

    def shingles(self, article_id: int) -> frozenset[bytes]:
        if article_id not in self._shingles:
            self.load([article_id])
            self._shingles[article_id] = shingles(self.texts[article_id])
        return self._shingles[article_id]

    def parts(self, article_id: int) -> tuple[frozenset[bytes], ...]:
        """The shingles of each of the article's body paragraphs (``same_story`` reads them)."""
        if article_id not in self._parts:
            self.load([article_id])
            self._parts[article_id] = paragraph_shingles(self.texts[article_id])
        return self._parts[article_id]


def _first_key(row: Any) -> tuple[bool, datetime, int]:
    """Orders a story's articles: earliest ``published_at`` first, then those without, by id."""
    return (row.published_at is None, row.published_at or datetime.min, row.id)


def refresh(
    session: Session, story_ids: Sequence[int], bodies: Bodies, moved: set[int] | None = None
) -> None:
    """Derive the stories' first article, counts and times, and members' similarity, again.

    Similarity is computed for the members in ``moved`` (those that joined),
    and for every member of a story whose first article changed; ``None``: all.
    """
    for chunk in chunks(list(story_ids)):
        rows = session.execute(
            select(Article.id, Article.story_id, Article.published_at, Article.source_id)
            .where(Article.story_id.in_(chunk))
            .order_by(Article.id)
        ).all()
        # (Not ``dict(result)``: a Result has ``keys()``, so dict() takes it for a mapping.)
        firsts = {
            int(i): int(f)
            for i, f in session.execute(
                select(Story.id, Story.first_article_id).where(Story.id.in_(chunk))
            )
        }
        by_story: dict[int, list[Any]] = defaultdict(list)
        for row in rows:
            by_story[row.story_id].append(row)
        updates, similarities = [], []
        for story_id, members in by_story.items():
            first = min(members, key=_first_key)
            times = [m.published_at for m in members if m.published_at is not None]
            updates.append(
                dict(
                    i=story_id,
                    f=first.id,
                    n=len(members),
                    s=len({m.source_id for m in members if m.source_id is not None}),
                    t0=min(times, default=None),
                    t1=max(times, default=None),
                )
            )
            again = moved is None or firsts.get(story_id) != first.id
            todo = [m.id for m in members if again or m.id in (moved or set())]
            bodies.load([*todo, first.id])
            for article_id in todo:
                value = 1.0 if article_id == first.id else _similarity(bodies, article_id, first.id)
                similarities.append(dict(a=article_id, s=value))
        if updates:
            session.execute(
                update(_STORIES)
                .where(_STORIES.c.id == bindparam("i"))
                .values(
                    first_article_id=bindparam("f"),
                    articles=bindparam("n"),
                    sources=bindparam("s"),
                    first_published_at=bindparam("t0"),
                    last_published_at=bindparam("t1"),
                ),
                updates,
            )
        if similarities:
            session.execute(_SIMILARITY, similarities)


def _similarity(bodies: Bodies, article_id: int, first_id: int) -> float:
    """Jaccard similarity of two articles' shingles, rounded for reading."""
    return round(jaccard(bodies.shingles(article_id), bodies.shingles(first_id)), 4)


# --- regrouping -----------------------------------------------------------------------


def regroup(
    session: Session,
    article_ids: Iterable[int] | None = None,
    *,
    stories: Iterable[int] = (),
    bands: bool = False,
) -> int:
    """Derive the stories of these articles (None: every article) again; how many were grouped.

    Every article of a story one of them is in (or of ``stories``: where
    rewritten articles were before) is made a story of its own,
    then they are grouped again, a batch at a time, as ingest groups new
    articles (their copies elsewhere are found again by the same look-ups).
    ``bands``: their band keys are made again too (from the stored bodies),
    for the migration and a change of settings.
    """
    if article_ids is None:
        ids = list(session.scalars(select(Article.id).order_by(Article.id)))
    else:
        given = sorted(set(article_ids))
        touched = sorted({int(s) for _, s in select_in(session, _STORY_OF, given)} | set(stories))
        ids = sorted(
            set(given)
            | {
                int(a)
                for (a,) in select_in(
                    session, "SELECT id FROM articles WHERE story_id IN ({marks})", touched
                )
            }
        )
    if bands and not _has_signatures(session):
        # Run by the revision that brought stories, before the one that keeps signatures:
        # each article a story of its own; that revision has the next ingest group them.
        for chunk in chunks(ids):
            _reset(session, chunk)
        return 0
    for chunk in chunks(ids):
        _reset(session, chunk)
    if bands:
        if article_ids is None:
            session.execute(delete(_BANDS))
            session.execute(delete(_SIGNATURES))
        else:
            delete_keys(session, ids)
    for start in range(0, len(ids), REGROUP_BATCH):
        batch = ids[start : start + REGROUP_BATCH]
        group(session, _stored_members(session, batch, bands), write_bands=bands)
    return len(ids)


def _has_signatures(session: Session) -> bool:
    """Whether the database keeps ``story_signatures`` (every one at the current revision)."""
    return inspect(session.connection()).has_table(StorySignature.__tablename__)


def _reset(session: Session, ids: list[int]) -> None:
    """Make each article a story of its own (its stories row made or made so), similarity 1."""
    rows = session.execute(
        select(Article.id, Article.source_id, Article.published_at, Article.story_id).where(
            Article.id.in_(ids)
        )
    ).all()
    # (No story yet: the migration that adds the column on PostgreSQL, before it is filled.)
    old = sorted({int(r.story_id) for r in rows if r.story_id is not None} - set(ids))
    stored = {
        int(i) for (i,) in select_in(session, "SELECT id FROM stories WHERE id IN ({marks})", ids)
    }
    fresh = [(r.id, r.source_id, r.published_at) for r in rows]
    executemany(
        session, _STORIES, STORY_COLUMNS, singleton_rows(r for r in fresh if r[0] not in stored)
    )
    if stored:
        session.execute(
            update(_STORIES)
            .where(_STORIES.c.id == bindparam("i"))
            .values(
                first_article_id=bindparam("i"),
                articles=1,
                sources=bindparam("s"),
                first_published_at=bindparam("t"),
                last_published_at=bindparam("t"),
            ),
            [dict(i=i, s=0 if s is None else 1, t=t) for i, s, t in fresh if i in stored],
        )
    session.execute(
        update(_ARTICLES)
        .where(_ARTICLES.c.id == bindparam("i"))
        .values(story_id=bindparam("i"), story_similarity=1.0),
        [dict(i=r.id) for r in rows],
    )
    if old:
        # Stories whose articles all moved to their own: gone (those that keep some stay).
        session.execute(
            delete(_STORIES).where(
                _STORIES.c.id.in_(old),
                ~_STORIES.c.id.in_(
                    select(_ARTICLES.c.story_id).where(_ARTICLES.c.story_id.in_(old))
                ),
            )
        )
        leftover = list(session.scalars(select(Story.id).where(Story.id.in_(old))))
        if leftover:
            refresh(session, leftover, Bodies(session), None)


def _stored_members(session: Session, ids: list[int], bands: bool) -> list[Member]:
    """Members for stored articles: their body paragraphs, and their band keys (made or read)."""
    body: dict[int, list[tuple[str, int]]] = {i: [] for i in ids}
    rows = session.execute(
        select(Paragraph.article_id, Paragraph.text, Paragraph.text_hash)
        .where(Paragraph.article_id.in_(ids), Paragraph.kind == "body")
        .order_by(Paragraph.article_id, Paragraph.position)
    )
    for article_id, paragraph, text_hash in rows:
        body[article_id].append((paragraph, text_hash))
    if bands:
        return [member(i, body[i]) for i in ids]
    keys = {
        int(article_id): unpack_keys(bytes(packed))
        for article_id, packed in select_in(session, _SIGNATURES_OF, ids)
    }
    return [
        Member(
            i,
            tuple(t for t, _ in body[i]),
            keys.get(i, ()),
            anchors(body[i]) if i in keys else (),
        )
        for i in ids
    ]


# --- settings ---------------------------------------------------------------------------


def stored_settings(session: Session) -> dict[str, str]:
    """The settings the stored band keys were made with (``story_settings``).

    Read by every batch ingest writes: as driver SQL, which costs nothing to compile.
    """
    rows = session.connection().exec_driver_sql("SELECT name, value FROM story_settings")
    return {str(n): str(v) for n, v in rows}


def current_settings() -> dict[str, str]:
    """The settings band keys are made with now, as ``story_settings`` rows hold them."""
    return {name: str(value) for name, value in vars(settings()).items()}


def write_settings(session: Session) -> None:
    """Record the current settings (and the library's version, for the record)."""
    session.execute(delete(StorySetting))
    values = {**current_settings(), "library_version": library_version()}
    session.execute(
        StorySetting.__table__.insert(),  # type: ignore[attr-defined]
        [dict(name=n, value=v) for n, v in sorted(values.items())],
    )


def check_settings(session: Session) -> bool:
    """Regroup every article when the band keys were made with other settings; whether it did.

    The library's version alone does not count: rensa's ``ALGORITHM_VERSION``
    says when its hashing changed.
    """
    stored = stored_settings(session)
    stored.pop("library_version", None)
    if stored == current_settings():
        return False
    regroup(session, None, bands=True)
    write_settings(session)
    return True


def count(session: Session) -> int:
    """How many stories are stored."""
    return int(session.execute(text("SELECT count(*) FROM stories")).scalar_one())
