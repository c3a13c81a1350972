"""Lists of values in SQL: IN lists cut to a length every engine binds, and the driver's mark.

Shared by the library (``db``) and the store (``ingest.store.sql``), which
import it from here: ``db`` may not import ``ingest``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import Connection

T = TypeVar("T")
# SQLite allows 32,766 bound parameters per statement; IN lists stay well below.
IN_CHUNK = 900


def chunks(values: list[T]) -> Iterable[list[T]]:
    """``values`` in lists of ``IN_CHUNK``, short enough for one IN list each."""
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def placeholder(connection: Connection) -> str:
    """The driver's mark for a bound value: sqlite3's ``?``, psycopg's ``%s``."""
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"
