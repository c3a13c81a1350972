#!/usr/bin/env python3
"""Latency of ``db.search.search()`` on a generated database of news-like articles.

usage: python benchmarks/search_latency.py [--articles N] [--db PATH] [--repeat R]
                                           [--module PATH]

What it measures: the wall time of one ``search(session, query, filters, limit=20)`` call
(ranking and snippets, as ``newsstore search`` runs it) through a read-only engine from
``db.session.make_engine(url, readonly=True)``, for common terms, rare terms, two-term AND
queries, a phrase and a prefix query, each without filters and with a source, a date range
and a place filter, sorted by relevance and by newest. Every query is run once to warm up and
then ``--repeat`` times; the table gives the median and 95th percentile in milliseconds per
category and filter, per category, and over everything. The target: median under 10 ms and
95th percentile under 50 ms.

How the database is made: ``db.migrate.upgrade(url)`` creates the schema at head, then one
plain ``sqlite3`` transaction fills documents, ~50 sources, N articles with ~10 body paragraphs
each plus a source's standing paragraph and a footer, locations and article_locations.
The text comes from a vocabulary with a Zipf-like word distribution (common function and news
words, a long tail of rare made-up words, a few collocations such as "prime minister"), and
published_at is spread over three years. The FTS triggers are dropped for the load and
recreated from their own SQL, and both FTS indexes rebuilt ('rebuild'), which gives the same
database as inserting through the triggers, faster; the schema (sqlite_master) is compared
before and after and FTS5's integrity-check is run. source_paragraphs and location_mentions are
left empty: search does not read them. Each article is a story of its own (a database made
before that was so is mended when reused). ``--db PATH`` keeps the database; an existing one
is reused as it is, without generating.

``--breakdown`` prints, as it goes, each query's median and the time per run of the steps of
``db.search.topk`` and ``db.search.fts5`` it went through (nested steps count in each): where
the time of a slow query goes.

``--module PATH`` measures another copy of the ``db/search/`` folder (e.g. a proposed change)
instead, loaded in the place of ``db.search``; or a single module defining ``search()`` with the
same signature (such as ``db/search.py`` before it became a folder). It is given
``db.filters.ArticleFilters``.
At 100,000 articles generating takes about 4 minutes (1.1 GB) and, while common-term queries
take seconds, measuring takes 20 minutes or more: keep the database with ``--db`` and lower
``--repeat`` to iterate.

    .venv/bin/python benchmarks/search_latency.py
    .venv/bin/python benchmarks/search_latency.py --articles 20000 --db /tmp/bench.db --repeat 3

Not a test: a figure anyone can rerun.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session

from db import search as default_search
from db.filters import ArticleFilters
from db.migrate import upgrade
from db.search import impacts
from db.search.fts5 import rank_articles_exact as EXACT
from db.session import make_engine
from ingest.fingerprint import content_hash, paragraph_hash

SEED = 20261126
START = datetime(2023, 1, 1)
DAYS = 3 * 365

# Most frequent first: function words, then news words. Their Zipf ranks make them common.
FUNCTION_WORDS = (
    "the of to and a in that for is on said with was he it as at by from his be have has "
    "are an they not this who but were will their had which its been would also after more "
    "year one about there new two when up than over people last first other into out all she "
    "we could can her while some may our three so no what only against percent told"
).split()
NEWS_WORDS = (
    "government minister police officials president state country week city according "
    "report security military election party court health public million water company "
    "region local authorities forces national leader economy workers market support "
    "international foreign border attack meeting policy plan power prices energy trade "
    "talks agreement crisis war peace law billion officers statement spokesman ministry "
    "elections elected electoral electorate voters campaign opposition parliament vote "
    "council director agency service children families hospital school budget tax banks "
    "investigation charges arrested killed injured fire storm flooding rescue emergency "
    "troops missile defence sanctions exports imports growth inflation unemployment "
    "protest protesters rally strike union industry factory oil gas prices farmers "
    "weather climate summit delegation embassy diplomat refugees migrants defectors "
    "village province capital district residents community victims survivors witnesses "
    "judge trial prison sentence lawyers evidence verdict appeal ruling constitution "
    "technology internet data phone digital network cyber science research university "
    "students teachers study scientists doctors patients vaccine virus disease outbreak "
    "football match team season coach players championship league stadium fans cup "
    "film music festival artist museum book author culture history heritage tourism"
).split()
COLLOCATIONS = (
    "prime minister",
    "united nations",
    "central bank",
    "human rights",
    "foreign ministry",
    "interest rates",
    "supreme court",
    "climate change",
)
SYLLABLES = (
    "ka ri to mo ne sa vi lo da pe ru ko ta mi no la be si go re an el or in us ar en "
    "val dor mer tin sol bra kel vor zan pol qui fen gar lis mon tek rav sul yor"
).split()
VOCABULARY_SIZE = 60_000
ZIPF_EXPONENT = 1.0
ZIPF_OFFSET = 2.7  # Zipf-Mandelbrot: flattens the very top a little, as real text does

# (name, kind, country code, latitude, longitude); most-named first.
PLACES = (
    ("United States", "country", "US", 38.9, -77.04),
    ("China", "country", "CN", 39.91, 116.4),
    ("Russia", "country", "RU", 55.75, 37.62),
    ("Ukraine", "country", "UA", 50.45, 30.52),
    ("United Kingdom", "country", "GB", 51.51, -0.13),
    ("India", "country", "IN", 28.65, 77.23),
    ("Israel", "country", "IL", 31.77, 35.22),
    ("France", "country", "FR", 48.85, 2.35),
    ("Germany", "country", "DE", 52.52, 13.4),
    ("Japan", "country", "JP", 35.69, 139.69),
    ("North Korea", "country", "KP", 39.03, 125.75),
    ("South Korea", "country", "KR", 37.57, 126.98),
    ("Brazil", "country", "BR", -15.78, -47.93),
    ("Nigeria", "country", "NG", 9.06, 7.49),
    ("Iran", "country", "IR", 35.69, 51.42),
    ("Turkey", "country", "TR", 39.92, 32.85),
    ("Mexico", "country", "MX", 19.43, -99.13),
    ("Australia", "country", "AU", -35.28, 149.13),
    ("Canada", "country", "CA", 45.42, -75.7),
    ("Kenya", "country", "KE", -1.28, 36.82),
    ("Washington", "city", "US", 38.9, -77.04),
    ("London", "city", "GB", 51.51, -0.13),
    ("Moscow", "city", "RU", 55.75, 37.62),
    ("Kyiv", "city", "UA", 50.45, 30.52),
    ("Beijing", "city", "CN", 39.91, 116.4),
    ("Paris", "city", "FR", 48.85, 2.35),
    ("New York", "city", "US", 40.71, -74.01),
    ("Delhi", "city", "IN", 28.65, 77.23),
    ("Tokyo", "city", "JP", 35.69, 139.69),
    ("Seoul", "city", "KR", 37.57, 126.98),
    ("Vladivostok", "city", "RU", 43.11, 131.87),
    ("Berlin", "city", "DE", 52.52, 13.4),
    ("Lagos", "city", "NG", 6.45, 3.4),
    ("Nairobi", "city", "KE", -1.28, 36.82),
    ("Sydney", "city", "AU", -33.87, 151.21),
    ("Toronto", "city", "CA", 43.7, -79.42),
    ("Istanbul", "city", "TR", 41.01, 28.95),
    ("Tehran", "city", "IR", 35.69, 51.42),
    ("Manchester", "city", "GB", 53.48, -2.24),
    ("Mumbai", "city", "IN", 19.07, 72.88),
    ("Primorsky Krai", "region", "RU", 45.0, 134.0),
    ("California", "region", "US", 37.0, -120.0),
    ("Texas", "region", "US", 31.0, -100.0),
    ("Bavaria", "region", "DE", 48.8, 11.5),
    ("Scotland", "region", "GB", 56.5, -4.2),
    ("Europe", "continent", None, 50.0, 10.0),
    ("Africa", "continent", None, 2.0, 21.0),
    ("Russian Far East", "area", "RU", 55.0, 140.0),
)

# The FTS sync triggers the full-text migration creates: <table>_ai, _ad, _au.
TRIGGERS = (
    "paragraphs_ai",
    "paragraphs_ad",
    "paragraphs_au",
    "articles_ai",
    "articles_ad",
    "articles_au",
)


# --- generating the database -------------------------------------------------------------


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Words by rank and the cumulative Zipf weights ``random.choices`` takes."""
    words: list[str] = [*FUNCTION_WORDS]
    news = [*NEWS_WORDS]
    # Collocations sit among the news words, so "prime minister" is a fairly common phrase.
    for i, phrase in enumerate(COLLOCATIONS):
        news.insert(20 + 25 * i, phrase)
    words += news
    seen = set(words)
    while len(words) < VOCABULARY_SIZE:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    cumulative: list[float] = []
    total = 0.0
    for rank in range(len(words)):
        total += 1.0 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT
        cumulative.append(total)
    return words, cumulative


class TextMaker:
    """Sentences and paragraphs of Zipf-distributed words."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words, self.cumulative = vocabulary(rng)

    def sentence(self, tokens: list[str]) -> str:
        text = " ".join(tokens)
        return text[0].upper() + text[1:] + "."

    def paragraph(self, place: str | None = None) -> str:
        rng = self.rng
        lengths = [rng.randint(9, 24) for _ in range(rng.randint(2, 3))]
        tokens = rng.choices(self.words, cum_weights=self.cumulative, k=sum(lengths))
        if place is not None:
            tokens.insert(rng.randrange(len(tokens)), f"in {place}")
        sentences = []
        start = 0
        for length in lengths:
            sentences.append(self.sentence(tokens[start : start + length]))
            start += length
        return " ".join(sentences)

    def title(self) -> str:
        length = self.rng.randint(5, 10)
        tokens = self.rng.choices(self.words, cum_weights=self.cumulative, k=length)
        return " ".join(tokens).capitalize()


def zipf_pick(rng: random.Random, n: int, exponent: float = 1.0) -> Callable[[], int]:
    cumulative: list[float] = []
    total = 0.0
    for rank in range(n):
        total += 1.0 / (rank + 1) ** exponent
        cumulative.append(total)
    indexes = range(n)
    return lambda: rng.choices(indexes, cum_weights=cumulative)[0]


def schema(db: sqlite3.Connection) -> list[tuple[str, str, str, str | None]]:
    return sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))


# Articles generated and inserted per executemany.
BATCH = 2_000


def generate(path: Path, articles: int, seed: int = SEED) -> None:
    """Create the schema with Alembic, then fill it in one sqlite3 transaction."""
    upgrade(f"sqlite:///{path}")
    rng = random.Random(seed)
    maker = TextMaker(rng)
    source_pick = zipf_pick(rng, 50, 0.8)
    place_pick = zipf_pick(rng, len(PLACES), 1.0)
    db = sqlite3.connect(path, isolation_level=None)
    before = schema(db)
    # The rows are committed batch by batch (a fresh file: a failed run is deleted, not
    # reused), so that memory stays bounded however many articles are made.
    db.execute("PRAGMA journal_mode=OFF")  # WAL is set back below
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-262144")
    db.execute("BEGIN")
    triggers = drop_triggers(db)
    sources = insert_sources(db, maker, rng)
    standing = [
        f"{name} works with a network of sources. {maker.paragraph()}" for _, name, _ in sources
    ]
    insert_places(db)
    make = ArticleMaker(rng, maker, sources, standing, source_pick, place_pick)
    paragraph_id = 0
    for first in range(1, articles + 1, BATCH):
        batch = [make.article(i) for i in range(first, min(first + BATCH, articles + 1))]
        paragraph_id = insert_articles(db, batch, paragraph_id)
        db.execute("COMMIT")
        db.execute("BEGIN")
        print(f"\r  {min(first + BATCH - 1, articles):,} articles", end="", file=sys.stderr)
    print(file=sys.stderr)
    own_stories(db)
    index(db, triggers, before)
    db.close()


def own_stories(db: sqlite3.Connection) -> None:
    """Make each article a story of its own, as ingest does for an article with no copy.

    ``articles.story_id`` defaults to 0: left so, every article would be one story and
    search (one hit per story) would list a single article and rank every match to
    find more. Databases generated before this step are mended when reused. The caller
    commits.
    """
    (unset,) = db.execute("SELECT count(*) FROM articles WHERE story_id = 0").fetchone()
    if not unset:
        return
    db.execute("UPDATE articles SET story_id = id WHERE story_id = 0")
    db.execute(
        "INSERT OR IGNORE INTO stories (id, first_article_id, articles, sources, "
        "first_published_at, last_published_at) "
        "SELECT id, id, 1, 1, published_at, published_at FROM articles"
    )


def drop_triggers(db: sqlite3.Connection) -> dict[str, str]:
    """Drop the FTS sync triggers for the load; returns their SQL, to create them again."""
    triggers = dict(
        db.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            f"AND name IN ({', '.join('?' * len(TRIGGERS))})",
            TRIGGERS,
        ).fetchall()
    )
    if sorted(triggers) != sorted(TRIGGERS):
        raise SystemExit(f"unexpected FTS triggers: {sorted(triggers)}")
    for name in TRIGGERS:
        db.execute(f'DROP TRIGGER "{name}"')
    return triggers


def insert_sources(
    db: sqlite3.Connection, maker: TextMaker, rng: random.Random
) -> list[tuple[int, str, str]]:
    """The 50 sources, as (id, name, category)."""
    sources = []
    for i in range(50):
        name = f"{maker.words[200 + i].capitalize()} {rng.choice(['News', 'Times', 'Daily'])}"
        sources.append((i + 1, f"{name} {i + 1}", rng.choice(["World", "Business", "Local"])))
    db.executemany("INSERT INTO sources (id, name, category) VALUES (?, ?, ?)", sources)
    return sources


def insert_places(db: sqlite3.Connection) -> None:
    """The locations of ``PLACES``, with ids from 1 in that order."""
    db.executemany(
        "INSERT INTO locations (id, name, kind, country_code, latitude, longitude, approximate, "
        "gazetteer_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (i + 1, name, kind, cc, lat, lon, int(kind != "city"), f"bench:{i + 1}")
            for i, (name, kind, cc, lat, lon) in enumerate(PLACES)
        ],
    )


@dataclass(frozen=True)
class Generated:
    """One generated article's rows, in the columns ``insert_articles`` names."""

    document: tuple[object, ...]
    article: tuple[object, ...]
    paragraphs: list[tuple[str, str]]  # (kind, text) by position
    links: list[tuple[int, int, str, int]]  # article_locations


@dataclass(frozen=True)
class ArticleMaker:
    """Makes articles one by one, drawing from one random generator in a fixed order."""

    rng: random.Random
    maker: TextMaker
    sources: list[tuple[int, str, str]]
    standing: list[str]  # each source's standing paragraph
    source_pick: Callable[[], int]
    place_pick: Callable[[], int]

    def article(self, article_id: int) -> Generated:
        """About 10 body paragraphs naming its places, the standing paragraph and a footer."""
        rng, maker = self.rng, self.maker
        source_id = self.source_pick() + 1
        published = START + timedelta(seconds=rng.randrange(DAYS * 86_400))
        named = {self.place_pick() for _ in range(rng.choice((0, 1, 1, 2, 3)))}
        page = self.place_pick() if rng.random() < 0.3 else None
        title = maker.title()
        names = [PLACES[i][0] for i in named]
        kinds_texts = [
            ("body", maker.paragraph(names[i] if i < len(names) else None))
            for i in range(rng.randint(7, 13))
        ]
        kinds_texts.append(("boilerplate", self.standing[source_id - 1]))
        kinds_texts.append(
            ("footer", f"{published:%B %d, %Y at %I:%M%p} by {self.sources[source_id - 1][1]}")
        )
        raw = (title + "\n\n" + "\n\n".join(t for _, t in kinds_texts)).encode()
        document = (
            article_id,
            f"bench/{article_id:07d}.txt",
            hashlib.sha256(raw).hexdigest(),
            len(raw),
            published.timestamp(),
            "utf-8",
            raw,
            "ingested",
        )
        article = (
            article_id,
            article_id,
            source_id,
            title,
            published.strftime("%Y-%m-%d %H:%M:%S.000000"),
            published.date().isoformat() if page else None,
            page + 1 if page is not None else None,
            round(rng.uniform(-10, 35), 1) if page is not None else None,
            content_hash(title, kinds_texts),
            "aggregator" if page is not None else "generic",
            "1",
        )
        links = [(article_id, i + 1, "mention", rng.randint(1, 4)) for i in named]
        if page is not None:
            links.append((article_id, page + 1, "page", 1))
        return Generated(document, article, kinds_texts, links)


def insert_articles(db: sqlite3.Connection, batch: list[Generated], paragraph_id: int) -> int:
    """Insert a batch of articles; paragraph ids follow ``paragraph_id``, returns the last."""
    paragraphs = []
    for generated in batch:
        for position, (kind, text) in enumerate(generated.paragraphs, start=1):
            paragraph_id += 1
            article_id = generated.article[0]
            paragraphs.append(
                (paragraph_id, article_id, position, kind, text, paragraph_hash(text))
            )
    db.executemany(
        "INSERT INTO documents (id, origin, sha256, size, mtime, encoding, raw, status) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [g.document for g in batch],
    )
    db.executemany(
        "INSERT INTO articles (id, document_id, source_id, title, published_at, page_date, "
        "page_location_id, page_temperature_c, content_hash, layout, parser_version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [g.article for g in batch],
    )
    db.executemany(
        "INSERT INTO paragraphs (id, article_id, position, kind, text, text_hash) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        paragraphs,
    )
    db.executemany(
        "INSERT INTO article_locations (article_id, location_id, role, mentions) "
        "VALUES (?, ?, ?, ?)",
        [link for g in batch for link in g.links],
    )
    return paragraph_id


def index(
    db: sqlite3.Connection,
    triggers: dict[str, str],
    before: list[tuple[str, str, str, str | None]],
) -> None:
    """Create the triggers again, rebuild and check both FTS indexes, commit; same schema."""
    for name in TRIGGERS:  # recreated with their own SQL, exactly as the migration made them
        db.execute(triggers[name])
    for fts in ("paragraphs_fts", "articles_fts"):
        db.execute(f"INSERT INTO {fts}({fts}) VALUES('rebuild')")
    db.execute("COMMIT")
    db.execute("PRAGMA journal_mode=WAL")
    for fts in ("paragraphs_fts", "articles_fts"):
        db.execute(f"INSERT INTO {fts}({fts}) VALUES('integrity-check')")
    if schema(db) != before:
        raise SystemExit("the generated database's schema differs from the migration's")


# --- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    category: str
    query: str


@dataclass(frozen=True)
class Setting:
    name: str
    filters: ArticleFilters


def load_module(path: Path | None) -> ModuleType:
    """The search measured: ``db.search``, or a copy of its folder (or of one module) instead."""
    if path is None:
        return default_search
    package = path.is_dir()
    if package:
        # The copy takes db.search's place, so that its own imports (db.search.fts5...)
        # find its modules, not the installed ones; nothing here holds those any more.
        for name in [m for m in sys.modules if m == "db.search" or m.startswith("db.search.")]:
            del sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        "db.search" if package else "search_under_test",
        path / "__init__.py" if package else path,
        submodule_search_locations=[str(path)] if package else None,
    )
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def pick_terms(db: sqlite3.Connection) -> list[Case]:
    """Queries by category; the rare ones are made-up words found in 20 to 100 paragraphs.

    (100 per 100,000 articles in larger databases, where no word is rarer.)
    """
    db.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, paragraphs_fts, row)")
    (articles,) = db.execute("SELECT count(*) FROM articles").fetchone()
    rare = [
        term
        for (term,) in db.execute(
            "SELECT term FROM temp.vocab WHERE doc BETWEEN 20 AND ? AND length(term) >= 7 "
            "ORDER BY doc DESC, term LIMIT 3",
            (max(100, articles // 1000),),
        )
    ]
    if len(rare) < 3:
        raise SystemExit("the database is too small to find rare terms")
    cases = [Case("common", q) for q in ("said", "government", "police", "minister")]
    cases += [Case("rare", q) for q in rare]
    cases += [
        Case("AND 2 terms", q)
        for q in ("government police", f"minister {rare[0]}", "verdict museum")
    ]
    cases += [Case("phrase", q) for q in ('"prime minister"', '"human rights"')]
    cases += [Case("prefix", q) for q in ("elect*", "prot*")]
    return cases


def settings(db: sqlite3.Connection) -> list[Setting]:
    filters = ArticleFilters
    (source,) = db.execute(
        "SELECT s.name FROM sources s JOIN articles a ON a.source_id = s.id "
        "GROUP BY s.id ORDER BY count(*) DESC LIMIT 1 OFFSET 4"
    ).fetchone()
    since = (START + timedelta(days=400)).date()
    return [
        Setting("no filter", filters()),
        Setting(f"source={source!r}", filters(source=source)),
        Setting("3 months", filters(since=since, until=since + timedelta(days=90))),
        Setting("place=Ukraine", filters(place="Ukraine")),
    ]


# --breakdown: the steps of db.search.topk and db.search.fts5 timed, per query.
STEPS = {
    "db.search.fts5": ("rank_articles_exact", "snippets"),
    "db.search.topk": (
        "rank_relevance",
        "rank_newest",
        "make_scorer",
        "score",
        "_from_list",
        "_by_titles",
        "_title_best",
        "_matching",
        "_best_matching",
        "_all_matching",
        "_walk",
        "_delta",
    ),
}
spent: Counter[str] = Counter()


def time_steps() -> None:
    """Wrap the steps of the search measured (its own modules) to add up their time.

    Nested steps count in each (``score`` within ``_by_titles``...).
    """
    for name, steps in STEPS.items():
        found = sys.modules.get(name)
        for step in steps:
            real = getattr(found, step, None)
            if real is None:  # another version of the code, without that step
                continue

            def timed(*args: object, _real: Any = real, _step: str = step, **kwargs: object) -> Any:
                start = time.perf_counter()
                try:
                    return _real(*args, **kwargs)
                finally:
                    spent[_step] += time.perf_counter() - start

            setattr(found, step, timed)


def breakdown(repeat: int) -> str:
    """The steps that took a millisecond or more per run, slowest first."""
    parts = [f"{step}={seconds * 1000 / repeat:.0f}" for step, seconds in spent.most_common()]
    spent.clear()
    return " ".join(p for p in parts if not p.endswith("=0"))


def timings(
    module: ModuleType, session: Session, case: Case, setting: Setting, sort: str, repeat: int
) -> Iterator[float]:
    module.search(session, case.query, setting.filters, limit=20, sort=sort)  # warm up
    spent.clear()
    for _ in range(repeat):
        start = time.perf_counter()
        module.search(session, case.query, setting.filters, limit=20, sort=sort)
        yield (time.perf_counter() - start) * 1000


def overlap(module: ModuleType, session: Session, case: Case, setting: Setting, sort: str) -> float:
    """Overlap@10: the share of exact bm25's top 10 articles that the search's top 10 holds.

    1.0 when both find nothing. With ``sort='newest'`` both are the 10 newest matches.
    """
    hits = module.search(session, case.query, setting.filters, limit=10, sort=sort)
    found = list(dict.fromkeys(h.article_id for h in hits))[:10]
    exact = [r[0] for r in EXACT(session, case.query, setting.filters, limit=10, sort=sort)]
    if not exact:
        return 1.0 if not found else 0.0
    return len(set(found) & set(exact)) / len(exact)


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def row(label: str, values: list[float], width: int = 40) -> str:
    median = statistics.median(values)
    return f"{label:<{width}} {len(values):>5} {median:>9.1f} {p95(values):>9.1f}"


def measure(path: Path, module: ModuleType, repeat: int, steps: bool = False) -> None:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    cases = pick_terms(db)
    setups = settings(db)
    counts = {
        case.query: db.execute(
            "SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH ?", (case.query,)
        ).fetchone()[0]
        for case in cases
    }
    db.close()
    engine = make_engine(f"sqlite:///{path}", readonly=True)
    by_row: dict[tuple[str, str], list[float]] = {}
    slowest: list[tuple[float, str]] = []
    overlaps: dict[str, list[float]] = {}
    worst: list[tuple[float, str]] = []
    with Session(engine) as session:
        for n, case in enumerate(cases, start=1):
            print(f"  query {n}/{len(cases)}: {case.query}", file=sys.stderr)
            for setting in setups:
                for sort in ("relevance", "newest"):
                    got = list(timings(module, session, case, setting, sort, repeat))
                    by_row.setdefault((case.category, setting.name), []).extend(got)
                    label = f"{case.query} | {setting.name} | {sort}"
                    slowest.append((statistics.median(got), label))
                    if steps:
                        print(
                            f"  {statistics.median(got):8.1f} ms  {label}  {breakdown(repeat)}",
                            file=sys.stderr,
                        )
                    share = overlap(module, session, case, setting, sort)
                    overlaps.setdefault(case.category, []).append(share)
                    worst.append((share, label))
    engine.dispose()

    print("\nqueries (paragraphs matching, any kind):")
    for case in cases:
        print(f"  {case.category:<12} {case.query:<32} {counts[case.query]:>9,}")
    print(f"\n{'category / filter':<40} {'runs':>5} {'median':>9} {'p95':>9}   (ms)")
    categories = dict.fromkeys(case.category for case in cases)
    for category in categories:
        for setting in setups:
            print(row(f"{category} / {setting.name}", by_row[(category, setting.name)]))
    print()
    for category in categories:
        values = [v for (c, _), vs in by_row.items() if c == category for v in vs]
        print(row(category, values))
    everything = [v for vs in by_row.values() for v in vs]
    print(row("overall", everything))
    print("\nslowest (median ms):")
    for median, label in sorted(slowest, reverse=True)[:5]:
        print(f"  {median:9.1f}  {label}")
    print(f"\noverlap@10 with exact bm25 ({EXACT.__module__}.{EXACT.__name__}):")
    print(f"{'category':<40} {'runs':>5} {'mean':>9} {'>= 0.9':>9}")
    for category, shares in overlaps.items():
        good = sum(1 for x in shares if x >= 0.9) / len(shares)
        print(f"{category:<40} {len(shares):>5} {statistics.mean(shares):>9.3f} {good:>9.0%}")
    shares = [x for xs in overlaps.values() for x in xs]
    good = sum(1 for x in shares if x >= 0.9) / len(shares)
    print(f"{'overall':<40} {len(shares):>5} {statistics.mean(shares):>9.3f} {good:>9.0%}")
    print("lowest overlaps:")
    for share, label in sorted(worst)[:5]:
        print(f"  {share:9.2f}  {label}")


def build_impacts(path: Path) -> None:
    """Build the impact lists (``newsstore db reindex``) unless they are up to date."""
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        if impacts.fresh(session):
            return
        start = time.perf_counter()

        def progress(done: int, total: int) -> None:
            print(f"\r  impact lists: {done:,}/{total:,} articles read", end="", file=sys.stderr)

        words = impacts.rebuild(session, progress)
        session.commit()
    engine.dispose()
    print(file=sys.stderr)
    print(f"impact lists: {words:,} words, built in {time.perf_counter() - start:.1f} s")


def describe(path: Path, seconds: float | None) -> None:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    (articles,) = db.execute("SELECT count(*) FROM articles").fetchone()
    (paragraphs,) = db.execute("SELECT count(*) FROM paragraphs").fetchone()
    (body,) = db.execute("SELECT count(*) FROM paragraphs WHERE kind = 'body'").fetchone()
    parts = dict(
        db.execute(
            "SELECT CASE WHEN name LIKE 'paragraphs_fts%' OR name LIKE 'articles_fts%' "
            "THEN 'FTS5 indexes' WHEN name LIKE 'search_%' THEN 'impact lists' ELSE 'other' END, "
            "sum(pgsize) FROM dbstat GROUP BY 1"
        ).fetchall()
    )
    db.close()
    size = path.stat().st_size
    made = f"generated in {seconds:.1f} s" if seconds is not None else "reused"
    print(f"database: {path} ({made}), {size / 2**20:,.0f} MiB")
    print(f"articles: {articles:,}  paragraphs: {paragraphs:,} ({body:,} body)")
    print(
        "bytes per article: "
        + ", ".join(f"{name} {n / articles:,.0f}" for name, n in sorted(parts.items()))
        + f"; file {size / articles:,.0f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000, help="articles to generate")
    parser.add_argument("--db", type=Path, help="keep the database here (reused if it exists)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="print each query's time and its steps' (ms per run) as it goes, on stderr",
    )
    parser.add_argument(
        "--module",
        type=Path,
        help="a copy of the db/search folder (or a module) to measure instead",
    )
    args = parser.parse_args()
    module = load_module(args.module)
    print(f"search module: {module.__file__}  SQLite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory() as tmp:
        path = (args.db or Path(tmp) / "bench.db").resolve()
        seconds = None
        if not path.exists():
            start = time.perf_counter()
            try:
                generate(path, args.articles)
            except BaseException:  # a half-made database must not be reused next time
                for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                    leftover.unlink(missing_ok=True)
                raise
            seconds = time.perf_counter() - start
        else:
            mend = sqlite3.connect(path, isolation_level=None)
            mend.execute("BEGIN")
            own_stories(mend)
            mend.execute("COMMIT")
            mend.close()
        build_impacts(path)
        describe(path, seconds)
        if args.breakdown:
            time_steps()
        measure(path, module, args.repeat, args.breakdown)
    print(f"\ntarget: median < 10 ms, p95 < 50 ms ({date.today().isoformat()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
