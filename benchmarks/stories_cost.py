#!/usr/bin/env python3
"""What grouping stories costs ingest: the same pages ingested by the code before and after.

usage: python benchmarks/stories_cost.py --before DIR [--pages 20000] [--runs 3]

``DIR`` is a checkout of the code before stories (``git worktree add --detach DIR
358ebe9``, main just before stories). The pages are ``benchmarks/ingest_speed.py``'s
(the same seed); each run ingests them with ``python -m ingest`` into a fresh SQLite database, once
with the code before and once with this checkout, alternating, and reports
wall seconds and the CPU seconds of the ingest and its workers (user + system,
from ``getrusage``): on a machine shared with other work, CPU time says more
than wall time. Not a test: a figure anyone can rerun (README, "Stories").
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ingest_speed import children_cpu, page

HERE = Path(__file__).resolve().parent.parent


def ingest(code: Path, pages: Path, db: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one ingest of ``pages`` into a fresh ``db`` by ``code``."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    url = f"sqlite:///{db}"
    upgrade = f"from db.migrate import upgrade; upgrade({url!r})"
    subprocess.run([sys.executable, "-c", upgrade], cwd=code, env=env, check=True)
    before = children_cpu()
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ingest", "--db", str(db), "ingest", str(pages)],
        cwd=code,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,  # a failed ingest is not a fast one
    )
    return time.perf_counter() - start, children_cpu() - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the code before")
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        pages = Path(tmp) / "pages"
        pages.mkdir()
        rng = random.Random(20250209)
        for n in range(args.pages):
            (pages / f"{n:06d}.txt").write_text(page(rng, n), encoding="utf-8")
        for run in range(1, args.runs + 1):
            for side, code in (("before", args.before.resolve()), ("after", HERE)):
                wall, cpu = ingest(code, pages, Path(tmp) / f"{side}{run}.db")
                results[side].append((wall, cpu))
                print(f"run {run} {side}: wall {wall:.1f} s, cpu {cpu:.1f} s", flush=True)
    for i, what in ((0, "wall"), (1, "cpu")):
        before = statistics.median(r[i] for r in results["before"])
        after = statistics.median(r[i] for r in results["after"])
        print(
            f"median {what}: before {before:.1f} s, after {after:.1f} s ({after / before - 1:+.0%})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
