"""Shared fixtures: a fresh database per test, and a CLI runner pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from db.migrate import upgrade
from db.session import make_engine

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED = SEEDS / "000_1d9f090525d97fdf.txt"


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A URL for a database file that does not exist yet; also the environment's default."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    monkeypatch.setenv("NEWSSTORE_DATABASE_URL", url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a new database already at the head revision."""
    upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


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
