#!/usr/bin/env python3
"""Ingest speed against SQLite's bare write speed for the same rows, memory, and re-ingest time.

usage: python benchmarks/ingest_speed.py [--pages 20000] [--runs 3] [--keep DIR]
                                         [--text small|zipf] [--bare one|issue|both]

1. Generates N distinct page dumps in the seed's layout (top bar, headline,
   body paragraphs, standing text, footer, sidebar) under a temp folder:
   ``--text small`` (the default, this script's own: ten paragraphs from 90 words,
   about 2.9 KB) or ``zipf`` (``benchmarks/million.py``'s: 9-18 paragraphs of
   Zipf-distributed words from 60,000 with place names, about 4.2 KB).
2. Ingests them with the CLI (``python -m ingest``) into a fresh database:
   pages/s, rows/s, peak memory of that process, database bytes per article.
3. Writes the very same rows again into a fresh database at the same schema
   with bare ``sqlite3`` ``executemany``, the FTS triggers dropped: the floor
   newsstore is held to. Two ways (``Bare``): ``one``, README's since issue 8 (one
   transaction, both FTS5 indexes rebuilt), and ``issue``, the held-back
   measurement of issue 22 (transactions of 10,000 rows, synchronous NORMAL, one
   rebuild of ``paragraphs_fts``); ``--bare both`` (the default) writes both ways
   in every run, each into a fresh database.
4. Ingests the unchanged files again: the time to find there is nothing to do.

Steps 2-4 are repeated ``--runs`` times, each into fresh databases, and each
run's ratio is taken between its own two times; the summary gives the medians
(and the highest peak memory). One run is not enough on a small virtual
machine whose speed drifts: on the 2-core machine of the README's figures the
bare write of the same rows took from 6.2 to 10.2 s, and the CPU time of the
same ingest varied by a quarter, from one minute to the next.

Each run also reports CPU seconds (the ingest's with its workers, the bare
write's) and the load average before it. The ratio of wall times is what the
bound is about, but it depends on the machine being idle: ingest works on two
cores, the bare write on one, so anything else running makes the ingest lose
more. The CPU ratio does not move with the load.

Not a test: a figure anyone can rerun (README keeps its history).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
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


def run_cli(db: Path, folder: Path, memory: bool = True) -> tuple[float, int, float]:
    """Seconds, peak memory (KiB) and CPU seconds of one ``newsstore ingest`` run, workers included.

    Memory is the proportional set size (PSS) of the process and its workers
    added up, sampled every 50 ms: the workers are forked and share the
    gazetteer with their parent, so adding up their RSS would count it thrice.
    Sampling is not free: reading ``smaps_rollup`` walks each process's page
    tables, and on two cores it made the same ingest take 10-18% longer
    (12.2-12.4 s against 13.7-14.4 s, alternating). ``memory=False`` does not
    sample (peak 0): the runs that are timed.
    """
    # Python caches compiled modules unless told not to; some sandboxes tell it not to,
    # which would add compiling newsstore's modules to every run, unlike a user's.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cpu = children_cpu()
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest", "--db", str(db), "ingest", str(folder)],
        stdout=subprocess.DEVNULL,
        env=env,
    )
    peak = 0
    while memory and process.poll() is None:
        peak = max(peak, _tree_pss_kib(process.pid))
        time.sleep(0.05)
    process.wait()
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"ingest failed with exit code {process.returncode}")
    return seconds, peak, children_cpu() - cpu


def children_cpu() -> float:
    """User and system CPU seconds of the finished child processes (their workers included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


@dataclass(frozen=True)
class Bare:
    """How the bare write is done: the floor an ingest is compared with.

    ``one``: README's, since issue 8: one transaction, SQLite's default ``synchronous``
    (FULL), both FTS5 indexes rebuilt. ``issue``: the held-back measurement of issue 22:
    transactions of 10,000 rows, ``synchronous=NORMAL`` (as ingest's connections), one FTS5
    rebuild over paragraphs only (``articles_fts`` is left empty, though ingest fills it).
    """

    name: str
    rows_per_transaction: int | None
    synchronous: str | None
    rebuilds: tuple[str, ...]


BARE = {
    "one": Bare("one", None, None, ("paragraphs_fts", "articles_fts")),
    "issue": Bare("issue", 10_000, "NORMAL", ("paragraphs_fts",)),
}


def bare_write(source: Path, target: Path, how: Bare = BARE["one"]) -> tuple[float, float, int]:
    """Seconds and CPU seconds to write ``source``'s rows into a fresh database, bare."""
    upgrade(f"sqlite:///{target}")
    src = sqlite3.connect(source)
    rows = {t: src.execute(f"SELECT * FROM {t}").fetchall() for t in TABLES}
    src.close()
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    if how.synchronous:
        db.execute(f"PRAGMA synchronous={how.synchronous}")
    triggers = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")]
    for name in triggers:
        db.execute(f'DROP TRIGGER "{name}"')
    cpu = time.process_time()
    start = time.perf_counter()
    db.execute("BEGIN")
    for table in TABLES:
        if not rows[table]:
            continue
        marks = ", ".join("?" * len(rows[table][0]))
        size = how.rows_per_transaction or len(rows[table])
        for first in range(0, len(rows[table]), size):
            db.executemany(
                f"INSERT INTO {table} VALUES ({marks})", rows[table][first : first + size]
            )
            if how.rows_per_transaction:
                db.execute("COMMIT")
                db.execute("BEGIN")
    for fts in how.rebuilds:
        db.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
    db.execute("COMMIT")
    db.close()  # the last connection checkpoints the WAL into the file, as ingest's does
    seconds = time.perf_counter() - start
    return seconds, time.process_time() - cpu, sum(len(r) for r in rows.values())


@dataclass(frozen=True)
class Run:
    """One run's figures: seconds, peak memory, and the database it made."""

    ingest: float
    ingest_cpu: float  # all its processes
    peak_kib: int
    again: float
    bare: dict[str, float]  # by ``Bare.name``
    bare_cpu: dict[str, float]
    load: float  # the load average over the minute before the run
    rows: int
    articles: int
    size: int


def _run_once(work: Path, folder: Path, bares: list[Bare]) -> Run:
    """Ingest into a fresh database, ingest again, then write the same rows bare.

    The peak memory is measured by an ingest of its own, into another fresh
    database: sampling it slows the ingest being timed (``run_cli``).
    """
    db, bare, sampled = work / "ingest.db", work / "bare.db", work / "memory.db"
    for leftover in [*db.parent.glob(db.name + "*"), *db.parent.glob(sampled.name + "*")]:
        leftover.unlink()
    load = os.getloadavg()[0]
    seconds, _, cpu = run_cli(db, folder, memory=False)
    again, _, _ = run_cli(db, folder, memory=False)
    _, peak_kib, _ = run_cli(sampled, folder)
    for leftover in db.parent.glob(sampled.name + "*"):
        leftover.unlink()
    bare_seconds: dict[str, float] = {}
    bare_cpu: dict[str, float] = {}
    for how in bares:
        for leftover in bare.parent.glob(bare.name + "*"):
            leftover.unlink()
        bare_seconds[how.name], bare_cpu[how.name], rows = bare_write(db, bare, how)
    check = sqlite3.connect(db)
    articles = check.execute("SELECT count(*) FROM articles").fetchone()[0]
    check.close()
    size = sum(p.stat().st_size for p in work.glob("ingest.db*"))
    return Run(seconds, cpu, peak_kib, again, bare_seconds, bare_cpu, load, rows, articles, size)


def write_pages(folder: Path, count: int, text: str) -> int:
    """Write ``count`` distinct pages; their bytes in all.

    ``small``: this script's own pages, ten paragraphs from a vocabulary of 90 words (about
    2.3 KB). ``zipf``: ``benchmarks/million.py``'s, 9-18 paragraphs of Zipf-distributed words
    from a vocabulary of 60,000 (about 4.3 KB), like the pages of issue 22's measurements.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if text == "zipf":
        from million import Pages  # a sibling script

        return Pages().write(folder, 0, count)[0]
    rng = random.Random(20250209)
    size = 0
    for n in range(count):
        data = page(rng, n).encode("utf-8")
        (folder / f"{n:06d}.txt").write_bytes(data)
        size += len(data)
    return size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3, help="repetitions (medians reported)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--text", choices=("small", "zipf"), default="small", help="which pages (see write_pages)"
    )
    parser.add_argument(
        "--bare",
        choices=(*BARE, "both"),
        default="both",
        help="how the bare write is done (see Bare); both: each run writes both ways",
    )
    args = parser.parse_args()
    bares = list(BARE.values()) if args.bare == "both" else [BARE[args.bare]]
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        folder = work / "pages"
        for leftover in folder.glob("*.txt"):
            leftover.unlink()
        page_bytes = write_pages(folder, args.pages, args.text)
        runs = [_run_once(work, folder, bares) for _ in range(args.runs)]

    rows, articles = runs[0].rows, runs[0].articles
    print(
        f"pages                 {args.pages} ({args.text}, {page_bytes / args.pages:,.0f} bytes "
        f"each; {articles} articles, {rows} rows)"
    )
    for n, run in enumerate(runs, start=1):
        ratios = ", ".join(
            f"bare ({name}) {bare:.2f} s, ratio {run.ingest / bare:.2f}"
            for name, bare in run.bare.items()
        )
        cpus = ", ".join(
            f"{name} {run.ingest_cpu / bare:.2f}" for name, bare in run.bare_cpu.items()
        )
        print(
            f"run {n} (load {run.load:.1f}): ingest {run.ingest:.2f} s, {ratios}, "
            f"re-ingest {run.again:.2f} s, peak {run.peak_kib / 1024:.0f} MB; "
            f"CPU: ingest {run.ingest_cpu:.1f} s, ratios {cpus}"
        )
    seconds = statistics.median(run.ingest for run in runs)
    faster = statistics.median(run.ingest / run.again for run in runs)
    again = statistics.median(run.again for run in runs)
    peak_kib = max(run.peak_kib for run in runs)
    print(f"medians of {len(runs)} runs:")
    print(
        f"ingest                {seconds:.2f} s = {args.pages / seconds:.0f} pages/s, "
        f"{rows / seconds:.0f} rows/s"
    )
    for how in bares:
        bare_seconds = statistics.median(run.bare[how.name] for run in runs)
        ratio = statistics.median(run.ingest / run.bare[how.name] for run in runs)
        print(
            f"bare write ({how.name:<5})    {bare_seconds:.2f} s = "
            f"{rows / bare_seconds:.0f} rows/s;"
            f" ratio ingest / bare {ratio:.2f}  (target <= 2.5, aim 1.5)"
        )
        cpu_ratio = statistics.median(run.ingest_cpu / run.bare_cpu[how.name] for run in runs)
        print(f"  CPU seconds, ingest (all processes) / bare ({how.name}): {cpu_ratio:.2f}")
    print(f"peak memory (ingest)  {peak_kib / 1024:.0f} MB, all processes  (target <= 400)")
    print(f"database              {runs[0].size / articles:.0f} bytes per article")
    print(f"re-ingest unchanged   {again:.2f} s = {faster:.1f}x faster (target >= 10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
