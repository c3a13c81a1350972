"""The pure parts of ``benchmarks/html_votes.py`` on invented pages: pool, votes, rules, LODO."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

from benchmarks.html_votes import (
    Output,
    Page,
    Rule,
    Scores,
    as_html,
    build_pool,
    f1,
    keep_masks,
    load_dataset,
    lodo,
    on_dumps,
    page_dump,
    page_scores,
    read_cache,
    rules,
    words,
    write_cache,
)


def _pool(*texts: str) -> dict[str, int]:
    return {c.text: c.votes for c in build_pool(texts)}


def test_the_same_paragraph_is_one_candidate_with_everyone_s_vote() -> None:
    pool = _pool("alpha beta gamma delta\nnav menu", "Alpha  beta gamma delta", "x y z")
    assert pool == {"alpha beta gamma delta": 0b011, "nav menu": 0b001, "x y z": 0b100}


def test_near_paragraphs_merge_by_80_percent_of_their_words() -> None:
    pool = _pool("one two three four five", "one two three four five six")
    assert pool == {"one two three four five": 0b11}  # 5 of 6 words: the same
    pool = _pool("one two three four five", "one two three four nine ten")
    assert len(pool) == 2  # 4 of 6: two paragraphs


def test_a_paragraph_made_of_earlier_ones_adds_none_but_votes_for_them() -> None:
    pool = _pool("a b c d e\nf g h i j", "a b c d e f g h i j")
    assert pool == {"a b c d e": 0b11, "f g h i j": 0b11}


def test_there_are_2361_rules_over_eight_extractors() -> None:
    assert len(rules(8)) == 2361
    assert len(rules(3)) == 12 + 4 + 6  # kofn; nsplus with one other (r 0-1), with two


def test_nsplus_keeps_newsstore_s_unless_too_few_agree() -> None:
    rule = Rule("nsplus", (1, 2), 2, 1)
    assert rule.keeps(0b111) and rule.keeps(0b011) and not rule.keeps(0b001)
    assert rule.keeps(0b110) and not rule.keeps(0b010)
    assert Rule("kofn", (0, 2), 1).keeps(0b100) and not Rule("kofn", (0, 2), 2).keeps(0b110)


def test_page_scores_are_the_f1_of_what_each_rule_keeps() -> None:
    texts = ["the cat sat\nbuy now", "the cat sat\non the mat", "on the mat\nbuy now"]
    truth = "The cat sat on the mat."
    candidates = build_pool(texts)
    all_rules = rules(3)
    scores = page_scores(candidates, words(truth), keep_masks(all_rules, 3))
    for rule, score in zip(all_rules, scores, strict=True):
        kept = "\n".join(c.text for c in candidates if rule.keeps(c.votes))
        assert abs(score - f1(kept, truth)) < 1e-12, rule
    best = all_rules.index(Rule("kofn", (1,), 1))
    assert scores[best] == 1.0


def _scores(label: str, per_rule: list[float]) -> Scores:
    return Scores(label, 1, [0.0], 0.0, per_rule, [[0.0, 0.0]])


def test_lodo_scores_each_dataset_with_the_rule_the_others_chose() -> None:
    results = [_scores("a", [0.9, 0.5]), _scores("b", [0.8, 0.7]), _scores("c", [0.1, 0.9])]
    folds = lodo(results, [True, True])
    # held out a: on b and c, rule 0 averages 0.45, rule 1 0.8; b: 0.5 / 0.7; c: 0.85 / 0.6
    assert [(f.held_out, f.rule, f.score) for f in folds] == [
        ("a", 1, 0.5),
        ("b", 1, 0.7),
        ("c", 0, 0.1),
    ]
    capped = lodo(results, [True, False])
    assert {f.rule for f in capped} == {0}


def test_datasets_of_either_layout_skip_truths_with_no_word(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    rows = [
        {"id": "p", "html": "p.html", "body": "Words here."},
        {"id": "q", "html": "q.html", "body": " ... "},
    ]
    (tmp_path / "one" / "truth.jsonl").write_text("\n".join(map(json.dumps, rows)))
    assert [p.id for p in load_dataset(tmp_path / "one")] == ["p"]
    (tmp_path / "two" / "html").mkdir(parents=True)
    (tmp_path / "two" / "html" / "k.html.gz").write_bytes(gzip.compress(b"<p>x</p>"))
    truth = {"k": {"articleBody": "Body.", "url": "u"}}
    (tmp_path / "two" / "ground-truth.json").write_text(json.dumps(truth))
    assert load_dataset(tmp_path / "two") == [Page("k", tmp_path / "two/html/k.html.gz", "Body.")]


def test_the_cache_is_kept_per_version_and_only_when_whole(tmp_path: Path) -> None:
    pages = [Page("p", tmp_path, "x"), Page("q", tmp_path, "y")]
    path = tmp_path / "d" / "e.jsonl"
    outputs = {"p": Output("text", 0.5), "q": Output("", 0.1)}
    write_cache(path, "e 1.0", outputs)
    assert read_cache(path, "e 1.0", pages) == outputs
    assert read_cache(path, "e 2.0", pages) is None
    assert read_cache(path, "e 1.0", [*pages, Page("r", tmp_path, "z")]) is None


def test_words_are_case_folded_word_tokens() -> None:
    assert words("The the, THE! café") == Counter({"the": 3, "café": 1})


def test_a_page_dump_is_its_visible_blocks_blank_line_apart() -> None:
    page = (
        b"<html><head><title>T</title><script>var x = 1;</script></head><body>"
        b"<nav>Home | World</nav><h1>Floods in Dhaka</h1>"
        b"<p>Rain fell for <b>three</b> days.</p><p>Roads closed.</p></body></html>"
    )
    assert page_dump(page).split("\n\n")[-4:] == [
        "Home | World",
        "Floods in Dhaka",
        "Rain fell for three days.",
        "Roads closed.",
    ]
    assert page_dump(b"") == ""


def test_on_dumps_the_others_read_one_paragraph_per_block() -> None:
    assert as_html("A & B\n\n<i>") == b"<html><body><p>A &amp; B</p><p>&lt;i&gt;</p></body></html>"
    seen = []
    reader = on_dumps("justext", lambda raw: seen.append(raw) or "out")
    assert reader(b"<p>One</p><div>Two</div>") == "out"
    assert seen == [b"<html><body><p>One</p><p>Two</p></body></html>"]


def test_newsstore_on_a_dump_is_the_text_reader_s_body() -> None:
    body = " ".join(["The river rose over the banks of the old town overnight."] * 6)
    page = (
        "<html><body><p>Home | World | Sport</p><h1>River floods old town</h1>"
        f"<p>{body}</p><p>{body.replace('river', 'water')}</p></body></html>"
    ).encode()
    text = on_dumps("newsstore", lambda raw: "never called")(page)
    assert body in text.split("\n")
    assert "Home | World | Sport" not in text
