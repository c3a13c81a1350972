"""Locations keyed by gazetteer record, with their admin codes; adjectival mentions.

Revision ID: b2ca821921f7
Revises: 7a3c9e2d5b14
Create Date: 2026-12-07 13:25:18.427823

Until this revision ``locations`` was unique on (name, kind, country_code), so two
places of one name in one country were one row: Washington, Utah was stored as
Washington, DC, and a town's mentions took the coordinates of whichever namesake was
stored first. Now a row is one gazetteer record (``gazetteer_id`` unique; rows
without one, which older databases may hold, stay apart by id) and carries GeoNames'
first- and second-level division codes (``admin1``, ``admin2``) where known. The
(name, kind, country_code) lookup keeps a plain index.

Rows: older databases cannot hold namesakes, so upgrading keeps every row; should two
rows share a gazetteer record (only by a hand edit), the later ones are merged into the
first: their mentions and links point to it, and link counts add up. Existing rows
get no admin codes (``newsstore reparse`` does not rewrite places either): the codes
come with rows made from this revision on. Downgrading merges namesakes the same way,
into the first row of each (name, kind, country_code), as the old key demands.

Adjectival mentions ("Russian forces"): ``location_mentions.form`` says whether a
mention is the place's name ('name', every existing row) or an adjective ('adjective'),
and ``article_locations.role`` gains 'adjective' for places an article names only so.
Downgrading deletes the adjectival mentions and links, which the old schema cannot
tell from names.

On SQLite the tables are rebuilt (batch mode); the views that name them are dropped
meanwhile and made again from their own SQL.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "b2ca821921f7"
down_revision: str | Sequence[str] | None = "7a3c9e2d5b14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    _merge(bind, ("gazetteer_id",))
    with _views_remade(bind), op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("admin1", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("admin2", sa.String(length=80), nullable=True))
        batch_op.drop_index(batch_op.f("ix_locations_gazetteer_id"))
        batch_op.drop_constraint(batch_op.f("uq_locations_name_kind_country_code"), type_="unique")
        batch_op.create_index(
            "ix_locations_name_kind_country_code", ["name", "kind", "country_code"], unique=False
        )
        batch_op.create_unique_constraint(batch_op.f("uq_locations_gazetteer_id"), ["gazetteer_id"])
    with _views_remade(bind):
        with op.batch_alter_table("location_mentions", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("form", sa.String(length=16), server_default="name", nullable=False)
            )
            batch_op.create_check_constraint(
                op.f("ck_location_mentions_form"), "form IN ('name', 'adjective')"
            )
        with op.batch_alter_table("article_locations", schema=None) as batch_op:
            batch_op.drop_constraint(op.f("ck_article_locations_role"), type_="check")
            batch_op.create_check_constraint(
                op.f("ck_article_locations_role"), "role IN ('page', 'mention', 'adjective')"
            )


def downgrade() -> None:
    bind = op.get_bind()
    op.execute("DELETE FROM location_mentions WHERE form != 'name'")
    op.execute("DELETE FROM article_locations WHERE role = 'adjective'")
    with _views_remade(bind):
        with op.batch_alter_table("article_locations", schema=None) as batch_op:
            batch_op.drop_constraint(op.f("ck_article_locations_role"), type_="check")
            batch_op.create_check_constraint(
                op.f("ck_article_locations_role"), "role IN ('page', 'mention')"
            )
        with op.batch_alter_table("location_mentions", schema=None) as batch_op:
            batch_op.drop_constraint(op.f("ck_location_mentions_form"), type_="check")
            batch_op.drop_column("form")
    _merge(bind, ("name", "kind", "country_code"))
    with _views_remade(bind), op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_locations_gazetteer_id"), type_="unique")
        batch_op.drop_index("ix_locations_name_kind_country_code")
        batch_op.create_unique_constraint(
            batch_op.f("uq_locations_name_kind_country_code"), ["name", "kind", "country_code"]
        )
        batch_op.create_index(
            batch_op.f("ix_locations_gazetteer_id"), ["gazetteer_id"], unique=False
        )
        batch_op.drop_column("admin2")
        batch_op.drop_column("admin1")


def _merge(bind: sa.Connection, key: Sequence[str]) -> None:
    """Merge the rows of ``locations`` that share ``key`` (no part NULL) into the first.

    Mentions and page places point to the first row; an article's links to the merged
    rows become one link per role with their counts added.
    """
    columns = ", ".join(key)
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in key)
    groups = bind.execute(
        sa.text(
            f"SELECT MIN(id) FROM locations WHERE {not_null} GROUP BY {columns} HAVING COUNT(*) > 1"
        )
    ).all()
    for (keeper,) in groups:
        same = " AND ".join(f"l.{c} = k.{c}" for c in key)
        others = bind.execute(
            sa.text(
                "SELECT l.id FROM locations l, locations k"
                f" WHERE k.id = :k AND l.id != :k AND {same}"
            ),
            {"k": keeper},
        ).scalars()
        for other in list(others):
            _repoint(bind, int(other), int(keeper))


def _repoint(bind: sa.Connection, old: int, new: int) -> None:
    """Point everything that names location ``old`` to ``new``, and delete ``old``."""
    ids = {"old": old, "new": new}
    run = bind.execute
    run(sa.text("UPDATE location_mentions SET location_id = :new WHERE location_id = :old"), ids)
    run(sa.text("UPDATE articles SET page_location_id = :new WHERE page_location_id = :old"), ids)
    run(
        sa.text(
            "UPDATE article_locations SET mentions = mentions + ("
            " SELECT o.mentions FROM article_locations o WHERE o.location_id = :old"
            " AND o.article_id = article_locations.article_id AND o.role = article_locations.role)"
            " WHERE location_id = :new AND EXISTS ("
            " SELECT 1 FROM article_locations o WHERE o.location_id = :old"
            " AND o.article_id = article_locations.article_id AND o.role = article_locations.role)"
        ),
        ids,
    )
    run(
        sa.text(
            "DELETE FROM article_locations WHERE location_id = :old AND EXISTS ("
            " SELECT 1 FROM article_locations n WHERE n.location_id = :new"
            " AND n.article_id = article_locations.article_id AND n.role = article_locations.role)"
        ),
        ids,
    )
    run(sa.text("UPDATE article_locations SET location_id = :new WHERE location_id = :old"), ids)
    run(sa.text("DELETE FROM locations WHERE id = :old"), ids)


@contextmanager
def _views_remade(bind: sa.Connection) -> Iterator[None]:
    """On SQLite, drop every view while ``locations`` is rebuilt; then make them again.

    Batch mode rebuilds the table under a temporary name and renames it; SQLite
    refuses the rename while a view (``place_mentions``) names the table.
    """
    if bind.dialect.name != "sqlite":
        yield
        return
    saved = bind.execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY rowid")
    ).all()
    for name, _sql in saved:
        op.execute(f'DROP VIEW "{name}"')
    yield
    for _name, sql in saved:
        op.execute(sql)
