"""Views to read the store by: articles with their source, month, places and first paragraph;
places with how many articles name them.

Revision ID: 9c4e1f7a2b35
Revises: 61f29514ff84
Create Date: 2026-12-07 13:55:00

``newsstore serve`` (Datasette) facets and maps these: ``article_list`` has a
``month`` to facet by and a source by name, ``place_counts`` the ``latitude``
and ``longitude`` the map plugin draws, and an article count per place.
Views, not tables: nothing to keep in step. Both engines: the SQL differs
only in how a month is cut from a time and how names are joined.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9c4e1f7a2b35"
down_revision: str | Sequence[str] | None = "61f29514ff84"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What differs between the engines: the month of a time; the places an article names, as text.
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
           a.url
    FROM articles a
    LEFT JOIN sources s ON s.id = a.source_id
"""

PLACE_COUNTS = """
    CREATE VIEW place_counts AS
    SELECT l.id AS location_id, l.name AS place, l.kind, l.country_code,
           l.latitude, l.longitude, l.approximate,
           count(DISTINCT CASE WHEN al.role = 'mention' THEN al.article_id END) AS articles,
           count(DISTINCT CASE WHEN al.role = 'page' THEN al.article_id END) AS pages
    FROM locations l
    JOIN article_locations al ON al.location_id = l.id
    GROUP BY l.id, l.name, l.kind, l.country_code, l.latitude, l.longitude, l.approximate
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute(ARTICLE_LIST.format(month=MONTH[dialect], places=PLACES[dialect]))
    op.execute(PLACE_COUNTS)


def downgrade() -> None:
    op.execute("DROP VIEW place_counts")
    op.execute("DROP VIEW article_list")
