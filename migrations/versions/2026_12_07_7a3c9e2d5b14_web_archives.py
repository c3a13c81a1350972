"""Web archives: where a document lies in a WARC, and what the archive says of it.

Revision ID: 7a3c9e2d5b14
Revises: 9c4e1f7a2b35
Create Date: 2026-12-07 13:30:00

A WARC ``response`` record is a document of its own (its payload is the raw
bytes); these columns of ``documents`` hold the rest of the record: the WARC it
lies in and its offset there (a re-ingest resumes after the records stored),
its WARC-Record-ID and WARC-Payload-Digest (how a ``revisit`` record finds the
capture it repeats), the URL it was fetched from, when (WARC-Date) and the
HTTP Content-Type (its charset). Null for documents read from files. Columns
are added in place (``recreate="never"``), as in revision 6815ae1990d3.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a3c9e2d5b14"
down_revision: str | Sequence[str] | None = "9c4e1f7a2b35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = ("record_id", "payload_digest")
# Where a re-ingest resumes a WARC: its last record stored, found by this index alone.
RESUME_INDEX = "ix_documents_archive_record_offset"


def upgrade() -> None:
    with op.batch_alter_table("documents", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("archive", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("record_offset", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("record_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("fetched_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("content_type", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("payload_digest", sa.String(length=200), nullable=True))
        for column in INDEXED:
            batch_op.create_index(batch_op.f(f"ix_documents_{column}"), [column], unique=False)
        batch_op.create_index(RESUME_INDEX, ["archive", "record_offset"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("documents", recreate="never") as batch_op:
        batch_op.drop_index(RESUME_INDEX)
        for column in INDEXED:
            batch_op.drop_index(batch_op.f(f"ix_documents_{column}"))
        for column in (
            "payload_digest",
            "content_type",
            "fetched_at",
            "url",
            "record_id",
            "record_offset",
            "archive",
        ):
            batch_op.drop_column(column)
