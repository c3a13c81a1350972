"""ingest.store.stories: copies grouped into stories as they are stored, on either engine."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from db.models import StorySetting
from ingest.fingerprint import fingerprint, paragraph_hash
from ingest.records import ParsedArticle, ParsedParagraph
from ingest.reparse import reparse
from ingest.signature import (
    BANDS,
    MAX_ANCHORS,
    paragraph_shingles,
    same_story,
    shingles,
    sign,
)
from ingest.store import Store
from ingest.store.stories import check_settings, regroup, stored_settings, unpack_keys
from tests.conftest import aggregator_page, ingest_pages, story_paragraphs

LEAD = "A lead paragraph of the site's own, written for its readers this very morning."


def _stories(engine: Engine) -> dict[str, int]:
    """title -> story id."""
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT title, story_id FROM articles")).all())


def _partition(engine: Engine) -> set[frozenset[str]]:
    found: dict[int, set[str]] = {}
    for title, story in _stories(engine).items():
        found.setdefault(story, set()).add(title)
    return {frozenset(titles) for titles in found.values()}


def _keys_agree(engine: Engine) -> int:
    """The band rows are exactly those the articles' signatures name; how many articles are signed.

    (No index by article: a row an article rewritten or deleted left behind would stay.)
    """
    with engine.connect() as connection:
        rows = set(connection.execute(text("SELECT band, key, article_id FROM story_bands")).all())
        signed = connection.execute(text("SELECT article_id, bands FROM story_signatures")).all()
        articles = set(connection.execute(text("SELECT id FROM articles")).scalars())
    named = {
        (band, key, article_id)
        for article_id, packed in signed
        for band, key in enumerate(unpack_keys(bytes(packed)))
    }
    assert {tuple(r) for r in rows} == named
    assert {article_id for article_id, _ in signed} <= articles
    assert all(len(packed) == 8 * BANDS for _, packed in signed)
    return len(signed)


def _pages(update_source: str = "Wire A(World)") -> dict[str, str]:
    """Story 1: an original, a wire copy, an excerpt, an update; story 2 alone; story 3 alone."""
    one, two, three = story_paragraphs(1), story_paragraphs(2), story_paragraphs(3)
    return {
        "a.txt": aggregator_page("Original", one, "Wire A(World)", "March 2, 2025 at 9:00AM"),
        "b.txt": aggregator_page(
            "Copy", [LEAD, *one[:-1]], "Site B(World)", "March 3, 2025 at 9:00AM"
        ),
        "c.txt": aggregator_page("Excerpt", one[:2], "Site C(World)", "March 4, 2025 at 9:00AM"),
        "d.txt": aggregator_page(
            "Update", [*one, *story_paragraphs(4, 1)], update_source, "March 5, 2025 at 9:00AM"
        ),
        "e.txt": aggregator_page("Other", two, "Wire A(World)"),
        "f.txt": aggregator_page("Third", three, "Site B(World)"),
    }


def test_copies_excerpts_and_updates_join_one_story(engine: Engine, tmp_path: Path) -> None:
    ingest_pages(engine, tmp_path, _pages())
    assert _partition(engine) == {
        frozenset({"Original", "Copy", "Excerpt", "Update"}),
        frozenset({"Other"}),
        frozenset({"Third"}),
    }
    with engine.connect() as connection:
        story = connection.execute(
            text(
                "SELECT s.articles, s.sources, a.title FROM stories s"
                " JOIN articles a ON a.id = s.first_article_id WHERE s.articles > 1"
            )
        ).one()
        similarity = dict(
            connection.execute(text("SELECT title, story_similarity FROM articles")).all()
        )
        bands = connection.execute(text("SELECT count(*) FROM story_bands")).scalar()
    assert tuple(story) == (4, 3, "Original")  # the earliest published is the first
    assert similarity["Original"] == 1.0 and similarity["Other"] == 1.0
    assert 0.5 < similarity["Copy"] < 1.0 and similarity["Excerpt"] < similarity["Copy"]
    assert bands == BANDS * 6


def test_a_copy_ingested_later_joins_its_story(engine: Engine, tmp_path: Path) -> None:
    pages = _pages()
    ingest_pages(engine, tmp_path / "first", {"a.txt": pages["a.txt"], "e.txt": pages["e.txt"]})
    ingest_pages(engine, tmp_path / "later", {"b.txt": pages["b.txt"]})
    stories = _stories(engine)
    assert stories["Copy"] == stories["Original"] != stories["Other"]


def test_two_runs_group_as_one_run_does(engine: Engine, tmp_path: Path) -> None:
    pages = _pages()
    ingest_pages(engine, tmp_path / "all", pages)
    once = _partition(engine)
    with engine.begin() as connection:
        for table in ("story_bands", "location_mentions", "article_locations", "paragraphs"):
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("DELETE FROM articles"))
        connection.execute(text("DELETE FROM stories"))
        connection.execute(text("DELETE FROM source_paragraphs"))
        connection.execute(text("DELETE FROM documents"))
    # The excerpt and the update first, then what links them to the original.
    ingest_pages(engine, tmp_path / "one", {k: pages[k] for k in ("c.txt", "d.txt", "f.txt")})
    ingest_pages(engine, tmp_path / "two", {k: pages[k] for k in ("a.txt", "b.txt", "e.txt")})
    assert _partition(engine) == once


def test_an_article_matching_two_stories_merges_them(engine: Engine, tmp_path: Path) -> None:
    # Two paragraphs each, so that the roundup's first long paragraphs, which it looks up
    # (``signature.MAX_ANCHORS``), hold both stories: found whatever the band keys say.
    one, two = story_paragraphs(11, 2), story_paragraphs(12, 2)
    assert 2 * len(one) <= MAX_ANCHORS
    ingest_pages(
        engine,
        tmp_path / "first",
        {
            "a.txt": aggregator_page("First half", one, "Wire A(World)"),
            "b.txt": aggregator_page("Second half", two, "Wire B(World)"),
        },
    )
    assert len(set(_stories(engine).values())) == 2
    # A roundup carrying both whole: each is contained in it.
    ingest_pages(
        engine, tmp_path / "later", {"c.txt": aggregator_page("Both", [*one, *two], "Site C(W)")}
    )
    stories = _stories(engine)
    assert len(set(stories.values())) == 1
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*), max(articles) FROM stories")).one() == (
            1,
            3,
        )


def test_an_exact_duplicate_stays_a_duplicate_document(engine: Engine, tmp_path: Path) -> None:
    page = aggregator_page("Original", story_paragraphs(1), "Wire A(World)")
    ingest_pages(engine, tmp_path, {"a.txt": page, "b.txt": page + "\n"})
    with engine.connect() as connection:
        statuses = sorted(connection.execute(text("SELECT status FROM documents")).scalars())
        assert connection.execute(text("SELECT count(*) FROM stories")).scalar() == 1
    assert statuses == ["duplicate", "ingested"]


def _record(title: str, paragraphs: list[str]) -> object:
    return fingerprint(
        ParsedArticle(
            title=title,
            paragraphs=tuple(ParsedParagraph(p) for p in paragraphs),
            layout="plain",
            parser_version="1",
        )
    )


def test_an_article_rewritten_with_another_body_leaves_its_story(
    engine: Engine, tmp_path: Path
) -> None:
    ingest_pages(engine, tmp_path, _pages())
    stories = _stories(engine)
    with engine.connect() as connection:
        copy_id, document_id = connection.execute(
            text("SELECT id, document_id FROM articles WHERE title = 'Copy'")
        ).one()
    with Session(engine) as session, session.begin():
        store = Store(session)
        store.replace_article(document_id, copy_id, _record("Copy", story_paragraphs(99)))  # type: ignore[arg-type]
        store.regroup_rewritten()
    after = _stories(engine)
    assert after["Copy"] not in {after["Original"], after["Other"], after["Third"]}
    assert after["Original"] == after["Excerpt"] == after["Update"] == stories["Original"]
    with engine.connect() as connection:
        sizes = sorted(connection.execute(text("SELECT articles FROM stories")).scalars())
    assert sizes == [1, 1, 1, 3]
    assert _keys_agree(engine) == 6


def test_reparse_keeps_the_stories(engine: Engine, tmp_path: Path) -> None:
    # The original and its update share their paragraphs and their source: rewriting one
    # must not count them for the source a third time (they would pass for boilerplate).
    ingest_pages(engine, tmp_path, _pages())
    before = _partition(engine)
    with engine.begin() as connection:  # as if the parser had changed: every article rewritten
        connection.execute(text("UPDATE articles SET parser_version = 'old'"))
    result = reparse(engine)
    assert result.changed == 6
    assert _partition(engine) == before
    assert _keys_agree(engine) == 6


def test_regroup_derives_every_story_again(engine: Engine, tmp_path: Path) -> None:
    ingest_pages(engine, tmp_path, _pages())
    before = _partition(engine)
    with Session(engine) as session, session.begin():
        assert regroup(session, None, bands=True) == 6
    assert _partition(engine) == before
    assert _keys_agree(engine) == 6


def test_changed_settings_regroup_the_store(engine: Engine, tmp_path: Path) -> None:
    ingest_pages(engine, tmp_path, _pages())
    before = _partition(engine)
    with Session(engine) as session, session.begin():
        session.query(StorySetting).filter_by(name="bands").update({"value": "16"})
        session.execute(text("DELETE FROM story_bands"))
    with Session(engine) as session, session.begin():
        assert check_settings(session) is True
        assert stored_settings(session)["bands"] == str(BANDS)
        assert check_settings(session) is False
    assert _partition(engine) == before
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM story_bands")).scalar() == BANDS * 6
    assert _keys_agree(engine) == 6


def test_a_paragraph_beyond_an_articles_first_anchors_groups_it_in_neither_order(
    engine: Engine, tmp_path: Path
) -> None:
    # A short article made of two late paragraphs of a long one: contained in it, but its
    # paragraphs are not among the long one's first anchors, and they share no band key.
    # Each article looks up only its own first anchors, so whichever comes first, the two
    # are not compared: the grouping does not depend on the order they are stored in.
    long = story_paragraphs(31, MAX_ANCHORS + 4)
    late = long[MAX_ANCHORS + 1 : MAX_ANCHORS + 3]
    signed = [sign([(p, paragraph_hash(p)) for p in body]) for body in (long, late)]
    assert not any(a == b for a, b in zip(signed[0].bands, signed[1].bands, strict=True))
    assert same_story(
        shingles(long), shingles(late), paragraph_shingles(long), paragraph_shingles(late)
    )
    pages = {
        "long.txt": aggregator_page("Long", long, "Wire A(World)"),
        "late.txt": aggregator_page("Late", late, "Site B(World)"),
    }
    groupings = []
    for first, second in (("long.txt", "late.txt"), ("late.txt", "long.txt")):
        folder = tmp_path / first
        with engine.begin() as connection:
            for table in ("story_bands", "story_signatures", "location_mentions"):
                connection.execute(text(f"DELETE FROM {table}"))
            for table in ("article_locations", "paragraphs", "articles", "stories"):
                connection.execute(text(f"DELETE FROM {table}"))
            for table in ("source_paragraphs", "documents", "counts"):
                connection.execute(text(f"DELETE FROM {table}"))
        ingest_pages(engine, folder / "one", {first: pages[first]})
        ingest_pages(engine, folder / "two", {second: pages[second]})
        groupings.append(_partition(engine))
    assert groupings[0] == groupings[1] == {frozenset({"Long"}), frozenset({"Late"})}
