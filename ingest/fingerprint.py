"""Hashes that decide identity: of an article's content, and of a paragraph's text.

Both hash normalized text (NFC, whitespace collapsed, case folded for
paragraphs), so that two captures of the same article that differ only in line
endings, trailing spaces or a BOM are recognised as the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ingest.normalize import collapse_whitespace
from ingest.records import ArticleRecord, ParagraphRecord, ParsedArticle
from ingest.signature import sign

# Kinds that make up the article itself. Page chrome (sidebar lists, footers)
# changes from capture to capture and must not make a repeat look new.
CONTENT_KINDS = frozenset({"body", "boilerplate"})


def paragraph_hash(text: str) -> int:
    """A 64-bit hash of a paragraph's normalized, case-folded text, as a signed integer.

    Signed, so that it fits a BIGINT on PostgreSQL as on SQLite. An integer
    key keeps the hash indexes small; see migration 61f29514ff84, which holds
    a copy of this function.
    """
    normal = collapse_whitespace(text).casefold()
    digest = hashlib.blake2b(normal.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def content_hash(title: str, paragraphs: Iterable[tuple[str, str]]) -> str:
    """SHA-256 of the title and the content paragraphs (``(kind, text)`` pairs)."""
    digest = hashlib.sha256(collapse_whitespace(title).encode("utf-8"))
    for kind, text in paragraphs:
        if kind in CONTENT_KINDS:
            digest.update(b"\n\n")
            digest.update(collapse_whitespace(text).encode("utf-8"))
    return digest.hexdigest()


def fingerprint(article: ParsedArticle) -> ArticleRecord:
    """Number the paragraphs and hash them and the article, and sign its body (``signature``).

    The signature is made here, in the worker processes, because shingling a
    body costs more than anything the writer does with it.
    """
    paragraphs = tuple(
        ParagraphRecord(
            position=position,
            kind=paragraph.kind,
            text=paragraph.text,
            text_hash=paragraph_hash(paragraph.text),
            reason=paragraph.reason,
        )
        for position, paragraph in enumerate(article.paragraphs, start=1)
    )
    digest = content_hash(article.title, ((p.kind, p.text) for p in article.paragraphs))
    signature = sign((p.text, p.text_hash) for p in paragraphs if p.kind == "body")
    return ArticleRecord(
        article=article, content_hash=digest, paragraphs=paragraphs, signature=signature
    )
