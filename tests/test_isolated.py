"""ingest.isolated: documents in hand prepared in workers that a hang or a death cannot stop."""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ingest import pipeline, workers
from ingest import prepare as prepare_module
from ingest.isolated import prepare_isolated
from ingest.prepare import prepare
from ingest.read import iter_paths
from ingest.records import PreparedDocument, RawDocument
from ingest.reparse import reparse

STORY = "Floods in {n}\n\nThe river rose over the banks of town {n} overnight, and roads closed.\n"


def _raw(n: int, marker: str = "") -> RawDocument:
    data = (STORY.format(n=n) + marker).encode()
    return RawDocument(origin=f"/in/{n:02}.txt", raw=data, sha256=hashlib.sha256(data).hexdigest())


def _hostile(raw: RawDocument) -> PreparedDocument:
    """``prepare``, but a page marked HANG never returns and one marked DIE kills its process."""
    if b"HANG" in raw.raw:
        while True:  # never returns, whatever the machine's speed
            pass
    if b"DIE" in raw.raw:
        os.kill(os.getpid(), signal.SIGKILL)
    return prepare(raw)


def _titles(prepared: list[PreparedDocument]) -> list[str | None]:
    return [p.articles[0].article.title if p.articles else p.reason for p in prepared]


def test_documents_come_back_prepared_in_the_order_given() -> None:
    raws = [_raw(n) for n in range(7)]
    got = list(prepare_isolated(raws, workers=2))
    assert [p.raw for p in got] == raws
    assert got == [prepare(raw) for raw in raws]


def test_a_document_that_never_finishes_fails_alone_and_the_others_go_on() -> None:
    raws = [_raw(n, "HANG" if n == 2 else "") for n in range(6)]
    # Five seconds for a page of a few lines: a thousand times what it takes.
    got = list(prepare_isolated(raws, workers=2, limit=5.0, preparer=_hostile))
    assert [p.raw for p in got] == raws
    assert _titles(got) == [
        "Floods in 0",
        "Floods in 1",
        "too slow",
        "Floods in 3",
        "Floods in 4",
        "Floods in 5",
    ]
    assert got[2].error == "parsing it took more than 5 s: stopped"


def test_a_document_that_kills_its_process_fails_alone_and_the_others_go_on() -> None:
    raws = [_raw(n, "DIE" if n in (1, 4) else "") for n in range(6)]
    got = list(prepare_isolated(raws, workers=2, preparer=_hostile))
    assert [p.raw for p in got] == raws
    assert _titles(got) == [
        "Floods in 0",
        "worker died",
        "Floods in 2",
        "Floods in 3",
        "worker died",
        "Floods in 5",
    ]
    assert got[1].error is not None and "died" in got[1].error


def test_an_empty_input_starts_nothing_and_gives_nothing() -> None:
    assert list(prepare_isolated([], workers=2)) == []


def test_reparse_is_not_hung_by_a_document_that_timed_out_at_ingest(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page that hangs the parser is kept as failed at ingest; reparse must get past it too."""
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(4):
        (folder / f"{n:02}.txt").write_text(STORY.format(n=n) + ("HANG" if n == 1 else ""))
    real = prepare_module.parse_document

    def stuck(raw: RawDocument, max_size: int = 0) -> object:
        if b"HANG" in raw.raw:
            while True:
                pass
        return real(raw, max_size) if max_size else real(raw)

    monkeypatch.setattr(prepare_module, "parse_document", stuck)
    monkeypatch.setattr(workers, "TIME_BASE", 5.0)
    monkeypatch.setattr(workers, "TIME_PER_MIB", 0.0)
    outcomes = list(pipeline.run(engine, list(iter_paths([str(folder)])), workers=1))
    assert [o.reason for o in outcomes if o.status == "failed"] == ["too slow"]
    result = reparse(engine)
    assert (result.documents, result.failed, result.unchanged) == (4, 1, 3)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM documents")).scalar() == 4
        assert connection.execute(text("SELECT count(*) FROM articles")).scalar() == 3
