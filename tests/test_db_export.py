"""db.export: which articles are exported, and how they are written (JSON Lines, CSV)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from db.export import CSV_COLUMNS, ExportedArticle, export_articles, write_articles
from db.filters import ArticleFilters
from db.search import SearchError
from ingest.cli import app
from tests.conftest import SEEDS
from tests.test_cli_read import MALFORMED

ARTICLE = ExportedArticle(
    id=7,
    title="Ferry strike ends",
    source="Coast Wire",
    category=None,
    published_at="2025-04-05 09:00:00",
    page_date=None,
    page_location="Lisbon",
    url=None,
    revision=1,
    story_id=5,
    paragraphs=["Crews return.", "Unions said talks went well."],
    locations=[
        dict(
            name="Porto",
            kind="city",
            country_code="PT",
            latitude=41.1,
            longitude=-8.6,
            role="mention",
            mentions=2,
        )
    ],
)


def test_json_lines_hold_one_article_per_line() -> None:
    stream = io.StringIO()
    assert write_articles([ARTICLE, ARTICLE], stream) == 2
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == dict(
        id=7,
        title="Ferry strike ends",
        source="Coast Wire",
        category=None,
        published_at="2025-04-05 09:00:00",
        page_date=None,
        page_location="Lisbon",
        url=None,
        revision=1,
        story_id=5,
        paragraphs=["Crews return.", "Unions said talks went well."],
        locations=[ARTICLE.locations[0]],
    )


def test_csv_has_a_header_and_a_row_per_article() -> None:
    stream = io.StringIO()
    assert write_articles([ARTICLE], stream, "csv") == 1
    header, row = csv.reader(io.StringIO(stream.getvalue()))
    assert header == CSV_COLUMNS
    record = dict(zip(header, row, strict=True))
    assert record["body"] == "Crews return.\n\nUnions said talks went well."
    assert record["locations"] == "Porto (city, PT, mention x2)"
    assert record["category"] == "" and record["revision"] == "1"
    assert record["story_id"] == "5"


def test_nothing_to_export_is_a_header_alone_or_nothing() -> None:
    as_csv, as_jsonl = io.StringIO(), io.StringIO()
    assert write_articles([], as_csv, "csv") == 0 and write_articles([], as_jsonl) == 0
    assert list(csv.reader(io.StringIO(as_csv.getvalue()))) == [CSV_COLUMNS]
    assert as_jsonl.getvalue() == ""


def test_an_unknown_format_is_refused_before_anything_is_written() -> None:
    stream = io.StringIO()
    with pytest.raises(ValueError, match="no export format 'xml'"):
        write_articles([ARTICLE], stream, "xml")
    assert stream.getvalue() == ""


@pytest.fixture
def seeded(runner: CliRunner, engine: Engine) -> Engine:
    """The seeds ingested: one article, about defectors in Vladivostok."""
    assert runner.invoke(app, ["ingest", str(SEEDS)]).exit_code == 0
    return engine


def test_a_malformed_query_fails_at_the_call_not_later(seeded: Engine, backend: str) -> None:
    """The ranking runs when export_articles is called: no article is read or written first."""
    with Session(seeded) as session:
        for query in MALFORMED[backend]:
            with pytest.raises(SearchError, match="malformed query"):
                export_articles(session, query=query)


def test_a_query_and_filters_choose_together(seeded: Engine) -> None:
    with Session(seeded) as session:
        (article,) = export_articles(session, query="defectors")
        assert article.source == "DailyNK" and article.paragraphs
        assert list(export_articles(session, query="ferry")) == []
        nowhere = ArticleFilters(place="Porto")
        assert list(export_articles(session, nowhere, query="defectors")) == []
        assert list(export_articles(session, nowhere)) == []
        assert [a.id for a in export_articles(session)] == [article.id]
