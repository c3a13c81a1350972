"""Formats: URL, feed guid, author, language and revision on articles; format on documents.

Columns are added in place (``recreate="never"``): recreating ``articles`` in a
SQLite batch would drop its full-text triggers and break the views over it.

Revision ID: 6815ae1990d3
Revises: c3f1a9d27b10
Create Date: 2026-11-26 23:05:21.187834

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6815ae1990d3"
down_revision: str | Sequence[str] | None = "c3f1a9d27b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("guid", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("author", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=35), nullable=True))
        batch_op.add_column(
            sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_articles_guid"), ["guid"], unique=False)
        batch_op.create_index(batch_op.f("ix_articles_url"), ["url"], unique=False)

    with op.batch_alter_table("documents", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("format", sa.String(length=16), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table("documents", recreate="never") as batch_op:
        batch_op.drop_column("format")

    with op.batch_alter_table("articles", recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_url"))
        batch_op.drop_index(batch_op.f("ix_articles_guid"))
        batch_op.drop_column("revision")
        batch_op.drop_column("language")
        batch_op.drop_column("author")
        batch_op.drop_column("guid")
        batch_op.drop_column("url")

