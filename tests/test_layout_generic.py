"""Tests for the generic page-dump parser (ingest.parse.layouts.generic).

All fixtures are invented text written for these tests (tests/fixtures/body/ and
the inline pages below); none of it comes from a real site.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.normalize import fold_case, storable
from ingest.parse import layouts
from ingest.parse.layouts import generic as body
from ingest.parse.layouts.generic_features import (
    BOILERPLATE,
    Boilerplate,
    boilerplate,
    collapse,
    measure,
    split_blocks,
)
from ingest.records import DecodedDocument, ParsedArticle

FIXTURES = Path(__file__).parent / "fixtures" / "body"

ARTICLE_PARAGRAPHS = [
    "Residents of the small harbour town of Westerby have voted by a clear majority to restore "
    "the lighthouse that has stood dark on the northern pier since the storm of 1987.",
    "The council had proposed demolishing the tower, which it said was too costly to maintain, "
    "but a petition signed by more than two thousand people forced the question to a public "
    "vote on Saturday.",
    "Why the tower matters",
    "For many in the town the lighthouse is more than a landmark. Fishing families say it was "
    "the last thing their fathers and grandfathers saw when they left the harbour and the first "
    "thing they looked for on the way home.",
    '"It kept us alive for a hundred years."',
    "The restoration is expected to take two years and will be paid for partly by a heritage "
    "grant and partly by a fund that residents have been building through bake sales, concerts "
    "and an annual swim across the bay.",
]


def read(name: str) -> str:
    # Decode the bytes ourselves: CRLF and the BOM stay as on disk, as the decoder hands them over.
    return (FIXTURES / name).read_bytes().decode("utf-8")


def body_texts(article: ParsedArticle) -> list[str]:
    return [p.text for p in article.paragraphs if p.kind == "body"]


def kind_of(article: ParsedArticle, text: str) -> str:
    matches = [p.kind for p in article.paragraphs if p.text == text]
    assert matches, f"no paragraph {text!r}"
    return matches[0]


# --- a full page with chrome around the article ----------------------------------------


@pytest.fixture(scope="module")
def page() -> ParsedArticle:
    return body.parse(read("page_with_chrome.txt"))


def test_page_body_is_exactly_the_article(page: ParsedArticle) -> None:
    assert body_texts(page) == ARTICLE_PARAGRAPHS


def test_page_title_is_the_headline(page: ParsedArticle) -> None:
    assert page.title == "Harbour town votes to rebuild its old lighthouse"
    assert page.title not in [p.text for p in page.paragraphs]
    title_at, labels = body.classify(read("page_with_chrome.txt"))
    assert title_at is not None and labels[title_at].kind == "title"
    assert labels[title_at].block.text == page.title


def test_page_layout_and_version(page: ParsedArticle) -> None:
    assert page.layout == body.NAME == "generic"
    assert page.parser_version == body.VERSION


def test_page_keeps_every_block_but_the_headline_in_order(page: ParsedArticle) -> None:
    blocks = [collapse(b) for b in split_blocks(read("page_with_chrome.txt"))]
    assert [p.text for p in page.paragraphs] == [b for b in blocks if b != page.title]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("World", "nav"),
        ("Culture", "nav"),
        ("Accept all cookies", "chrome"),
        ("By Jane Marlow, Coastal Affairs Reporter", "byline"),
        ("12 March 2024, 09:15", "byline"),
        ("Facebook", "share"),
        ("Related stories", "related"),
        ("Ferry timetable changes from April", "related"),
        ("Subscribe", "chrome"),
        ("12 comments", "comment"),
        ("Marina B", "comment"),
        ("© 2024 Westerby Gazette. All rights reserved.", "footer"),
    ],
)
def test_page_chrome_kinds(page: ParsedArticle, text: str, kind: str) -> None:
    assert kind_of(page, text) == kind


def test_page_comment_prose_is_not_body(page: ParsedArticle) -> None:
    comment = next(p for p in page.paragraphs if p.text.startswith("What wonderful news"))
    assert comment.kind == "comment"


def test_every_paragraph_has_a_reason(page: ParsedArticle) -> None:
    assert all(p.reason and p.reason.strip() for p in page.paragraphs)
    subheading = next(p for p in page.paragraphs if p.text == "Why the tower matters")
    assert subheading.reason is not None and "main text region" in subheading.reason
    cookie = next(p for p in page.paragraphs if p.text.startswith("We use cookies"))
    assert cookie.reason is not None and "cookie" in cookie.reason


# --- clean articles ---------------------------------------------------------------------


def test_plain_article_is_all_body() -> None:
    article = body.parse(read("plain_article.txt"))
    assert article.title == "Bakers warn of rising flour prices"
    assert [p.kind for p in article.paragraphs] == ["body"] * 7
    assert "- flour and yeast - energy for the ovens - rent" in body_texts(article)
    assert body_texts(article)[-1] == "More talks are planned."


def test_minimal_clean_article_from_the_interface_notes() -> None:
    article = body.parse("Headline\n\nParagraph one.\n\nParagraph two.\n\n- item\n- item")
    assert article.title == "Headline"
    assert body_texts(article) == ["Paragraph one.", "Paragraph two.", "- item - item"]


def test_crlf_bom_and_trailing_spaces() -> None:
    article = body.parse(read("crlf_bom.txt"))
    assert article.title == "Market Day Returns"
    assert body_texts(article) == [
        "The weekly market returns to the square this Saturday after a winter break, with more "
        "stalls than last year.",
        "Traders will set up from seven in the morning.",
    ]


def test_whitespace_only_lines_separate_blocks() -> None:
    assert split_blocks("one\n   \ntwo\n\t\nthree") == ["one", "two", "three"]
    assert split_blocks("a\nb\n\nc") == ["a\nb", "c"]


# --- degenerate input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("", "(untitled)"),
        ("\ufeff", "(untitled)"),
        ("   \n\n \r\n  ", "(untitled)"),
        ("Just a headline", "Just a headline"),
        ("\ufeff  Lonely   title  \r\n", "Lonely title"),
        ("Home\n\nNews\n\nSport", "Home"),
    ],
)
def test_degenerate_input_does_not_crash(text: str, title: str) -> None:
    article = body.parse(text)
    assert article.title == title
    assert article.title
    title_at, _ = body.classify(text)
    assert len(article.paragraphs) == len(split_blocks(text)) - (title_at is not None)


@pytest.mark.parametrize(
    "text",
    [
        "Test",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
        "The harbour town opened a library on a converted ferry on Monday, lending books to "
        "fishing crews and island families who have had no library since the reading room closed.",
    ],
)
def test_a_text_of_one_block_is_its_own_article(text: str) -> None:
    """A headline needs a body: a one-block text is the body, headed by its first words."""
    article = body.parse(text)
    assert body_texts(article) == [text]
    assert text.startswith(article.title.rstrip("…")) and len(article.title) <= 100


def test_menu_only_page_has_no_body() -> None:
    article = body.parse("Home\n\nNews\n\nSport\n\nWeather\n\nContact us\n\n© 2024 Example")
    assert body_texts(article) == []


# --- the region logic ----------------------------------------------------------------------


def test_main_region_is_the_maximum_sum_run() -> None:
    assert body.main_region([-5, 10, -2, 8, -20, 6]) == (1, 4)
    assert body.main_region([-1, -2]) == (0, 0)
    assert body.main_region([]) == (0, 0)


def _prose(seed: str, n: int = 4) -> str:
    sentence = (
        f"The {seed} committee said that it would meet again in the spring to review the plan."
    )
    return " ".join([sentence] * n)


def test_comments_do_not_join_a_short_article() -> None:
    menu = "\n\n".join(["Home", "News", "Local", "Opinion", "Sport"])
    comments = "\n\n".join(f"Reader{i}\n\n{_prose(f'reader{i}', 3)}" for i in range(6))
    text = (
        f"{menu}\n\nCouncil delays the bridge vote\n\n{_prose('bridge')}\n\n{_prose('budget')}"
        f"\n\nComments\n\n{comments}\n\n© 2024 Example News"
    )
    article = body.parse(text)
    assert body_texts(article) == [_prose("bridge"), _prose("budget")]
    assert article.title == "Council delays the bridge vote"


def test_inline_related_box_does_not_cut_the_article() -> None:
    text = "\n\n".join(
        [
            "Home",
            "News",
            "Sport",
            "River clean-up draws hundreds of volunteers",
            _prose("river"),
            _prose("volunteer"),
            "Related",
            "Canal boats return to the city centre",
            _prose("harbour"),
            _prose("mayor"),
            "Most read",
            "Ten things to do this weekend",
            "Weather warning for the coast",
            "Privacy policy",
        ]
    )
    article = body.parse(text)
    assert body_texts(article) == [
        _prose("river"),
        _prose("volunteer"),
        _prose("harbour"),
        _prose("mayor"),
    ]
    assert kind_of(article, "Canal boats return to the city centre") == "related"
    assert kind_of(article, "Ten things to do this weekend") == "related"


def test_german_page_with_menu() -> None:
    text = "\n\n".join(
        [
            "Startseite",
            "Politik",
            "Wirtschaft",
            "Sport",
            "Kultur",
            "Stadtrat beschließt neuen Radweg am Fluss",
            "Von Anna Berger",
            "Der Stadtrat hat am Dienstag mit großer Mehrheit beschlossen, den Radweg entlang "
            "des Flusses bis zum neuen Bahnhof zu verlängern. Die Arbeiten sollen im Frühjahr "
            "beginnen und etwa ein Jahr dauern.",
            "Die Kosten werden auf drei Millionen Euro geschätzt, von denen das Land einen "
            "großen Teil übernehmen will. Kritik kam nur von einer kleinen Fraktion.",
            "Lesen Sie auch",
            "Neue Buslinie ab Montag",
            "© 2024 Beispiel Zeitung",
        ]
    )
    article = body.parse(text)
    assert article.title == "Stadtrat beschließt neuen Radweg am Fluss"
    assert len(body_texts(article)) == 2
    assert body_texts(article)[0].startswith("Der Stadtrat")
    assert kind_of(article, "Von Anna Berger") == "byline"


def test_japanese_page_with_menu() -> None:
    paragraph1 = (
        "市は十日、駅前の広場を新しい公園として整備する計画を発表した。"
        "工事は来年の春に始まる予定だ。"
    )
    paragraph2 = (
        "計画には子ども向けの遊具や、高齢者が休めるベンチの設置も含まれている。"
        "市民からは歓迎の声が上がった。"
    )
    text = "\n\n".join(
        [
            "ホーム",
            "ニュース",
            "スポーツ",
            "天気",
            "駅前広場を公園に 市が計画発表",
            paragraph1,
            paragraph2,
            "関連記事",
            "ランキング",
            "利用規約",
        ]
    )
    article = body.parse(text)
    assert body_texts(article) == [paragraph1, paragraph2]
    assert article.title == "駅前広場を公園に 市が計画発表"


# --- features and wording rules ------------------------------------------------------------


def test_measure_features() -> None:
    b = measure(3, "The  mayor said\nthat it was fine. It was.")
    assert b.index == 3
    assert b.text == "The mayor said that it was fine. It was."
    assert b.lines == 2
    assert b.sentences == 2
    assert b.terminal
    assert b.stop_share > 0.3
    cjk = measure(0, "東京都")
    assert cjk.cjk and cjk.size == 9


def test_long_paragraph_mentioning_chrome_words_is_not_chrome() -> None:
    text = (
        "Readers who subscribe to the print edition were told on Monday that the newsletter "
        "office would move, and the company said the change would not affect deliveries, "
        "prices or the cookies sold at the annual fair, which has been held for sixty years."
    )
    assert boilerplate(measure(0, text)) is None
    cookie_notice = measure(0, "We use cookies to give you the best experience on our site.")
    rule = boilerplate(cookie_notice)
    assert rule is not None and rule.kind == "chrome"


@pytest.mark.parametrize(
    "rule", [r for r in BOILERPLATE if r.clues], ids=[r.reason for r in BOILERPLATE if r.clues]
)
def test_wording_rule_clues_are_in_every_match(rule: Boilerplate) -> None:
    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(rule.pattern))
    def check(text: str) -> None:
        assert any(clue in fold_case(text) for clue in rule.clues)

    check()


def test_collapse_and_ascii_blocks() -> None:
    assert collapse(" a\u00a0 b\n\tc \u3000") == "a b c"
    assert measure(0, "Plain ASCII text.").size == len("Plain ASCII text.")


def test_records_are_frozen() -> None:
    label = body.classify("Title\n\nSome text here that is a sentence.")[1][0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        label.kind = "body"  # type: ignore[misc]


KINDS = {"title", "body", "nav", "byline", "share", "related", "comment", "footer", "chrome"}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=80),
            st.sampled_from(["Home", "Share", "© 2024 X", "Comments", "Related", "\ufeff", "\r\n"]),
            st.just(_prose("random", 2)),
        ),
        max_size=25,
    )
)
def test_any_text_parses_into_labelled_blocks(parts: list[str]) -> None:
    text = "\n\n".join(parts)
    article = body.parse(text)
    assert article.title
    title_at, _ = body.classify(text)
    assert len(article.paragraphs) == len(split_blocks(text)) - (title_at is not None)
    assert all(p.kind in KINDS and p.reason for p in article.paragraphs)
    assert all(p.text == collapse(p.text) and p.text for p in article.paragraphs)


# --- hostile text -------------------------------------------------------------------------


def test_control_characters_and_surrogates_are_not_kept() -> None:
    text = (
        "Ferry back\x1b[0m on the water\n\n\x00\x01\n\x7f\n\n"
        "The ferry sails again\x00 from Monday, the council said on \ud800 Friday.\n\n"
        "It was repaired over the winter, and the work cost more than planned."
    )
    # The text is made storable once, before a layout is chosen (ingest.parse.layouts.parse).
    article = layouts.parse(DecodedDocument(origin="-", text=text, encoding="utf-8"))
    assert article.title == "Ferry back[0m on the water"
    assert body_texts(article) == [
        "The ferry sails again from Monday, the council said on \ufffd Friday.",
        "It was repaired over the winter, and the work cost more than planned.",
    ]
    # a line of control characters is a blank line
    assert len(split_blocks(storable(text))) == 3
    assert split_blocks(storable("a\x00 b\x1b\udfff\x97\n\n\x00\x01")) == ["a b\ufffd\x97"]


def test_a_paragraph_of_megabytes_is_kept_in_pieces() -> None:
    line = "The ferry sails again, the council said. " * 50_000  # 2 MB, no newline
    article = body.parse("Ferry back\n\n" + line)
    assert article.title == "Ferry back"
    texts = body_texts(article)
    assert len(texts) >= 20 and all(len(t) <= 100_000 for t in texts)
    assert " ".join(texts).split() == line.split()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a" * 1_000_000 + "@b", None),  # an @ after a megabyte of letters: one pass
        ("Write to " + "a" * 100 + "@example.com", "contact address or feedback request"),
        ("@" * 1_000_000 + ".", None),
        ("jane.doe@example.com", "author's e-mail address or handle"),
        ("@janedoe", "author's e-mail address or handle"),
    ],
)
def test_address_rules_on_long_runs(text: str, reason: str | None) -> None:
    rule = boilerplate(measure(0, text))
    assert (rule.reason if rule else None) == reason
