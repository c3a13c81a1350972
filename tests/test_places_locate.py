"""Places through the pipeline: mentions from body paragraphs only, the page city resolved."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from ingest import pipeline
from ingest.read import iter_paths
from tests.conftest import SEED, write
from tests.test_store import STANDING, page


def _rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(sql))]


def test_seed_places(engine: Engine) -> None:
    list(pipeline.run(engine, [str(SEED)]))
    mentions = _rows(
        engine,
        "SELECT l.name, l.kind, l.country_code, al.mentions FROM article_locations al "
        "JOIN locations l ON l.id = al.location_id WHERE al.role = 'mention' ORDER BY l.name",
    )
    assert mentions == [
        ("North Korea", "country", "KP", 2),
        ("Primorsky Krai", "region", "RU", 1),
        ("Russia", "country", "RU", 6),
        ("Russian Far East", "area", "RU", 1),
        ("Vladivostok", "city", "RU", 1),
    ]
    ((name, kind, code, latitude, longitude),) = _rows(
        engine,
        "SELECT l.name, l.kind, l.country_code, l.latitude, l.longitude "
        "FROM articles a JOIN locations l ON l.id = a.page_location_id",
    )
    assert (name, kind, code) == ("Delhi", "city", "IN")
    assert isinstance(latitude, float) and isinstance(longitude, float)
    assert (round(latitude, 2), round(longitude, 2)) == (28.65, 77.23)


def test_mention_offsets_point_at_the_surface(engine: Engine) -> None:
    list(pipeline.run(engine, [str(SEED)]))
    rows = _rows(
        engine,
        "SELECT p.text, m.start_offset, m.end_offset, m.surface FROM location_mentions m "
        "JOIN paragraphs p ON p.article_id = m.article_id AND p.position = m.paragraph_position "
        "WHERE m.form = 'name'",
    )
    assert len(rows) == 11  # and the adjectives: "Russian", "North Korean", ...
    for paragraph, start, end, surface in rows:
        assert isinstance(paragraph, str) and isinstance(start, int) and isinstance(end, int)
        assert paragraph[start:end] == surface


def test_places_in_learned_boilerplate_stop_counting(engine: Engine, tmp_path: Path) -> None:
    standing = STANDING.replace("across the region", "from its office in Lisbon, Portugal")
    for n, title in enumerate(["Bridge opens", "Dam repaired", "Port expands"]):
        doc = page(title, [f"The mayor of Porto spoke on day {n}."]).replace(STANDING, standing)
        write(tmp_path / f"{n}.txt", doc)
    list(pipeline.run(engine, iter_paths([str(tmp_path)])))
    counts = _rows(
        engine,
        "SELECT l.name, count(*) FROM article_locations al JOIN locations l "
        "ON l.id = al.location_id WHERE al.role = 'mention' GROUP BY l.name ORDER BY l.name",
    )
    assert counts == [("Porto", 3)]
    assert _rows(engine, "SELECT count(*) FROM location_mentions") == [(3,)]


def test_adjectives_have_a_role_of_their_own_and_stop_counting_in_boilerplate(
    engine: Engine, tmp_path: Path
) -> None:
    """A place named by name is a 'mention' link counting its names; one named only by an
    adjective an 'adjective' link; once the paragraph is boilerplate, neither counts."""
    standing = STANDING.replace("across the region", "and by Portuguese donors")
    for n, title in enumerate(["Bridge opens", "Dam repaired", "Port expands"]):
        body = f"Russian and Spanish engineers met in Russia on day {n}."
        write(tmp_path / f"{n}.txt", page(title, [body]).replace(STANDING, standing))
    list(pipeline.run(engine, iter_paths([str(tmp_path)])))
    links = _rows(
        engine,
        "SELECT l.name, al.role, sum(al.mentions) FROM article_locations al JOIN locations l "
        "ON l.id = al.location_id WHERE al.role != 'page' GROUP BY l.name, al.role ORDER BY l.name",
    )
    assert links == [("Russia", "mention", 3), ("Spain", "adjective", 3)]
    forms = _rows(engine, "SELECT form, count(*) FROM location_mentions GROUP BY form")
    assert sorted(forms) == [("adjective", 6), ("name", 3)]
