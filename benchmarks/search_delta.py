#!/usr/bin/env python3
"""Search after an ingest the impact lists do not cover: the fast path with its delta vs exact.

usage: python benchmarks/search_delta.py --db PATH [--added N ...] [--repeat R] [--delta-max M]

PATH is a database made by ``benchmarks/search_latency.py --db PATH`` with its impact lists
built (``newsstore --db PATH db reindex``). For each N, in one transaction that is rolled
back at the end (the database is left as it was), N articles are added after the lists:
copies of the last N articles with new ids, their paragraphs written anew (the FTS triggers
index them as an ingest would). Then each query of search_latency's mix that has no rare
term (common words, pairs, phrases, prefixes), unfiltered and with a source filter, is
ranked by relevance (limit 20) through ``db.search.fts5.rank_articles`` (the impact lists
plus what was added, ``db.search.topk``) and through ``rank_articles_exact``: the median
milliseconds of each, how many queries the fast path answered (the rest went exact: more
than ``topk.DELTA_MAX`` new matches), and the overlap of their top 10.

    .venv/bin/python benchmarks/search_delta.py --db /tmp/bench.db --added 0 1000 5000

Not a test: a figure anyone can rerun.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.filters import ArticleFilters  # noqa: E402
from db.search import fts5, impacts, topk  # noqa: E402
from db.session import make_engine  # noqa: E402

QUERIES = (
    "said",
    "government",
    "police",
    "minister",
    "government police",
    "verdict museum",
    '"prime minister"',
    '"human rights"',
    "elect*",
    "prot*",
)


def add_copies(session: Session, count: int) -> None:
    """Copy the last ``count`` articles and their paragraphs as new rows (new ids)."""
    if not count:
        return
    last = int(session.scalar(text("SELECT max(id) FROM articles")) or 0)
    columns = [str(r[1]) for r in session.execute(text("PRAGMA table_info(articles)"))]
    chosen = [c for c in columns if c != "id"]
    values = ["content_hash || '-copy'" if c == "content_hash" else f'"{c}"' for c in chosen]
    session.execute(
        text(
            f"INSERT INTO articles (id, {', '.join(chr(34) + c + chr(34) for c in chosen)}) "
            f"SELECT id + :last, {', '.join(values)} FROM articles WHERE id > :from"
        ),
        {"last": count, "from": last - count},
    )
    columns = [str(r[1]) for r in session.execute(text("PRAGMA table_info(paragraphs)"))]
    chosen = [c for c in columns if c not in ("id", "article_id")]
    listed = ", ".join(f'"{c}"' for c in chosen)
    session.execute(
        text(
            f"INSERT INTO paragraphs (article_id, {listed}) "
            f"SELECT article_id + :last, {listed} FROM paragraphs WHERE article_id > :from "
            "ORDER BY id"
        ),
        {"last": count, "from": last - count},
    )


def timed(run: object, repeat: int) -> tuple[float, object]:
    times = []
    found = None
    for _ in range(repeat + 1):
        start = time.perf_counter()
        found = run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:]) * 1000, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--added", type=int, nargs="+", default=[0, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--delta-max", type=int, help="topk.DELTA_MAX to try instead")
    args = parser.parse_args()
    if args.delta_max is not None:
        topk.DELTA_MAX = args.delta_max
    engine = make_engine(f"sqlite:///{args.db.resolve()}")
    with Session(engine) as session:
        source = session.scalar(
            text(
                "SELECT s.name FROM sources s JOIN articles a ON a.source_id = s.id "
                "GROUP BY s.id ORDER BY count(*) DESC LIMIT 1 OFFSET 4"
            )
        )
    print(f"database {args.db}, DELTA_MAX {topk.DELTA_MAX}, repeat {args.repeat}")
    print("added  fast path  fast ms (median, max)  exact ms (median)  overlap@10 (mean, min)")
    for added in args.added:
        with Session(engine) as session:
            if not impacts.fresh(session):
                raise SystemExit("build the impact lists first: newsstore --db PATH db reindex")
            add_copies(session, added)
            fast_ms, exact_ms, overlaps, answered = [], [], [], 0
            for query in QUERIES:
                for filters in (ArticleFilters(), ArticleFilters(source=str(source))):
                    terms, unwanted = fts5.split_terms(query)
                    wanted, excluded = topk.parse_all(terms), topk.parse_all(unwanted)
                    assert wanted is not None and excluded is not None
                    answered += (
                        topk.rank_relevance(session, wanted, excluded, filters, 20) is not None
                    )
                    ms, fast = timed(
                        lambda q=query, f=filters: fts5.rank_articles(
                            session, q, f, limit=20, sort="relevance"
                        ),
                        args.repeat,
                    )
                    fast_ms.append(ms)
                    ms, exact = timed(
                        lambda q=query, f=filters: fts5.rank_articles_exact(
                            session, q, f, limit=20, sort="relevance"
                        ),
                        1,
                    )
                    exact_ms.append(ms)
                    want = {r[0] for r in exact[:10]}  # type: ignore[index]
                    got = {r[0] for r in fast[:10]}  # type: ignore[index]
                    overlaps.append(len(want & got) / len(want) if want else 1.0)
            session.rollback()
        print(
            f"{added:>5}  {answered:>3}/{len(fast_ms):<5}  "
            f"{statistics.median(fast_ms):8.1f} {max(fast_ms):8.1f}            "
            f"{statistics.median(exact_ms):8.1f}           "
            f"{statistics.mean(overlaps):.2f} {min(overlaps):.2f}"
        )


if __name__ == "__main__":
    main()
