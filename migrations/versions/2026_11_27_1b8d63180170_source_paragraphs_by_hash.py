"""Source paragraphs by hash: an index on source_paragraphs.text_hash.

Revision ID: 1b8d63180170
Revises: e5b2f8c1d7a4
Create Date: 2026-11-27 02:39:24.349467

Ingest looks up each batch's paragraph hashes in ``source_paragraphs``. Its
primary key begins with the source, so a look-up by hash needed the sources
too, and SQLite then probed every (source, hash) pair of the two lists. With
this index the hashes alone find the rows.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "1b8d63180170"
down_revision: str | Sequence[str] | None = "e5b2f8c1d7a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_source_paragraphs_text_hash"), "source_paragraphs", ["text_hash"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_source_paragraphs_text_hash"), table_name="source_paragraphs")
