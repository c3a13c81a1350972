#!/usr/bin/env python3
"""Body-word precision, recall and F1 of newsstore's body detection on a folder of page dumps.

usage: python benchmarks/body_f1.py DIR [--worst N]

DIR holds ``pages/*.txt`` (text dumps of news pages) and ``truth.jsonl`` (one
JSON object per page with at least ``file`` and ``body``, the true article
text). The pages are ingested through the ``newsstore`` CLI into a fresh
temporary database, exactly as a user would; the body paragraphs stored for
each page are compared with the truth as bags of case-folded word tokens, and
the figures are averaged over pages. It also prints the time per page spent in
body detection alone, measured on the same files. Not a test: a figure anyone
can rerun.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from ingest.parse.layouts import generic as body


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.casefold()))


def prf(got: str, want: str) -> tuple[float, float, float]:
    g, w = words(got), words(want)
    overlap = sum((g & w).values())
    p = overlap / sum(g.values()) if g else 0.0
    r = overlap / sum(w.values()) if w else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--worst", type=int, default=5, help="list the N worst pages")
    args = parser.parse_args()
    pages = args.folder / "pages"
    truth = [json.loads(line) for line in (args.folder / "truth.jsonl").read_text().splitlines()]

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        subprocess.run(
            [sys.executable, "-m", "ingest", "--db", str(db_path), "ingest", str(pages)],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        db = sqlite3.connect(db_path)
        scores = []
        for item in truth:
            origin = str((pages / item["file"]).resolve())
            got = "\n\n".join(
                text
                for (text,) in db.execute(
                    "SELECT p.text FROM documents d "
                    "JOIN articles a ON a.document_id = COALESCE(d.duplicate_of, d.id) "
                    "JOIN paragraphs p ON p.article_id = a.id "
                    "WHERE d.origin = ? AND p.kind = 'body' ORDER BY p.position",
                    (origin,),
                )
            )
            scores.append((item["file"], *prf(got, item["body"])))
        db.close()

    timings = []
    for item in truth:
        text = (pages / item["file"]).read_text(encoding="utf-8", errors="replace")
        start = time.perf_counter()
        body.parse(text)
        timings.append((time.perf_counter() - start) * 1000)

    n = len(scores)
    mean = [sum(s[i] for s in scores) / n for i in (1, 2, 3)]
    print(f"pages {n}: precision {mean[0]:.3f}  recall {mean[1]:.3f}  F1 {mean[2]:.3f}")
    print(
        f"body detection per page: median {statistics.median(timings):.1f} ms, "
        f"max {max(timings):.1f} ms"
    )
    for name, p, r, f in sorted(scores, key=lambda s: s[3])[: args.worst]:
        print(f"  {f:.3f}  (P {p:.3f} R {r:.3f})  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
