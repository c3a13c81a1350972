#!/usr/bin/env python3
"""Time the places stage: the gazetteer's build and load, and locating per article.

usage: python benchmarks/locate_speed.py DIR... [--repeat N]

Every ``.txt`` file under the folders is read and parsed as ingest parses it, then the
places stage (``ingest.places.locate.locate``) is timed on each article alone, the
gazetteer already loaded: mean, median and 95th percentile in milliseconds. The
gazetteer is timed in a fresh process twice: built from nothing (an empty user cache,
as on a first run) and loaded from the user cache that build wrote. Not a test: a
figure anyone can rerun (issue 19 asks for under 2 ms an article, a first build
under 30 s and a load under 1 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ingest.fingerprint import fingerprint
from ingest.parse.document import parse_document
from ingest.places.gazetteer import load_gazetteer
from ingest.places.locate import locate
from ingest.records import RawDocument

_LOAD = (
    "import time; t = time.perf_counter(); "
    "from ingest.places.gazetteer import load_gazetteer; load_gazetteer(); "
    "print(time.perf_counter() - t)"
)


def gazetteer_seconds() -> tuple[float, float]:
    """Seconds to build the gazetteer from nothing, then to load what the build cached."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache}
        runs = [
            float(
                subprocess.run(
                    [sys.executable, "-c", _LOAD],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
            for _ in range(2)
        ]
    return runs[0], runs[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+")
    parser.add_argument("--repeat", type=int, default=3, help="time each article N times")
    args = parser.parse_args()
    build, load = gazetteer_seconds()
    print(f"gazetteer: first build {build:.2f} s, load from the user cache {load:.2f} s")
    load_gazetteer()
    records = []
    for folder in args.folders:
        for path in sorted(folder.rglob("*.txt")):
            raw = path.read_bytes()
            document = RawDocument(origin=str(path), raw=raw, sha256="")
            records.extend(fingerprint(a) for a in parse_document(document).articles)
    times = []
    for record in records:
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            locate(record)
            best = min(best, time.perf_counter() - start)
        times.append(best * 1000)
    times.sort()
    print(
        f"locate: {len(times)} articles, mean {statistics.fmean(times):.3f} ms, "
        f"median {statistics.median(times):.3f} ms, "
        f"p95 {times[int(0.95 * (len(times) - 1))]:.3f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
