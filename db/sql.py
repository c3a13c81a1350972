"""One SQL statement, exactly as written, that can only read and can be stopped.

What ``newsstore sql`` runs, callable from Python too: the text goes to the
driver as it is (no bind parameters), on SQLite under the reading
authorizer (``db.read_only``) with a progress handler for a timeout, a
``stop()`` callback and Ctrl-C; on PostgreSQL in a READ ONLY transaction
with the server's ``statement_timeout``. Each failure is one ``SqlError``
whose message is one line.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from db.errors import interrupted
from db.read_only import PROGRESS_STEPS, authorize_reading, keep_going


class SqlError(Exception):
    """The statement failed (malformed, refused, stopped); the message says why in one line."""


class SqlRefused(SqlError):
    """The statement would write, attach a file or change the connection: refused."""


class SqlTimeout(SqlError):
    """The statement ran longer than the timeout it was given, and was stopped."""


class SqlInterrupted(SqlError):
    """The statement was stopped because ``stop()`` said so."""


Rows = tuple[list[str], list[tuple[object, ...]]]
# The longest statement_timeout PostgreSQL takes, in milliseconds (about 24 days).
_PG_MAX_TIMEOUT_MS = 2**31 - 1


def run_sql(
    session: Session,
    sql: str,
    *,
    timeout: float | None = None,
    stop: Callable[[], bool] | None = None,
) -> Rows:
    """Run one statement, exactly as written, and return its column names and rows.

    The text goes to the driver's cursor as it is, with no parameters: no
    ``:name`` (SQLAlchemy) or ``%`` (psycopg) in it is taken for a bind
    parameter, so ``SELECT 'a :b'`` is that text. One statement only.

    Give it a read-only session (``make_engine(..., readonly=True)``). On
    SQLite the statement also runs under ``db.read_only.authorize_reading``,
    whatever the session: a write, ATTACH, DETACH or a PRAGMA that sets
    something is refused (``SqlRefused``) before it runs. A progress handler
    stops it when ``stop()`` returns true (``SqlInterrupted``), after
    ``timeout`` seconds (``SqlTimeout``), or on Ctrl-C (``KeyboardInterrupt``,
    which SQLite would otherwise not see until the statement ends). On
    PostgreSQL the session's READ ONLY transaction refuses writes, the
    timeout is the server's ``statement_timeout`` for this transaction, and
    psycopg cancels the statement on Ctrl-C.
    """
    connection = session.connection()  # begins the session's (read-only) transaction
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name == "sqlite":
        return _run_on_sqlite(driver, sql, timeout, stop)
    return _run_on_server(driver, connection.dialect.loaded_dbapi, sql, timeout)


_ACTIONS = {
    getattr(sqlite3, f"SQLITE_{name}"): name.replace("_", " ")
    for name in """INSERT UPDATE DELETE ATTACH DETACH PRAGMA ALTER_TABLE REINDEX ANALYZE
    CREATE_INDEX CREATE_TABLE CREATE_TEMP_INDEX CREATE_TEMP_TABLE CREATE_TEMP_TRIGGER
    CREATE_TEMP_VIEW CREATE_TRIGGER CREATE_VIEW CREATE_VTABLE DROP_INDEX DROP_TABLE
    DROP_TEMP_INDEX DROP_TEMP_TABLE DROP_TEMP_TRIGGER DROP_TEMP_VIEW DROP_TRIGGER DROP_VIEW
    DROP_VTABLE FUNCTION""".split()
}


def _run_on_sqlite(
    driver: sqlite3.Connection, sql: str, timeout: float | None, stop: Callable[[], bool] | None
) -> Rows:
    """The statement on SQLite, under an authorizer and a progress handler of its own.

    Each failure is told apart by what the handlers saw: asked to stop, out of
    time, Ctrl-C, or refused (naming the first action refused); the
    connection's own handlers are put back after.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    stopped: list[str] = []
    refused: list[str] = []

    def progress() -> int:
        if stop is not None and stop():
            stopped.append("stop")
            return 1
        if deadline is not None and time.monotonic() >= deadline:
            stopped.append("timeout")
            return 1
        return 0

    def authorize(action: int, arg1: str | None, arg2: str | None, *rest: str | None) -> int:
        verdict = authorize_reading(action, arg1, arg2, *rest)
        if verdict != sqlite3.SQLITE_OK:
            what = " ".join(str(a) for a in (arg1, arg2) if a is not None)
            refused.append(f"{_ACTIONS.get(action, 'that')} {what}".strip())
        return verdict

    # A connection of a read-only engine goes back to its authorizer; any other to none.
    read_only = bool(driver.execute("PRAGMA query_only").fetchone()[0])
    driver.set_authorizer(authorize)
    driver.set_progress_handler(progress, PROGRESS_STEPS)
    cursor = driver.cursor()
    try:
        cursor.execute(sql)
        if cursor.description is None:
            return [], []
        return [d[0] for d in cursor.description], [tuple(row) for row in cursor.fetchall()]
    except (sqlite3.Error, sqlite3.Warning) as exc:
        if stopped == ["stop"]:
            raise SqlInterrupted("stopped") from None
        if stopped == ["timeout"]:
            raise SqlTimeout(f"stopped after the timeout of {timeout:g} s") from None
        if interrupted(exc):  # Ctrl-C raised in the progress handler, which SQLite swallowed
            raise KeyboardInterrupt from None
        if refused:
            raise SqlRefused(f"refused: the sql command is read-only ({refused[0]})") from None
        message = " ".join(str(exc).split())
        if "readonly" in message or "read-only" in message:
            raise SqlRefused(f"refused: the sql command is read-only ({message})") from None
        raise SqlError(message) from None
    finally:
        cursor.close()
        driver.set_authorizer(authorize_reading if read_only else None)
        driver.set_progress_handler(keep_going if read_only else None, PROGRESS_STEPS)


def _run_on_server(driver: Any, dbapi: Any, sql: str, timeout: float | None) -> Rows:
    """The statement on PostgreSQL (psycopg), in the session's transaction."""
    cursor = driver.cursor()
    try:
        if timeout is not None:
            ms = max(1, min(round(timeout * 1000), _PG_MAX_TIMEOUT_MS))
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", (str(ms),))
        # prepare=True: a prepared statement is one statement, and with no parameters
        # psycopg does not look for '%' in it; sent as a simple query, "COMMIT; DELETE ..."
        # would run both, the second outside the READ ONLY transaction.
        cursor.execute(sql, prepare=True)
        if cursor.description is None:
            return [], []
        return [d[0] for d in cursor.description], [tuple(row) for row in cursor.fetchall()]
    except dbapi.Error as exc:
        message = " ".join(str(exc).split())
        sqlstate = getattr(exc, "sqlstate", None)
        if sqlstate == "57014" and timeout is not None:  # query_canceled by statement_timeout
            raise SqlTimeout(f"stopped after the timeout of {timeout:g} s") from None
        if sqlstate == "25006":  # read_only_sql_transaction
            raise SqlRefused(f"refused: the sql command is read-only ({message})") from None
        raise SqlError(message) from None
    finally:
        cursor.close()
