"""A source's home: the country, and the state or province, its own articles are about.

Why: a name with nothing in its article to tell its namesakes apart ("Dublin", "London")
means, in a local paper, the place near home: an Ohio paper's Dublin may be Dublin, Ohio,
an Ontario paper's London is London, Ontario. The home is learned from what the store
already holds, never from a list: the places a source's latest ``RECENT`` articles name
(``article_locations``, role ``mention``), counted once an article. A country that at
least half of them name, and a first-level region of it that at least a third name
(more than any other region), is the source's home, once ``MIN_ARTICLES`` of them name
a place at all.

What makes it deterministic: ingest learns every source's home once, when a run starts
(``learn_homes``), and every document of the run is located with those homes, whichever
worker process locates it and in whatever order; a store that grows teaches later runs
more. The cost is one small query a source (the places of its ``RECENT`` latest articles,
through an index), not one a document.

``ingest.places.mentions`` uses a home only where the article says nothing of its own:
see ``find_mentions``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Article, ArticleLocation, Location, Source

#: How many of a source's latest articles its home is learned from.
RECENT = 200
#: How many of those must name a place before the source has a home.
MIN_ARTICLES = 20
#: The share of them that must name a place of the home country ...
COUNTRY_SHARE = 0.5
#: ... and of its home region (a state or province).
REGION_SHARE = 1 / 3


@dataclass(frozen=True)
class Home:
    """Where a source is at home: a country (ISO 3166-1 alpha-2) and, where its articles
    say so, the GeoNames admin1 code of a region of it ('OH', '08' for Ontario)."""

    country_code: str
    admin1: str | None = None

    def __str__(self) -> str:
        return f"{self.country_code}-{self.admin1}" if self.admin1 else self.country_code


#: A place as an article names it, for learning: its country and its region's admin1 code.
Named = tuple[str, str | None]


def home_of(articles: Iterable[Iterable[Named]]) -> Home | None:
    """The home that the places of a source's articles show, or None.

    Each article is the places it names, as (country, admin1) pairs; an article counts once
    for each country and each region it names. Ties go to the smaller code, so that the
    answer depends on the counts only.
    """
    countries: Counter[str] = Counter()
    regions: Counter[tuple[str, str]] = Counter()
    located = 0
    for named in articles:
        places = set(named)
        if not places:
            continue
        located += 1
        countries.update({cc for cc, _ in places})
        regions.update({(cc, admin1) for cc, admin1 in places if admin1})
    if located < MIN_ARTICLES or not countries:
        return None
    country, count = min(countries.items(), key=lambda item: (-item[1], item[0]))
    if count < COUNTRY_SHARE * located:
        return None
    own = sorted(((-n, admin1) for (cc, admin1), n in regions.items() if cc == country))
    if own and -own[0][0] >= REGION_SHARE * located and (len(own) == 1 or own[1][0] > own[0][0]):
        return Home(country, own[0][1])
    return Home(country)


def _region_code(
    kind: str, admin1: str | None, admin2: str | None, gazetteer_id: str
) -> str | None:
    """The admin1 code of the region a stored place is or lies in (as ``mentions._iso_suffix``:
    a region's own code, else an alphabetic ISO 3166-2 suffix, which GeoNames uses for US
    states); None for countries and for the UK's counties."""
    if kind == "country":
        return None
    if admin1:
        return admin1
    if kind == "region" and admin2 is None and gazetteer_id.startswith("iso3166-2:"):
        suffix = gazetteer_id.rsplit("-", 1)[-1]
        return suffix if suffix.isalpha() else None
    return None


def learn_homes(session: Session) -> dict[str, Home]:
    """Every source's home, by the source's name, from its latest ``RECENT`` articles.

    One query a source, each reading ``RECENT`` articles through the index on
    (``source_id``, ``published_at``), whatever the store's size ("latest" is by
    publication time, then by id, as that index orders them).
    """
    homes: dict[str, Home] = {}
    sources = session.execute(select(Source.id, Source.name).order_by(Source.name)).all()
    for source_id, name in sources:
        latest = (
            select(Article.id)
            .where(Article.source_id == source_id)
            .order_by(Article.published_at.desc(), Article.id.desc())
            .limit(RECENT)
            .scalar_subquery()
        )
        rows = session.execute(
            select(
                ArticleLocation.article_id,
                Location.kind,
                Location.country_code,
                Location.admin1,
                Location.admin2,
                Location.gazetteer_id,
            )
            .join(Location, Location.id == ArticleLocation.location_id)
            .where(ArticleLocation.article_id.in_(latest), ArticleLocation.role == "mention")
            .where(Location.country_code.is_not(None))
        )
        articles: dict[int, list[Named]] = {}
        for article_id, kind, cc, admin1, admin2, gid in rows:
            region = _region_code(kind, admin1, admin2, gid or "")
            articles.setdefault(article_id, []).append((cc or "", region))
        home = home_of(articles.values())
        if home is not None:
            homes[name] = home
    return homes


def home_for(homes: Mapping[str, Home] | None, source_name: str | None) -> Home | None:
    """The home of the source called ``source_name`` in ``homes``, if it has one."""
    if not homes or not source_name:
        return None
    return homes.get(source_name)
