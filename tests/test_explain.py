"""Explanations of paragraph kinds, including boilerplate learned across a source."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.queries import article_detail
from ingest import pipeline
from ingest.explain import explain, explain_all
from ingest.read import iter_paths
from tests.conftest import write
from tests.test_store import STANDING, page


def test_learned_boilerplate_is_explained_by_its_count(engine: Engine, tmp_path: Path) -> None:
    for n, title in enumerate(["Bridge opens", "Dam repaired", "Port expands"]):
        write(tmp_path / f"{n}.txt", page(title, [f"Story number {n}."]))
    list(pipeline.run(engine, iter_paths([str(tmp_path)])))
    with Session(engine) as session:
        detail = article_detail(session, 1)
        assert detail is not None
        reasons = {e.text: (e.kind, e.reason) for e in explain(session, detail)}
    assert reasons[STANDING] == (
        "boilerplate",
        "learned: found in 3 articles of Example Wire (boilerplate from 3)",
    )
    assert reasons["Story number 0."][0] == "body"
    assert reasons["March 1, 2025 at 10:15AM"] == ("footer", "footer time line")


def test_place_names_are_explained_by_their_evidence(engine: Engine, tmp_path: Path) -> None:
    write(
        tmp_path / "1.txt",
        page("Crash", ["Deputies in Alachua County said the crash closed a road in Gainesville."]),
    )
    list(pipeline.run(engine, iter_paths([str(tmp_path)])))
    with Session(engine) as session:
        detail = article_detail(session, 1)
        assert detail is not None
        _, places = explain_all(session, detail)
    why = {p.surface: (p.place, p.reason) for p in places}
    assert why["Alachua County"] == (
        "Alachua County (region, US-FL)",
        "a place name that needs no evidence; its only reading",
    )
    place, reason = why["Gainesville"]
    assert place == "Gainesville (city, US-FL)"
    # The county it lies in is named: nearness, the most specific evidence, is given.
    assert "near a town or in a county the article names" in reason
