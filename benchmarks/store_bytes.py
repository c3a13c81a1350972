#!/usr/bin/env python3
"""What a SQLite store is made of: bytes per article for each b-tree, from ``dbstat``.

usage: python benchmarks/store_bytes.py DB [DB ...] [--by-page]

For each database: its articles, and for each table and index (FTS5's shadow
tables under their index's name) the bytes of its pages per article, with how
full its leaf pages are (the share of their bytes in use: what is left is what
VACUUM could give back); then free pages and the file. ``--by-page`` lists every
b-tree on its own rather than grouped. The figures of README's "Bytes per
article" come from it, on the databases ``ingest_speed.py --keep DIR`` leaves.

Not a test: a figure anyone can rerun.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

_TREES = """
SELECT name, sum(pgsize), sum(CASE WHEN pagetype = 'leaf' THEN unused ELSE 0 END),
       sum(CASE WHEN pagetype = 'leaf' THEN pgsize ELSE 0 END)
FROM dbstat GROUP BY name
"""


def group(name: str) -> str:
    """A FTS5 shadow table under its index's name (``paragraphs_fts_data``: ``paragraphs_fts``)."""
    for index in ("paragraphs_fts", "articles_fts"):
        if name.startswith(index):
            return index
    if name.startswith("sqlite_autoindex_"):
        table = name.removeprefix("sqlite_autoindex_").rsplit("_", 1)[0]
        return f"unique constraints ({table})"
    return name


def describe(path: Path, by_page: bool) -> None:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    (articles,) = db.execute("SELECT count(*) FROM articles").fetchone()
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0] * page_size
    pages = db.execute("PRAGMA page_count").fetchone()[0] * page_size
    rows: dict[str, list[int]] = {}
    for name, size, unused, leaf in db.execute(_TREES):
        key = name if by_page else group(name)
        total = rows.setdefault(key, [0, 0, 0])
        total[0] += size
        total[1] += unused
        total[2] += leaf
    db.close()
    n = max(articles, 1)
    print(f"{path}: {articles:,} articles, page size {page_size:,}")
    print(f"  {'b-tree':<48} {'bytes/article':>13} {'leaf fill':>9}")
    for name, (size, unused, leaf) in sorted(rows.items(), key=lambda r: -r[1][0]):
        fill = f"{1 - unused / leaf:.0%}" if leaf else "-"
        print(f"  {name:<48} {size / n:>13,.0f} {fill:>9}")
    print(f"  {'free pages':<48} {free / n:>13,.0f}")
    print(f"  {'pages in all (the file, WAL folded in)':<48} {pages / n:>13,.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("databases", type=Path, nargs="+")
    parser.add_argument("--by-page", action="store_true", help="every b-tree on its own")
    args = parser.parse_args()
    for path in args.databases:
        if not path.is_file():
            print(f"{path}: no such file", file=sys.stderr)
            return 1
        describe(path, args.by_page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
