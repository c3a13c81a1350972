"""SHA-256 digests as 32 bytes: ``documents.sha256`` and ``articles.content_hash``.

Revision ID: 3f7b2c9d8e61
Revises: c81f0d2e6a47
Create Date: 2026-12-08 00:05:00

Both were 64 hex characters, and each is a key: a document's digest was
stored three times (the row, ``uq_documents_origin_sha256``,
``ix_documents_sha256``), an article's twice (the row, its unique
constraint). As 32 bytes they take 166 bytes an article less in a store of
page dumps (README, Bytes per article). Python still sees hex (``db.digests``);
SQL reads them as hex with ``lower(hex(sha256))`` (SQLite) or
``encode(sha256, 'hex')`` (PostgreSQL).

On PostgreSQL the columns change type in place (``decode(..., 'hex')``). On
SQLite the values are converted in place first, then both tables are rebuilt
(batch mode) so that their declared type is BLOB; every trigger and view is
dropped meanwhile and made again from its own SQL (SQLite will not rename a
table that a view or trigger names), and the partial indexes are made again by
name. A value that is not 64 hex digits (none that newsstore wrote) becomes
the bytes of its text, on both engines: ``CAST(sha256 AS TEXT)`` reads it
back. The space the old
tables leave is free pages until ``newsstore db optimize`` gives it back.
Downgrading turns the bytes back into lowercase hex.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "3f7b2c9d8e61"
down_revision: str | Sequence[str] | None = "c81f0d2e6a47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column) of each digest.
DIGESTS = (("documents", "sha256"), ("articles", "content_hash"))
# The partial indexes of those tables (revision c81f0d2e6a47), made again after a rebuild.
PARTIAL = {
    "documents": (
        ("ix_documents_record_id", ["record_id"]),
        ("ix_documents_payload_digest", ["payload_digest"]),
        ("ix_documents_archive_record_offset", ["archive", "record_offset"]),
    ),
    "articles": (("ix_articles_url", ["url"]), ("ix_articles_guid", ["guid"])),
}
_FUNCTION = "newsstore_digest"
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _unhex(value: object) -> object:
    """64 hex digits as 32 bytes; anything else as it is."""
    if isinstance(value, str) and len(value) == 64:
        try:
            return bytes.fromhex(value)
        except ValueError:
            return value
    return value


def _hex(value: object) -> object:
    """32 bytes as 64 lowercase hex digits; other bytes as their text (what they were)."""
    if isinstance(value, bytes):
        return value.hex() if len(value) == 32 else value.decode("utf-8", "replace")
    return value


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table, column in DIGESTS:
            op.alter_column(
                table,
                column,
                type_=sa.LargeBinary(),
                existing_type=sa.String(length=64),
                existing_nullable=False,
                postgresql_using=(
                    f"CASE WHEN {column} ~ '^[0-9a-fA-F]{{64}}$' THEN decode({column}, 'hex')"
                    f" ELSE convert_to({column}, 'UTF8') END"
                ),
            )
        return
    _convert(bind, _unhex, "text")
    _retype(bind, sa.LargeBinary(), sa.String(length=64))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table, column in DIGESTS:
            op.alter_column(
                table,
                column,
                type_=sa.String(length=64),
                existing_type=sa.LargeBinary(),
                existing_nullable=False,
                postgresql_using=(
                    f"CASE WHEN length({column}) = 32 THEN encode({column}, 'hex')"
                    f" ELSE convert_from({column}, 'UTF8') END"
                ),
            )
        return
    _convert(bind, _hex, "blob")
    _retype(bind, sa.String(length=64), sa.LargeBinary())


def _convert(bind: sa.Connection, change: Callable[[object], object], stored_as: str) -> None:
    """Change every digest stored as ``stored_as`` with ``change``, in SQL (a Python function)."""
    driver = bind.connection.driver_connection
    assert driver is not None
    driver.create_function(_FUNCTION, 1, change, deterministic=True)  # type: ignore[attr-defined]
    for table, column in DIGESTS:
        op.execute(
            f"UPDATE {table} SET {column} = {_FUNCTION}({column})"
            f" WHERE typeof({column}) = '{stored_as}'"
        )


def _retype(
    bind: sa.Connection, new: sa.types.TypeEngine[object], old: sa.types.TypeEngine[object]
) -> None:
    """Rebuild each table with its digest column declared as ``new``."""
    with _dependents_remade(bind):
        for table, column in DIGESTS:
            for name, _ in PARTIAL[table]:
                op.drop_index(name, table_name=table)
            # The convention names the constraints reflection finds unnamed (SQLite does not
            # give the name of one declared in a column, as articles.story_id's foreign key).
            with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
                batch_op.alter_column(column, type_=new, existing_type=old, existing_nullable=False)
            for name, columns in PARTIAL[table]:
                where = sa.text(f"{columns[0]} IS NOT NULL")
                op.create_index(name, table, columns, unique=False, sqlite_where=where)


@contextmanager
def _dependents_remade(bind: sa.Connection) -> Iterator[None]:
    """Drop every trigger and view while tables are rebuilt; then make them again, in order."""
    saved = bind.execute(
        sa.text(
            "SELECT type, name, sql FROM sqlite_master"
            " WHERE type IN ('trigger', 'view') ORDER BY rowid"
        )
    ).all()
    for kind, name, _sql in saved:
        op.execute(f'DROP {kind.upper()} "{name}"')
    yield
    for _kind, _name, sql in saved:
        op.execute(sql)
