#!/usr/bin/env python3
"""What learning the sources' homes costs ingest: one query a run (``ingest.places.homes``).

usage: python benchmarks/homes_cost.py --db-url URL [--runs 5]

Times ``learn_homes`` on an existing store (a grown one: ``benchmarks/million.py``'s, say),
the query every ingest run that parses anything makes once before it locates, and prints
the store's articles and sources, the homes learned and the median and range of the runs.
Not a test: a figure anyone can rerun.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Article, Source
from db.session import make_engine
from ingest.places.homes import learn_homes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    engine = make_engine(args.db_url)
    with Session(engine) as session:
        articles = session.execute(select(func.count()).select_from(Article)).scalar_one()
        sources = session.execute(select(func.count()).select_from(Source)).scalar_one()
        seconds = []
        for _ in range(max(1, args.runs)):
            start = time.perf_counter()
            homes = learn_homes(session)
            seconds.append(time.perf_counter() - start)
    engine.dispose()
    print(f"{articles:,} articles, {sources:,} sources, {len(homes):,} homes learned")
    print(
        f"learn_homes: median {statistics.median(seconds):.3f} s "
        f"(range {min(seconds):.3f}-{max(seconds):.3f} s, {len(seconds)} runs)"
    )
    for name, home in sorted(homes.items())[:10]:
        print(f"  {name}: {home}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
