"""bm25 as FTS5 computes it, and FTS5's tokens, for ranking outside FTS5 (``db.search.topk``).

``Stats`` reads what FTS5's ``bm25()`` reads (the row count and mean row
length in the index's averages record) and ``Stats.weight`` is its formula,
so that a paragraph scored here gets the rank the exact path gives it.
Tokens are read as FTS5's ``unicode61 remove_diacritics 2`` tokenizer reads
them: runs of letters and digits, lower-cased, without diacritics.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

_WORD = re.compile(r"[^\W_]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
K1, B = 1.2, 0.75  # FTS5's bm25 constants


def tokens(value: str) -> list[str]:
    """The tokens FTS5's unicode61 tokenizer (remove_diacritics 2) finds in ``value``."""
    folded = value.lower()
    if folded.isascii():  # the common case, and a much faster pattern
        return _ASCII_WORD.findall(folded)
    if not folded.isascii():
        folded = "".join(
            c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c)
        )
    return _WORD.findall(folded)


@dataclass(frozen=True)
class Stats:
    """What bm25 needs of one FTS5 index: rows, mean tokens per row, each term's rows."""

    rows: int
    mean_length: float

    def idf(self, hits: int) -> float:
        idf = math.log((self.rows - hits + 0.5) / (hits + 0.5))
        return idf if idf > 0 else 1e-6

    def weight(self, idf: float, count: int, length: int) -> float:
        """One term's bm25 for a row: negative, lower is better, as FTS5's ``bm25()``."""
        return -idf * count * (K1 + 1) / (count + K1 * (1 - B + B * length / self.mean_length))

    def bound(self, idf: float) -> float:
        """A weight no row reaches for a term of this idf: every row's ``weight`` is above it.

        A row holds at most as many instances as tokens (``count <= length``),
        so ``weight`` is above ``-idf * (K1 + 1) / (1 + K1 * B / mean_length)``
        whatever the count: the limit of a row made of nothing but the term.
        """
        return -idf * (K1 + 1) / (1 + K1 * B / self.mean_length)


def index_stats(session: Session, fts: str) -> Stats:
    """The row count and mean length FTS5 keeps in its averages record."""
    block = session.scalar(text(f"SELECT block FROM {fts}_data WHERE id = 1"))
    values = list(_varints(bytes(block or b"")))
    rows, total = (values + [0, 0])[:2]
    return Stats(rows, total / rows if rows else 1.0)


def _varints(data: bytes) -> Iterable[int]:
    """SQLite's varints (as FTS5 writes them), one after another."""
    i = 0
    while i < len(data):
        value = 0
        for n in range(9):
            byte = data[i]
            i += 1
            if n == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        yield value
