"""Why each block of an article got its kind: ``newsstore show --explain``.

Reasons are not stored: they are re-derived from the raw document with the
current parsers (parsing is pure, so this is what ingest saw if the parser has
not changed), and boilerplate learned across the corpus is explained from the
per-source counts in ``source_paragraphs``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Article, Document
from db.queries import ArticleDetail, boilerplate_evidence
from ingest.prepare import prepare
from ingest.records import RawDocument
from ingest.store import BOILERPLATE, BOILERPLATE_MIN_ARTICLES


@dataclass(frozen=True)
class Explained:
    position: int
    kind: str
    text: str
    reason: str


def explain(session: Session, detail: ArticleDetail) -> list[Explained]:
    """Each stored paragraph of the article with the reason for its kind."""
    doc = session.execute(
        select(Document.origin, Document.raw, Document.sha256).where(
            Document.id == detail.document_id
        )
    ).one()
    siblings = list(
        session.scalars(
            select(Article.id).where(Article.document_id == detail.document_id).order_by(Article.id)
        )
    )
    prepared = prepare(RawDocument(origin=doc.origin, raw=doc.raw, sha256=doc.sha256))
    index = siblings.index(detail.id)
    parsed = prepared.articles[index].paragraphs if index < len(prepared.articles) else ()
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
