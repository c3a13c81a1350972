"""The ingest pipeline end to end: raw bytes kept, re-ingest a no-op, duplicates, failures."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from db.raw import unpack
from ingest import pipeline
from ingest.read import iter_paths
from tests.conftest import SEED, stored_raw, write

ARTICLE = "A plain headline\n\nFirst paragraph of the story.\n\nSecond paragraph, with more.\n"


def _ingest(engine: Engine, *paths: Path | str) -> list[str]:
    return [o.status for o in pipeline.run(engine, iter_paths([str(p) for p in paths]))]


def _one(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def test_seed_raw_bytes_are_stored_byte_for_byte(engine: Engine) -> None:
    assert _ingest(engine, SEED) == ["ingested"]
    assert stored_raw(engine) == SEED.read_bytes()
    assert _one(engine, "SELECT origin FROM documents") == str(SEED)


def test_plain_layout_gives_title_and_body(engine: Engine, tmp_path: Path) -> None:
    _ingest(engine, write(tmp_path / "a.txt", ARTICLE))
    assert _one(engine, "SELECT title FROM articles") == "A plain headline"
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT position, kind, text FROM paragraphs ORDER BY position")
        ).all()
    assert [tuple(r) for r in rows] == [
        (1, "body", "First paragraph of the story."),
        (2, "body", "Second paragraph, with more."),
    ]


def test_reingest_is_a_no_op(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "a.txt", ARTICLE)
    write(folder / "b.txt", ARTICLE.replace("plain", "second"))
    assert _ingest(engine, folder) == ["ingested", "ingested"]
    assert _ingest(engine, folder) == ["unchanged", "unchanged"]
    assert _one(engine, "SELECT count(*) FROM documents") == 2
    assert _one(engine, "SELECT count(*) FROM articles") == 2


def test_same_content_elsewhere_is_a_duplicate(engine: Engine, tmp_path: Path) -> None:
    first = write(tmp_path / "a.txt", ARTICLE)
    same_bytes = write(tmp_path / "b.txt", ARTICLE)
    same_text = write(
        tmp_path / "c.txt", ARTICLE.replace("\n", "\r\n").replace("story.", "story.   ")
    )
    assert _ingest(engine, first, same_bytes, same_text) == ["ingested", "duplicate", "duplicate"]
    first_id = _one(engine, "SELECT id FROM documents WHERE origin = :o", o=str(first))
    for dup in (same_bytes, same_text):
        assert (
            _one(engine, "SELECT duplicate_of FROM documents WHERE origin = :o", o=str(dup))
            == first_id
        )
        assert stored_raw(engine, "origin = :o", o=str(dup)) == dup.read_bytes()
    assert _one(engine, "SELECT count(*) FROM articles") == 1


def test_a_changed_file_is_stored_again(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", ARTICLE)
    _ingest(engine, path)
    write(path, ARTICLE + "\nA correction was added.\n")
    assert _ingest(engine, path) == ["ingested"]
    assert _one(engine, "SELECT count(*) FROM documents WHERE origin = :o", o=str(path)) == 2


def test_latin1_file_is_decoded_and_kept(engine: Engine, tmp_path: Path) -> None:
    data = "Striker joins for £15m\n\nThe club paid £15m, a record fee.\n".encode("latin-1")
    path = write(tmp_path / "l1.txt", data)
    assert _ingest(engine, path) == ["ingested"]
    assert _one(engine, "SELECT text FROM paragraphs") == "The club paid £15m, a record fee."
    assert _one(engine, "SELECT encoding FROM documents") == "cp1252"
    assert stored_raw(engine) == data


def test_bad_files_fail_alone_and_are_recorded(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "1-empty.txt", b"")
    write(folder / "2-binary.txt", b"\x00\x01\x02binary")
    write(folder / "3-good.txt", ARTICLE)
    outcomes = list(pipeline.run(engine, iter_paths([str(folder), str(tmp_path / "missing.txt")])))
    assert [o.status for o in outcomes] == ["failed", "failed", "ingested", "failed"]
    assert [o.error for o in outcomes if o.status == "failed"] == [
        "empty file",
        "binary content (NUL bytes), not text",
        "no such file",
    ]
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT status, error, raw, raw_codec FROM documents ORDER BY id")
        ).all()
    assert [r.status for r in rows] == ["failed", "failed", "ingested", "failed"]
    assert unpack(rows[1].raw, rows[1].raw_codec) == b"\x00\x01\x02binary"
    # Still failing on a second run, and not stored twice.
    assert [o.status for o in pipeline.run(engine, iter_paths([str(folder)]))] == [
        "failed",
        "failed",
        "unchanged",
    ]
    assert _one(engine, "SELECT count(*) FROM documents") == 4


def test_a_batch_ends_at_its_count_or_its_bytes(tmp_path: Path) -> None:
    """Workers hold a batch's bytes until written: big files make smaller batches."""
    sizes = {"a": 10, "b": 10, "c": 30, "d": 5, "e": 50, "f": 1, "g": 99}
    for name, size in sizes.items():
        write(tmp_path / f"{name}.txt", "x" * size)
    paths = [str(tmp_path / f"{name}.txt") for name in sizes] + [str(tmp_path / "missing.txt")]
    chunks = pipeline._chunked(paths, 3, 40, 60)
    names = [[Path(origin).stem for origin, _ in chunk] for chunk in chunks]
    # e (50 bytes) is over the limit alone; g is over max_size, refused unread: it weighs nothing.
    assert names == [["a", "b"], ["c", "d"], ["e"], ["f", "g", "missing"]]
    assert [len(c) for c in pipeline._chunked(paths, 3, 10**6, 10**6)] == [3, 3, 2]
