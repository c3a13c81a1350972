"""Second opinions on an HTML page's body (ingest.parse.formats.html_votes)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parse.formats import html, html_votes
from ingest.parse.formats.html import parse_html
from ingest.parse.formats.html_votes import Addition, agreed_additions, second_opinions

OURS = [
    "The harbour town of Lindenport opened a library on a converted ferry on Monday.",
    "The boat carries about four thousand books and a children's corner with cushions.",
    "Volunteers from the island schools will run the lending desk during the holidays.",
]
MISSED = "It will moor at six jetties along the coast on a fortnightly timetable."


def test_a_paragraph_both_others_keep_is_added_where_the_first_has_it() -> None:
    first = [OURS[0], OURS[1], MISSED, OURS[2]]
    second = [OURS[0], f"{MISSED} ", OURS[1], OURS[2]]
    assert agreed_additions(OURS, first, second) == [Addition(1, MISSED)]


def test_a_paragraph_only_one_other_keeps_is_not_added() -> None:
    first = [OURS[0], MISSED, OURS[1], OURS[2]]
    assert agreed_additions(OURS, first, OURS) == []
    assert agreed_additions(OURS, first, []) == []


def test_a_paragraph_before_all_of_ours_goes_first() -> None:
    assert agreed_additions(OURS, [MISSED, *OURS], [MISSED]) == [Addition(-1, MISSED)]


def test_what_ours_has_in_other_words_is_not_added_again() -> None:
    """Cut, spaced and punctuated differently: the same paragraph by its words."""
    respaced = OURS[1].upper().replace(" ", "  ").replace(".", " !")
    joined = f"{OURS[0]} {OURS[1]}"  # two of ours as one block
    within = OURS[2][:60]  # a piece of one of ours
    others = [respaced, joined, within]
    assert agreed_additions(OURS, others, others) == []


def test_a_paragraph_that_shares_less_than_most_of_its_words_is_new() -> None:
    half = "The harbour town of Lindenport has a new mayor, elected by a wide margin today."
    assert agreed_additions(OURS, [half], [half]) == [Addition(-1, half)]


def test_the_title_is_never_added() -> None:
    title = "Ferry library opens in Lindenport"
    assert agreed_additions(OURS, [title, *OURS], [title], title=f" {title.lower()} ") == []


def test_paragraphs_without_words_are_skipped() -> None:
    assert agreed_additions(OURS, ["—", "* * *"], ["—", "* * *"]) == []


def test_a_page_of_thousands_of_paragraphs_is_compared_by_its_rare_words() -> None:
    """Every paragraph of ``first`` is found in ``ours`` among a few candidates, not all."""
    ours = [f"Paragraph number {n} of the long page, word{n} and word{n + 1}." for n in range(3000)]
    index = html_votes._Index([html_votes._words(t) for t in ours])
    probed = [
        sum(len(index.by_word.get(w, ())) for w in index._rarest(html_votes._words(t)))
        for t in ours
    ]
    assert max(probed) <= 6  # the shared words ("paragraph", "page") are never probed
    assert agreed_additions(ours, ours, ours) == []


def test_an_extractor_that_fails_gives_no_vote(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(page: str) -> object:
        raise RuntimeError("an extractor's own bug")

    monkeypatch.setattr(html_votes, "Document", broken)
    monkeypatch.setattr(html_votes, "extract_plain_text", broken)
    assert second_opinions("<html><body><p>Text.</p></body></html>") == ([], [])


def test_second_opinions_read_a_page() -> None:
    page = "<html><body><nav>Home</nav><article>" + "".join(f"<p>{p}</p>" for p in OURS)
    first, second = second_opinions(page + "</article></body></html>")
    assert [line for line in first if line in OURS] == OURS
    assert [line for line in second if line in OURS] == OURS


def test_parse_html_places_and_explains_the_additions(monkeypatch: pytest.MonkeyPatch) -> None:
    page = (
        "<html><head><title>Ferry library</title></head><body><article>"
        + "".join(f"<p>{p}</p>" for p in OURS)
        + "</article></body></html>"
    )
    monkeypatch.setattr(html, "second_opinions", lambda _: ([OURS[0], MISSED, OURS[1]], [MISSED]))
    article = parse_html(page)
    assert [p.text for p in article.paragraphs] == [OURS[0], MISSED, OURS[1], OURS[2]]
    reasons = [p.reason for p in article.paragraphs]
    assert reasons[1] == html_votes.REASON
    assert reasons[0] == reasons[2] == reasons[3] != html_votes.REASON


def test_a_page_larger_than_any_measured_gets_no_second_opinions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def never(page: str) -> object:
        raise AssertionError("second opinions asked for")

    monkeypatch.setattr(html, "second_opinions", never)
    monkeypatch.setattr(html, "SECOND_OPINIONS_CHARS", 100)
    body = "".join(f"<p>{p}</p>" for p in OURS)
    page = f"<html><body><article>{body}</article></body></html>"
    assert [p.text for p in parse_html(page).paragraphs] == OURS


# Paragraphs over a small vocabulary, so that many share most of their words.
_PARAGRAPHS = st.lists(
    st.lists(st.sampled_from("a b c d e f g h i j k l".split()), min_size=0, max_size=9).map(
        " ".join
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(ours=_PARAGRAPHS, probes=_PARAGRAPHS)
def test_looking_up_by_rare_words_finds_what_comparing_every_pair_finds(
    ours: list[str], probes: list[str]
) -> None:
    """The prefix filter misses no paragraph holding 80% of a probe's words, nor any cover."""
    sets = [html_votes._words(t) for t in ours]
    index = html_votes._Index(sets)
    for probe in map(html_votes._words, probes):
        if not probe:
            continue
        holding = [n for n, s in enumerate(sets) if len(probe & s) >= 0.8 * len(probe)]
        assert (index.holding(probe) is not None) == bool(holding)
        inner = [s & probe for s in sets if s and len(s & probe) >= 0.8 * len(s)]
        union = set().union(*inner) if inner else set()
        assert index.covered(probe) == (len(union) >= 0.8 * len(probe))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(ours=_PARAGRAPHS, first=_PARAGRAPHS, second=_PARAGRAPHS)
def test_additions_come_from_both_others_and_fit_among_ours(
    ours: list[str], first: list[str], second: list[str]
) -> None:
    added = agreed_additions(ours, first, second)
    assert all(a.text in first and -1 <= a.after < len(ours) for a in added)
    assert [a.after for a in added] == sorted(a.after for a in added)
    merged = ours + [a.text for a in added]
    assert agreed_additions(merged, first, second) == []  # nothing is added twice
