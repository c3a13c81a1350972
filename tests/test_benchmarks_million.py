"""The page generator of ``benchmarks/million.py``: distinct pages that parse as generated."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from benchmarks.million import Pages, query_mix
from ingest.prepare import read_and_prepare


def test_pages_are_distinct_and_the_same_for_the_same_seed() -> None:
    first = Pages(7).page(0)[0]
    assert Pages(7).page(0)[0] == first
    made = Pages(7)
    texts = [made.page(n)[0] for n in range(50)]
    assert len(set(texts)) == 50
    assert Pages(8).page(0)[0] != first


def test_written_pages_parse_as_the_aggregator_layout_with_their_own_paragraphs(
    tmp_path: Path,
) -> None:
    made = Pages(11)
    size, paragraphs = made.write(tmp_path, 100, 20)
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == [f"{n:07d}.txt" for n in range(100, 120)]
    assert size == sum(f.stat().st_size for f in files)
    body: list[str] = []
    for n, path in enumerate(files, start=100):
        prepared = read_and_prepare(str(path))
        assert prepared.error is None, prepared.error
        (record,) = prepared.articles
        article = record.article
        assert article.layout.startswith("aggregator")
        assert article.title.startswith(f"Story {n}: ")
        assert article.source_name is not None and article.source_name.startswith("Wire ")
        assert isinstance(article.published_at, datetime)
        assert datetime(2023, 1, 1) <= article.published_at < datetime(2026, 1, 1)
        body += [p.text for p in record.paragraphs if p.kind == "body"]
    assert body == paragraphs


def test_the_query_mix_is_search_latency_s_with_rare_words_of_these_paragraphs() -> None:
    made = Pages(3)
    paragraphs = [p for n in range(400) for p in made.page(n)[1]]
    cases = query_mix(paragraphs, 400)
    categories = [c.category for c in cases]
    assert categories.count("common") == 4 and categories.count("rare") == 3
    assert {"AND 2 terms", "phrase", "prefix"} <= set(categories)
    for case in cases:
        if case.category == "rare":
            holding = sum(1 for p in paragraphs if case.query in re.findall(r"\w+", p.casefold()))
            assert len(case.query) >= 7 and 20 <= holding <= 100
