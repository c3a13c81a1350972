#!/usr/bin/env python3
"""The store as it grows to a million articles: ingest per step, bytes, search and read commands.

usage: python benchmarks/million.py [--articles 1000000] [--step 100000] [--db-url URL]
                                    [--work DIR] [--results FILE] [--search-every K]

One database grows step by step. Each step:

1. generates ``--step`` distinct page dumps in the seed's layout (top bar, headline, 9-18
   body paragraphs of Zipf-distributed words from ``benchmarks/search_latency.py``'s
   vocabulary, naming places from its list, a standing paragraph per source, a footer whose
   date is spread over three years), about 4.3 KB each, into a folder;
2. ingests that folder with the CLI (``python -m ingest --db URL ingest FOLDER``), timed as the
   whole process, then deletes the folder: disk and memory stay bounded by one step;
3. measures the database: bytes per article (SQLite: the file and its WAL after the WAL is
   checkpointed; PostgreSQL: ``pg_database_size``);
4. times ``db.search.search()`` over ``search_latency.py``'s query mix (its ``pick_terms``,
   ``settings`` and ``timings``, imported, so a change to either is measured here too):
   every query with every filter, sorted by relevance and by newest, one warm-up and
   ``--repeat`` timed runs each; median and 95th percentile;
5. times every read command as a user runs it, a whole CLI process each: ``stats``,
   ``places``, ``export`` of one month to a file in each format, ``show ID``, ``stories``
   and ``search QUERY`` (target: each under 1 s; ``read_commands.py`` times them several
   times over on any database).

The rare terms of the query mix are picked once, from the first step's paragraphs (made-up
words in 20 to 100 of them, as ``pick_terms`` does), and kept for every step, so each step
runs the same queries. The table is printed as the run goes and the results file (JSON) is
rewritten after every step, so an interrupted run keeps what it measured.

PostgreSQL: ``--db-url postgresql+psycopg://USER@HOST:PORT/DB`` (an empty database you can
throw away). Search there is measured the same way, through the same ``db.search.search``.

Not a test: a figure anyone can rerun.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
import search_latency  # noqa: E402  (a sibling script: its query mix and its text)
from ingest_speed import children_cpu  # noqa: E402

from db.migrate import upgrade  # noqa: E402
from db.session import make_engine  # noqa: E402

SEED = 20261207
SOURCES = [f"Wire {n}(Desk {n % 7})" for n in range(50)]
CITIES = ["Delhi", "Paris", "Tokyo", "Sydney", "London", "Lisbon", ""]
MONTHS = (
    "January February March April May June July August September October November December"
).split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
# The month exported by the timed ``export``: one of the 36 the footers' dates span.
EXPORT_MONTH = ("2024-02-01", "2024-02-29")


class Pages:
    """Distinct page dumps in the seed's layout, numbered, with Zipf-distributed text."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.maker = search_latency.TextMaker(self.rng)
        self.source = search_latency.zipf_pick(self.rng, len(SOURCES), 0.8)
        self.place = search_latency.zipf_pick(self.rng, len(search_latency.PLACES), 1.0)

    def page(self, n: int) -> tuple[str, list[str]]:
        """Page ``n`` and its body paragraphs."""
        rng, maker = self.rng, self.maker
        body = []
        for _ in range(rng.randint(9, 18)):
            named = rng.random() < 0.15
            place = search_latency.PLACES[self.place()][0] if named else None
            body.append(maker.paragraph(place))
        source = SOURCES[self.source()]
        standing = f"{source.split('(')[0]} works with a network of correspondents."
        city = rng.choice(CITIES)
        top = f"{rng.uniform(-10, 35):.1f} C\n" + (f"{city}\n" if city else "")
        day = search_latency.START + timedelta(
            days=rng.randrange(search_latency.DAYS), minutes=rng.randrange(24 * 60)
        )
        shown = day + timedelta(days=1)
        footer = (
            f"{MONTHS[day.month - 1]} {day.day}, {day.year} at "
            f"{day.strftime('%I:%M%p')}\n\nby {source}\n\nMost Popular Articles\n"
        )
        headline = f"Story {n}: {maker.title()}"
        page = (
            f"{top}{DAYS[shown.weekday()]}, {MONTHS[shown.month - 1]} {shown.day}, "
            f"{shown.year}\n\n{headline}\n\n" + "\n\n".join(body) + f"\n\n{standing}\n\n"
            f"Read in Korean\n\n{footer}"
        )
        return page, body

    def write(self, folder: Path, first: int, count: int) -> tuple[int, list[str]]:
        """Write pages ``first``.. into ``folder``: their bytes, and their paragraphs."""
        folder.mkdir(parents=True, exist_ok=True)
        size = 0
        paragraphs: list[str] = []
        for n in range(first, first + count):
            page, body = self.page(n)
            data = page.encode("utf-8")
            (folder / f"{n:07d}.txt").write_bytes(data)
            size += len(data)
            paragraphs += body
        return size, paragraphs


def query_mix(paragraphs: list[str], articles: int) -> list[search_latency.Case]:
    """``search_latency.pick_terms`` over these paragraphs of ``articles`` pages, in a throwaway
    FTS5 index (``pick_terms`` scales "rare" with the number of articles)."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE paragraphs_fts USING fts5(text)")
    db.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY)")
    db.executemany("INSERT INTO articles (id) VALUES (?)", ((n,) for n in range(articles)))
    db.executemany("INSERT INTO paragraphs_fts(text) VALUES (?)", ((p,) for p in paragraphs))
    cases = search_latency.pick_terms(db)
    db.close()
    return cases


class _Driver:
    """What ``search_latency.settings`` calls (``execute(sql)``), on any engine."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def execute(self, sql: str) -> Any:
        return self.connection.exec_driver_sql(sql)


@dataclass
class Step:
    """One step's figures."""

    articles: int
    documents: int
    ingest_s: float
    ingest_cpu_s: float  # the ingest process and its workers
    load: float  # load average over the minute before the step's measurements
    page_bytes: int
    db_bytes: int
    bytes_per_article: float
    search_median_ms: float | None = None
    search_p95_ms: float | None = None
    search_slowest: list[str] = field(default_factory=list)
    search_cpu_share: float | None = None  # CPU seconds / wall seconds of the search calls
    commands_s: dict[str, float] = field(default_factory=dict)
    commands_cpu_s: dict[str, float] = field(default_factory=dict)


def run(
    command: list[str],
    output: Path | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> tuple[float, float]:
    """Seconds and CPU seconds one CLI process takes (with its workers); output to ``output``."""
    env = {k: v for k, v in (env or os.environ).items() if k != "PYTHONDONTWRITEBYTECODE"}
    cpu = children_cpu()
    start = time.perf_counter()
    with open(output or os.devnull, "wb") as sink:
        done = subprocess.run(command, stdout=sink, stderr=subprocess.PIPE, env=env, cwd=cwd)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]!r}")
    return seconds, children_cpu() - cpu


def database_bytes(url: str, connection: Connection) -> int:
    if connection.dialect.name == "postgresql":
        return int(
            connection.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
        )
    path = Path(url.removeprefix("sqlite:///"))
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def measure_search(
    url: str, cases: list[search_latency.Case], repeat: int
) -> tuple[list[float], list[tuple[float, str]]]:
    """Every (query, filter, sort) of the mix: all timed runs, and each one's median."""
    engine = make_engine(url, readonly=True)
    times: list[float] = []
    slowest: list[tuple[float, str]] = []
    module = search_latency.load_module(None)
    with engine.connect() as connection:
        setups = search_latency.settings(_Driver(connection))  # type: ignore[arg-type]
    with Session(engine) as session:
        for case in cases:
            for setting in setups:
                for sort in ("relevance", "newest"):
                    got = list(search_latency.timings(module, session, case, setting, sort, repeat))
                    times += got
                    label = f"{case.query} | {setting.name} | {sort}"
                    slowest.append((statistics.median(got), label))
    engine.dispose()
    return times, sorted(slowest, reverse=True)[:3]


def measure_commands(
    url: str, work: Path, cases: list[search_latency.Case]
) -> dict[str, tuple[float, float]]:
    """Seconds and CPU seconds of each read command, a whole CLI process each: the commands
    of ``read_commands.py`` (which times them several times over), ``search`` with the
    mix's first AND of two terms."""
    from read_commands import commands  # the one list of read commands timed

    cli = [sys.executable, "-m", "ingest", "--db", url]
    engine = make_engine(url, readonly=True)
    with engine.connect() as connection:
        low, high = connection.execute(text("SELECT min(id), max(id) FROM articles")).one()
    engine.dispose()
    todo = commands(url, work, (low + high) // 2)
    todo["search"] = ["search", next(c.query for c in cases if c.category == "AND 2 terms")]
    times = {name: run([*cli, *args]) for name, args in todo.items()}
    for name in ("month.jsonl", "month.csv"):
        (work / name).unlink(missing_ok=True)
    return times


def p95(values: list[float]) -> float:
    return search_latency.p95(values)


def header() -> str:
    return (
        f"{'articles':>9} {'ingest s':>9} {'/first':>7} {'B/article':>10} "
        f"{'search med':>11} {'p95 ms':>8} {'CPU s':>8} {'load':>5}  commands (wall/CPU s)"
    )


def line(step: Step, first: Step) -> str:
    search = (
        f"{step.search_median_ms:>11.1f} {step.search_p95_ms:>8.1f}"
        if step.search_median_ms is not None
        else f"{'-':>11} {'-':>8}"
    )
    commands = ", ".join(
        f"{k} {v:.2f}/{step.commands_cpu_s.get(k, 0):.2f}" for k, v in step.commands_s.items()
    )
    return (
        f"{step.articles:>9,} {step.ingest_s:>9.1f} {step.ingest_s / first.ingest_s:>7.2f} "
        f"{step.bytes_per_article:>10,.0f} {search} {step.ingest_cpu_s:>8.0f} {step.load:>5.1f}"
        f"  {commands}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--step", type=int, default=100_000)
    parser.add_argument("--db-url", help="a database to grow (default: a new SQLite file)")
    parser.add_argument("--work", type=Path, help="folder for the pages (and the SQLite file)")
    parser.add_argument("--results", type=Path, help="JSON results (default: in --work)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per search")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="go on growing a database a stopped run left (its results file is read too)",
    )
    parser.add_argument(
        "--search-every", type=int, default=1, help="measure search every K steps (and last)"
    )
    args = parser.parse_args()
    work = (args.work or Path(tempfile.mkdtemp(prefix="newsstore-million-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    url = args.db_url or f"sqlite:///{work / 'million.db'}"
    results = args.results or work / "million-results.json"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM documents")).scalar_one()
    engine.dispose()
    steps: list[Step] = []
    cases: list[search_latency.Case] = []
    if stored and not args.resume:
        raise SystemExit(f"{url} already holds documents: give an empty database, or --resume")
    if stored and results.exists():
        before = json.loads(results.read_text())
        old = {"ingest_cpu_s": float("nan"), "load": float("nan")}  # not measured before
        steps = [Step(**{**old, **step}) for step in before["steps"]]
        cases = [search_latency.Case(**case) for case in before["queries"]]

    machine = {
        "cpus": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "engine": url.split(":", 1)[0],
    }
    print(f"machine: {machine}", flush=True)
    print(f"database: {url}\nresults: {results}\n{header()}", flush=True)
    # Resumed, the pages go on from the stored count, from a random stream of their own.
    pages = Pages(SEED + stored)
    done = stored
    number = len(steps)
    for step in steps:
        print(line(step, steps[0]), flush=True)
    while done < args.articles:
        count = min(args.step, args.articles - done)
        folder = work / "pages"
        size, paragraphs = pages.write(folder, done, count)
        if not cases:
            cases = query_mix(paragraphs, count)
        del paragraphs
        seconds, cpu = run([sys.executable, "-m", "ingest", "--db", url, "ingest", str(folder)])
        shutil.rmtree(folder)
        done += count
        number += 1
        load = os.getloadavg()[0]
        engine = make_engine(url)
        with engine.connect() as connection:
            articles = connection.execute(text("SELECT count(*) FROM articles")).scalar_one()
            documents = connection.execute(text("SELECT count(*) FROM documents")).scalar_one()
            db_bytes = database_bytes(url, connection)
        engine.dispose()
        step = Step(articles, documents, seconds, cpu, load, size, db_bytes, db_bytes / articles)
        if number % args.search_every == 0 or done >= args.articles:
            wall, cpu = time.perf_counter(), time.process_time()
            times, slowest = measure_search(url, cases, args.repeat)
            step.search_cpu_share = (time.process_time() - cpu) / (time.perf_counter() - wall)
            step.search_median_ms = statistics.median(times)
            step.search_p95_ms = p95(times)
            step.search_slowest = [f"{ms:.0f} ms {label}" for ms, label in slowest]
        commands = measure_commands(url, work, cases)
        step.commands_s = {name: wall for name, (wall, _) in commands.items()}
        step.commands_cpu_s = {name: cpu for name, (_, cpu) in commands.items()}
        steps.append(step)
        print(line(step, steps[0]), flush=True)
        results.write_text(
            json.dumps(
                {
                    "machine": machine,
                    "url": url,
                    "step": args.step,
                    "queries": [asdict(c) for c in cases],
                    "steps": [asdict(s) for s in steps],
                },
                indent=1,
            )
        )
    last, first = steps[-1], steps[0]
    print(f"\nlast step / first step ingest: {last.ingest_s / first.ingest_s:.2f}")
    print(f"stored: {last.documents:,} documents, {last.articles:,} articles")
    slow = [(k, v) for s in steps for k, v in s.commands_s.items() if v >= 1.0]
    print(f"read commands at or over 1 s: {len(slow)} of {sum(len(s.commands_s) for s in steps)}")
    return 0


def _cpu_model() -> str:
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                return row.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    sys.exit(main())
