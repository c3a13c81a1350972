"""The aggregator page-dump layout: recognition, fields, and a kind for every block.

Each fixture in tests/fixtures/aggregator/ is a small invented page showing
one variation of the layout; the seed is the real page the layout comes from.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.normalize import collapse_whitespace, fold_case
from ingest.parse import layouts
from ingest.parse.layouts import aggregator
from ingest.records import DecodedDocument, ParsedArticle

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "aggregator"
SEED = ROOT / "seeds" / "000_1d9f090525d97fdf.txt"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def body(article: ParsedArticle) -> list[str]:
    return [p.text for p in article.paragraphs if p.kind == "body"]


def kinds(article: ParsedArticle) -> list[tuple[str, str]]:
    return [(p.kind, p.text) for p in article.paragraphs]


# --- the seed ------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> ParsedArticle:
    text = SEED.read_text(encoding="utf-8")
    assert aggregator.matches(text)
    return aggregator.parse(text)


def test_seed_fields(seed: ParsedArticle) -> None:
    assert seed.title == "Uzbek arrested by Russian government for helping N. Koreans defect"
    assert seed.layout == "aggregator"
    assert seed.parser_version == aggregator.VERSION
    assert (seed.source_name, seed.source_category) == ("DailyNK", "North Korean Media")
    assert seed.published_at == datetime(2024, 5, 28, 6, 30)
    assert seed.page_date == date(2025, 2, 9)
    assert seed.page_location == "Delhi"
    assert seed.page_temperature_c == 22.1
    assert seed.translations == ("Korean",)


def test_seed_body_is_the_eleven_article_paragraphs(seed: ParsedArticle) -> None:
    paragraphs = body(seed)
    assert len(paragraphs) == 11
    assert paragraphs[0].startswith("The Russian government has arrested an Uzbek")
    assert paragraphs[-1].startswith("“There have recently been several instances")
    assert not any("works with a network" in p or "Please send any" in p for p in paragraphs)


def test_seed_every_block_after_the_title_has_a_kind_and_reason(seed: ParsedArticle) -> None:
    assert [p.kind for p in seed.paragraphs[11:]] == [
        "boilerplate",
        "boilerplate",
        "translation",
        "footer",
        "footer",
        "sidebar",
    ]
    assert seed.paragraphs[11].text.startswith("Daily NK works with a network of sources")
    assert seed.paragraphs[12].text.startswith("Please send any comments")
    assert [p.text for p in seed.paragraphs[13:]] == [
        "Read in Korean",
        "May 28, 2024 at 06:30AM",
        "by DailyNK(North Korean Media)",
        "Most Popular Articles",
    ]
    assert all(p.reason for p in seed.paragraphs if p.kind != "body")
    # the top bar became fields, not paragraphs
    assert not any(p.text in ("22.1 C", "Delhi") for p in seed.paragraphs)


# --- variations ------------------------------------------------------------------


def test_full_page() -> None:
    article = aggregator.parse(fixture("full.txt"))
    assert article.title == "Harbour ferry service to resume after winter repairs"
    assert body(article) == [
        "The ferry linking the old harbour with the island of Vela will run again from Monday, "
        "the port authority said, after three months of repairs to its hull.",
        "Officials said the repairs cost more than had been planned because rust had spread "
        "further than the first survey showed.",
        "“We are glad to have it back,” said Marta Quental, who sells fish on the quay.",
    ]
    assert [k for k, _ in kinds(article)[3:]] == [
        "boilerplate",
        "boilerplate",
        "translation",
        "footer",
        "footer",
        "sidebar",
        "sidebar",
        "sidebar",
    ]
    assert article.paragraphs[4].reason == "known boilerplate phrase: email address"
    assert (article.source_name, article.source_category) == ("Harbour Post", "Regional News")
    assert article.published_at == datetime(2025, 3, 11, 19, 45)
    assert article.page_date == date(2025, 3, 12)
    assert article.page_location == "Lisbon"
    assert article.page_temperature_c == 14.5
    assert article.translations == ("Portuguese",)


def test_crlf_bom_blank_runs_and_trailing_spaces_change_nothing() -> None:
    clean = fixture("full.txt")
    messy = "\ufeff" + clean.replace("\n\n", "\n  \n\t\n\n").replace("\n", "   \r\n")
    assert aggregator.matches(messy)
    assert aggregator.parse(messy) == aggregator.parse(clean)


def test_no_city_fahrenheit_no_weekday_and_spaced_category() -> None:
    article = aggregator.parse(fixture("no_city_fahrenheit.txt"))
    assert article.title == "Library extends its opening hours"
    assert article.page_location is None
    assert article.page_temperature_c == 22.2  # 72 °F
    assert article.page_date == date(2024, 6, 3)
    assert (article.source_name, article.source_category) == ("Valley Courier", "Community")
    assert article.translations == ()
    assert len(body(article)) == 2
    assert kinds(article)[-2:] == [
        ("sidebar", "Recent Articles"),
        ("sidebar", "School choir tours the north"),
    ]


def test_no_top_bar_is_recognised_by_the_footer_and_byline_without_category() -> None:
    text = fixture("no_top_bar.txt")
    assert aggregator.matches(text)
    article = aggregator.parse(text)
    assert article.title == "Council approves new cycle lanes"
    assert (article.page_date, article.page_location, article.page_temperature_c) == (
        None,
        None,
        None,
    )
    assert (article.source_name, article.source_category) == ("Metro Daily", None)
    assert article.published_at == datetime(2025, 1, 7, 21, 0)
    assert len(body(article)) == 2
    assert [k for k, _ in kinds(article)] == [
        "body",
        "body",
        "footer",
        "footer",
        "sidebar",
        "sidebar",
    ]


def test_truncated_capture_without_footer_is_recognised_by_the_top_bar() -> None:
    text = fixture("truncated.txt")
    assert aggregator.matches(text)
    article = aggregator.parse(text)
    assert article.page_temperature_c == -4.5
    assert article.page_location == "Oslo"
    assert article.published_at is None
    assert article.source_name is None
    assert body(article) == [
        "Sculptors from eleven countries have begun carving blocks of ice for the festival.",
        "Organisers expect more visitors than last year.",
    ]


def test_share_buttons_and_other_sidebar_headings() -> None:
    article = aggregator.parse(fixture("share_and_sidebars.txt"))
    assert article.title == "Swimmers return to the rock pool"
    assert body(article) == [
        "The rock pool reopened this morning after its walls were rebuilt.",
        "Lifeguards said the water was clear and calm.",
    ]
    assert kinds(article) == [
        ("share", "Share on Facebook"),
        ("share", "Share on Twitter"),
        ("body", "The rock pool reopened this morning after its walls were rebuilt."),
        ("body", "Lifeguards said the water was clear and calm."),
        ("share", "Facebook"),
        ("share", "Twitter"),
        ("share", "WhatsApp"),
        ("sidebar", "Related news"),
        ("sidebar", "Surf club elects new captain"),
        ("sidebar", "Beach car park to charge fees"),
        ("translation", "Read in Japanese"),
        ("footer", "April 4, 2025 at 06:10AM"),
        ("footer", "by Coastline News (Local)"),
        ("share", "Share this article"),
        ("sidebar", "Trending"),
        ("sidebar", "Whale seen off the headland"),
        (
            "sidebar",
            "A pod of whales was seen off the headland on Friday, delighting walkers on the "
            "cliff path.",
        ),
        ("sidebar", "You may also like"),
        ("sidebar", "Lighthouse tours sold out"),
    ]
    assert article.translations == ("Japanese",)
    assert (article.source_name, article.source_category) == ("Coastline News", "Local")


def test_body_text_that_only_looks_like_chrome_stays_body() -> None:
    article = aggregator.parse(fixture("chrome_lookalikes.txt"))
    assert body(article) == [
        "The old bridge will stay closed to traffic while engineers replace its bearings.",
        "What happens next",
        "Engineers will test each bearing before the deck is lowered back into place.",
        "“It is safe, but it must be fixed.”",
        "Residents said they had followed the plans on Facebook for months.",
        "By the end of the year, the council hopes to open a footpath across the river.",
    ]
    assert (article.source_name, article.source_category) == ("River Gazette", "City News")


def test_a_body_paragraph_with_an_email_address_mid_article_stays_body() -> None:
    text = fixture("full.txt").replace(
        "Officials said the repairs",
        "Readers can write to ferry@port.example with questions.\n\nOfficials said the repairs",
    )
    assert "Readers can write to ferry@port.example with questions." in body(aggregator.parse(text))


def test_footer_time_and_byline_on_consecutive_lines() -> None:
    text = fixture("no_top_bar.txt").replace("09:00PM\n\nby", "09:00PM\nby")
    article = aggregator.parse(text)
    assert article.source_name == "Metro Daily"
    assert article.published_at == datetime(2025, 1, 7, 21, 0)


# --- recognition -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Headline\n\nA first paragraph.\n\nA second paragraph.\n",
        # a generic web dump: menus, then an article with its byline above the date
        "Skip to content\n\nHome\n\nWorld\n\nSport\n\nA headline\n\nBy Staff Reporter\n\n"
        "November 20, 2019 10:43\n\nThe article text.\n\nPrivacy policy\n",
        # a weather widget that is not a top bar: no date with it
        "55°F Clear\n\nHome\n\nNews\n\nHeadline\n\nText.\n",
        "",
    ],
)
def test_other_pages_are_not_this_layout(text: str) -> None:
    assert not aggregator.matches(text)


def test_a_footer_time_without_byline_or_top_bar_is_not_enough() -> None:
    assert not aggregator.matches("Headline\n\nText.\n\nMay 1, 2024 at 10:00AM\n")


def test_a_partial_top_bar_needs_a_translation_link_or_footer_time() -> None:
    assert not aggregator.matches("March 3, 2025\n\nHeadline\n\nText.\n")
    assert aggregator.matches("March 3, 2025\n\nHeadline\n\nText.\n\nRead in French\n")


# --- the one-line shapes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Read in Korean", ("Korean",)),
        ("Read this article in Brazilian Portuguese", ("Brazilian Portuguese",)),
        ("Read in: Korean | Japanese", ("Korean", "Japanese")),
        ("Read in full", None),
        ("Read in Korean, he said.", None),
    ],
)
def test_parse_translation_link(line: str, expected: tuple[str, ...] | None) -> None:
    assert aggregator.parse_translation_link(line) == expected


@pytest.mark.parametrize(
    "line",
    ["Facebook", "Share on Facebook", "Share this article", "Twitter | WhatsApp | Email", "Tweet"],
)
def test_share_lines(line: str) -> None:
    assert aggregator.is_share_line(line)


@pytest.mark.parametrize(
    "line", ["He shared it on Facebook.", "Share prices fell", "Email", "X marks the spot"]
)
def test_not_share_lines(line: str) -> None:
    # "Email" alone is a share label; the others are sentences
    assert aggregator.is_share_line(line) is (line == "Email")


@pytest.mark.parametrize(
    "line",
    [
        "Most Popular Articles",
        "Recent Articles",
        "Related news",
        "Most Read",
        "Latest News",
        "Trending",
        "You may also like",
        "Related Stories:",
        "Editor's Picks",
    ],
)
def test_sidebar_headings(line: str) -> None:
    assert aggregator.is_sidebar_heading(line)


@pytest.mark.parametrize(
    "line", ["What happens next", "Latest developments", "Most people agreed", "Trending down"]
)
def test_not_sidebar_headings(line: str) -> None:
    assert not aggregator.is_sidebar_heading(line)


def test_standing_phrase_names_its_reason() -> None:
    assert aggregator.standing_phrase("Send any comments to desk@example.org.") == "email address"
    assert aggregator.standing_phrase("Visit our FAQ page.") == "FAQ page"
    assert aggregator.standing_phrase("The minister said the plan would work.") is None


@pytest.mark.parametrize(
    ("reason", "clues", "pattern"),
    aggregator._STANDING_PHRASES,
    ids=[reason for reason, _, _ in aggregator._STANDING_PHRASES],
)
def test_standing_phrase_clues_are_in_every_match(
    reason: str, clues: tuple[str, ...], pattern: re.Pattern[str]
) -> None:
    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(pattern))
    def check(text: str) -> None:
        assert any(clue in fold_case(text) for clue in clues)

    check()


def _share_labels_only(line: str) -> bool:
    """is_share_line without its quick test on the first label."""
    text = collapse_whitespace(line).strip(aggregator._ARROWS + ":")
    items = [item for item in aggregator._SHARE_SEPARATORS.split(text) if item]
    return bool(items) and all(aggregator._SHARE_ITEM.fullmatch(item.strip(":")) for item in items)


SHARE_PIECES = [
    "Share", "share:", "Shares", "Tweet", "Facebook", "X", "e-mail", "Email", "on", "via", "this",
    "Share on X", "Post to Reddit", "Copy link", "print", "Pin it", "Line", "words", "Facebook.",
    " | ", "|", " · ", "•", ", ", "/", " - ", "-", "  ", " ", ":", "::", "> ", "» ", "\u00a0", "\t",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(SHARE_PIECES), max_size=8))
def test_share_line_quick_test_changes_no_answer(pieces: list[str]) -> None:
    line = "".join(pieces)
    assert aggregator.is_share_line(line) is _share_labels_only(line)


def test_top_bar_city_needs_a_date_after_it_or_the_temperature_before_it() -> None:
    blocks = [["3 C", "Rome"], ["Headline"]]
    top = aggregator.parse_top_bar(blocks)
    assert top is not None and top.location == "Rome" and not top.complete
    # a headline after a lone temperature line is not a city
    top = aggregator.parse_top_bar([["3 C"], ["Rome"], ["Text."]])
    assert top == aggregator.TopBar(3.0, None, None, 1)
    assert aggregator.parse_top_bar([["Headline"], ["Text."]]) is None


# --- values out of range, hostile text ---------------------------------------------

FULL = fixture("full.txt")


@pytest.fixture(scope="module")
def full() -> ParsedArticle:
    return aggregator.parse(FULL)


@pytest.mark.parametrize(
    ("written", "replacement", "field"),
    [
        ("14.5 C", "1" * 5000 + " C", "page_temperature_c"),  # int() refuses 4,300 digits
        ("14.5 C", "9" * 400 + ".5 F", "page_temperature_c"),  # float() makes it inf
        ("14.5 C", "300 C", "page_temperature_c"),  # beyond ±150 °C: no weather
        ("14.5 C", "-459.67 F", "page_temperature_c"),
        ("Wednesday, March 12, 2025", "Wednesday, March 12, 0000", "page_date"),
        ("Wednesday, March 12, 2025", "March 12, 99999", "page_date"),
        ("Wednesday, March 12, 2025", "Wednesday, March 99, 2025", "page_date"),
        ("Wednesday, March 12, 2025", "February 30, 2025", "page_date"),
        ("Wednesday, March 12, 2025", "March 12, " + "2" * 5000, "page_date"),
        ("Wednesday, March 12, 2025", "2025-13-45", "page_date"),
        ("March 11, 2025 at 07:45PM", "March 11, 2025 at 99:99", "published_at"),
        ("March 11, 2025 at 07:45PM", "March 11, 2025 at 13:45PM", "published_at"),
        ("March 11, 2025 at 07:45PM", "March 11, 0000 at 07:45PM", "published_at"),
        ("March 11, 2025 at 07:45PM", "March 99, 2025 at 07:45PM", "published_at"),
        ("March 11, 2025 at 07:45PM", "March 11, 2025 at " + "1" * 5000 + ":00", "published_at"),
        ("March 11, 2025 at 07:45PM", "March 11, 99999 at 07:45PM", "published_at"),
    ],
)
def test_a_value_out_of_range_empties_its_field_and_nothing_else(
    full: ParsedArticle, written: str, replacement: str, field: str
) -> None:
    text = FULL.replace(written, replacement)
    assert aggregator.matches(text)
    article = aggregator.parse(text)
    assert getattr(article, field) is None
    assert getattr(full, field) is not None
    others = ("title", "source_name", "source_category", "page_location", "translations")
    others += tuple(f for f in ("published_at", "page_date", "page_temperature_c") if f != field)
    for name in others:
        assert getattr(article, name) == getattr(full, name), name
    # the line is still the top bar's or the footer's: the blocks are read as before
    assert [(p.kind, p.reason) for p in article.paragraphs] == [
        (p.kind, p.reason) for p in full.paragraphs
    ]
    assert body(article) == body(full)


def test_a_page_of_extremes_only_is_still_read() -> None:
    text = (
        "1" * 5000 + " C\nDelhi\nSunday, February 9, 0000\n\nHeadline here\n\nBody text.\n\n"
        "May 28, 99999 at 99:99AM\nby DailyNK(North Korean Media)\n"
    )
    assert aggregator.matches(text)
    article = aggregator.parse(text)
    assert (article.title, body(article)) == ("Headline here", ["Body text."])
    assert (article.page_temperature_c, article.page_date, article.published_at) == (
        None,
        None,
        None,
    )
    assert (article.page_location, article.source_name) == ("Delhi", "DailyNK")


def test_negative_zero_is_zero(full: ParsedArticle) -> None:
    for written in ("-0 C", "\u22120.0 C", "-0.04 C"):
        article = aggregator.parse(FULL.replace("14.5 C", written))
        assert str(article.page_temperature_c) == "0.0"


def test_control_characters_and_surrogates_are_not_kept() -> None:
    text = FULL.replace("Officials said", "Officials\x00 said\x1b[0m \ud800").replace(
        "Read in Portuguese", "\x00\x01\n\x7f\n\nRead in Portuguese"
    )
    # The text is made storable once, before a layout is chosen (ingest.parse.layouts.parse).
    article = layouts.parse(DecodedDocument(origin="-", text=text, encoding="utf-8"))
    assert article.translations == ("Portuguese",)
    for p in article.paragraphs:
        p.text.encode("utf-8")
        assert p.text and not re.search("[\x00-\x08\x0e-\x1f\x7f]", p.text)
    assert body(article)[1].startswith("Officials said[0m \ufffd the repairs")


def test_a_line_of_control_characters_is_a_blank_line() -> None:
    # As in the generic layout (tests/test_layout_generic.py): it ends a paragraph, not joins two.
    text = FULL.replace("Officials said the", "Officials said so.\n\x01\x02\nThe")
    article = layouts.parse(DecodedDocument(origin="-", text=text, encoding="utf-8"))
    assert article.layout == aggregator.NAME
    assert body(article)[1:3] == [
        "Officials said so.",
        "The repairs cost more than had been planned because rust had spread further than the "
        "first survey showed.",
    ]


def test_a_body_line_of_megabytes_is_kept_in_pieces() -> None:
    line = "The ferry sails again, the council said. " * 50_000  # 2 MB, no newline
    article = aggregator.parse(FULL.replace("Officials said", line + "\n\nOfficials said"))
    pieces = [p.text for p in article.paragraphs if p.text.startswith("The ferry sails")]
    assert len(pieces) >= 20
    assert all(len(piece) <= 100_000 for piece in pieces)
    assert " ".join(pieces).split() == line.split()
    assert article.title == "Harbour ferry service to resume after winter repairs"


@pytest.mark.parametrize(
    ("paragraph", "reason"),
    [
        ("x" * 1_000_000 + "@b", None),  # an @ after a megabyte of letters: one pass
        ("@" * 1_000_000 + ".", None),
        ("Write to " + "a" * 100 + "@example.com about it.", "email address"),
        ("Please send any comments to the desk.", "send comments"),
    ],
)
def test_standing_phrases_on_long_runs(paragraph: str, reason: str | None) -> None:
    assert aggregator.standing_phrase(paragraph) == reason
