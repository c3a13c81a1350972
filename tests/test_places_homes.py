"""A source's home, learned from its stored articles, and how a name leans on it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Article, Location, LocationMention, Source
from db.queries import article_detail
from ingest.explain import explain_all
from ingest.places.homes import MIN_ARTICLES, Home, home_of, learn_homes
from ingest.places.mentions import find_mentions
from tests.conftest import aggregator_page, ingest_pages

OHIO = ("US", "OH")


def where(paragraph: str, home: Home | None) -> list[tuple[str, str | None, str | None]]:
    return [
        (m.surface, m.place.country_code, m.place.admin1) for m in find_mentions([paragraph], home)
    ]


def test_a_source_is_at_home_where_most_of_its_articles_are() -> None:
    articles = [[OHIO]] * 15 + [[OHIO, ("US", "TX")]] * 5 + [[("US", None)]] * 5 + [[]] * 40
    assert home_of(articles) == Home("US", "OH")
    assert str(Home("US", "OH")) == "US-OH" and str(Home("IE")) == "IE"


def test_no_home_from_too_few_articles_or_a_spread() -> None:
    assert home_of([[OHIO]] * (MIN_ARTICLES - 1)) is None
    # Half the articles in one country, none in a state: the country alone.
    spread = [[("US", f"S{n % 5}")] for n in range(30)] + [[("GB", None)]] * 10
    assert home_of(spread) == Home("US")
    # No country named by half of them: no home.
    assert home_of([[("US", None)]] * 12 + [[("GB", None)]] * 12 + [[("FR", None)]] * 12) is None
    # Two regions tied: the country only.
    assert home_of([[OHIO]] * 12 + [[("US", "TX")]] * 12) == Home("US")


def test_a_name_the_article_leaves_open_leans_to_the_home() -> None:
    text = "The council met in Dublin on Tuesday to discuss the budget."
    assert where(text, None) == [("Dublin", "IE", "L")]
    assert where(text, Home("US", "OH")) == [("Dublin", "US", "OH")]
    assert where(text, Home("IE")) == [("Dublin", "IE", "L")]
    # A home country alone does not make a world city a namesake of it.
    assert where(text, Home("US")) == [("Dublin", "IE", "L")]
    london = "Police said the man was arrested in London after a chase."
    assert where(london, Home("CA", "08")) == [("London", "CA", "08")]
    # London, Kentucky is a small town: a home does not raise a hamlet over London.
    assert where(london, Home("US", "KY")) == [("London", "GB", "ENG")]


def test_what_the_article_says_comes_before_the_home() -> None:
    text = "Visitors to Dublin from France and Spain were counted."
    assert ("Dublin", "IE", "L") in where(text, Home("US", "OH"))


def page(source: str, n: int, paragraph: str) -> str:
    return aggregator_page(f"Story {n}", [paragraph, f"Item {n} of the day."], source=source)


def test_a_store_teaches_a_source_its_home(engine: Engine, tmp_path: Path) -> None:
    local = {
        f"local_{n:03d}.txt": page(
            "Ohio Ledger(Local)", n, f"Road work {n} begins in Columbus, Ohio, next month."
        )
        for n in range(MIN_ARTICLES)
    }
    ingest_pages(engine, tmp_path / "first", local)
    with Session(engine) as session:
        assert learn_homes(session) == {"Ohio Ledger": Home("US", "OH")}
    story = "The council met in Dublin on Tuesday to discuss the budget."
    ingest_pages(
        engine,
        tmp_path / "second",
        {
            "ledger.txt": page("Ohio Ledger(Local)", 100, story),
            "wire.txt": page("Example Wire(World)", 101, story),
        },
    )
    with Session(engine) as session:
        rows = session.execute(
            select(Source.name, Location.country_code, Location.admin1, Article.id)
            .join(Article, Article.source_id == Source.id)
            .join(LocationMention, LocationMention.article_id == Article.id)
            .join(Location, Location.id == LocationMention.location_id)
            .where(LocationMention.surface == "Dublin")
        ).all()
        dublin = {name: (cc, admin1) for name, cc, admin1, _ in rows}
        assert dublin == {"Ohio Ledger": ("US", "OH"), "Example Wire": ("IE", "L")}
        ledger = next(article_id for name, *_, article_id in rows if name == "Ohio Ledger")
        detail = article_detail(session, ledger)
        assert detail is not None
        _, places = explain_all(session, detail)
    why = {p.surface: p.reason for p in places}
    assert "the publishing source's home region (US-OH)" in why["Dublin"]
