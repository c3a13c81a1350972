"""``article_locations`` and ``article_translations`` as WITHOUT ROWID tables (SQLite).

Revision ID: 8d2e4a6c1f37
Revises: c81f0d2e6a47
Create Date: 2026-12-08 00:10:00

Each was a rowid table beside a second b-tree holding the same columns, its
primary key. Made WITHOUT ROWID, the primary key's b-tree is the table: 84 bytes
an article less in a store of ``million.py``'s pages, 37 in one of
``ingest_speed.py``'s (README, Bytes per article). Nothing reads their rowid;
SQL reads them as before. The tables are rebuilt (batch mode) with every view
dropped meanwhile and made again from its own SQL (SQLite will not rename a
table a view names). PostgreSQL tables have no rowid: nothing changes there.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "8d2e4a6c1f37"
down_revision: str | Sequence[str] | None = "c81f0d2e6a47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("article_locations", "article_translations")


def upgrade() -> None:
    _rebuild(with_rowid=False)


def downgrade() -> None:
    _rebuild(with_rowid=True)


def _rebuild(with_rowid: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    with _views_remade(bind):
        for table in TABLES:
            with op.batch_alter_table(
                table, recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
            ):
                pass


@contextmanager
def _views_remade(bind: sa.Connection) -> Iterator[None]:
    """Drop every view (and any trigger on the tables) while they are rebuilt; then remake them."""
    saved = bind.execute(
        sa.text(
            "SELECT type, name, sql FROM sqlite_master WHERE type = 'view'"
            " OR (type = 'trigger' AND tbl_name IN ('article_locations', 'article_translations'))"
            " ORDER BY rowid"
        )
    ).all()
    for kind, name, _sql in saved:
        op.execute(f'DROP {kind.upper()} "{name}"')
    yield
    for _kind, _name, sql in saved:
        op.execute(sql)
