#!/usr/bin/env python3
"""Web archives: ingest time against the same pages as files, memory, and the WARC libraries.

usage: python -m benchmarks.warc_ingest [--pages 2000] [--runs 3] [--big-gb 1]
       [--big-pages 20000] [--keep DIR]

1. Generates ``--pages`` invented news pages (``benchmarks/news_archive.py``)
   and writes them twice: as ``.html`` files in a folder, and as one crawl,
   ``crawl.warc.gz``, with a request and a metadata record beside each
   response (one gzip member per record, as crawlers write them).
2. Ingests the folder and the archive with the CLI (``python -m ingest``) into
   fresh databases, alternating, ``--runs`` times: seconds, pages/s and peak
   memory (PSS of the process and its workers added up) of each; the ratio
   archive / files of each pair of runs, and the median ratio. The target is
   at most 1.25.
3. Reads the same archive with FastWARC and with warcio (when installed):
   every record with each response's payload, and every record's header alone,
   best of three.
4. With ``--big-gb N``: a crawl of at least N GiB (``--big-pages`` pages, then
   large non-HTML responses, as a crawl's images and videos are, up to the size)
   ingested once, with its peak memory beside the small archive's: memory must
   not grow with the archive's size. 20,000 pages and 1 GiB take about ten
   minutes on two cores.

Not a test: a figure anyone can rerun (README keeps it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.ingest_speed import run_cli
from benchmarks.news_archive import ArchiveWriter, pages, write_crawl


def write_inputs(folder: Path, count: int) -> Path:
    """The pages as .html files under ``folder/pages`` and as ``folder/crawl.warc.gz``."""
    (folder / "pages").mkdir(parents=True)
    for number, page in enumerate(pages(count)):
        (folder / "pages" / f"{number:06d}.html").write_bytes(page.html)
    archive = folder / "crawl.warc.gz"
    with archive.open("wb") as stream:
        write_crawl(stream, pages(count), extras=False, revisits=0)
    return archive


def write_big(path: Path, gib: float, count: int) -> int:
    """A crawl of at least ``gib`` GiB: ``count`` pages, then incompressible non-HTML
    responses; its size in bytes."""
    target = int(gib * 1024**3)
    filler = os.urandom(4 * 1024 * 1024)
    with path.open("wb") as stream:
        out = ArchiveWriter(stream)
        write_crawl(stream, pages(count), extras=False, revisits=0)
        number = 0
        while stream.tell() < target:
            chunk = filler[number % 7 :] + number.to_bytes(8, "big")
            out.response(f"https://media.example/video-{number}.mp4", chunk, "video/mp4")
            number += 1
    return path.stat().st_size


def compare_libraries(archive: Path) -> None:
    """FastWARC against warcio on one archive: every record with each response's payload
    read (what a worker does), and every record's header alone (the pass that cuts an
    archive into parts)."""
    from fastwarc.warc import ArchiveIterator

    def fastwarc(payloads: bool) -> int:
        with archive.open("rb") as stream:
            records = ArchiveIterator(stream, parse_http=payloads)
            if not payloads:
                return sum(1 for _ in records)
            return sum(len(r.reader.read()) for r in records if str(r.record_type) == "response")

    readers = {"FastWARC": fastwarc}
    try:
        from warcio.archiveiterator import ArchiveIterator as WarcioIterator

        def warcio(payloads: bool) -> int:
            with archive.open("rb") as stream:
                records = WarcioIterator(stream)
                if not payloads:
                    return sum(1 for _ in records)
                return sum(
                    len(r.content_stream().read()) for r in records if r.rec_type == "response"
                )

        readers["warcio"] = warcio
    except ImportError:
        print("warcio is not installed (pip install warcio): FastWARC alone")
    size = archive.stat().st_size
    for name, read in readers.items():
        for payloads in (True, False):
            best = min(_timed(read, payloads) for _ in range(3))
            what = "payloads" if payloads else "headers "
            print(f"  {name:9s} {what} {best:6.3f} s  {size / best / 2**20:7.1f} MiB/s of archive")


def _timed(read: Callable[[bool], int], payloads: bool) -> float:
    start = time.perf_counter()
    read(payloads)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big-gb", type=float, default=0.0)
    parser.add_argument("--big-pages", type=int, default=20000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = args.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        archive = write_inputs(work / "inputs", args.pages)
        size = archive.stat().st_size
        print(f"{args.pages} pages: {size / 2**20:.1f} MiB as crawl.warc.gz")
        ratios, peaks = [], []
        for run in range(args.runs):
            files, files_peak, _ = run_cli(work / f"files-{run}.db", work / "inputs" / "pages")
            warc, warc_peak, _ = run_cli(work / f"warc-{run}.db", archive)
            ratios.append(warc / files)
            peaks.append(warc_peak)
            print(
                f"run {run + 1}: files {files:6.1f} s ({args.pages / files:5.1f} pages/s, "
                f"{files_peak / 1024:.0f} MB)  archive {warc:6.1f} s "
                f"({args.pages / warc:5.1f} pages/s, {warc_peak / 1024:.0f} MB)  "
                f"ratio {warc / files:.3f}"
            )
        print(f"median ratio archive / files: {statistics.median(ratios):.3f} (target <= 1.25)")
        print("reading the archive with each library:")
        compare_libraries(archive)
        if args.big_gb:
            big = work / "big.warc.gz"
            big_size = write_big(big, args.big_gb, args.big_pages)
            seconds, peak = run_cli(work / "big.db", big)
            print(
                f"big archive {big_size / 2**30:.2f} GiB ({args.big_pages} pages): "
                f"{seconds:.1f} s, "
                f"peak {peak / 1024:.0f} MB (the {size / 2**20:.0f} MiB archive: "
                f"{max(peaks) / 1024:.0f} MB)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
