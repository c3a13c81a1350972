#!/usr/bin/env python3
"""Ingest speed against SQLite's bare write speed for the same rows, memory, and re-ingest time.

usage: python benchmarks/ingest_speed.py [--pages 20000] [--runs 3] [--keep DIR]

1. Generates N distinct page dumps in the seed's layout (top bar, headline,
   ten body paragraphs, standing text, footer, sidebar) under a temp folder.
2. Ingests them with the CLI (``python -m ingest``) into a fresh database:
   pages/s, rows/s, peak memory of that process, database bytes per article.
3. Writes the very same rows again into a fresh database at the same schema
   with bare ``sqlite3`` ``executemany`` in one transaction, the FTS triggers
   dropped and one FTS5 ``rebuild`` at the end: the floor newsstore is held to.
4. Ingests the unchanged files again: the time to find there is nothing to do.

Steps 2-4 are repeated ``--runs`` times, each into fresh databases, and each
run's ratio is taken between its own two times; the summary gives the medians
(and the highest peak memory). One run is not enough on a small virtual
machine whose speed drifts: on the 2-core machine of the README's figures the
bare write of the same rows took from 6.2 to 10.2 s, and the CPU time of the
same ingest varied by a quarter, from one minute to the next.

Not a test: a figure anyone can rerun (README keeps its history).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from db.migrate import upgrade

WORDS = (
    "the of and to in a is that for on said with was as by at from his government "
    "officials police minister people year city country report new two after would "
    "against security border workers market prices trade talks election court week "
    "river harbour bridge ferry council mayor storm school hospital company shares "
    "bank energy water farmers villagers soldiers journalists reporters sources capital"
).split()
CITIES = ["Delhi", "Paris", "Tokyo", "Sydney", "London", "Lisbon", ""]
SOURCES = [f"Wire {n}(Desk {n % 7})" for n in range(40)]
TABLES = (
    "documents",
    "sources",
    "locations",
    "stories",
    "articles",
    "story_bands",
    "paragraphs",
    "article_translations",
    "article_locations",
    "location_mentions",
    "source_paragraphs",
)


def page(rng: random.Random, n: int) -> str:
    """One distinct page dump in the seed's layout."""
    city = rng.choice(CITIES)
    body = []
    for _ in range(10):
        words = [rng.choice(WORDS) for _ in range(rng.randint(25, 60))]
        body.append(" ".join(words).capitalize() + ".")
    source = rng.choice(SOURCES)
    standing = f"{source.split('(')[0]} works with a network of correspondents."
    top = f"{rng.uniform(-10, 35):.1f} C\n" + (f"{city}\n" if city else "")
    return (
        f"{top}Sunday, February 9, 2025\n\nStory {n}: {rng.choice(WORDS)} "
        f"{rng.choice(WORDS)} in the news\n\n" + "\n\n".join(body) + f"\n\n{standing}\n\n"
        f"Read in Korean\n\nMay 28, 2024 at 06:30AM\n\nby {source}\n\nMost Popular Articles\n"
    )


def run_cli(db: Path, folder: Path) -> tuple[float, int]:
    """Seconds and peak memory (KiB) of one ``newsstore ingest`` run, worker processes included.

    Memory is the proportional set size (PSS) of the process and its workers
    added up, sampled every 50 ms: the workers are forked and share the
    gazetteer with their parent, so adding up their RSS would count it thrice.
    """
    # Python caches compiled modules unless told not to; some sandboxes tell it not to,
    # which would add compiling newsstore's modules to every run, unlike a user's.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest", "--db", str(db), "ingest", str(folder)],
        stdout=subprocess.DEVNULL,
        env=env,
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_pss_kib(process.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"ingest failed with exit code {process.returncode}")
    return seconds, peak


def _tree_pss_kib(pid: int) -> int:
    """PSS of a process and its descendants, from /proc (0 for one that has just exited)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(_tree_pss_kib(int(child)) for child in children)


def bare_write(source: Path, target: Path) -> tuple[float, int]:
    """Seconds to write ``source``'s rows into a fresh database with bare executemany."""
    upgrade(f"sqlite:///{target}")
    src = sqlite3.connect(source)
    rows = {t: src.execute(f"SELECT * FROM {t}").fetchall() for t in TABLES}
    src.close()
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    triggers = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")]
    for name in triggers:
        db.execute(f'DROP TRIGGER "{name}"')
    start = time.perf_counter()
    db.execute("BEGIN")
    for table in TABLES:
        if rows[table]:
            marks = ", ".join("?" * len(rows[table][0]))
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[table])
    db.execute("INSERT INTO paragraphs_fts(paragraphs_fts) VALUES ('rebuild')")
    db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
    db.execute("COMMIT")
    db.close()  # the last connection checkpoints the WAL into the file, as ingest's does
    seconds = time.perf_counter() - start
    return seconds, sum(len(r) for r in rows.values())


@dataclass(frozen=True)
class Run:
    """One run's figures: seconds, peak memory, and the database it made."""

    ingest: float
    peak_kib: int
    again: float
    bare: float
    rows: int
    articles: int
    size: int


def _run_once(work: Path, folder: Path) -> Run:
    """Ingest into a fresh database, ingest again, then write the same rows bare."""
    db, bare = work / "ingest.db", work / "bare.db"
    for path in (db, bare):
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
    seconds, peak_kib = run_cli(db, folder)
    again, _ = run_cli(db, folder)
    bare_seconds, rows = bare_write(db, bare)
    check = sqlite3.connect(db)
    articles = check.execute("SELECT count(*) FROM articles").fetchone()[0]
    check.close()
    size = sum(p.stat().st_size for p in work.glob("ingest.db*"))
    return Run(seconds, peak_kib, again, bare_seconds, rows, articles, size)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3, help="repetitions (medians reported)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        folder = work / "pages"
        folder.mkdir(parents=True, exist_ok=True)
        rng = random.Random(20250209)
        for n in range(args.pages):
            (folder / f"{n:06d}.txt").write_text(page(rng, n), encoding="utf-8")
        runs = [_run_once(work, folder) for _ in range(args.runs)]

    rows, articles = runs[0].rows, runs[0].articles
    print(f"pages                 {args.pages} ({articles} articles, {rows} rows)")
    for n, run in enumerate(runs, start=1):
        print(
            f"run {n}: ingest {run.ingest:.2f} s, bare write {run.bare:.2f} s, "
            f"ratio {run.ingest / run.bare:.2f}, re-ingest {run.again:.2f} s, "
            f"peak {run.peak_kib / 1024:.0f} MB"
        )
    seconds = statistics.median(run.ingest for run in runs)
    bare_seconds = statistics.median(run.bare for run in runs)
    ratio = statistics.median(run.ingest / run.bare for run in runs)
    faster = statistics.median(run.ingest / run.again for run in runs)
    again = statistics.median(run.again for run in runs)
    peak_kib = max(run.peak_kib for run in runs)
    print(f"medians of {len(runs)} runs:")
    print(
        f"ingest                {seconds:.2f} s = {args.pages / seconds:.0f} pages/s, "
        f"{rows / seconds:.0f} rows/s"
    )
    print(f"bare sqlite3 write    {bare_seconds:.2f} s = {rows / bare_seconds:.0f} rows/s")
    print(f"ratio ingest / bare   {ratio:.2f}  (target <= 2.5, aim 1.5)")
    print(f"peak memory (ingest)  {peak_kib / 1024:.0f} MB, all processes  (target <= 400)")
    print(f"database              {runs[0].size / articles:.0f} bytes per article")
    print(f"re-ingest unchanged   {again:.2f} s = {faster:.1f}x faster (target >= 10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
