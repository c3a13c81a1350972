"""Counts for stats (articles per source and month, documents, paragraphs); places' index.

Revision ID: 1452c62bb6f1
Revises: 13eb189a973d
Create Date: 2026-12-07 19:30:00

``counts`` holds what ``newsstore stats`` prints, kept by the store as it writes
(``db.counts``), so that ``stats`` reads a few hundred rows instead of counting
every article, document and paragraph. It is filled here from the rows
already stored, by the same statements ``db.counts.recount`` runs (written out
here, as a released revision must not change with the code).

The index of ``article_locations`` on ``location_id`` becomes one on
``(location_id, role, mentions)``: the same look-ups by place, and ``places``
over every article counted from the index alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1452c62bb6f1"
down_revision: str | Sequence[str] | None = "13eb189a973d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONTH = "substr(CAST(published_at AS VARCHAR(32)), 1, 7)"
FILL = (
    """INSERT INTO counts (what, key, n)
        SELECT 'source', COALESCE(CAST(source_id AS VARCHAR(20)), ''), count(*)
        FROM articles GROUP BY source_id""",
    f"""INSERT INTO counts (what, key, n)
        SELECT 'month', COALESCE({MONTH}, ''), count(*) FROM articles GROUP BY {MONTH}""",
    """INSERT INTO counts (what, key, n)
        SELECT 'status', status, count(*) FROM documents GROUP BY status""",
    """INSERT INTO counts (what, key, n)
        SELECT 'paragraphs', '', count(*) FROM paragraphs HAVING count(*) > 0""",
)


def upgrade() -> None:
    op.create_table(
        "counts",
        sa.Column("what", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("what", "key", name=op.f("pk_counts")),
    )
    for statement in FILL:
        op.execute(statement)
    # ``places`` over every article counts links by place: covering role and mentions, the
    # index on location_id alone answers it without reading the table.
    op.create_index(
        "ix_article_locations_location_id_role_mentions",
        "article_locations",
        ["location_id", "role", "mentions"],
        unique=False,
    )
    op.drop_index(op.f("ix_article_locations_location_id"), table_name="article_locations")


def downgrade() -> None:
    op.create_index(
        op.f("ix_article_locations_location_id"),
        "article_locations",
        ["location_id"],
        unique=False,
    )
    op.drop_index("ix_article_locations_location_id_role_mentions", table_name="article_locations")
    op.drop_table("counts")
