#!/usr/bin/env python3
"""Body-word precision, recall and F1 of newsstore's HTML parser against plain trafilatura.

usage: python benchmarks/html_f1.py DIR [--worst N] [--limit N]

DIR holds ``html/<id>.html.gz`` (or ``.html``) pages and ``ground-truth.json``
(``{id: {"articleBody": str, "url": str}}``), the layout of the
article-extraction benchmark (github.com/scrapinghub/article-extraction-benchmark).
For every page, in the same run, it runs (a) plain ``trafilatura.extract(html)``
with its defaults and (b) ``ingest.parse.formats.html.parse_html`` (its body
paragraphs joined), and (c) the whole ``newsstore ingest`` of the folder into a
temporary database, reading each page's stored body paragraphs back (so
boilerplate learned across a site's pages counts too), and compares each with
the true article text as bags of
case-folded word tokens (``\\w+``): precision, recall and F1 per page, then
averaged over pages. It prints the mean time per page for each, and the pages
where newsstore does worst. Not a test: a figure anyone can rerun.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from ingest.errors import ParseError
from ingest.parse.formats.html import parse_html


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    seconds: float


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.casefold()))


def score(got: str, want: str, seconds: float) -> Score:
    g, w = words(got), words(want)
    overlap = sum((g & w).values())
    p = overlap / sum(g.values()) if g else 0.0
    r = overlap / sum(w.values()) if w else 0.0
    return Score(p, r, 2 * p * r / (p + r) if p + r else 0.0, seconds)


def read_page(path: Path) -> str:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def run_trafilatura(html: str) -> tuple[str, float]:
    start = time.perf_counter()
    text = trafilatura.extract(html) or ""
    return text, time.perf_counter() - start


def run_newsstore(html: str) -> tuple[str, float]:
    start = time.perf_counter()
    try:
        article = parse_html(html)
        text = "\n\n".join(p.text for p in article.paragraphs if p.kind == "body")
    except ParseError:
        text = ""
    return text, time.perf_counter() - start


def run_ingest(folder: Path) -> tuple[dict[str, str], float]:
    """Each page's stored body text after ``newsstore ingest FOLDER``, and the seconds it took."""
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "ingest", "--db", str(db_path), "ingest", str(folder)],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - start
        db = sqlite3.connect(db_path)
        bodies = {
            Path(origin).name.split(".")[0]: body or ""
            for origin, body in db.execute(
                "SELECT d.origin, (SELECT group_concat(p.text, char(10)) FROM paragraphs p "
                "WHERE p.article_id = a.id AND p.kind = 'body') FROM documents d "
                "JOIN articles a ON a.document_id = COALESCE(d.duplicate_of, d.id)"
            )
        }
        db.close()
    return bodies, seconds


def summary(label: str, scores: list[Score]) -> str:
    mean = statistics.fmean
    return (
        f"{label:12s} P={mean(s.precision for s in scores):.4f} "
        f"R={mean(s.recall for s in scores):.4f} F1={mean(s.f1 for s in scores):.4f}  "
        f"{1000 * mean(s.seconds for s in scores):6.1f} ms/page "
        f"(median {1000 * statistics.median(s.seconds for s in scores):.1f}, "
        f"max {1000 * max(s.seconds for s in scores):.0f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--worst", type=int, default=5, help="list the N worst pages")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    args = parser.parse_args()
    truth = json.loads((args.folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = sorted(p for p in (args.folder / "html").iterdir() if ".htm" in p.name)
    if args.limit:
        pages = pages[: args.limit]

    stored, ingest_seconds = run_ingest(args.folder / "html")
    ours: list[Score] = []
    theirs: list[Score] = []
    ingested: list[Score] = []
    rows: list[tuple[float, float, str]] = []
    for path in pages:
        page_id = path.name.split(".")[0]
        if page_id not in truth:
            continue
        html, want = read_page(path), truth[page_id]["articleBody"]
        text, seconds = run_trafilatura(html)
        theirs.append(score(text, want, seconds))
        text, seconds = run_newsstore(html)
        ours.append(score(text, want, seconds))
        ingested.append(score(stored.get(page_id, ""), want, ingest_seconds / len(pages)))
        rows.append((ours[-1].f1, theirs[-1].f1, page_id))

    if not ours:
        print("no pages with a truth entry", file=sys.stderr)
        return 1
    print(f"{len(ours)} pages in {args.folder}")
    print(summary("trafilatura", theirs))
    print(summary("newsstore", ours))
    print(summary("ingest", ingested) + "  (whole newsstore ingest, per page)")
    print(f"worst {args.worst} for newsstore (F1 newsstore / trafilatura):")
    for ours_f1, theirs_f1, page_id in sorted(rows)[: args.worst]:
        print(f"  {ours_f1:.3f} / {theirs_f1:.3f}  {page_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
