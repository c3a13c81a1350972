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
ingests them with ``python -m ingest`` into a fresh SQLite database (deleted
once timed), before and after, alternating which goes first, and reports wall
seconds and the CPU seconds of the ingest and its workers (user + system, from
``getrusage``): on a machine shared with other work, CPU time says more than
wall time. Three estimates: the ratio of the medians, the median of the runs'
ratios, and best against best. Not a test: a
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
        before = args.before.resolve() if args.before else HERE
        sides = (("before", before), ("after", HERE))
        for run in range(1, args.runs + 1):
            # Which goes first alternates (ABBA), so that neither side always follows the
            # other; each database is deleted once timed, so that writing it back to disk
            # never lands in a later run.
            for side, code in sides if run % 2 else sides[::-1]:
                grouping = side == "after" or args.before is not None
                db = Path(tmp) / f"{side}{run}.db"
                wall, cpu = ingest(code, pages, db, grouping)
                for path in db.parent.glob(f"{db.name}*"):
                    path.unlink()
                results[side].append((wall, cpu))
                print(f"run {run} {side}: wall {wall:.1f} s, cpu {cpu:.1f} s", flush=True)
    for i, what in ((0, "wall"), (1, "cpu")):
        before_runs = [r[i] for r in results["before"]]
        after_runs = [r[i] for r in results["after"]]
        before, after = statistics.median(before_runs), statistics.median(after_runs)
        pairs = statistics.median(a / b for a, b in zip(after_runs, before_runs, strict=True))
        best = min(after_runs) / min(before_runs)
        print(
            f"{what}: median before {before:.1f} s, after {after:.1f} s"
            f" ({after / before - 1:+.0%}); median of the runs' ratios {pairs - 1:+.0%};"
            f" best against best {best - 1:+.0%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
