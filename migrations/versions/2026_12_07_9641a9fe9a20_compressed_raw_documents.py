"""Raw documents compressed with zstd: ``documents.raw_codec`` says how each row is stored.

Revision ID: 9641a9fe9a20
Revises: b2ca821921f7
Create Date: 2026-12-07 16:10:00

``documents.raw`` was two fifths of a store of page dumps (README, Raw documents).
From this revision a row's ``raw`` is compressed with zstd (``raw_codec`` 'zstd'),
or kept as it is (``raw_codec`` NULL) where zstd does not make it smaller. The
column is added in place (``recreate="never"``), then the existing rows are
compressed a few at a time, in order of id: at most ``CHUNK_BYTES`` of documents
(or one larger document) in memory at once, whatever the size of the store. The
sha256 of each row stays that of its bytes as read.

Downgrading decompresses every row the same way and drops the column.

This file does its own zstd (level 3, as ``db.raw``), so that what it writes does
not change if ``db.raw`` does. The space the old rows leave is free pages in the
SQLite file until ``newsstore db optimize`` (or VACUUM) gives it back.
"""

from collections.abc import Callable, Iterator, Sequence

import sqlalchemy as sa
import zstandard
from alembic import op

revision: str = "9641a9fe9a20"
down_revision: str | Sequence[str] | None = "b2ca821921f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ZSTD = "zstd"
LEVEL = 3
# Documents read at once: by their sizes, and at most this many rows.
CHUNK_BYTES = 16 * 1024 * 1024
CHUNK_ROWS = 500


def upgrade() -> None:
    with op.batch_alter_table("documents", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("raw_codec", sa.String(length=16), nullable=True))
    compressor = zstandard.ZstdCompressor(level=LEVEL)

    def compress(raw: bytes) -> tuple[bytes, str | None]:
        data = compressor.compress(raw) if raw else raw
        return (data, ZSTD) if len(data) < len(raw) else (raw, None)

    _rewrite(op.get_bind(), "raw_codec IS NULL", compress)


def downgrade() -> None:
    decompressor = zstandard.ZstdDecompressor()

    def decompress(data: bytes) -> tuple[bytes, str | None]:
        return decompressor.decompress(data), None

    bind = op.get_bind()
    _rewrite(bind, f"raw_codec = '{ZSTD}'", decompress)
    left = bind.execute(sa.text("SELECT count(*) FROM documents WHERE raw_codec IS NOT NULL"))
    if left.scalar():
        raise RuntimeError("documents.raw_codec names a codec this revision does not know")
    with op.batch_alter_table("documents", recreate="never") as batch_op:
        batch_op.drop_column("raw_codec")


def _rewrite(
    bind: sa.Connection, which: str, change: Callable[[bytes], tuple[bytes, str | None]]
) -> None:
    """Rewrite the ``raw`` of the rows ``which`` selects with ``change``, chunk by chunk."""
    update = sa.text("UPDATE documents SET raw = :raw, raw_codec = :codec WHERE id = :id")
    for ids in _chunks(bind, which):
        rows = bind.execute(
            sa.text("SELECT id, raw FROM documents WHERE id IN :ids ORDER BY id").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        ).all()
        changes = []
        for row_id, raw in rows:
            data, codec = change(bytes(raw))
            if data != raw or codec is not None:
                changes.append({"id": row_id, "raw": data, "codec": codec})
        if changes:
            bind.execute(update, changes)


def _chunks(bind: sa.Connection, which: str) -> Iterator[list[int]]:
    """The ids of the rows ``which`` selects, in order, in chunks of at most ``CHUNK_BYTES``
    (by their stored size) or ``CHUNK_ROWS``; taken a page of ids at a time."""
    last, chunk, weight = 0, [], 0
    page = sa.text(
        f"SELECT id, length(raw) FROM documents WHERE id > :last AND {which} "
        "ORDER BY id LIMIT 10000"
    )
    while rows := bind.execute(page, {"last": last}).all():
        for row_id, size in rows:
            if chunk and (weight + (size or 0) > CHUNK_BYTES or len(chunk) >= CHUNK_ROWS):
                yield chunk
                chunk, weight = [], 0
            chunk.append(row_id)
            weight += size or 0
        last = rows[-1][0]
    if chunk:
        yield chunk
