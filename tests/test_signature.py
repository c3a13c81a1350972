"""ingest.signature: shingles, band keys, anchors, and the rule that makes two bodies one story."""

from __future__ import annotations

import re

from ingest.fingerprint import fingerprint, paragraph_hash
from ingest.records import ParsedArticle, ParsedParagraph
from ingest.signature import (
    ANCHOR_WORDS,
    BANDS,
    KEY_WORDS,
    MAX_ANCHORS,
    containment,
    jaccard,
    key_words,
    paragraph_shingles,
    same_story,
    settings,
    shingles,
    sign,
    words,
)
from tests.conftest import story_paragraphs


def _body(paragraphs: list[str]) -> list[tuple[str, int]]:
    return [(p, paragraph_hash(p)) for p in paragraphs]


def test_shingles_are_three_case_folded_words_read_across_paragraphs() -> None:
    assert shingles(["The Ferry sailed.", "It SANK"]) == frozenset(
        {b"the ferry sailed", b"ferry sailed it", b"sailed it sank"}
    )
    assert shingles(["Two words"]) == frozenset()


def test_words_are_the_runs_of_word_characters_a_regular_expression_finds() -> None:
    # The fast path must find exactly what re.findall(r"\w+") does, in any script and
    # around any punctuation, spacing or combining mark.
    texts = [
        "\u201cIt\u2019s over,\u201d she said \u2014 at 9:30\u00a0a.m. in Z\u00fcrich\u2026",
        "na\u00efve r\u00e9sum\u00e9 \u6771\u4eac\u3001\u5927\u962a \u0663\u0664 foo_bar x\u0301y",
        "\u041c\u043e\u0441\u043a\u0432\u0430\u00bb \u00abquoted\u00bb",
        "\u00b2\u00bd \u2009thin\u200bzero",
        "Stra\u00dfe \ufb01ne \u0130stanbul \U0001f600 emoji\ttab\r\nline",
        "The FERRY sailed: 9:30 a.m., O'Brien_Said! (Tab)\there {ALL} [caps] ~end~",
        "".join(chr(c) for c in range(128)),
        "",
        "   ",
    ]
    for text in texts:
        assert words(text) == [w.encode() for w in re.findall(r"\w+", text.casefold())]


def test_band_keys_are_the_same_for_the_same_body_and_differ_for_another() -> None:
    one = sign(_body(story_paragraphs(1)))
    again = sign(_body(story_paragraphs(1)))
    other = sign(_body(story_paragraphs(2)))
    assert len(one.bands) == BANDS and one.bands == again.bands
    assert not set(one.bands) & set(other.bands)
    assert all(-(2**63) <= key < 2**63 for key in one.bands)  # a BIGINT on PostgreSQL


def test_a_body_too_short_has_no_band_keys_and_no_anchors() -> None:
    short = sign(_body(["A ferry sank near the harbour today."]))
    assert short.bands == () and short.anchors == ()
    same = shingles(["A ferry sank near the harbour today."])
    assert not same_story(same, same)  # too little text to tell a copy from a standing line


def test_anchors_are_the_long_paragraphs_only() -> None:
    long = " ".join(["word"] * ANCHOR_WORDS)
    body = _body([long, "Too short a line.", *story_paragraphs(3, 2)])
    signed = sign(body)
    assert paragraph_hash(long) in signed.anchors
    assert paragraph_hash("Too short a line.") not in signed.anchors


def test_the_anchors_looked_up_are_the_first_long_paragraphs_each_once() -> None:
    paragraphs = story_paragraphs(5, MAX_ANCHORS + 3)
    body = _body([paragraphs[0], "Too short a line.", paragraphs[0], *paragraphs[1:]])
    assert sign(body).anchors == tuple(paragraph_hash(p) for p in paragraphs[:MAX_ANCHORS])


def test_a_repetitive_body_has_no_keys() -> None:
    # Eighteen words, sixteen shingles, only three of them distinct: too few to group by.
    assert sign(_body(["one two three " * 6])).bands == ()


def test_key_words_are_a_bodys_first_words_however_the_text_is_cut() -> None:
    # Read from a cut of the text: the cut may fall inside a word, or hold too few words
    # (long ones), and the result must still be the first KEY_WORDS words of the whole.
    assert KEY_WORDS is not None
    for word in ("a", "ferry", "sailed,", "Z\u00fcrich\u2019s", "x" * 40, "Stra\u00dfe"):
        for extra in (-1, 0, 1, 7, 300):
            text = " ".join(f"{word}{i}" for i in range(KEY_WORDS + extra))
            assert key_words(text) == words(text)[:KEY_WORDS]


def test_band_keys_read_only_a_long_bodys_first_words() -> None:
    # Two long bodies alike up to their last paragraphs: the same keys, so a copy with
    # another ending is found whatever it ends with; a short body is read whole.
    assert KEY_WORDS is not None
    start = story_paragraphs(14, 12, 40)
    assert len(words(" ".join(start))) > KEY_WORDS + 40
    one = sign(_body([*start, *story_paragraphs(15, 2)]))
    other = sign(_body([*start, *story_paragraphs(16, 2)]))
    assert one.bands == other.bands and len(one.bands) == BANDS
    short = story_paragraphs(17, 3)
    assert sign(_body(short)).bands != sign(_body([*short, *story_paragraphs(18, 1)])).bands


def test_a_copy_an_excerpt_and_an_update_are_one_story_and_another_story_is_not() -> None:
    original = story_paragraphs(4)
    whole = shingles(original)
    wire = shingles(["A lead of the site's own, written for its readers today.", *original[:-1]])
    excerpt = shingles(original[:2])
    update = shingles([*original, *story_paragraphs(5, 1)])
    other = shingles(story_paragraphs(6))
    assert same_story(whole, wire) and same_story(whole, update)
    assert jaccard(whole, excerpt) < 0.4 and containment(whole, excerpt) == 1.0
    assert same_story(whole, excerpt)  # contained, though not similar as a whole
    assert not same_story(whole, other)


def test_a_follow_up_that_pastes_one_paragraph_is_another_story() -> None:
    original, follow_up = story_paragraphs(7), story_paragraphs(8)
    pasted = [*follow_up[:3], original[4], *follow_up[3:]]
    assert not same_story(shingles(original), shingles(pasted))


def test_an_excerpt_is_not_a_copy_of_a_story_that_quotes_one_of_its_paragraphs() -> None:
    original, other = story_paragraphs(12, 6, 60), story_paragraphs(13)
    excerpt = [original[0], " ".join(original[1].split()[:15])]
    quoting = [*other[:3], original[0], *other[3:]]
    a, b = shingles(excerpt), shingles(quoting)
    assert containment(a, b) >= 0.7  # most of the excerpt is the paragraph quoted
    assert same_story(a, b)  # without the paragraphs, containment alone would say so
    assert not same_story(a, b, paragraph_shingles(excerpt), paragraph_shingles(quoting))
    assert same_story(
        a, shingles(original), paragraph_shingles(excerpt), paragraph_shingles(original)
    )


def test_fingerprint_signs_the_body_paragraphs_only() -> None:
    body = story_paragraphs(9)
    parsed = ParsedArticle(
        title="T",
        paragraphs=(
            *(ParsedParagraph(p) for p in body),
            ParsedParagraph("Subscribe to our newsletter for more stories like this one", "footer"),
        ),
        layout="plain",
        parser_version="1",
    )
    record = fingerprint(parsed)
    assert record.signature == sign(_body(body))


def test_settings_name_what_the_keys_depend_on() -> None:
    current = settings()
    assert (current.bands, current.rows, current.shingle_words) == (12, 3, 3)
    assert current.key_words == KEY_WORDS
    assert current.library == "rensa.RMinHash" and current.algorithm_version >= 1
