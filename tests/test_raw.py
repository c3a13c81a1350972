"""Raw documents as stored (db.raw): compressed by ingest, read back exactly by every reader,
rows stored before compression (raw_codec NULL) still read as they are."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
import zstandard
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from db import raw as stored
from db.queries import article_detail, article_raw
from db.raw import RawCodecError, pack, raw_bytes, unpack
from ingest.cli import app
from ingest.explain import explain_all
from ingest.reparse import reparse
from tests.conftest import SEED, write
from tests.test_reparse import _ingest, _snapshot
from tests.test_store import page

NOISE = random.Random(7).randbytes(3000)  # what zstd cannot make smaller


def test_pack_compresses_text_and_unpack_gives_the_same_bytes() -> None:
    data = SEED.read_bytes()
    packed = pack(data)
    assert packed.codec == stored.ZSTD and packed.size < len(data) * 0.6
    assert unpack(packed.data, packed.codec) == data


@pytest.mark.parametrize("data", [b"", NOISE, b"x"])
def test_bytes_zstd_cannot_shrink_are_kept_as_they_are(data: bytes) -> None:
    packed = pack(data)
    assert (packed.data, packed.codec) == (data, None)
    assert unpack(packed.data, packed.codec) == data


def test_an_unknown_codec_or_damaged_data_is_a_clear_error() -> None:
    with pytest.raises(RawCodecError, match="unknown raw_codec 'brotli'"):
        unpack(b"abc", "brotli")
    damaged = pack(SEED.read_bytes()).data[:-20]
    with pytest.raises(RawCodecError, match="damaged zstd data"):
        unpack(damaged, stored.ZSTD)
    # In SQL a damaged row is NULL, so that one row does not stop a query over many.
    assert raw_bytes(damaged, stored.ZSTD) is None
    assert raw_bytes(None, None) is None


def test_a_frame_claiming_more_than_its_row_holds_is_refused_before_allocating() -> None:
    # A forged or damaged row: a frame header that claims gigabytes. Decompressing it would
    # allocate what it claims; unpack checks the claim against the row's size first.
    page_bytes = b"<p>A page of news.</p>" * 50
    packed = pack(page_bytes)
    assert unpack(packed.data, packed.codec, len(page_bytes)) == page_bytes
    with pytest.raises(RawCodecError, match="claims"):
        unpack(packed.data, packed.codec, len(page_bytes) - 1)
    writer = zstandard.ZstdCompressor().compressobj(size=4 * 1024**3)
    huge = writer.compress(b"x") + writer.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
    with pytest.raises(RawCodecError, match="claims 4,294,967,296 bytes"):
        unpack(huge, stored.ZSTD)
    no_size = zstandard.ZstdCompressor(write_content_size=False).compress(page_bytes)
    with pytest.raises(RawCodecError, match="no content size"):
        unpack(no_size, stored.ZSTD)
    assert raw_bytes(huge, stored.ZSTD) is None
    assert raw_bytes(packed.data, packed.codec, len(page_bytes)) == page_bytes


def test_ingest_stores_documents_compressed_with_the_hash_of_their_bytes(
    engine: Engine, tmp_path: Path
) -> None:
    write(tmp_path / "noise.bin.txt", NOISE)
    _ingest(engine, SEED, tmp_path)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT origin, raw, raw_codec, sha256, size FROM documents ORDER BY id")
        ).all()
    by_name = {Path(row.origin).name: row for row in rows}
    seed = by_name[SEED.name]
    assert seed.raw_codec == "zstd" and len(seed.raw) < seed.size
    assert unpack(seed.raw, seed.raw_codec) == SEED.read_bytes()
    assert seed.sha256 == hashlib.sha256(SEED.read_bytes()).hexdigest()
    noise = by_name["noise.bin.txt"]  # whatever became of it, its bytes are kept as they are
    assert noise.raw_codec is None and bytes(noise.raw) == NOISE


def _decompress_in_place(engine: Engine) -> None:
    """Make every stored row as an older newsstore wrote it: bytes as they are, no codec."""
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT id, raw, raw_codec FROM documents")).all()
        for row in rows:
            connection.execute(
                text("UPDATE documents SET raw = :raw, raw_codec = NULL WHERE id = :id"),
                {"raw": unpack(row.raw, row.raw_codec), "id": row.id},
            )


def test_rows_stored_uncompressed_are_read_as_they_are(engine: Engine, tmp_path: Path) -> None:
    """reparse, show --explain's re-parse and article_raw read old rows and new rows alike."""
    for n in range(3):
        write(tmp_path / f"{n}.txt", page(f"Story {n}", [f"Story number {n}."]))
    _ingest(engine, tmp_path, SEED)
    before = _snapshot(engine)
    _decompress_in_place(engine)
    result = reparse(engine)
    assert (result.documents, result.unchanged, result.failed) == (4, 4, 0)
    assert _snapshot(engine) == before
    with Session(engine) as session:
        seed_id = session.execute(
            text("SELECT id FROM articles WHERE title LIKE 'Uzbek%'")
        ).scalar_one()
        assert article_raw(session, seed_id) == SEED.read_bytes()
        detail = article_detail(session, seed_id)
        assert detail is not None
        paragraphs, _ = explain_all(session, detail)
        assert paragraphs and all(p.reason for p in paragraphs)


def test_reparse_counts_a_damaged_row_as_failed_and_goes_on(engine: Engine, tmp_path: Path) -> None:
    for n in range(3):
        write(tmp_path / f"{n}.txt", page(f"Story {n}", [f"Story number {n}."]))
    _ingest(engine, tmp_path)
    before = _snapshot(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE documents SET raw = :raw WHERE id = 2"), {"raw": b"bad"})
    result = reparse(engine)
    assert (result.documents, result.failed, result.unchanged) == (3, 1, 2)
    assert _snapshot(engine) == before  # its articles are kept


def test_show_raw_writes_the_documents_exact_bytes(
    runner: CliRunner, db_url: str, engine: Engine
) -> None:
    assert runner.invoke(app, ["ingest", str(SEED)]).exit_code == 0
    result = runner.invoke(app, ["show", "1", "--raw"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == SEED.read_bytes()
    _decompress_in_place(engine)  # an old row: the same bytes
    assert runner.invoke(app, ["show", "1", "--raw"]).stdout_bytes == SEED.read_bytes()
    missing = runner.invoke(app, ["show", "9", "--raw"])
    assert missing.exit_code == 1 and missing.stderr == "newsstore: no article 9\n"
    with engine.begin() as connection:
        connection.execute(text("UPDATE documents SET raw = :raw"), {"raw": b"\x28\xb5\x2f\xfd"})
        connection.execute(text("UPDATE documents SET raw_codec = 'zstd'"))
    damaged = runner.invoke(app, ["show", "1", "--raw"])
    assert damaged.exit_code == 1 and "Traceback" not in damaged.output
    assert damaged.stderr.startswith("newsstore: article 1's document: damaged zstd data")


@pytest.mark.sqlite_only(reason="raw_bytes() is a function of newsstore's SQLite connections")
def test_sql_reads_raw_documents_with_raw_bytes(runner: CliRunner, db_url: str) -> None:
    assert runner.invoke(app, ["ingest", str(SEED)]).exit_code == 0
    result = runner.invoke(
        app,
        [
            "sql",
            "SELECT raw_codec, length(raw) < size AS smaller,"
            " CAST(raw_bytes(raw, raw_codec) AS TEXT) AS text FROM documents",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["raw_codec"] == "zstd" and row["smaller"] == 1
    assert row["text"] == SEED.read_text(encoding="utf-8")


def test_the_migration_compresses_as_db_raw_does() -> None:
    """The revision keeps its own zstd settings: what it writes must read back with unpack."""
    from tests.test_migrations import _revision_module

    revision = _revision_module("9641a9fe9a20")
    assert (revision.ZSTD, revision.LEVEL) == (stored.ZSTD, stored.LEVEL)
    data = SEED.read_bytes()
    frame = zstandard.ZstdCompressor(level=revision.LEVEL).compress(data)
    assert unpack(frame, revision.ZSTD) == data
