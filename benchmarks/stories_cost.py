#!/usr/bin/env python3
"""What grouping stories costs ingest: the same pages ingested without grouping and with it.

usage: python benchmarks/stories_cost.py [--before DIR] [--pages 20000] [--runs 3]

Without ``--before``, "before" is this very checkout with grouping switched
off for the run: no signature is made (in the workers), no band key looked
up or stored, no candidate compared; each article is still written as a
story of its own, as the schema wants. That is what grouping adds, and
nothing else. With ``--before DIR``, "before" is another checkout, e.g. the
code just before stories (``git worktree add --detach DIR 358ebe9``): that
difference also holds whatever else was merged since, and the stories
tables themselves.

The pages are ``benchmarks/ingest_speed.py``'s (the same seed); each run
ingests them with ``python -m ingest`` into a fresh SQLite database, before
and after, alternating, and reports wall seconds and the CPU seconds of the
ingest and its workers (user + system, from ``getrusage``): on a machine
shared with other work, CPU time says more than wall time. Not a test: a
figure anyone can rerun (README, "Stories").
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


# ``python -c`` with grouping switched off, then the CLI: the workers are forked, so they
# inherit the switch. A signature of no band keys makes no look-ups and no band rows.
UNGROUPED = """
import sys
import ingest.fingerprint, ingest.signature, ingest.store.rows
ingest.fingerprint.sign = lambda body: ingest.signature.Signature((), ())
ingest.store.rows.group = lambda session, members, **kw: None
from ingest.cli import main
sys.argv[0] = "newsstore"
main()
"""


def ingest(code: Path, pages: Path, db: Path, grouping: bool = True) -> tuple[float, float]:
    """Wall and CPU seconds of one ingest of ``pages`` into a fresh ``db`` by ``code``."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    url = f"sqlite:///{db}"
    upgrade = f"from db.migrate import upgrade; upgrade({url!r})"
    subprocess.run([sys.executable, "-c", upgrade], cwd=code, env=env, check=True)
    before = children_cpu()
    start = time.perf_counter()
    command = ["-m", "ingest"] if grouping else ["-c", UNGROUPED]
    subprocess.run(
        [sys.executable, *command, "--db", str(db), "ingest", str(pages)],
        cwd=code,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,  # a failed ingest is not a fast one
    )
    return time.perf_counter() - start, children_cpu() - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--before",
        type=Path,
        help="a checkout of the code before (default: this one, grouping off)",
    )
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
            before = args.before.resolve() if args.before else HERE
            for side, code in (("before", before), ("after", HERE)):
                grouping = side == "after" or args.before is not None
                wall, cpu = ingest(code, pages, Path(tmp) / f"{side}{run}.db", grouping)
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
