"""One hit per story: a search lists a story once, at its best-ranked article.

A wire story carried by fifty outlets would otherwise fill the first pages of
a search with the same text. The engines (``fts5``, ``postgres``) rank
articles; this keeps, of each story, the best-ranked article that matched and
counts the story's other matching articles, whichever engine ranked them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.in_lists import chunks
from db.models import Article

Row = TypeVar("Row", bound=Sequence[Any])
# Ranked articles asked for per story wanted, at first: most stories have one article.
OVERFETCH = 3


def stories_of(session: Session, article_ids: Sequence[int]) -> dict[int, int]:
    """article id -> story id, for these articles."""
    found: dict[int, int] = {}
    for chunk in chunks(list(article_ids)):
        found.update(
            {
                int(a): int(s)
                for a, s in session.execute(
                    select(Article.id, Article.story_id).where(Article.id.in_(chunk))
                )
            }
        )
    return found


def one_per_story(
    session: Session, rank: Callable[[int | None], list[Row]], limit: int | None
) -> list[tuple[Row, int, int]]:
    """The best-ranked row of each story, up to ``limit`` stories: (row, story id, copies).

    ``rank(n)`` gives the first ``n`` ranked rows (article id first; None:
    all). Rows are asked for in growing numbers until ``limit`` stories are
    found or the matches run out; ``copies`` counts the story's other
    articles among the rows read.
    """
    asked = None if limit is None else limit * OVERFETCH
    while True:
        rows = rank(asked)
        story_of = stories_of(session, [int(r[0]) for r in rows])
        kept: dict[int, list[Any]] = {}
        for row in rows:
            story = story_of.get(int(row[0]), int(row[0]))
            if story in kept:
                kept[story][2] += 1
            else:
                kept[story] = [row, story, 0]
        if asked is None or limit is None or len(rows) < asked or len(kept) >= limit:
            found = [(row, story, copies) for row, story, copies in kept.values()]
            return found if limit is None else found[:limit]
        # Many copies among the best: ask for more, and past a point for all of them.
        asked = asked * 4 if asked < 64 * limit else None
