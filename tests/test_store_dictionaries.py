"""Documents stored with their format's zstd dictionary (ingest.store.dictionaries): trained
once from a batch that holds enough of a format, used for every later document of it, and
every document read back exactly by show --raw, SQL, reparse and a copy of the database."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from db import raw_dictionaries
from db.copy import copy_database
from db.queries import article_raw
from db.raw import ZSTD, dictionary_id, unpack
from ingest.cli import app
from ingest.reparse import reparse
from tests.conftest import aggregator_page, ingest_pages

WORDS = "harbour ferry council mayor storm school bridge river market prices trade talks".split()


def pages(count: int, start: int = 0, seed: int = 3) -> dict[str, str]:
    """Distinct pages in the seed's layout."""
    rng = random.Random(seed)
    made = {}
    for n in range(start, start + count):
        body = [" ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + "." for _ in range(3)]
        made[f"p{n:05d}.txt"] = aggregator_page(f"Story {n}: {rng.choice(WORDS)} news", body)
    return made


def _documents(engine: Engine) -> list[tuple[int, bytes, str, int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, raw, raw_codec, size, sha256 FROM documents ORDER BY id")
        ).all()
    return [(row.id, bytes(row.raw), row.raw_codec, row.size, row.sha256) for row in rows]


def _all_read_back(engine: Engine) -> None:
    with Session(engine) as session:
        find = raw_dictionaries.lookup(session)
        for _, raw, codec, size, sha in _documents(engine):
            assert hashlib.sha256(unpack(raw, codec, size, find)).hexdigest() == sha


def test_a_batch_with_enough_of_a_format_trains_its_dictionary(
    engine: Engine, tmp_path: Path
) -> None:
    written = pages(raw_dictionaries.TRAIN_MIN + 20)
    ingest_pages(engine, tmp_path / "a", written)
    with Session(engine) as session:
        usable = raw_dictionaries.usable(session)
    assert list(usable) == ["text"] and usable["text"].id == raw_dictionaries.FIRST_ID
    documents = _documents(engine)
    assert len(documents) == len(written)
    # Every document of the batch, those packed before the dictionary existed included.
    assert {(codec, dictionary_id(raw)) for _, raw, codec, _, _ in documents} == {
        (ZSTD, raw_dictionaries.FIRST_ID)
    }
    _all_read_back(engine)
    # A later ingest, of a few files, uses it; no second one is trained.
    ingest_pages(engine, tmp_path / "b", pages(5, start=10_000))
    later = _documents(engine)[-5:]
    assert {dictionary_id(raw) for _, raw, _, _, _ in later} == {raw_dictionaries.FIRST_ID}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM raw_dictionaries")).scalar() == 1
    _all_read_back(engine)


def test_a_format_with_few_documents_in_a_batch_gets_none(engine: Engine, tmp_path: Path) -> None:
    ingest_pages(engine, tmp_path, pages(raw_dictionaries.TRAIN_MIN - 1))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM raw_dictionaries")).scalar() == 0
    assert {dictionary_id(raw) for _, raw, _, _, _ in _documents(engine)} == {0}
    _all_read_back(engine)


def test_show_raw_reparse_and_a_copy_read_documents_packed_with_a_dictionary(
    engine: Engine, db_url: str, tmp_path: Path, runner: CliRunner
) -> None:
    written = pages(raw_dictionaries.TRAIN_MIN + 4)
    ingest_pages(engine, tmp_path / "pages", written)
    first = (tmp_path / "pages" / "p00000.txt").read_bytes()
    result = runner.invoke(app, ["--db", db_url, "show", "1", "--raw"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == first
    with Session(engine) as session:
        assert article_raw(session, 1) == first
    before = _documents(engine)
    outcome = reparse(engine)
    assert (outcome.documents, outcome.unchanged, outcome.failed) == (len(written), len(written), 0)
    assert _documents(engine) == before  # reparse reads the bytes; it never rewrites them
    copy = tmp_path / "copy.db"
    copy_database(db_url, str(copy))
    result = runner.invoke(app, ["--db", str(copy), "show", "1", "--raw"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == first
