"""zstd dictionaries per format for raw documents (``raw_dictionaries``); partial indexes.

Revision ID: c81f0d2e6a47
Revises: 1452c62bb6f1
Create Date: 2026-12-07 21:40:00

A dictionary trained on a format's documents makes each of them compress to
what is its own (a generated page dump: 690 bytes instead of 1,056; README,
Raw documents). Each dictionary is a row of ``raw_dictionaries``, its id the
zstd Dictionary_ID that every frame made with it names in its header; rows
stay ``raw_codec`` 'zstd'.

Existing data is upgraded here: for each format with at least ``TRAIN_MIN``
documents compressed with plain zstd, a dictionary is trained on its first
``TRAIN_MAX`` of them, at most ``TRAIN_BYTES`` (as ``db.raw_dictionaries`` trains
one from a batch), and
if it saves at least ``MIN_SAVING`` every such document of the format is
compressed again with it, a chunk at a time (at most ``CHUNK_BYTES`` of
documents in memory). A format whose dictionary does not pay gets a row
without data, as ingest leaves one. The space the old rows leave is free pages
in the SQLite file until ``newsstore db optimize`` gives it back.

The indexes on columns that most rows leave null (``articles.url`` and
``guid``, ``documents.record_id``, ``payload_digest`` and ``archive``) are made
again over the rows where the column is given: every look-up by them is by
``=`` or ``IN``, which imply it, and the nulls took 50 bytes an article of a
store of page dumps.

Downgrading compresses every row made with a dictionary again without one,
drops the table, and makes the indexes whole again. This file does its own
zstd, so that what it writes does not change if ``db.raw`` does.
"""

import contextlib
from collections.abc import Callable, Iterator, Sequence

import sqlalchemy as sa
import zstandard
from alembic import op

revision: str = "c81f0d2e6a47"
down_revision: str | Sequence[str] | None = "1452c62bb6f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ZSTD = "zstd"
LEVEL = 3
FIRST_ID = 32768
SIZE = 64 * 1024
TRAIN_MIN = 256
TRAIN_MAX = 1000
TRAIN_BYTES = 8 * 1024 * 1024  # of documents as read: what training costs grows with it
MIN_SAVING = 0.10
CHUNK_BYTES = 16 * 1024 * 1024
CHUNK_ROWS = 500


# (index, table, columns): each made over the rows where its first column is not null.
PARTIAL = (
    ("ix_articles_url", "articles", ["url"]),
    ("ix_articles_guid", "articles", ["guid"]),
    ("ix_documents_record_id", "documents", ["record_id"]),
    ("ix_documents_payload_digest", "documents", ["payload_digest"]),
    ("ix_documents_archive_record_offset", "documents", ["archive", "record_offset"]),
)


def _indexes(partial: bool) -> None:
    for name, table, columns in PARTIAL:
        op.drop_index(name, table_name=table)
        where = sa.text(f"{columns[0]} IS NOT NULL") if partial else None
        op.create_index(
            name, table, columns, unique=False, sqlite_where=where, postgresql_where=where
        )


def upgrade() -> None:
    _indexes(partial=True)
    op.create_table(
        "raw_dictionaries",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("saving", sa.Float(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_dictionaries")),
    )
    bind = op.get_bind()
    formats = bind.execute(
        sa.text(
            f"SELECT format, count(*) FROM documents WHERE raw_codec = '{ZSTD}'"
            " AND format IS NOT NULL GROUP BY format ORDER BY format"
        )
    ).all()
    next_id = FIRST_ID
    for fmt, count in formats:
        if count < TRAIN_MIN:
            continue
        dictionary = _train(bind, fmt, next_id)
        next_id += 1
        if dictionary is not None:
            _rewrite(bind, "format = :format", {"format": fmt}, _packing_again(dictionary))


def _packing_again(dictionary: zstandard.ZstdCompressionDict) -> Callable[[bytes], bytes | None]:
    """What a plain zstd row becomes with ``dictionary`` (None: it stays as it is)."""
    compressor = zstandard.ZstdCompressor(level=LEVEL, dict_data=dictionary)
    plain = zstandard.ZstdDecompressor()

    def again(data: bytes) -> bytes | None:
        if zstandard.get_frame_parameters(data).dict_id:
            return None  # made with a dictionary already
        packed = compressor.compress(plain.decompress(data))
        return packed if len(packed) < len(data) else None

    return again


def _train(
    bind: sa.Connection, fmt: str, dictionary_id: int
) -> zstandard.ZstdCompressionDict | None:
    """Train a format's dictionary on its first documents and store it; None if it does not pay."""
    plain = zstandard.ZstdDecompressor()
    rows = bind.execute(
        sa.text(
            f"SELECT id, size FROM documents WHERE raw_codec = '{ZSTD}' AND format = :format"
            f" ORDER BY id LIMIT {TRAIN_MAX}"
        ),
        {"format": fmt},
    ).all()
    chosen, total = [], 0
    for row_id, size in rows:
        if chosen and total + size > TRAIN_BYTES:
            break
        chosen.append(row_id)
        total += size
    raws = bind.execute(
        sa.text("SELECT raw FROM documents WHERE id IN :ids ORDER BY id").bindparams(
            sa.bindparam("ids", expanding=True)
        ),
        {"ids": chosen},
    ).all()
    samples = [plain.decompress(bytes(raw)) for (raw,) in raws]
    saving = 0.0
    dictionary = None
    held = max(1, len(samples) // 5)  # measured on documents it was not trained on
    with contextlib.suppress(zstandard.ZstdError):  # too few samples to train on: none
        dictionary = zstandard.train_dictionary(SIZE, samples[:-held], dict_id=dictionary_id)
    if dictionary is not None:
        with_it = zstandard.ZstdCompressor(level=LEVEL, dict_data=dictionary)
        without = zstandard.ZstdCompressor(level=LEVEL)
        before = sum(min(len(s), len(without.compress(s))) for s in samples[-held:])
        after = sum(min(len(s), len(with_it.compress(s))) for s in samples[-held:])
        saving = 1 - after / before if before else 0.0
    pays = dictionary is not None and saving >= MIN_SAVING
    bind.execute(
        sa.text(
            "INSERT INTO raw_dictionaries (id, format, data, documents, saving)"
            " VALUES (:id, :format, :data, :documents, :saving)"
        ),
        {
            "id": dictionary_id,
            "format": fmt,
            "data": dictionary.as_bytes() if pays and dictionary is not None else None,
            "documents": len(samples),
            "saving": round(saving, 4),
        },
    )
    return dictionary if pays else None


def downgrade() -> None:
    bind = op.get_bind()
    found = bind.execute(
        sa.text("SELECT id, data FROM raw_dictionaries WHERE data IS NOT NULL")
    ).all()
    dictionaries = {
        int(id): zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(bytes(data)))
        for id, data in found
    }
    compressor = zstandard.ZstdCompressor(level=LEVEL)

    def without(data: bytes) -> bytes | None:
        made_with = zstandard.get_frame_parameters(data).dict_id
        if not made_with:
            return None
        if made_with not in dictionaries:
            raise RuntimeError(f"a document needs zstd dictionary {made_with}, which is missing")
        return compressor.compress(dictionaries[made_with].decompress(data))

    if dictionaries:
        _rewrite(bind, "1 = 1", {}, without)
    op.drop_table("raw_dictionaries")
    _indexes(partial=False)


def _rewrite(
    bind: sa.Connection,
    which: str,
    params: dict[str, str],
    change: Callable[[bytes], bytes | None],
) -> None:
    """Rewrite the ``raw`` of the zstd rows ``which`` selects with ``change`` (None: as it is)."""
    update = sa.text("UPDATE documents SET raw = :raw WHERE id = :id")
    for ids in _chunks(bind, which, params):
        rows = bind.execute(
            sa.text("SELECT id, raw FROM documents WHERE id IN :ids ORDER BY id").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        ).all()
        changes = []
        for row_id, raw in rows:
            data = change(bytes(raw))
            if data is not None:
                changes.append({"id": row_id, "raw": data})
        if changes:
            bind.execute(update, changes)


def _chunks(bind: sa.Connection, which: str, params: dict[str, str]) -> Iterator[list[int]]:
    """The ids of the zstd rows ``which`` selects, in order, in chunks of at most ``CHUNK_BYTES``
    (by their stored size) or ``CHUNK_ROWS``; taken a page of ids at a time."""
    last, chunk, weight = 0, [], 0
    page = sa.text(
        f"SELECT id, length(raw) FROM documents WHERE id > :last AND raw_codec = '{ZSTD}'"
        f" AND {which} ORDER BY id LIMIT 10000"
    )
    while rows := bind.execute(page, {"last": last, **params}).all():
        for row_id, size in rows:
            if chunk and (weight + (size or 0) > CHUNK_BYTES or len(chunk) >= CHUNK_ROWS):
                yield chunk
                chunk, weight = [], 0
            chunk.append(row_id)
            weight += size or 0
        last = rows[-1][0]
    if chunk:
        yield chunk
