"""db.counts: what stats prints, kept exact by the store through ingest, reparse and removal."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from db import counts, migrate
from db.copy import copy_database
from db.counts import check, read_counts, recount, stored
from db.optimize import optimize
from db.queries import stats
from db.session import make_engine
from ingest import pipeline
from ingest.parse.layouts import generic as body
from ingest.read import iter_paths
from ingest.reparse import reparse
from ingest.store import rewrite
from tests.conftest import aggregator_page, older_parser_refuses, write


def _pages(folder: Path, first: int, n: int) -> None:
    """``n`` pages from three sources over three months, and one dated by no footer at all."""
    months = ["January 5, 2024", "February 9, 2024", "March 30, 2025"]
    for i in range(first, first + n):
        source = f"Wire {i % 3}(World)"
        when = f"{months[i % 3]} at 10:15AM"
        paragraphs = [f"Paragraph {k} of story {i} on the harbour." for k in range(1 + i % 4)]
        write(folder / f"{i}.txt", aggregator_page(f"Story {i}", paragraphs, source, when))


def _ingest(engine: Engine, *paths: Path) -> None:
    list(pipeline.run(engine, iter_paths([str(p) for p in paths])))


def _old_stats(engine: Engine) -> tuple[list[tuple[str, int]], list[tuple[str, int]], dict, int]:
    """The counts as stats made them before ``db.counts``: every row counted."""
    with engine.connect() as c:
        by_source = sorted(
            (
                (name or "(no source)", n)
                for name, n in c.execute(
                    text(
                        "SELECT s.name, count(a.id) FROM articles a "
                        "LEFT JOIN sources s ON s.id = a.source_id GROUP BY s.name"
                    )
                )
            ),
            key=lambda item: (-item[1], item[0]),
        )
        month = "substr(CAST(published_at AS VARCHAR(32)), 1, 7)"
        months = c.execute(text(f"SELECT {month}, count(*) FROM articles GROUP BY {month}")).all()
        by_month = [("(undated)", n) for m, n in months if m is None]
        by_month += sorted((m, n) for m, n in months if m is not None)
        by_status = text("SELECT status, count(*) FROM documents GROUP BY status")
        statuses = {status: n for status, n in c.execute(by_status)}
        paragraphs = c.execute(text("SELECT count(*) FROM paragraphs")).scalar_one()
    return by_source, by_month, statuses, paragraphs


def _assert_exact(engine: Engine) -> None:
    with Session(engine) as session:
        assert check(session) == {}
        got = stats(session)
    by_source, by_month, statuses, paragraphs = _old_stats(engine)
    assert got.by_source == by_source
    assert got.by_month == by_month
    assert got.documents == statuses
    assert got.paragraphs == paragraphs
    assert got.articles == sum(n for _, n in by_source)


def test_counts_stay_exact_across_two_ingests(engine: Engine, tmp_path: Path) -> None:
    _pages(tmp_path / "one", 0, 7)
    write(tmp_path / "one" / "undated.txt", "A plain headline\n\nJust a paragraph.\n")
    write(tmp_path / "one" / "empty.txt", b"")  # fails: no article
    _ingest(engine, tmp_path / "one")
    _assert_exact(engine)
    with Session(engine) as session:
        kept = read_counts(session)
    assert kept.articles == 8
    assert kept.by_month[0] == ("(undated)", 1)
    assert ("2024-01", 3) in kept.by_month
    assert kept.documents["failed"] == 1
    # A second ingest: new pages, the same pages again, and a copy of one under another name.
    _pages(tmp_path / "two", 7, 5)
    write(tmp_path / "two" / "copy.txt", (tmp_path / "one" / "3.txt").read_bytes())
    _ingest(engine, tmp_path / "one", tmp_path / "two")
    _assert_exact(engine)
    with Session(engine) as session:
        kept = read_counts(session)
    assert kept.articles == 13
    assert kept.documents.get("duplicate") == 1


def test_counts_stay_exact_when_reparse_rewrites_and_adds(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pages(tmp_path, 0, 5)
    write(tmp_path / "plain.txt", "A headline\n\nAnd its only paragraph.\n")
    parses_again = older_parser_refuses(monkeypatch)
    _ingest(engine, tmp_path)
    with Session(engine) as session:
        assert read_counts(session).documents == {"ingested": 5, "failed": 1}
    parses_again()
    monkeypatch.setattr(body, "VERSION", f"{body.VERSION}+1")
    result = reparse(engine)
    assert result.added == 1
    _assert_exact(engine)
    with Session(engine) as session:
        assert read_counts(session).documents == {"ingested": 6}


def test_removing_articles_takes_them_out_of_every_count(engine: Engine, tmp_path: Path) -> None:
    _pages(tmp_path, 0, 6)
    _ingest(engine, tmp_path)
    with engine.connect() as c:
        ids = list(
            c.execute(
                text(
                    "SELECT a.id FROM articles a JOIN sources s ON s.id = a.source_id "
                    "WHERE s.name = 'Wire 1' ORDER BY a.id"
                )
            ).scalars()
        )
    assert len(ids) == 2
    with Session(engine) as session:
        for article_id in ids:
            rewrite.delete_article(session, article_id)
        rewrite.delete_article(session, 10**9)  # no such article: nothing changes
        session.commit()
    _assert_exact(engine)
    with Session(engine) as session:
        kept = read_counts(session)
        assert "Wire 1" not in dict(kept.by_source)  # its count fell to 0: the row is gone
        assert "2024-02" not in dict(kept.by_month)
        assert all(n > 0 for n in stored(session).values())


def test_a_rolled_back_write_takes_its_counts_with_it(engine: Engine, tmp_path: Path) -> None:
    _pages(tmp_path, 0, 3)
    _ingest(engine, tmp_path)
    with engine.connect() as c:
        article_id = c.execute(text("SELECT min(id) FROM articles")).scalar_one()
    with Session(engine) as session:
        with pytest.raises(RuntimeError), session.begin_nested():
            rewrite.delete_article(session, article_id)
            raise RuntimeError("refused")
        session.commit()
    _assert_exact(engine)


def test_recount_and_optimize_put_drifted_counts_right(engine: Engine, tmp_path: Path) -> None:
    _pages(tmp_path, 0, 4)
    _ingest(engine, tmp_path)
    with Session(engine) as session:
        right = stored(session)
        counts.add(session, {(counts.PARAGRAPHS, counts.NONE): 5, (counts.MONTH, "1999-01"): 2})
        session.commit()
        drift = check(session)
    assert drift == {
        (counts.MONTH, "1999-01"): (2, 0),
        (counts.PARAGRAPHS, counts.NONE): (
            right[(counts.PARAGRAPHS, counts.NONE)] + 5,
            right[(counts.PARAGRAPHS, counts.NONE)],
        ),
    }
    done = optimize(engine, vacuum=False)
    assert any(s.name == "counts" and "2 were off" in s.outcome for s in done.steps)
    with Session(engine) as session:
        assert stored(session) == right
        counts.add(session, {(counts.STATUS, "failed"): 3})
        assert recount(session) == len(right)
        assert check(session) == {}


def test_the_upgrade_fills_counts_from_the_rows_already_stored(db_url: str, tmp_path: Path) -> None:
    migrate.upgrade(db_url)
    _pages(tmp_path, 0, 5)
    write(tmp_path / "undated.txt", "A plain headline\n\nJust a paragraph.\n")
    engine = make_engine(db_url)
    try:
        _ingest(engine, tmp_path)
        with Session(engine) as session:
            before = stored(session)
        engine.dispose()
        migrate.downgrade(db_url, "5d1e8a7c3b20")
        with engine.connect() as c:
            assert "counts" not in set(
                c.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables"
                        if c.dialect.name == "postgresql"
                        else "SELECT name FROM sqlite_master WHERE type = 'table'"
                    )
                ).scalars()
            )
        engine.dispose()
        migrate.upgrade(db_url)
        with Session(engine) as session:
            assert stored(session) == before
            assert check(session) == {}
            # 3 sources and none, 3 months and undated, one status, the paragraphs
            assert len(before) == 4 + 4 + 1 + 1
    finally:
        engine.dispose()


def test_a_copied_database_has_its_counts(engine: Engine, tmp_path: Path) -> None:
    _pages(tmp_path / "pages", 0, 5)
    _ingest(engine, tmp_path / "pages")
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    copy_database(engine.url, target)
    copied = make_engine(target)
    try:
        with Session(engine) as session, Session(copied) as other:
            assert stored(other) == stored(session)
            assert check(other) == {}
    finally:
        copied.dispose()
