"""Story band keys without an index by article; stories in ``article_list``; a partial index.

Revision ID: 13eb189a973d
Revises: 5d1e8a7c3b20
Create Date: 2026-12-07 19:30:00.000000

``story_bands`` was indexed twice: by key, to find copies, and by article, to
delete an article's keys; writing the second cost ingest as much as the first
and took as many bytes. Its rows are now found by ``story_signatures`` (one
row per article holding its keys), so ``story_bands`` keeps its key only and
loses its foreign key (whose cascade would scan it on every article deleted).
``ix_stories_articles`` holds only the stories of two articles or more, the
ones ``newsstore stories`` lists by size. The ``article_list`` view gains
``story_id`` (last, so that the columns before keep their places).

The band keys are not made here: ``story_settings`` is emptied, so the next
ingest regroups the store with the code of its day (``ingest.store.stories.
check_settings``), as it does when the settings change. The stories already
stored stay as they are meanwhile. (No ingest code runs in this revision.)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "13eb189a973d"
down_revision: str | Sequence[str] | None = "5d1e8a7c3b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# ``article_list`` as revision 9c4e1f7a2b35 made it, with or without ``story_id`` at the end.
MONTH = {
    "sqlite": "substr(a.published_at, 1, 7)",
    "postgresql": "to_char(a.published_at, 'YYYY-MM')",
}
PLACES = {
    "sqlite": """(SELECT group_concat(name, ', ') FROM (
            SELECT l.name FROM article_locations al JOIN locations l ON l.id = al.location_id
            WHERE al.article_id = a.id AND al.role = 'mention'
            ORDER BY al.mentions DESC, l.name))""",
    "postgresql": """(SELECT string_agg(l.name, ', ' ORDER BY al.mentions DESC, l.name)
            FROM article_locations al JOIN locations l ON l.id = al.location_id
            WHERE al.article_id = a.id AND al.role = 'mention')""",
}
ARTICLE_LIST = """
    CREATE VIEW article_list AS
    SELECT a.id AS article_id, a.title, s.name AS source, s.category,
           {month} AS month, a.published_at, a.page_date,
           {places} AS places,
           (SELECT p.text FROM paragraphs p
            WHERE p.article_id = a.id AND p.kind = 'body'
            ORDER BY p.position LIMIT 1) AS first_paragraph,
           a.url{story}
    FROM articles a
    LEFT JOIN sources s ON s.id = a.source_id
"""


def _article_list(story: bool) -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP VIEW article_list")
    op.execute(
        ARTICLE_LIST.format(
            month=MONTH[dialect], places=PLACES[dialect], story=", a.story_id" if story else ""
        )
    )


def upgrade() -> None:
    _article_list(story=True)
    op.drop_index(op.f("ix_story_bands_article_id"), table_name="story_bands")
    op.drop_table("story_bands")
    op.create_table(
        "story_bands",
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("band", "key", "article_id", name=op.f("pk_story_bands")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "story_signatures",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bands", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_story_signatures_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_story_signatures")),
    )
    op.drop_index("ix_stories_articles", table_name="stories")
    op.create_index(
        "ix_stories_articles",
        "stories",
        ["articles"],
        unique=False,
        sqlite_where=sa.text("articles > 1"),
        postgresql_where=sa.text("articles > 1"),
    )
    op.execute("DELETE FROM story_settings")


def downgrade() -> None:
    _article_list(story=False)
    op.drop_index("ix_stories_articles", table_name="stories")
    op.create_index("ix_stories_articles", "stories", ["articles"], unique=False)
    op.drop_table("story_signatures")
    op.drop_table("story_bands")
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
    # The keys are gone: the next ingest makes them again, with the code of that revision.
    op.execute("DELETE FROM story_settings")
