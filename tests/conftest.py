"""Shared fixtures: a fresh database per test, and a CLI runner pointed at it.

The database fixtures (``db_url``, ``engine``) run every test that uses them
on SQLite, and on PostgreSQL too when ``NEWSSTORE_TEST_POSTGRES_URL`` names a
server (its user must be allowed to create databases): test ids end in
``[sqlite]`` and ``[postgresql]``. A test about SQLite itself (its file, its
PRAGMAs, its FTS5 tables, its one write lock) is marked
``@pytest.mark.sqlite_only(reason="why")`` and gets SQLite alone.

On PostgreSQL each test gets a database of its own, made by CREATE DATABASE
from a template (an empty one, or one already at the head revision, made once
per session) and dropped after the test. Names carry this process's id, so
two test runs on one server do not meet.
"""

from __future__ import annotations

import calendar
import hashlib
import itertools
import os
import random
import signal
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, create_engine, make_url, select, text
from typer.testing import CliRunner

from db.migrate import ensure_current, upgrade
from db.session import make_engine

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED = SEEDS / "000_1d9f090525d97fdf.txt"

POSTGRES_URL = os.environ.get("NEWSSTORE_TEST_POSTGRES_URL")
BACKENDS = ("sqlite", "postgresql") if POSTGRES_URL else ("sqlite",)
_PREFIX = f"newsstore_test_{os.getpid()}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(reason): the test is about SQLite; db_url and engine are SQLite"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that uses a database fixture once per backend."""
    if "backend" not in metafunc.fixturenames:
        return
    only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
    metafunc.parametrize("backend", ("sqlite",) if only_sqlite else BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database engine under test: 'sqlite' or 'postgresql'."""
    name: str = getattr(request, "param", "sqlite")
    return name


class PostgresDatabases:
    """Throwaway PostgreSQL databases on the test server, copied from templates."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        # Throwaway databases need not wait for the disk: their creation is 3-5 times faster.
        self.admin = create_engine(
            self.url,
            isolation_level="AUTOCOMMIT",
            connect_args={"options": "-c synchronous_commit=off"},
        )
        self.numbers = itertools.count()
        self.head: str | None = None

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    @contextmanager
    def fresh(self, *, at_head: bool) -> Iterator[str]:
        """The URL of a new database, empty or at the head revision, dropped afterwards.

        Dropping ends whatever connections the test left open on it.
        """
        template = self._head_template() if at_head else "template0"
        name = f"{_PREFIX}_{next(self.numbers)}"
        self._run(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        try:
            yield self.url_of(name)
        finally:
            self.drop(name)

    def drop(self, name: str) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        if self.head is not None:
            self.drop(self.head)
        self.admin.dispose()

    def _head_template(self) -> str:
        if self.head is None:
            name = f"{_PREFIX}_head"
            self._run(f'CREATE DATABASE "{name}" TEMPLATE template0')
            upgrade(self.url_of(name))  # disposes its engine: nobody stays connected
            self.head = name
        return self.head

    def _run(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(sql)


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    if not POSTGRES_URL:
        pytest.skip("NEWSSTORE_TEST_POSTGRES_URL is not set")
    databases = PostgresDatabases(POSTGRES_URL)
    yield databases
    databases.close()


@pytest.fixture
def postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """A URL for a new, empty PostgreSQL database (tests that compare engines use it)."""
    with postgres_databases.fresh(at_head=False) as url:
        yield url


@pytest.fixture
def db_url(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A URL for a new, empty database (on SQLite, a file not made yet); also the default.

    On PostgreSQL a test that also asks for ``engine`` gets its database at the
    head revision already, copied from a template: the same result as running
    the migrations, in a fraction of the time.
    """
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        monkeypatch.setenv("NEWSSTORE_DATABASE_URL", url)
        yield url
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    with databases.fresh(at_head="engine" in request.fixturenames) as url:
        monkeypatch.setenv("NEWSSTORE_DATABASE_URL", url)
        yield url


@pytest.fixture
def engine(db_url: str, backend: str) -> Iterator[Engine]:
    """An engine on a new database already at the head revision."""
    if backend == "sqlite":
        upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def aggregator_page(
    title: str,
    paragraphs: list[str],
    source: str = "Example Wire(World)",
    when: str = "March 1, 2025 at 10:15AM",
) -> str:
    """A page in the seed's aggregator layout: Lisbon's top bar, the body, the feed footer."""
    body = "\n\n".join(paragraphs)
    return (
        f"18.0 C\nLisbon\nMonday, March 3, 2025\n\n{title}\n\n{body}\n\n"
        f"{when}\n\nby {source}\n\nMost Popular Articles\n"
    )


@pytest.fixture(autouse=True)
def ctrl_c_heard() -> Iterator[None]:
    """Python's own Ctrl-C handler in every test, whatever this process inherited.

    A shell starts a background job with SIGINT ignored, and a child inherits that; the tests
    that raise SIGINT (in process or in a child) would then wait for ever instead of failing.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture(autouse=True)
def sqlite_callbacks_quiet() -> None:
    """sqlite3's default in every test: callback tracebacks off.

    Importing Datasette (the serve tests) turns them on for the whole process, and a
    test that raises Ctrl-C inside a progress handler then prints a traceback the
    newsstore command never shows.
    """
    sqlite3.enable_callback_tracebacks(False)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write(path: Path, text: str | bytes) -> Path:
    """Write a fixture file (text as UTF-8) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def ingest_pages(engine: Engine, folder: Path, pages: dict[str, str]) -> None:
    """Write ``pages`` (file name -> text) into ``folder`` and ingest the folder."""
    from ingest import pipeline  # the parsing stack, for the tests that ingest
    from ingest.read import iter_paths

    for name, body in pages.items():
        write(folder / name, body)
    list(pipeline.run(engine, iter_paths([str(folder)])))


def database_state(url: str) -> tuple[Any, ...]:
    """Everything a database holds, to tell whether a command changed it.

    Every row of every table, on either engine; for a SQLite file also the
    digest of its bytes, taken first (anything written at all changes them).
    """
    parsed = make_url(url)
    digest = None
    if parsed.get_backend_name() == "sqlite":
        digest = hashlib.sha256(Path(parsed.database or "").read_bytes()).hexdigest()
    engine = make_engine(url, readonly=True)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            rows = {
                name: connection.execute(
                    select(table).order_by(*(table.primary_key.columns or table.columns))
                ).all()
                for name, table in sorted(metadata.tables.items())
            }
    finally:
        engine.dispose()
    return digest, rows


def never_made(url: str) -> bool:
    """Whether nothing made the database at ``url``: no SQLite file, no table in PostgreSQL's."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return not Path(parsed.database or "").exists()
    return database_state(url) == (None, {})


# Places the gazetteer knows, for pages whose places make a map (tests of newsstore serve).
NEWS_PLACES = (
    "Paris",
    "Tokyo",
    "Nairobi",
    "Lima",
    "Sydney",
    "Toronto",
    "Cairo",
    "Mumbai",
    "Berlin",
    "Buenos Aires",
    "Jakarta",
    "Istanbul",
    "Mexico City",
    "Seoul",
    "Lagos",
    "Madrid",
)
NEWS_PAGES = 200  # a few hundred pages, with the seed: what newsstore serve is tested on
NEWS_SOURCES = ("Harbour Times(World)", "Daily Ledger(Business)", "Field Notes(Science)")


def news_pages(count: int, seed: int = 7) -> dict[str, str]:
    """``count`` distinct pages in the seed's layout, each naming places, over six months."""
    rng = random.Random(seed)
    pages = {}
    for n in range(count):
        first, second = rng.sample(NEWS_PLACES, 2)
        month = 1 + n % 6
        paragraphs = [
            f"Officials in {first} said on Tuesday that talks with delegates from {second} "
            f"would resume next week, the {n}th round this year.",
            f"Markets in {first} rose after the announcement, and traders in {second} "
            "expected the harbour works to go ahead.",
            "Residents said the ferry timetable had changed twice since the spring floods.",
        ]
        when = f"{calendar.month_name[month]} {1 + n % 27}, 2025 at {1 + n % 11:02d}:15AM"
        title = f"Harbour talks {n}: {first} and {second} agree on a timetable"
        pages[f"news_{n:04d}.txt"] = aggregator_page(
            title, paragraphs, source=rng.choice(NEWS_SOURCES), when=when
        )
    return pages


@pytest.fixture(scope="session")
def news_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file made once per session from ``seeds/`` and ``NEWS_PAGES`` pages."""
    folder = tmp_path_factory.mktemp("news")
    path = folder / "news.db"
    engine = make_engine(str(path))
    try:
        ensure_current(engine)
        ingest_pages(engine, folder / "pages", news_pages(NEWS_PAGES))
        ingest_pages(engine, SEEDS, {})
    finally:
        engine.dispose()
    return path


def stored_raw(engine: Engine, where: str = "1 = 1", **params: object) -> bytes | None:
    """The bytes of the first stored document ``where`` selects, as read (``documents.raw`` is
    stored compressed: ``db.raw.unpack``); None when it selects none."""
    from sqlalchemy.orm import Session

    from db.raw import unpack  # beside the one helper that needs it
    from db.raw_dictionaries import lookup

    with Session(engine) as session:
        row = session.execute(
            text(f"SELECT raw, raw_codec FROM documents WHERE {where} ORDER BY id"), params
        ).first()
        return None if row is None else unpack(row.raw, row.raw_codec, None, lookup(session))


_STORY_WORDS = (
    "harbour ferry council mayor storm school hospital bridge river market prices trade talks "
    "election court border workers villagers soldiers reporters minister officials police city "
    "country report government company shares bank energy water farmers capital week year"
).split()
_STORY_GLUE = "the of and to in a is that for on said with was as by at from".split()


def older_parser_refuses(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Make the plain-text layout fail as an older parser would; returns what undoes it.

    For the tests of a document that failed once and parses now (reparse, counts).
    """
    from ingest.errors import ParseError
    from ingest.parse.layouts import generic

    real = generic.parse

    def refuse(text: str) -> object:
        raise ParseError("an older parser that could not read this")

    monkeypatch.setattr(generic, "parse", refuse)
    return lambda: monkeypatch.setattr(generic, "parse", real)


def story_paragraphs(seed: int, paragraphs: int = 6, words: int = 40) -> list[str]:
    """Paragraphs of made-up news text, the same for the same seed (fixtures for stories)."""
    r = random.Random(seed)
    return [
        " ".join(
            r.choice(_STORY_GLUE) if r.random() < 0.4 else r.choice(_STORY_WORDS)
            for _ in range(words)
        ).capitalize()
        + "."
        for _ in range(paragraphs)
    ]
