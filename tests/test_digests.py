"""db.digests: SHA-256 digests stored as 32 bytes, hex to Python and to the store's look-ups."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from db.digests import to_bytes, to_hex
from db.models import Document
from ingest.store.plan import documents_by_sha

DIGEST = hashlib.sha256(b"abc").hexdigest()


def test_hex_and_bytes_are_each_others_inverse() -> None:
    assert to_bytes(DIGEST) == hashlib.sha256(b"abc").digest()
    assert to_hex(to_bytes(DIGEST)) == DIGEST
    assert to_hex(memoryview(to_bytes(DIGEST))) == DIGEST


@pytest.mark.parametrize("bad", ["", "abc", "zz" * 32, DIGEST + "00"])
def test_anything_but_64_hex_digits_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        to_bytes(bad)


def test_a_value_written_as_text_reads_back_as_it_is() -> None:
    """A row written as text by hand-made SQL must not stop a read."""
    assert to_hex("not-a-digest") == "not-a-digest"


def test_the_orm_stores_32_bytes_and_finds_and_reads_hex(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Document(origin="/a.txt", sha256=DIGEST, size=3, raw=b"abc", status="ingested"))
        session.commit()
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT sha256 FROM documents")).scalar_one()
    assert bytes(stored) == to_bytes(DIGEST)
    with Session(engine) as session:
        found = session.scalars(select(Document).where(Document.sha256 == DIGEST)).one()
        assert found.sha256 == DIGEST
        # the store's driver-SQL look-up takes and gives hex as well
        (row,) = documents_by_sha(session, [DIGEST, hashlib.sha256(b"other").hexdigest()])
        assert (row.origin, row.sha256) == ("/a.txt", DIGEST)
