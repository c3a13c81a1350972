"""Why each block of an article got its kind, and each place name its place:
``newsstore show --explain``.

Reasons are not stored: they are re-derived from the raw document with the
current parsers (parsing is pure, so this is what ingest saw if the parser has
not changed), and boilerplate learned across the corpus is explained from the
per-source counts in ``source_paragraphs``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Article, Document, Location, LocationMention
from db.queries import ArticleDetail, boilerplate_evidence
from db.raw import unpack
from db.raw_dictionaries import lookup
from ingest.places.homes import learn_homes
from ingest.prepare import prepare
from ingest.records import ArticleRecord, RawDocument
from ingest.store import BOILERPLATE, BOILERPLATE_MIN_ARTICLES


@dataclass(frozen=True)
class Explained:
    position: int
    kind: str
    text: str
    reason: str


@dataclass(frozen=True)
class PlaceExplained:
    """A place name the body uses, the place it was resolved to, and why."""

    position: int
    start: int
    surface: str
    place: str  # 'Gainesville (city, US-FL)'
    reason: str
    form: str = "name"  # or 'adjective': "Russian" for Russia


def explain(session: Session, detail: ArticleDetail) -> list[Explained]:
    """Each stored paragraph of the article with the reason for its kind."""
    return explain_all(session, detail)[0]


def explain_all(
    session: Session, detail: ArticleDetail
) -> tuple[list[Explained], list[PlaceExplained]]:
    """The paragraphs' reasons (``explain``) and the place names' (``_places``), from one
    parse of the raw document."""
    record = _reparsed(session, detail)
    return _paragraphs(session, detail, record), _places(session, detail, record)


def _reparsed(session: Session, detail: ArticleDetail) -> ArticleRecord | None:
    """The article as the current parsers read its raw document (None: they find no such
    article in it any more)."""
    doc = session.execute(
        select(
            Document.origin, Document.raw, Document.raw_codec, Document.size, Document.sha256
        ).where(Document.id == detail.document_id)
    ).one()
    siblings = list(
        session.scalars(
            select(Article.id).where(Article.document_id == detail.document_id).order_by(Article.id)
        )
    )
    raw = RawDocument(
        origin=doc.origin,
        raw=unpack(doc.raw, doc.raw_codec, doc.size, lookup(session)),
        sha256=doc.sha256,
    )
    # The sources' homes as the store holds them now (``ingest.places.homes``).
    prepared = prepare(raw, homes=learn_homes(session))
    index = siblings.index(detail.id)
    return prepared.articles[index] if index < len(prepared.articles) else None


def _paragraphs(
    session: Session, detail: ArticleDetail, record: ArticleRecord | None
) -> list[Explained]:
    parsed = record.paragraphs if record is not None else ()
    by_position = {p.position: p for p in parsed}
    learned = boilerplate_evidence(session, detail.id)
    explained = []
    for stored in detail.paragraphs:
        now = by_position.get(stored.position)
        if now is None or now.text != stored.text:
            reason = "the current parser reads this page differently: run newsstore reparse"
        elif stored.kind == BOILERPLATE and now.kind == "body":
            count = learned.get(stored.position, 0)
            reason = (
                f"learned: found in {count} articles of {detail.source} "
                f"(boilerplate from {BOILERPLATE_MIN_ARTICLES})"
            )
        elif stored.kind != now.kind:
            reason = f"the current parser says {now.kind!r}: run newsstore reparse"
        else:
            reason = now.reason or f"{detail.layout} layout: article text"
        explained.append(Explained(stored.position, stored.kind, stored.text, reason))
    return explained


def _places(
    session: Session, detail: ArticleDetail, record: ArticleRecord | None
) -> list[PlaceExplained]:
    """Each stored place mention with the reason the current parsers give for it.

    A mention they no longer make, or resolve to another place, says so.
    """
    stored = session.execute(
        select(
            LocationMention.paragraph_position,
            LocationMention.start_offset,
            LocationMention.surface,
            Location.name,
            Location.kind,
            Location.country_code,
            Location.admin1,
            Location.gazetteer_id,
            LocationMention.form,
        )
        .join(Location, Location.id == LocationMention.location_id)
        .where(LocationMention.article_id == detail.id)
        .order_by(LocationMention.paragraph_position, LocationMention.start_offset)
    ).all()
    now = {(m.position, m.start): m for m in (record.mentions if record is not None else ())}
    out = []
    for row in stored:
        where = "-".join(part for part in (row.country_code, row.admin1) if part) or "-"
        mention = now.get((row.paragraph_position, row.start_offset))
        if mention is None or mention.place.gazetteer_id != row.gazetteer_id:
            reason = "the current parser reads this name differently: run newsstore reparse"
        else:
            reason = mention.why
        out.append(
            PlaceExplained(
                row.paragraph_position,
                row.start_offset,
                row.surface,
                f"{row.name} ({row.kind}, {where})",
                reason,
                row.form,
            )
        )
    return out
