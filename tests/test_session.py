"""Engines: a writer's transactions take SQLite's write lock at once; ``reading`` ones do not."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db.models import Document
from db.session import reading


@pytest.fixture
def impatient(engine: Engine) -> Engine:
    """The test engine, giving up after 0.1 s instead of 30 when the database is locked."""

    @event.listens_for(engine, "connect")
    def _short_timeout(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=100")

    engine.dispose()  # connections made before the listener keep the long timeout
    return engine


@pytest.mark.sqlite_only(reason="SQLite's one write lock and busy timeout")
def test_reading_transactions_do_not_wait_for_a_writer(impatient: Engine) -> None:
    with impatient.connect() as writer, writer.begin():  # holds the write lock
        with Session(reading(impatient)) as session:
            assert session.scalar(select(func.count()).select_from(Document)) == 0
        with Session(impatient) as session, pytest.raises(OperationalError, match="locked"):
            session.scalar(select(func.count()).select_from(Document))
