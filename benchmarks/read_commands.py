#!/usr/bin/env python3
"""Every read command as a user runs it: a whole CLI process each, cold, several times.

usage: python benchmarks/read_commands.py --db URL [--repeat 5] [--code DIR] [--json FILE]

Times ``stats``, ``places``, ``export`` of one month (``million.EXPORT_MONTH``) in
each format the CLI has (to a file), ``show ID`` (the middle article), ``stories``
and ``search`` (an AND of two words of ``search_latency.py``'s vocabulary), each a
new ``python -m ingest --db URL ...`` process, so imports and the database's
opening are in the figure as a user meets them. The commands take turns (all
once, then all again, ``--repeat`` rounds) so a burst of load on a shared
machine falls on all of them alike; each gets its median and range of wall
seconds, and its median CPU seconds.

``--code DIR`` runs the commands with another checkout's code (its ``db`` and
``ingest`` first on the path, from that folder), so the code before a change
can be timed on a database at its own revision: alternate runs of the two
to compare them. Also printed: the database's bytes per article (SQLite: the
file and its WAL; PostgreSQL: ``pg_database_size``), and the load average.

The target of issue 22: each under 1 s at 300,000 and at 1,000,000 articles.
``benchmarks/million.py`` times the same commands once per step as it grows
a database. Not a test: a figure anyone can rerun.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from million import EXPORT_MONTH, database_bytes, run  # noqa: E402

from db.session import make_engine  # noqa: E402

# The words ``search`` is timed with: common words of the generated pages' vocabulary.
SEARCH = "government police"


def commands(url: str, out: Path, article_id: int) -> dict[str, list[str]]:
    """Each read command's arguments after ``--db URL``, by name."""
    since, until = EXPORT_MONTH
    month = ["export", "--since", since, "--until", until]
    return {
        "stats": ["stats"],
        "places": ["places"],
        "export month jsonl": [*month, "--format", "jsonl", "-o", str(out / "month.jsonl")],
        "export month csv": [*month, "--format", "csv", "-o", str(out / "month.csv")],
        "show ID": ["show", str(article_id)],
        "stories": ["stories"],
        "search": ["search", SEARCH],
    }


def measure(
    url: str, repeat: int, code: Path | None = None
) -> dict[str, tuple[list[float], list[float]]]:
    """Wall and CPU seconds of each command's runs, the commands taking turns."""
    engine = make_engine(url, readonly=True)
    with engine.connect() as connection:
        low, high = connection.execute(text("SELECT min(id), max(id) FROM articles")).one()
    engine.dispose()
    cli = [sys.executable, "-m", "ingest", "--db", url]
    env = None
    if code is not None:
        env = {**os.environ, "PYTHONPATH": str(code.resolve())}
    times: dict[str, tuple[list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="newsstore-reads-") as folder:
        todo = commands(url, Path(folder), (low + high) // 2)
        for _ in range(repeat):
            for name, args in todo.items():
                wall, cpu = run([*cli, *args], cwd=code, env=env)
                walls, cpus = times.setdefault(name, ([], []))
                walls.append(wall)
                cpus.append(cpu)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a database URL or SQLite file")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command")
    parser.add_argument("--code", type=Path, help="run another checkout's code (its folder)")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    url = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    engine = make_engine(url, readonly=True)
    with engine.connect() as connection:
        articles = connection.execute(text("SELECT count(*) FROM articles")).scalar_one()
        size = database_bytes(url, connection)
    engine.dispose()
    print(f"{url}: {articles:,} articles, {size / max(articles, 1):,.0f} bytes per article")
    print(f"code: {args.code or 'this checkout'}; load average {os.getloadavg()[0]:.1f}")
    times = measure(url, args.repeat, args.code)
    print(f"{'command':<20} {'median s':>9} {'range s':>13} {'CPU s':>7}")
    for name, (walls, cpus) in times.items():
        print(
            f"{name:<20} {statistics.median(walls):>9.2f} "
            f"{min(walls):>6.2f}-{max(walls):<6.2f} {statistics.median(cpus):>7.2f}"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "url": url,
                    "articles": articles,
                    "bytes_per_article": size / max(articles, 1),
                    "code": str(args.code or ""),
                    "times": {k: {"wall": w, "cpu": c} for k, (w, c) in times.items()},
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
