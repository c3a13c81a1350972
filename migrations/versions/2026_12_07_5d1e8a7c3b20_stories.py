"""Stories: articles grouped with their copies, republications and updated versions.

Revision ID: 5d1e8a7c3b20
Revises: a7849bd7ecd1
Create Date: 2026-12-07 16:00:00.000000

Adds ``stories`` (one row per story), ``articles.story_id`` (not null: an
article with no copy is a story of its own) and ``articles.story_similarity``,
``story_bands`` (each article's MinHash band keys, how copies are found) and
``story_settings`` (what the keys were made with). Every article already
stored is grouped, a batch at a time, by the same code as ingest
(``ingest.store.stories.regroup``): what it does is recorded in
``story_settings``, and a later change of it regroups the store again, so
this revision running today's code is what the store would do anyway.

On SQLite ``story_id`` is added in place, with a default of 0 that no row
keeps (SQLite adds a NOT NULL column only with a default; recreating
``articles`` would drop its full-text triggers). Downgrading rebuilds the
table (batch mode), its triggers and the views remade from their own SQL.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "5d1e8a7c3b20"
down_revision: str | Sequence[str] | None = "a7849bd7ecd1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_article_id", sa.Integer(), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("sources", sa.Integer(), nullable=False),
        sa.Column("first_published_at", sa.DateTime(), nullable=True),
        sa.Column("last_published_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
    )
    op.create_index("ix_stories_articles", "stories", ["articles"], unique=False)
    op.create_table(
        "story_settings",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_story_settings")),
    )
    op.create_table(
        "story_bands",
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_story_bands_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("band", "key", "article_id", name=op.f("pk_story_bands")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_story_bands_article_id"), "story_bands", ["article_id"], unique=False)
    if bind.dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE articles ADD COLUMN story_id INTEGER NOT NULL DEFAULT 0"
            " CONSTRAINT fk_articles_story_id_stories REFERENCES stories (id)"
        )
    else:
        op.add_column("articles", sa.Column("story_id", sa.Integer(), nullable=True))
    op.add_column(
        "articles",
        sa.Column("story_similarity", sa.Float(), server_default=sa.text("1"), nullable=False),
    )
    op.create_index(op.f("ix_articles_story_id"), "articles", ["story_id"], unique=False)
    _group(bind)
    if bind.dialect.name != "sqlite":
        op.alter_column("articles", "story_id", nullable=False)
        op.create_foreign_key(
            op.f("fk_articles_story_id_stories"), "articles", "stories", ["story_id"], ["id"]
        )


def _group(bind: sa.Connection) -> None:
    """Group every stored article into stories, and record the settings that did it."""
    from ingest.store.stories import regroup, write_settings

    with Session(bind=bind, join_transaction_mode="create_savepoint") as session:
        regroup(session, None, bands=True)
        write_settings(session)
        session.commit()


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index(op.f("ix_articles_story_id"), table_name="articles")
    if bind.dialect.name == "sqlite":
        with _dependents_remade(bind, "articles"), op.batch_alter_table("articles") as batch_op:
            batch_op.drop_column("story_similarity")
            batch_op.drop_column("story_id")
    else:
        op.drop_constraint(op.f("fk_articles_story_id_stories"), "articles", type_="foreignkey")
        op.drop_column("articles", "story_similarity")
        op.drop_column("articles", "story_id")
    op.drop_index(op.f("ix_story_bands_article_id"), table_name="story_bands")
    op.drop_table("story_bands")
    op.drop_table("story_settings")
    op.drop_index("ix_stories_articles", table_name="stories")
    op.drop_table("stories")


@contextmanager
def _dependents_remade(bind: sa.Connection, table: str) -> Iterator[None]:
    """On SQLite, drop the table's triggers and every view while it is rebuilt; then remake them.

    Batch mode rebuilds a table under a temporary name and renames it; SQLite
    refuses the rename while a view names the table, and dropping the old
    table drops its triggers. (A copy of revision 61f29514ff84's.)
    """
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
