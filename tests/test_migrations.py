"""Migrations: one head, up from nothing, down and up again, models equal to migrations."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from db import migrate
from db.base import Base
from db.session import make_engine

TABLES = {
    "documents",
    "sources",
    "articles",
    "paragraphs",
    "locations",
    "article_locations",
    "article_translations",
    "source_paragraphs",
}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_there_is_exactly_one_head() -> None:
    assert len(ScriptDirectory.from_config(migrate.alembic_config()).get_heads()) == 1


def test_upgrade_from_empty_creates_every_table(db_url: str) -> None:
    migrate.upgrade(db_url)
    assert _tables(db_url) >= TABLES


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    migrate.upgrade(db_url)
    migrate.downgrade(db_url, "base")
    assert _tables(db_url) == set()
    migrate.upgrade(db_url)
    assert _tables(db_url) >= TABLES


def test_models_match_migrations(db_url: str) -> None:
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_new_database_is_created_at_head_and_old_one_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate.ensure_current(engine)
        assert migrate.current_revisions(engine) == migrate.heads()
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'feedfacecafe'")
        try:
            migrate.ensure_current(engine)
        except migrate.SchemaUnknown as exc:
            assert "newer version" in str(exc)
        else:
            raise AssertionError("an unknown revision was accepted")
    finally:
        engine.dispose()


def test_a_foreign_database_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE something_else (x INTEGER)")
        try:
            migrate.ensure_current(engine)
        except migrate.SchemaUnknown as exc:
            assert "no newsstore schema" in str(exc)
        else:
            raise AssertionError("a database without a revision was taken over")
    finally:
        engine.dispose()
