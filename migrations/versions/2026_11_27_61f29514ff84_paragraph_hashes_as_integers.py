"""Paragraph hashes as 64-bit integers instead of 32 hex digits.

Revision ID: 61f29514ff84
Revises: 1b8d63180170
Create Date: 2026-11-27 04:37:12.301258

Ingest looks every new paragraph's hash up in two indexes and adds it to
``ix_paragraphs_text_hash``. The hashes are random, so each batch changed
nearly every page of that index, and each commit wrote them all again. As
text a key took about 40 bytes of index; as an integer it takes about 12,
and integers compare faster. 64 bits are plenty: the hash tells apart the
paragraphs of one source, to count how often the source repeats each.

Neither SQLite nor PostgreSQL has BLAKE2, so the hashes are derived again
from the stored texts here, in Python. The hash functions are copied into
this revision as they are at it (``ingest.fingerprint.paragraph_hash``), so
that it makes the same values whatever that module becomes; a test checks
that the two agree. On SQLite, ``paragraphs`` is rebuilt (batch mode): its
full-text triggers and the views are made again afterwards, from their own
SQL. ``source_paragraphs`` holds counts derived from ``paragraphs`` and is
made again with the new hashes.
"""

import hashlib
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "61f29514ff84"
down_revision: str | Sequence[str] | None = "1b8d63180170"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROWS_PER_STEP = 10_000


def _normal(text: str) -> bytes:
    """A paragraph's text as it is hashed: NFC, whitespace collapsed, no BOM, case-folded."""
    text = unicodedata.normalize("NFC", text).replace("\ufeff", "")
    return " ".join(text.split()).casefold().encode("utf-8")


def integer_hash(text: str) -> int:
    """The paragraph hash from this revision on: 8 bytes of BLAKE2b, a signed 64-bit integer."""
    digest = hashlib.blake2b(_normal(text), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def hex_hash(text: str) -> str:
    """The paragraph hash before this revision: 16 bytes of BLAKE2b as hex digits."""
    return hashlib.blake2b(_normal(text), digest_size=16).hexdigest()


def upgrade() -> None:
    _rehash(sa.BigInteger(), integer_hash)


def downgrade() -> None:
    _rehash(sa.String(length=32), hex_hash)


def _rehash(type_: sa.types.TypeEngine[Any], hash_text: Callable[[str], object]) -> None:
    bind = op.get_bind()
    with op.batch_alter_table("paragraphs", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("new_hash", type_, nullable=True))
    _fill_paragraphs(bind, hash_text)
    op.drop_index(op.f("ix_paragraphs_text_hash"), table_name="paragraphs")
    with _dependents_remade(bind, "paragraphs"), op.batch_alter_table("paragraphs") as batch_op:
        batch_op.drop_column("text_hash")
        batch_op.alter_column(
            "new_hash", new_column_name="text_hash", existing_type=type_, nullable=False
        )
    op.create_index(op.f("ix_paragraphs_text_hash"), "paragraphs", ["text_hash"], unique=False)
    _remake_source_paragraphs(bind, type_, hash_text)


def _fill_paragraphs(bind: sa.Connection, hash_text: Callable[[str], object]) -> None:
    """Set every paragraph's ``new_hash`` from its text, a step of rows at a time."""
    select = sa.text("SELECT id, text FROM paragraphs WHERE id > :after ORDER BY id LIMIT :n")
    update = sa.text("UPDATE paragraphs SET new_hash = :h WHERE id = :i")
    after = 0
    while rows := bind.execute(select, {"after": after, "n": _ROWS_PER_STEP}).all():
        bind.execute(update, [{"h": hash_text(text), "i": i} for i, text in rows])
        after = rows[-1][0]


@contextmanager
def _dependents_remade(bind: sa.Connection, table: str) -> Iterator[None]:
    """On SQLite, drop the table's triggers and every view while it is rebuilt; then remake them.

    Batch mode rebuilds a table under a temporary name and renames it; SQLite
    refuses the rename while a view names the table, and dropping the old
    table drops its triggers.
    """
    if bind.dialect.name != "sqlite":
        yield
        return
    saved = bind.execute(
        sa.text(
            "SELECT type, name, sql FROM sqlite_master"
            " WHERE (type = 'trigger' AND tbl_name = :table) OR type = 'view' ORDER BY rowid"
        ),
        {"table": table},
    ).all()
    for kind, name, _sql in saved:
        op.execute(f'DROP {kind.upper()} "{name}"')
    yield
    for _kind, _name, sql in saved:
        op.execute(sql)


def _remake_source_paragraphs(
    bind: sa.Connection, type_: sa.types.TypeEngine[Any], hash_text: Callable[[str], object]
) -> None:
    """Make ``source_paragraphs`` again with ``type_`` hashes, its counts kept."""
    rows = bind.execute(sa.text("SELECT source_id, articles, text FROM source_paragraphs")).all()
    op.drop_index(op.f("ix_source_paragraphs_text_hash"), table_name="source_paragraphs")
    op.drop_table("source_paragraphs")
    table = op.create_table(
        "source_paragraphs",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("text_hash", type_, nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_source_paragraphs_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "text_hash", name=op.f("pk_source_paragraphs")),
    )
    op.create_index(
        op.f("ix_source_paragraphs_text_hash"), "source_paragraphs", ["text_hash"], unique=False
    )
    if rows and table is not None:
        op.bulk_insert(
            table,
            [
                {"source_id": s, "text_hash": hash_text(text), "articles": n, "text": text}
                for s, n, text in rows
            ],
        )
