"""The pure parts of ``benchmarks/stories_pr.py`` on made-up text: labelled pairs and scores."""

from __future__ import annotations

import random
from pathlib import Path

from benchmarks.stories_pr import (
    Body,
    candidates,
    generated,
    labelled,
    precision_recall,
    read_corpus,
    rule,
    variants,
)
from tests.conftest import story_paragraphs, write


def test_variants_are_the_edits_the_readme_names() -> None:
    r = random.Random(1)
    original = story_paragraphs(1)
    made = variants(original, r, ["word"], [story_paragraphs(2)], [story_paragraphs(3)])
    assert set(made) == {
        "wire",
        "edits3",
        "edits8",
        "excerpt2",
        "excerpt3",
        "update1",
        "update2",
        "wire_upd",
    }
    assert made["excerpt2"] == original[:2] and made["update1"][:-1] == original
    assert len(made["wire"]) == len(original)  # a lead added, the last paragraph cut


def test_the_rule_separates_copies_from_other_stories_on_made_up_text() -> None:
    r = random.Random(5)
    pairs = labelled(generated(160, r), 40, r)
    assert {p.label for p in pairs} == {0, 1}
    precision, recall = precision_recall(pairs, rule)
    assert precision >= 0.98 and recall >= 0.95


def test_an_excerpt_is_a_candidate_by_its_paragraphs() -> None:
    original = story_paragraphs(7)
    whole, excerpt = Body.of(original), Body.of(original[:2])
    assert whole.anchors >= excerpt.anchors and candidates(whole, excerpt)
    assert not candidates(whole, Body.of(story_paragraphs(8)))


def test_a_corpus_is_read_with_exact_duplicates_left_out(tmp_path: Path) -> None:
    body = "\n".join(story_paragraphs(9, 3))
    write(tmp_path / "politics" / "001.txt", f"A headline\n{body}\n")
    write(tmp_path / "politics" / "002.txt", f"Another headline\n{body}\n")
    write(tmp_path / "sport" / "001.txt", "Third\n" + "\n".join(story_paragraphs(10, 3)))
    articles = read_corpus(tmp_path)
    assert sorted(articles) == ["politics/001.txt", "sport/001.txt"]
    assert articles["politics/001.txt"][0] == "A headline"
